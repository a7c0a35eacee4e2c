"""The simulated venue beyond the fill rules: modify, cancel, reduce-only, icebergs, faults,
several venues in one kernel, and the determinism of a whole run."""

from __future__ import annotations

import numpy as np
from sim_helpers import T0, Collected, Log, S, quotes, run, trades

from kernel.clock import SimClock
from kernel.enums import OrderStatus, OrderType, Side, TimeInForce, TradingState
from kernel.kernel import Kernel
from kernel.units import Instrument
from sim.broker import SimBroker
from sim.driver import Driver, Source
from sim.feeds import merge
from sim.models import ConstantLatency, Faults

BUY, SELL = Side.BUY, Side.SELL


def test_venue_modify_quantity_down_keeps_queue_priority():
    data = [quotes((0, 100, 102, 5, 5)), trades((3, 100, 6), (4, 100, 4))]
    acts = [
        (1, lambda c: c.limit("X", BUY, 10, 100)),
        (2, lambda c: c.modify("t-1", quantity_lots=4)),
    ]
    log, _k, _ = run(data, acts, kind="quotes", queue_position=True)
    # ahead 5 at placement; the reduction keeps it: 6 traded -> 1 for us; then 3 more
    assert log.kinds() == ["Accepted", "Modified", "Filled", "Filled"]
    assert log.fills() == [(100, 1), (100, 3)]


def test_venue_modify_price_change_loses_priority_and_can_cross():
    data = [quotes((0, 100, 102, 5, 5), (5, 100, 102, 5, 5))]
    acts = [
        (1, lambda c: c.limit("X", BUY, 3, 100)),
        (2, lambda c: c.modify("t-1", limit_ticks=102)),
    ]
    log, _k, _ = run(data, acts)
    assert log.kinds() == ["Accepted", "Modified", "Filled"]
    assert log.fills() == [(102, 3)]


def test_venue_cancel_that_loses_the_race_to_a_fill_is_rejected():
    data = [quotes((0, 100, 101), (5, 100, 101))]
    lat = ConstantLatency(order_ns=S // 2, response_ns=S // 2)
    acts = [(1, lambda c: c.market("X", BUY, 1)), (1.2, lambda c: c.cancel("t-1"))]
    log, k, _b = run(data, acts, latency=lat)
    # the order fills on arrival at 1.5; the cancel arrives at 1.7 and finds nothing to cancel
    assert log.kinds() == ["Accepted", "Filled", "CancelRejected"]
    assert k.oms.get("t-1").status == OrderStatus.FILLED


def test_kernel_denies_reduce_only_that_would_grow_or_flip_the_position():
    data = [quotes((0, 100, 101), (5, 100, 101))]
    acts = [
        (1, lambda c: c.market("X", SELL, 2, reduce_only=True)),  # flat
        (2, lambda c: c.market("X", BUY, 3)),
        (3, lambda c: c.limit("X", SELL, 5, 99, reduce_only=True)),  # more than the position
    ]
    log, _k, _ = run(data, acts)
    assert [e.reason for e in log.events if type(e).__name__ == "OrderDenied"] == [
        "REDUCE_ONLY",
        "REDUCE_ONLY",
    ]


def test_venue_reduce_only_is_refused_flat_and_capped_at_the_position():
    from kernel.events import QuoteTick
    from kernel.orders import Order
    from sim.recorded import RecordedMarket

    n = iter(range(1, 100))
    m = Collected(
        RecordedMarket(
            Instrument("X", "0.01", "1"),
            "v",
            "quotes",
            fee=lambda *a: 0,
            next_id=lambda k: f"{k}{next(n)}",
        )
    )
    m.on_quote(QuoteTick("X", 100, 101, None, None, 1, 1))
    m.arrive(Order("a", "s", "X", SELL, OrderType.MARKET, 1, reduce_only=True), 2)
    assert type(m.out[-1]).__name__ == "OrderRejected" and m.out[-1].reason == "REDUCE_ONLY"
    m.arrive(Order("b", "s", "X", BUY, OrderType.MARKET, 3), 3)
    m.arrive(Order("c", "s", "X", SELL, OrderType.LIMIT, 5, limit_ticks=99, reduce_only=True), 4)
    fills = [(e.client_order_id, e.qty_lots) for e in m.out if type(e).__name__ == "OrderFilled"]
    assert fills == [("b", 3), ("c", 3)]
    assert type(m.out[-1]).__name__ == "OrderCanceled" and m.position == 0
    m._check()


def test_venue_iceberg_shows_only_its_display_and_refills_to_the_back():
    data = [quotes((0, 100, 102, 5, 5)), trades((2, 100, 5), (3, 100, 4), (4, 100, 4))]
    acts = [(1, lambda c: c.limit("X", BUY, 6, 100, display_lots=2))]
    log, _k, b = run(data, acts, kind="quotes", queue_position=True)
    m = b.markets["X"]
    # ahead 5: the first trade clears it; the next prints fill the slices
    assert log.fills() == [(100, 4), (100, 2)]
    assert all(bo.visible <= 2 for bo in m.book.orders.values())


def test_venue_reject_probability_is_seeded_and_reproducible():
    def once(seed):
        faults = Faults(reject_probability=0.5, rng=np.random.default_rng(seed))
        acts = [(1 + i * 0.1, lambda c: c.market("X", BUY, 1)) for i in range(20)]
        log, _, _ = run([quotes((0, 100, 101), (10, 100, 101))], acts, faults=faults)
        return [type(e).__name__ for e in log.events]

    first = once(7)
    assert first == once(7)
    assert 3 < first.count("OrderRejected") < 17
    assert first != once(8)


def test_venue_outage_refuses_orders_stops_data_and_reports_disconnect():
    faults = Faults(outages=[(T0 + 10 * S, T0 + 20 * S)])
    seen = []

    class Watch(Log):
        def on_quote(self, q):
            seen.append(q.ts_event)

    data = [quotes(*[(t, 100, 101) for t in range(0, 30, 2)])]
    acts = [
        (9.5, lambda c: c.limit("X", BUY, 1, 90)),  # sent before, reaches the venue in the outage
        (12, lambda c: c.limit("X", BUY, 1, 90)),  # the kernel knows: REDUCING refuses it
        (22, lambda c: c.limit("X", BUY, 1, 90)),
    ]
    clock = SimClock(T0 - S)
    inst = Instrument("X", "0.01", "1")
    lat = ConstantLatency(order_ns=S)
    broker = SimBroker("sim", [inst], {"X": "quotes"}, clock, faults=faults, latency=lat)
    kernel = Kernel(clock, [inst], {"sim": broker}, None)
    log = Watch(acts)
    kernel.add_strategy(log)
    for c in data:
        c.source = 0
    Driver(kernel, clock, [broker], [Source("quotes", "X")], None).run(merge([data]), T0 + 40 * S)
    assert not any(T0 + 10 * S <= t < T0 + 20 * S for t in seen)
    assert len(seen) == 10
    assert log.kinds() == ["Rejected", "Denied", "Accepted"]
    assert [e.reason for e in log.events[:2]] == ["VENUE_OUTAGE", "REDUCING"]
    changes = [code for _, code, _ in kernel.risk_events]
    assert changes == ["STATE_REDUCING", "STATE_ACTIVE"]


def test_venue_latency_fifo_a_cancel_never_overtakes_its_order():
    lat = ConstantLatency(
        order_ns=10 * S, response_ns=0, jitter_ns=9 * S, rng=np.random.default_rng(1)
    )
    data = [quotes((0, 100, 102), (60, 100, 102))]
    acts = [(1, lambda c: c.limit("X", BUY, 1, 90)), (1, lambda c: c.cancel("t-1"))]
    log, _, _ = run(data, acts, latency=lat)
    assert log.kinds() == ["Accepted", "Canceled"]


def test_two_venues_in_one_kernel_route_by_order_venue():
    inst = Instrument("X", "0.01", "1")
    clock = SimClock(T0 - S)
    a = SimBroker("a", [inst], {"X": "quotes"}, clock)
    b = SimBroker("b", [inst], {"X": "quotes"}, clock)
    kernel = Kernel(clock, [inst], {"a": a, "b": b}, None)
    acts = [
        (1, lambda c: c.market("X", BUY, 1, venue="a")),
        (2, lambda c: c.market("X", BUY, 2, venue="b")),
    ]
    log = Log(acts)
    kernel.add_strategy(log)
    qa = quotes((0, 100, 101), (9, 100, 101))
    qb = quotes((0, 200, 201), (9, 200, 201))
    qa.source, qb.source = 0, 1
    sources = [Source("quotes", "X", venues=("a",)), Source("quotes", "X", venues=("b",))]
    Driver(kernel, clock, [a, b], sources, None).run(merge([[qa], [qb]]))
    assert log.fills() == [(101, 1), (201, 2)]
    assert kernel.portfolio.positions["X"].qty == 3


def _journaled_run():
    acts = [
        (1, lambda c: c.limit("X", BUY, 5, 100)),
        (2, lambda c: c.submit("X", SELL, 2, OrderType.STOP, TimeInForce.DAY, stop_ticks=98)),
        (3, lambda c: c.market("X", SELL, 1)),
    ]
    data = [quotes((0, 100, 102, 3, 3), (2, 99, 100, 3, 2), (4, 97, 98, 3, 3), (6, 101, 103, 2, 2))]
    _log, k, _ = run(data, acts)
    return k.journal.digest()


def test_sim_run_digest_is_the_same_every_time():
    assert _journaled_run() == _journaled_run()


def test_venue_kill_switch_flattens_through_the_sim():
    data = [quotes(*[(t, 100, 101) for t in range(0, 10)])]
    acts = [(1, lambda c: c.market("X", BUY, 7)), (3, lambda c: c._k.kill_switch())]
    _log, k, _ = run(data, acts)
    assert k.portfolio.positions["X"].qty == 0
    assert k.risk.state == TradingState.HALTED


def test_driver_delivers_a_book_group_when_later_data_arrives_not_at_the_end():
    from sim_helpers import book

    seen = []

    class Watch(Log):
        def on_book(self, u):
            seen.append(("book", u.ts_event))

        def on_trade(self, t):
            seen.append(("trade", t.ts_event))

    snapshot = book((0, 1, 99, 5, 1), (0, -1, 101, 5, 1))  # one group: the whole file
    prints = trades((1, 100, 1), (2, 100, 1), source=1)
    inst = Instrument("X", "0.01", "1")
    clock = SimClock(T0 - S)
    broker = SimBroker("sim", [inst], {"X": "book"}, clock)
    kernel = Kernel(clock, [inst], {"sim": broker}, None)
    kernel.add_strategy(Watch([]))
    snapshot.source, prints.source = 0, 1
    Driver(kernel, clock, [broker], [Source("book", "X"), Source("trades", "X")], None).run(
        merge([[snapshot], [prints]])
    )
    assert seen == [("book", T0), ("trade", T0 + S), ("trade", T0 + 2 * S)]


def test_driver_restores_the_garbage_collector_threshold_after_a_run():
    import gc

    before = gc.get_threshold()
    seen = []

    def probe(c):
        seen.append(gc.get_threshold()[0])
        c.limit("X", BUY, 1, 100)

    log, _k, _ = run([quotes((0, 100, 102, 5, 5), (5, 100, 102, 5, 5))], [(1, probe)])
    assert seen and seen[0] >= 50_000  # raised while the run goes on
    assert gc.get_threshold() == before
    assert log.kinds() == ["Accepted"]
