"""Quotes parked at an idle recorded market (``RecordedMarket.parked``): the driver's one-venue
quote loop hands an idle market the quote without calling ``on_quote``; the market reads the
touch when it next acts, so every result is the one reading each quote gives (the driver's
differential property test checks whole runs against the generic loop, which never parks)."""

from __future__ import annotations

from sim_helpers import T0, S, quotes, run

from sim.models import ConstantLatency

ROWS = [(1, 100, 101, 5, 50), (2, 101, 102, 6, 60), (3, 103, 105, 7, 70)]


def test_an_idle_market_keeps_the_last_quote_parked_and_reads_it_on_demand():
    _, _, broker = run([quotes(*ROWS)], [], check=False)  # no orders: the venue stays idle
    market = broker.markets["X"]
    assert market.idle
    assert market.parked is not None and market.parked.ts_event == T0 + 3 * S
    assert market.bid is None  # never read: the quotes were parked, not handled
    market.unpark()
    assert market.parked is None
    assert (market.bid, market.ask, market.bid_avail, market.ask_avail) == (103, 105, 7, 70)


def test_an_order_after_parked_quotes_fills_at_the_last_touch():
    def buy(ctx):  # type: ignore[no-untyped-def]
        ctx.market("X", 1, 30)

    log, _, _ = run([quotes(*ROWS)], [(3.5, buy)], latency=ConstantLatency(0, 0))
    assert log.fills() == [(105, 30)]


def test_a_post_only_order_after_parked_quotes_is_checked_against_the_last_touch():
    def at_the_ask(ctx):  # type: ignore[no-untyped-def]
        ctx.limit("X", 1, 10, 105, post_only=True)

    def below(ctx):  # type: ignore[no-untyped-def]
        ctx.limit("X", 1, 10, 104, post_only=True)

    log, _, _ = run([quotes(*ROWS)], [(3.5, at_the_ask), (3.6, below)])
    assert log.kinds() == ["Rejected", "Accepted"]
    assert log.events[0].reason == "POST_ONLY_WOULD_TAKE"
