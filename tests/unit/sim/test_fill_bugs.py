"""Fill-logic bugs of the recorded venue, one test (or a few) per fix; each failed before it.

Prices are ticks (tick 0.01), sizes lots; times are seconds after T0 (see ``sim_helpers``).
"""

from __future__ import annotations

from sim_helpers import S, bars, book, quotes, run, trades

from kernel.enums import OrderStatus, OrderType, Side, TimeInForce
from sim.models import ConstantLatency

BUY, SELL = Side.BUY, Side.SELL


def limit(side, qty, px, tif=TimeInForce.GTC, **kw):
    return lambda ctx: ctx.limit("X", side, qty, px, tif, **kw)


def order(otype, side, qty, tif=TimeInForce.GTC, **kw):
    return lambda ctx: ctx.submit("X", side, qty, otype, tif, **kw)


def modify(oid, **kw):
    return lambda ctx: ctx.modify(oid, **kw)


def modified_stops(log):
    return [e.stop_ticks for e in log.events if type(e).__name__ == "OrderModified"]


# --- 1. post-only modified to a marketable price ---------------------------------------------------
def test_post_only_modified_through_the_touch_is_refused_and_keeps_resting():
    log, k, b = run(
        [quotes((0, 100, 102, 5, 5), (5, 100, 102, 5, 5))],
        [(1, limit(BUY, 3, 100, post_only=True)), (2, modify("t-1", limit_ticks=102))],
    )
    assert log.fills() == []
    assert log.kinds() == ["Accepted", "ModifyRejected"]
    assert log.events[-1].reason == "POST_ONLY_WOULD_TAKE"
    o = k.oms.get("t-1")
    assert o.status == OrderStatus.ACCEPTED and o.limit_ticks == 100
    assert b.markets["X"].book.bids.best == 100


def test_post_only_modified_to_a_price_that_does_not_take_is_confirmed():
    log, k, b = run(
        [quotes((0, 100, 102, 5, 5))],
        [(1, limit(BUY, 3, 100, post_only=True)), (2, modify("t-1", limit_ticks=101))],
    )
    assert log.kinds() == ["Accepted", "Modified"] and log.fills() == []
    assert k.oms.get("t-1").limit_ticks == 101 and b.markets["X"].book.bids.best == 101


def test_post_only_modified_through_the_book_touch_is_refused():
    data = book((0, 1, 99, 5, 1), (0, -1, 101, 5, 1))
    log, _, b = run(
        [data], [(1, limit(SELL, 2, 102, post_only=True)), (2, modify("t-1", limit_ticks=99))]
    )
    assert log.kinds() == ["Accepted", "ModifyRejected"] and log.fills() == []
    assert b.markets["X"].book.asks.best == 102


# --- 2. the trailing stop's level is reported -------------------------------------------------------
def test_trailing_stop_reports_each_new_level_and_the_kernel_order_follows():
    log, k, b = run(
        [quotes((0, 100, 101), (2, 103, 104), (3, 102, 103), (4, 108, 109))],
        [(1, order(OrderType.TRAILING_STOP, SELL, 1, trail_ticks=5))],
    )
    # 95 from the bid at acceptance, 98 at 103, not lowered at 102, 103 at 108
    assert modified_stops(log) == [95, 98, 103]
    o = k.oms.get("t-1")
    assert o.status == OrderStatus.ACCEPTED and o.stop_ticks == 103
    assert b.markets["X"].orders["t-1"].stop == 103
    assert k.stats.refused_events == 0


def test_trailing_stop_level_moving_while_a_modify_is_in_flight_is_applied():
    # the modify (sent at 3.5, arrives at 5.5) is overtaken by the trail moving at 4
    log, k, _ = run(
        [quotes((0, 100, 101), (4, 110, 111), (6, 110, 111))],
        [
            (1, order(OrderType.TRAILING_STOP, SELL, 3, trail_ticks=5)),
            (3.5, modify("t-1", quantity_lots=2)),
        ],
        latency=ConstantLatency(order_ns=2 * S),
    )
    assert log.kinds() == ["Accepted", "Modified", "Modified", "Modified"]
    o = k.oms.get("t-1")
    assert o.status == OrderStatus.ACCEPTED and o.quantity == 2 and o.stop_ticks == 105
    assert k.stats.refused_events == 0


def test_trailing_stop_on_bars_reports_its_levels():
    log, k, _ = run(
        [bars((0, 100, 100, 99, 100), (60, 100, 106, 99, 105), (120, 104, 105, 100, 101))],
        [(59, order(OrderType.TRAILING_STOP, SELL, 1, trail_ticks=3))],
    )
    # bar 2 opens at 100 (stop 97), its path 100 -> 99 -> 106 -> 105 lifts it to 103; bar 3
    # opens at 104, at or above the stop, then falls to 100 through 103: triggered there
    assert modified_stops(log) == [97, 103]
    assert log.fills() == [(103, 1)]
    assert k.stats.refused_events == 0


# --- 3. stops and MIT against the L2 book on arrival ------------------------------------------------
def test_book_only_sell_stop_through_the_book_triggers_on_arrival():
    data = book((0, 1, 99, 5, 1), (0, -1, 101, 5, 1))
    log, _, _ = run([data], [(1, order(OrderType.STOP, SELL, 2, stop_ticks=100))])
    assert log.kinds() == ["Accepted", "Triggered", "Filled"]
    assert log.fills() == [(99, 2)]


def test_book_only_buy_mit_touched_by_the_book_triggers_on_arrival():
    data = book((0, 1, 99, 5, 1), (0, -1, 101, 5, 1))
    log, _, _ = run([data], [(1, order(OrderType.MIT, BUY, 2, stop_ticks=102))])
    assert log.kinds() == ["Accepted", "Triggered", "Filled"]
    assert log.fills() == [(101, 2)]


def test_book_only_trailing_stop_starts_from_the_book_touch():
    data = book((0, 1, 99, 5, 1), (0, -1, 101, 5, 1))
    log, k, _ = run([data], [(1, order(OrderType.TRAILING_STOP, SELL, 1, trail_ticks=4))])
    assert modified_stops(log) == [95] and k.oms.get("t-1").stop_ticks == 95


# --- 4. queue position of an order placed behind the touch ---------------------------------------
def test_queue_behind_the_quote_touch_takes_the_size_shown_when_its_level_becomes_the_touch():
    data = [
        quotes((0, 100, 101, 5, 5), (2, 99, 100, 8, 5)),
        trades((3, 99, 3), (4, 99, 6)),
    ]
    log, _, _ = run(data, [(1, limit(BUY, 4, 99))], kind="quotes", queue_position=True)
    # 8 shown at 99 when it became the bid: 3 trade (5 ahead), then 6 (1 for us)
    assert log.fills() == [(99, 1)]


def test_queue_before_any_book_takes_the_level_size_of_the_first_update():
    data = [book((2, 1, 99, 6, 1), (2, -1, 101, 5, 1)), trades((3, 99, 4), (4, 99, 4))]
    log, _, _ = run(data, [(1, limit(BUY, 5, 99))], kind="book", queue_position=True)
    # 6 at 99 in the first snapshot: 4 trade (2 ahead), then 4 (2 for us)
    assert log.fills() == [(99, 2)]


def test_queue_behind_the_quote_touch_reads_the_book_level():
    data = [
        quotes((0, 100, 101, 5, 5)),
        book((0, 1, 100, 5, 1), (0, 1, 99, 6, 1), (0, -1, 101, 5, 1)),
        trades((3, 99, 4), (4, 99, 4)),
    ]
    log, _, _ = run(data, [(1, limit(BUY, 5, 99))], kind="quotes", queue_position=True)
    assert log.fills() == [(99, 2)]  # 6 ahead at placement, from the book's level


def test_queue_already_known_is_only_lowered():
    data = [
        quotes((0, 100, 101, 5, 5), (2, 100, 101, 9, 5)),
        trades((3, 100, 5), (4, 100, 3)),
    ]
    log, _, _ = run(data, [(1, limit(BUY, 4, 100))], kind="quotes", queue_position=True)
    # 5 ahead at placement (the bid size); the bid growing to 9 queues behind us
    assert log.fills() == [(100, 3)]


# --- 5. a stop triggered by a trade through a stale quote ---------------------------------------------
def test_sell_stop_triggered_by_a_trade_below_the_bid_fills_at_the_trade():
    data = [quotes((0, 100, 110, 5, 5)), trades((2, 95, 1))]
    log, _, _ = run(data, [(1, order(OrderType.STOP, SELL, 2, stop_ticks=96))], kind="quotes")
    assert log.kinds() == ["Accepted", "Triggered", "Filled"]
    assert log.fills() == [(95, 2)]  # min(trade 95, bid 100)


def test_buy_stop_triggered_by_a_trade_above_the_ask_fills_at_the_trade():
    data = [quotes((0, 100, 110, 5, 5)), trades((2, 115, 1))]
    log, _, _ = run(data, [(1, order(OrderType.STOP, BUY, 2, stop_ticks=112))], kind="quotes")
    assert log.fills() == [(115, 2)]  # max(trade 115, ask 110)


def test_sell_mit_triggered_by_a_trade_above_the_bid_fills_at_the_bid():
    data = [quotes((0, 100, 110, 5, 5)), trades((2, 106, 1))]
    log, _, _ = run(data, [(1, order(OrderType.MIT, SELL, 2, stop_ticks=105))], kind="quotes")
    assert log.fills() == [(100, 2)]  # min(trade 106, bid 100): the bid is the worse


def test_trade_triggered_stop_takes_only_the_touch_size_then_waits():
    data = [quotes((0, 100, 110, 1, 5), (3, 90, 91, 5, 5)), trades((2, 95, 1))]
    log, _, _ = run(data, [(1, order(OrderType.STOP, SELL, 3, stop_ticks=96))], kind="quotes")
    assert log.fills() == [(95, 1), (90, 2)]  # the bid's size at 95, the rest at the next bid


def test_trade_triggered_stop_with_a_book_is_bounded_by_the_trade_at_each_level():
    data = [book((0, 1, 100, 1, 1), (0, 1, 97, 5, 1), (0, -1, 110, 5, 1)), trades((2, 98, 1))]
    log, _, _ = run(data, [(1, order(OrderType.STOP, SELL, 3, stop_ticks=99))], kind="book")
    assert log.fills() == [(98, 1), (97, 2)]  # min(98, 100), then min(98, 97)
