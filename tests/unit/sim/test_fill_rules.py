"""One hand-computed test per numbered default fill rule of CONTRACT.md, on each kind of data.

Prices are ticks (tick 0.01), sizes lots; times are seconds after T0. Actions run on kernel
timers before any data stamped at the same time.
"""

from __future__ import annotations

from sim_helpers import T0, S, bars, book, quotes, run, trades

from kernel.enums import Liquidity, OrderStatus, OrderType, Side, TimeInForce
from sim.models import BpsFees, ConstantLatency
from sim.session import Session

BUY, SELL = Side.BUY, Side.SELL


def market(side, qty, **kw):
    return lambda ctx: ctx.market("X", side, qty, **kw)


def limit(side, qty, px, tif=TimeInForce.GTC, **kw):
    return lambda ctx: ctx.limit("X", side, qty, px, tif, **kw)


def order(otype, side, qty, tif=TimeInForce.GTC, **kw):
    return lambda ctx: ctx.submit("X", side, qty, otype, tif, **kw)


# --- rule 1: marketable orders --------------------------------------------------------------------
def test_rule1_quotes_market_fills_at_touch_up_to_size_then_later_quotes():
    log, k, _ = run(
        [quotes((0, 100, 101, 5, 7), (2, 100, 102, 5, 4), (3, 99, 103, 5, 50))],
        [(1, market(BUY, 15))],
    )
    assert log.fills() == [(101, 7), (102, 4), (103, 4)]
    assert k.portfolio.positions["X"].qty == 15


def test_rule1_quotes_without_sizes_market_fills_completely_at_touch():
    log, _, _ = run([quotes((0, 100, 101))], [(1, market(SELL, 1_000))])
    assert log.fills() == [(100, 1_000)]


def test_rule1_quotes_crossing_limit_fills_at_touch_and_rests_the_rest():
    log, k, b = run(
        [quotes((0, 100, 101, 5, 7), (2, 100, 103, 5, 5))],
        [(1, limit(BUY, 10, 102))],
    )
    assert log.fills() == [(101, 7)]  # the 103 ask is above the limit
    assert k.oms.get("t-1").status == OrderStatus.PARTIALLY_FILLED
    assert b.markets["X"].book.bids.best == 102


def test_rule1_two_orders_share_the_touch_size():
    log, _, _ = run(
        [quotes((0, 100, 101, 5, 7), (2, 100, 101, 5, 7))],
        [(1, market(BUY, 5)), (1, market(BUY, 5))],
    )
    assert log.fills() == [(101, 5), (101, 2), (101, 3)]


def test_rule1_ioc_cancels_the_rest_at_once():
    log, k, _ = run([quotes((0, 100, 101, 5, 3))], [(1, limit(BUY, 10, 101, TimeInForce.IOC))])
    assert log.fills() == [(101, 3)]
    assert log.kinds()[-1] == "Canceled" and k.oms.get("t-1").status == OrderStatus.CANCELED


def test_rule1_fok_without_enough_size_is_canceled_with_no_fill():
    log, _, _ = run([quotes((0, 100, 101, 5, 3))], [(1, limit(BUY, 10, 101, TimeInForce.FOK))])
    assert log.fills() == [] and log.kinds() == ["Accepted", "Canceled"]


def test_rule1_fok_with_enough_size_fills_completely():
    log, _, _ = run(
        [quotes((0, 100, 101, 5, 30))], [(1, market(BUY, 10, time_in_force=TimeInForce.FOK))]
    )
    assert log.fills() == [(101, 10)]


def test_rule1_post_only_that_would_take_is_rejected():
    log, k, _ = run([quotes((0, 100, 101))], [(1, limit(BUY, 1, 101, post_only=True))])
    assert log.kinds() == ["Rejected"] and k.oms.get("t-1").reason == "POST_ONLY_WOULD_TAKE"


def test_rule1_trades_market_fills_at_last_trade_up_to_its_size():
    log, _, _ = run([trades((0, 500, 3), (2, 505, 4), (3, 506, 10))], [(1, market(BUY, 8))])
    assert log.fills() == [(500, 3), (505, 4), (506, 1)]


def test_rule1_book_market_walks_levels_and_limit_stops_at_its_price():
    data = book((0, 1, 99, 5, 1), (0, -1, 101, 2, 1), (0, -1, 102, 3, 1), (0, -1, 104, 9, 1))
    log, _, _ = run([data], [(1, market(BUY, 4)), (2, limit(BUY, 10, 102))])
    # the first order takes 2@101 and 2@102; the second finds only 1@102 left under its limit
    assert log.fills() == [(101, 2), (102, 2), (102, 1)]


def test_rule1_book_taken_size_comes_back_when_the_level_updates():
    data = book((0, -1, 101, 2, 1), (0, 1, 99, 1, 1), (3, -1, 101, 2, 0))
    log, _, _ = run([data], [(1, market(BUY, 2)), (2, market(BUY, 1)), (4, market(BUY, 2))])
    # 2 taken at t=1; at t=2 nothing is left (the order waits); the update at t=3 refreshes the
    # level to 2: the waiting order takes 1, the order at t=4 the other 1 and waits for more
    assert log.fills() == [(101, 2), (101, 1), (101, 1)]


def test_rule1_market_before_any_price_waits_for_the_first():
    log, _, _ = run([quotes((2, 100, 101))], [(1, market(BUY, 3))])
    assert log.fills() == [(101, 3)]
    assert log.events[-1].ts_event == T0 + 2 * S


def test_rule1_self_trade_with_own_better_order_cancels_the_newest():
    log, _, _ = run(
        [quotes((0, 100, 105), (5, 100, 105))],
        [(1, limit(SELL, 1, 103)), (2, limit(BUY, 1, 104))],
    )
    assert log.kinds() == ["Accepted", "Accepted", "Canceled"]


# --- rule 2: resting limits -----------------------------------------------------------------------
def test_rule2_quotes_through_the_limit_fills_completely_at_limit_price():
    log, _, _ = run([quotes((0, 100, 102, 5, 5), (2, 97, 98, 5, 1))], [(1, limit(BUY, 10, 100))])
    assert log.fills() == [(100, 10)]
    assert log.events[-1].liquidity == Liquidity.MAKER


def test_rule2_quotes_at_the_limit_fills_up_to_touch_size():
    log, k, _ = run(
        [quotes((0, 100, 102, 5, 5), (2, 99, 100, 5, 4), (3, 99, 100, 5, 3))],
        [(1, limit(BUY, 10, 100))],
    )
    assert log.fills() == [(100, 4), (100, 3)]
    assert k.oms.get("t-1").leaves_lots == 3


def test_rule2_trade_through_fills_completely_and_at_limit_up_to_trade_size():
    log, _, _ = run(
        [trades((0, 500, 1), (2, 499, 3), (3, 498, 1))],
        [(1, limit(BUY, 10, 499)), (1, limit(BUY, 2, 498))],
    )
    # t=2: a print AT 499 fills the first up to 3; t=3: 498 is through 499 (complete) and at 498
    assert log.fills() == [(499, 3), (499, 7), (498, 1)]


def test_rule2_quotes_plus_trades_trade_through_fills_resting_order():
    log, _, _ = run(
        [quotes((0, 100, 102)), trades((2, 99, 1))],
        [(1, limit(BUY, 5, 100))],
    )
    assert log.fills() == [(100, 5)]


def test_rule2_queue_position_trade_at_limit_fills_after_size_ahead():
    data = [quotes((0, 100, 102, 8, 5)), trades((2, 100, 5), (3, 100, 5), (4, 100, 5))]
    log, _, _ = run(data, [(1, limit(BUY, 4, 100))], kind="quotes", queue_position=True)
    # ahead at placement: the bid size 8; 5 trade (3 ahead), then 5 (fills 2), then 5 (fills 2)
    assert log.fills() == [(100, 2), (100, 2)]


def test_rule2_queue_position_is_capped_by_a_shrinking_level():
    data = [quotes((0, 100, 102, 8, 5), (2, 100, 102, 1, 5)), trades((3, 100, 2))]
    log, _, _ = run(data, [(1, limit(BUY, 4, 100))], kind="quotes", queue_position=True)
    assert log.fills() == [(100, 1)]  # ahead 8 -> 1 (level shrank) -> the trade of 2 fills 1


def test_rule2_queue_position_trades_only_uses_the_venue_default_ahead():
    data = [trades((0, 101, 1), (2, 100, 3), (3, 100, 3))]
    log, _, _ = run(data, [(1, limit(BUY, 2, 100))], queue_position=True, queue_ahead_default=4)
    assert log.fills() == [(100, 2)]  # 3 traded (1 ahead), then 3: 1 more ahead, 2 for us


def test_rule2_book_resting_order_fills_when_asks_reach_it():
    data = book(
        (0, 1, 99, 5, 1),
        (0, -1, 103, 5, 1),
        (2, -1, 101, 3, 0),
        (2, -1, 100, 2, 0),
    )
    log, _, _ = run([data], [(1, limit(BUY, 4, 101))])
    assert log.fills() == [(101, 2), (101, 2)]  # 2@100 then 2 of 3@101, at its own price


# --- rule 3: stops, stop-limits, trailing stops, MIT/LIT --------------------------------------------
def test_rule3_buy_stop_triggers_when_ask_reaches_stop_then_fills_as_market():
    log, _, _ = run(
        [quotes((0, 100, 101), (2, 104, 105), (3, 106, 107))],
        [(1, order(OrderType.STOP, BUY, 3, stop_ticks=105))],
    )
    assert log.kinds() == ["Accepted", "Triggered", "Filled"]
    assert log.fills() == [(105, 3)]


def test_rule3_sell_stop_triggers_on_a_trade_at_the_stop():
    log, _, _ = run(
        [quotes((0, 100, 102)), trades((2, 95, 1))],
        [(1, order(OrderType.STOP, SELL, 2, stop_ticks=95))],
    )
    assert log.kinds() == ["Accepted", "Triggered", "Filled"]
    # a market order now, triggered by a trade through the quote: the worse of the trade and the
    # bid, min(95, 100) (the 100 bid is stale)
    assert log.fills() == [(95, 2)]


def test_rule3_stop_limit_triggers_then_rests_at_its_limit():
    log, _k, _ = run(
        [quotes((0, 100, 101), (2, 108, 110), (3, 103, 104))],
        [(1, order(OrderType.STOP_LIMIT, BUY, 3, stop_ticks=105, limit_ticks=106))],
    )
    assert log.kinds() == ["Accepted", "Triggered", "Filled"]
    assert log.fills() == [(106, 3)]  # rests at 106 after the trigger; the 104 ask is through it


def test_rule3_trailing_stop_follows_best_bid_and_never_moves_back():
    log, _k, _b = run(
        [quotes((0, 100, 101), (2, 110, 111), (3, 106, 107), (4, 104, 105))],
        [(1, order(OrderType.TRAILING_STOP, SELL, 1, trail_ticks=5))],
    )
    # stop 95 at acceptance, 105 once the bid reached 110, not lowered at 106; triggers at 104
    assert log.kinds() == ["Accepted", "Modified", "Modified", "Triggered", "Filled"]
    assert [e.stop_ticks for e in log.events if type(e).__name__ == "OrderModified"] == [95, 105]
    assert log.fills() == [(104, 1)]


def test_rule3_trailing_stop_by_percent_rounds_away_from_the_market():
    _, _k, b = run(
        [quotes((0, 1_000, 1_001), (2, 1_234, 1_235))],
        [(1, order(OrderType.TRAILING_STOP, SELL, 1, trail_ppm=10_000))],  # 1%
    )
    vo = b.markets["X"].orders["t-1"]
    assert vo.stop == 1_221  # floor(1234 x 0.99) = floor(1221.66)


def test_rule3_mit_buy_triggers_when_ask_falls_to_trigger():
    log, _, _ = run(
        [quotes((0, 100, 101), (2, 95, 96), (3, 94, 95))],
        [(1, order(OrderType.MIT, BUY, 1, stop_ticks=95))],
    )
    assert log.fills() == [(95, 1)]


def test_rule3_lit_sell_triggers_and_rests_as_limit():
    log, k, _ = run(
        [quotes((0, 100, 101), (2, 105, 106), (3, 103, 104))],
        [(1, order(OrderType.LIT, SELL, 1, stop_ticks=105, limit_ticks=107))],
    )
    assert log.kinds() == ["Accepted", "Triggered"]
    assert k.oms.get("t-1").status == OrderStatus.TRIGGERED


# --- rule 4: bars ---------------------------------------------------------------------------------
def test_rule4_market_order_fills_at_the_next_bar_open():
    log, _, _ = run(
        [bars((0, 100, 105, 95, 102), (60, 103, 106, 101, 104))],
        [(61, market(BUY, 5))],  # sent when bar 1 has closed, in bar 2 -> eligible in bar 3
        end=200,
    )
    assert log.fills() == []
    log, _, _ = run(
        [bars((0, 100, 105, 95, 102), (60, 103, 106, 101, 104))], [(59, market(BUY, 5))]
    )
    assert log.fills() == [(103, 5)]


def test_rule4_limit_fills_at_its_price_when_the_range_reaches_it():
    log, _, _ = run(
        [bars((0, 100, 105, 95, 102), (60, 103, 106, 98, 104))], [(30, limit(BUY, 1, 99))]
    )
    assert log.fills() == [(99, 1)]
    assert log.events[-1].liquidity == Liquidity.MAKER


def test_rule4_limit_fills_at_the_open_when_the_open_is_through_it():
    log, _, _ = run([bars((0, 100, 105, 95, 102), (60, 97, 99, 96, 98))], [(30, limit(BUY, 1, 99))])
    assert log.fills() == [(97, 1)]


def test_rule4_path_goes_to_the_nearer_extreme_first():
    # open 100, high 103, low 90: nearer the high -> O H L C: the sell limit at 103 fills first
    acts = [(30, limit(SELL, 1, 103)), (30, limit(BUY, 1, 91))]
    log, _, _ = run([bars((0, 100, 100, 100, 100), (60, 100, 103, 90, 95))], acts)
    assert [e.client_order_id for e in log.events if type(e).__name__ == "OrderFilled"] == [
        "t-1",
        "t-2",
    ]
    # open 100, high 110, low 98: nearer the low -> O L H C: the buy at 99 fills first
    acts = [(30, limit(SELL, 1, 109)), (30, limit(BUY, 1, 99))]
    log, _, _ = run([bars((0, 100, 100, 100, 100), (60, 100, 110, 98, 105))], acts)
    assert [e.client_order_id for e in log.events if type(e).__name__ == "OrderFilled"] == [
        "t-2",
        "t-1",
    ]


def test_rule4_stop_triggers_on_the_path_and_fills_at_the_stop():
    log, _, _ = run(
        [bars((0, 100, 100, 100, 100), (60, 100, 104, 99, 103))],
        [(30, order(OrderType.STOP, BUY, 2, stop_ticks=102))],
    )
    assert log.kinds() == ["Accepted", "Triggered", "Filled"] and log.fills() == [(102, 2)]


def test_rule4_stop_gapped_at_the_open_fills_at_the_open():
    log, _, _ = run(
        [bars((0, 100, 100, 100, 100), (60, 90, 92, 85, 88))],
        [(30, order(OrderType.STOP, SELL, 2, stop_ticks=95))],
    )
    assert log.fills() == [(90, 2)]


# --- rule 5: time in force -------------------------------------------------------------------------
def test_rule5_day_order_without_session_expires_at_next_utc_midnight():
    midnight = (T0 // (86_400 * S) + 1) * 86_400 * S
    after = (midnight - T0) / S + 10
    log, _, _ = run(
        [quotes((0, 100, 101), (after, 100, 101))], [(1, limit(BUY, 1, 90, TimeInForce.DAY))]
    )
    assert log.kinds() == ["Accepted", "Expired"] and log.events[-1].ts_event == midnight


def test_rule5_gtd_expires_at_its_time():
    log, _, _ = run(
        [quotes((0, 100, 101), (100, 100, 101))],
        [(1, limit(BUY, 1, 90, TimeInForce.GTD, expire_ns=T0 + 50 * S))],
    )
    assert log.kinds() == ["Accepted", "Expired"] and log.events[-1].ts_event == T0 + 50 * S


def test_rule5_opg_fills_at_the_first_price_of_the_session_and_is_rejected_after_open():
    ny = Session("09:30", "16:00", "America/New_York")
    opening = ny.open_after(T0)  # T0 is 17:13 New York: the next day's open
    t_open = (opening - T0) / S
    data = [quotes((0, 100, 101), (t_open, 110, 111), (t_open + 5, 120, 121))]
    acts = [
        (1, market(BUY, 2, time_in_force=TimeInForce.OPG)),
        (t_open + 1, market(BUY, 1, time_in_force=TimeInForce.OPG)),
    ]
    log, _, _ = run(data, acts, session=ny)
    assert log.fills() == [(111, 2)]
    assert log.kinds()[-1] == "Rejected" and log.events[-1].reason == "OPG_AFTER_OPEN"


def test_rule5_cls_fills_at_the_last_price_at_or_before_the_close():
    ny = Session("09:30", "16:00", "America/New_York")
    close = ny.close_after(T0)
    t_close = (close - T0) / S
    data = [
        quotes((0, 100, 101), (t_close - 5, 130, 131), (t_close, 140, 141), (t_close + 5, 150, 151))
    ]
    log, _, _ = run(data, [(1, market(SELL, 3, time_in_force=TimeInForce.CLS))], session=ny)
    assert log.fills() == [(140, 3)]  # the quote stamped exactly at the close counts


# --- rule 6: latency and fees -------------------------------------------------------------------
def test_rule6_latency_order_meets_the_quote_at_arrival_and_answer_arrives_later():
    log, _, _ = run(
        [quotes((0, 100, 101), (1.2, 100, 103), (5, 100, 104))],
        [(1, market(BUY, 1))],
        latency=ConstantLatency(order_ns=500_000_000, response_ns=250_000_000),
    )
    fill = log.events[-1]
    assert log.fills() == [(103, 1)]  # reached the venue at 1.5 s, after the 1.2 s quote
    assert fill.ts_event == T0 + 1_500_000_000 and fill.ts_init == T0 + 1_750_000_000


def test_rule6_fees_maker_taker_per_unit_and_minimum():
    fees = BpsFees(maker_bps=1, taker_bps=5, per_unit="0.01", minimum="0.05")
    log, k, _ = run(
        [quotes((0, 10_000, 10_001), (2, 9_000, 9_001))],
        [(1, market(BUY, 10)), (1, limit(BUY, 1, 9_500))],
        fees=fees,
    )
    taker, maker = [e for e in log.events if type(e).__name__ == "OrderFilled"]
    # taker: 10 x 100.01 x 5 bp = 0.50005 + 10 x 0.01 = 0.60005
    assert taker.commission == 600_050_000 and taker.liquidity == Liquidity.TAKER
    # maker: 95.00 x 1 bp = 0.0095 + 0.01 = 0.0195 -> the minimum 0.05
    assert maker.commission == 50_000_000 and maker.liquidity == Liquidity.MAKER
    assert k.portfolio.commissions["USD"] == 650_050_000
