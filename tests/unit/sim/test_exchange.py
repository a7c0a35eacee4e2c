"""The exchange matching engine: limit/market matching, cancel, modify, IOC/FOK, post-only,
icebergs, self-trade prevention, ids, and the kernel ``Order`` path."""

from __future__ import annotations

import pytest
from matching_helpers import fills, names, of, trades

from kernel.enums import Liquidity, OrderStatus, OrderType, Side, TimeInForce
from kernel.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderModified,
    OrderModifyRejected,
    OrderRejected,
    OrderSubmitted,
)
from kernel.orders import Order
from sim.exchange import MatchingEngine
from sim.exchange_orders import FOK, IOC, LIMIT

B, S = 1, -1


@pytest.fixture
def eng() -> MatchingEngine:
    return MatchingEngine("XYZ", stp="cancel_newest", venue="V")


def _limit(e: MatchingEngine, oid: str, side: int, qty: int, px: int, t: int = 1, owner=None, **kw):
    out = e.submit_limit(oid, owner if owner is not None else oid, side, qty, px, t, **kw)
    e._check()
    return out


def _market(e: MatchingEngine, oid: str, side: int, qty: int, t: int = 1, owner=None):
    out = e.submit_market(oid, owner if owner is not None else oid, side, qty, t)
    e._check()
    return out


# --- limit and market ----------------------------------------------------------------------------
def test_limit_not_crossing_rests_and_is_accepted(eng: MatchingEngine) -> None:
    out = _limit(eng, "a", B, 5, 100)
    assert names(out) == ["OrderAccepted"]
    assert out[0].venue_order_id and eng.best_bid == 100 and eng.order("a").qty == 5


def test_limit_crossing_fills_at_resting_price(eng: MatchingEngine) -> None:
    _limit(eng, "m", S, 5, 100)
    out = _limit(eng, "t", B, 5, 103)
    assert fills(out) == [("m", 100, 5, "M"), ("t", 100, 5, "T")]
    assert eng.best_ask is None and eng.best_bid is None


def test_fill_reports_pair_maker_and_taker_with_one_trade_id(eng: MatchingEngine) -> None:
    _limit(eng, "m", S, 5, 100)
    out = _limit(eng, "t", B, 3, 100)
    maker, taker = of(out, OrderFilled)
    assert maker.trade_id == taker.trade_id == "V-XYZ-1"
    assert (maker.liquidity, taker.liquidity) == (Liquidity.MAKER, Liquidity.TAKER)
    assert (maker.side, taker.side) == (S, B) and maker.qty_lots == taker.qty_lots == 3
    assert maker.commission == taker.commission == 0 and maker.symbol == "XYZ"


def test_trade_ids_are_unique_and_sequential(eng: MatchingEngine) -> None:
    for i in range(3):
        _limit(eng, f"m{i}", S, 1, 100 + i)
    out = _market(eng, "t", B, 3)
    assert [e.trade_id for e in of(out, OrderFilled)][::2] == ["V-XYZ-1", "V-XYZ-2", "V-XYZ-3"]


def test_events_are_stamped_with_the_call_time(eng: MatchingEngine) -> None:
    _limit(eng, "m", S, 1, 100, t=5)
    out = _limit(eng, "t", B, 1, 100, t=77)
    assert all(e.ts_event == e.ts_init == 77 for e in out)


def test_fifo_within_a_level_first_in_fills_first(eng: MatchingEngine) -> None:
    for oid in ("a", "b", "c"):
        _limit(eng, oid, S, 2, 100)
    out = _market(eng, "t", B, 3)
    assert trades(out) == [("t", "a", 100, 2), ("t", "b", 100, 1)]


def test_price_priority_better_price_fills_first(eng: MatchingEngine) -> None:
    _limit(eng, "worse", B, 2, 99)
    _limit(eng, "better", B, 2, 100)
    out = _market(eng, "t", S, 3)
    assert trades(out) == [("t", "better", 100, 2), ("t", "worse", 99, 1)]


def test_limit_sweep_stops_at_its_limit_price(eng: MatchingEngine) -> None:
    for i, px in enumerate((100, 101, 102)):
        _limit(eng, f"m{i}", S, 2, px)
    out = _limit(eng, "t", B, 10, 101)
    assert [t[2] for t in trades(out)] == [100, 101]
    assert eng.best_bid == 101 and eng.order("t").qty - eng.order("t").filled == 6
    assert eng.best_ask == 102


def test_limit_partial_fill_rests_the_remainder(eng: MatchingEngine) -> None:
    _limit(eng, "m", S, 2, 100)
    out = _limit(eng, "t", B, 5, 100)
    assert names(out) == ["OrderAccepted", "OrderFilled", "OrderFilled"]
    rec = eng.order("t")
    assert rec.filled == 2 and rec.visible == 3 and eng.best_bid == 100


def test_market_without_liquidity_is_canceled(eng: MatchingEngine) -> None:
    out = _market(eng, "t", B, 5)
    assert names(out) == ["OrderAccepted", "OrderCanceled"]
    assert eng.order("t") is None


def test_market_partial_liquidity_cancels_the_remainder(eng: MatchingEngine) -> None:
    _limit(eng, "m", S, 2, 100)
    out = _market(eng, "t", B, 5)
    assert names(out)[-1] == "OrderCanceled" and sum(f[2] for f in fills(out)) == 4


def test_duplicate_order_id_is_rejected(eng: MatchingEngine) -> None:
    _limit(eng, "a", B, 1, 100)
    out = _limit(eng, "a", B, 1, 99)
    assert of(out, OrderRejected)[0].reason == "DUPLICATE_ORDER_ID"
    assert eng.order("a").price == 100


def test_non_positive_quantity_is_rejected(eng: MatchingEngine) -> None:
    out = _limit(eng, "a", B, 0, 100)
    assert of(out, OrderRejected)[0].reason == "INVALID_QUANTITY"


def test_limit_type_without_price_is_rejected(eng: MatchingEngine) -> None:
    out = eng.submit_order("a", "o", B, LIMIT, 1, 1)
    assert of(out, OrderRejected)[0].reason == "MISSING_PRICE"


def test_positions_are_net_lots_per_owner(eng: MatchingEngine) -> None:
    _limit(eng, "m", S, 5, 100, owner="alice")
    _market(eng, "t", B, 3, owner="bob")
    assert eng.positions == {"alice": -3, "bob": 3} and eng.last_price == 100


# --- cancel --------------------------------------------------------------------------------------
def test_cancel_resting_order_removes_it_from_the_book(eng: MatchingEngine) -> None:
    _limit(eng, "a", B, 5, 100)
    out = eng.cancel("a", 2)
    eng._check()
    assert names(out) == ["OrderCanceled"] and eng.best_bid is None


def test_cancel_unknown_order_is_rejected_as_unknown(eng: MatchingEngine) -> None:
    assert of(eng.cancel("zz", 1), OrderCancelRejected)[0].reason == "UNKNOWN_ORDER"


def test_cancel_filled_order_is_rejected_as_closed(eng: MatchingEngine) -> None:
    _limit(eng, "m", S, 1, 100)
    _market(eng, "t", B, 1)
    assert of(eng.cancel("m", 2), OrderCancelRejected)[0].reason == "ORDER_CLOSED"


# --- IOC, FOK, post-only, display ------------------------------------------------------------------
def test_ioc_remainder_is_canceled_and_never_rests(eng: MatchingEngine) -> None:
    _limit(eng, "m", S, 2, 100)
    out = _limit(eng, "t", B, 5, 100, tif=IOC)
    assert names(out)[-1] == "OrderCanceled" and eng.best_bid is None


def test_fok_without_enough_liquidity_is_canceled_without_fills(eng: MatchingEngine) -> None:
    _limit(eng, "m", S, 2, 100)
    out = _limit(eng, "t", B, 5, 100, tif=FOK)
    assert names(out) == ["OrderAccepted", "OrderCanceled"] and eng.order("m").filled == 0


def test_fok_with_enough_liquidity_fills_completely(eng: MatchingEngine) -> None:
    _limit(eng, "m1", S, 2, 100)
    _limit(eng, "m2", S, 3, 101)
    out = _limit(eng, "t", B, 5, 101, tif=FOK)
    assert sum(q for _, _, _, q in trades(out)) == 5 and "OrderCanceled" not in names(out)


def test_fok_does_not_count_liquidity_beyond_its_limit(eng: MatchingEngine) -> None:
    _limit(eng, "m1", S, 2, 100)
    _limit(eng, "m2", S, 3, 102)
    out = _limit(eng, "t", B, 5, 101, tif=FOK)
    assert not of(out, OrderFilled)


def test_fok_counts_hidden_iceberg_quantity(eng: MatchingEngine) -> None:
    _limit(eng, "ice", S, 6, 100, display_lots=1)
    out = _limit(eng, "t", B, 6, 100, tif=FOK)
    assert sum(q for _, _, _, q in trades(out)) == 6


def test_fok_blocked_by_own_order_is_canceled_without_fills(eng: MatchingEngine) -> None:
    _limit(eng, "m1", S, 2, 100, owner="x")
    _limit(eng, "own", S, 2, 100, owner="me")
    _limit(eng, "m2", S, 5, 100, owner="y")
    out = _limit(eng, "t", B, 4, 100, tif=FOK, owner="me")
    assert not of(out, OrderFilled) and eng.order("own") is not None


def test_fok_with_cancel_oldest_counts_liquidity_behind_own_order() -> None:
    e = MatchingEngine("XYZ", stp="cancel_oldest")
    _limit(e, "m1", S, 2, 100, owner="x")
    _limit(e, "own", S, 2, 100, owner="me")
    _limit(e, "m2", S, 5, 100, owner="y")
    out = _limit(e, "t", B, 4, 100, tif=FOK, owner="me")
    assert trades(out) == [("t", "m1", 100, 2), ("t", "m2", 100, 2)]
    assert [c.client_order_id for c in of(out, OrderCanceled)] == ["own"]


def test_post_only_that_would_take_is_rejected(eng: MatchingEngine) -> None:
    _limit(eng, "m", S, 2, 100)
    out = _limit(eng, "p", B, 1, 100, post_only=True)
    assert of(out, OrderRejected)[0].reason == "POST_ONLY_WOULD_TAKE"


def test_post_only_not_crossing_rests(eng: MatchingEngine) -> None:
    _limit(eng, "m", S, 2, 100)
    out = _limit(eng, "p", B, 1, 99, post_only=True)
    assert names(out) == ["OrderAccepted"] and eng.best_bid == 99


def test_display_quantity_shows_only_the_display_size(eng: MatchingEngine) -> None:
    _limit(eng, "ice", B, 10, 100, display_lots=3)
    _limit(eng, "b", B, 2, 100)
    assert eng.depth()[0] == [(100, 5)]


def test_display_refill_goes_to_the_back_of_the_queue(eng: MatchingEngine) -> None:
    _limit(eng, "ice", S, 10, 100, display_lots=3)
    _limit(eng, "b", S, 2, 100)
    out = _market(eng, "t", B, 6)
    assert trades(out) == [("t", "ice", 100, 3), ("t", "b", 100, 2), ("t", "ice", 100, 1)]


# --- modify ---------------------------------------------------------------------------------------
def test_modify_quantity_down_keeps_priority(eng: MatchingEngine) -> None:
    _limit(eng, "a", S, 5, 100)
    _limit(eng, "b", S, 5, 100)
    out = eng.modify("a", 2, None, None, 2)
    eng._check()
    assert of(out, OrderModified)[0].quantity_lots == 2
    assert trades(_market(eng, "t", B, 3)) == [("t", "a", 100, 2), ("t", "b", 100, 1)]


def test_modify_quantity_up_loses_priority(eng: MatchingEngine) -> None:
    _limit(eng, "a", S, 5, 100)
    _limit(eng, "b", S, 5, 100)
    eng.modify("a", 6, None, None, 2)
    eng._check()
    assert trades(_market(eng, "t", B, 1)) == [("t", "b", 100, 1)]


def test_modify_price_loses_priority(eng: MatchingEngine) -> None:
    _limit(eng, "a", S, 5, 101)
    _limit(eng, "b", S, 5, 100)
    eng.modify("a", None, 100, None, 2)
    eng._check()
    assert trades(_market(eng, "t", B, 6)) == [("t", "b", 100, 5), ("t", "a", 100, 1)]


def test_modify_price_through_the_market_matches(eng: MatchingEngine) -> None:
    _limit(eng, "m", S, 5, 101)
    _limit(eng, "a", B, 2, 99)
    out = eng.modify("a", None, 101, None, 2)
    eng._check()
    assert names(out)[0] == "OrderModified" and trades(out) == [("a", "m", 101, 2)]


def test_modify_quantity_not_above_filled_is_rejected(eng: MatchingEngine) -> None:
    _limit(eng, "a", S, 5, 100)
    _market(eng, "t", B, 3)
    out = eng.modify("a", 3, None, None, 2)
    assert of(out, OrderModifyRejected)[0].reason == "QUANTITY_NOT_ABOVE_FILLED"


def test_modify_unknown_order_is_rejected(eng: MatchingEngine) -> None:
    assert of(eng.modify("zz", 1, None, None, 1), OrderModifyRejected)[0].reason == "UNKNOWN_ORDER"


def test_modify_post_only_into_the_market_is_rejected(eng: MatchingEngine) -> None:
    _limit(eng, "m", S, 1, 101)
    _limit(eng, "p", B, 1, 99, post_only=True)
    out = eng.modify("p", None, 101, None, 2)
    assert of(out, OrderModifyRejected)[0].reason == "POST_ONLY_WOULD_TAKE"
    assert eng.order("p").price == 99


def test_modify_stop_price_of_a_limit_order_is_rejected(eng: MatchingEngine) -> None:
    _limit(eng, "a", B, 1, 99)
    out = eng.modify("a", None, None, 98, 2)
    assert of(out, OrderModifyRejected)[0].reason == "ORDER_HAS_NO_STOP_PRICE"


# --- self-trade prevention -------------------------------------------------------------------------
def _stp_book(policy: str) -> MatchingEngine:
    e = MatchingEngine("XYZ", stp=policy)
    _limit(e, "other", S, 1, 100, owner="x")
    _limit(e, "own", S, 2, 100, owner="me")
    _limit(e, "later", S, 5, 100, owner="y")
    return e


def test_stp_cancel_newest_cancels_the_incoming_order() -> None:
    e = _stp_book("cancel_newest")
    out = _limit(e, "t", B, 4, 100, owner="me")
    assert trades(out) == [("t", "other", 100, 1)]
    assert of(out, OrderCanceled)[0].client_order_id == "t" and e.order("own") is not None


def test_stp_cancel_oldest_cancels_the_resting_order_and_goes_on() -> None:
    e = _stp_book("cancel_oldest")
    out = _limit(e, "t", B, 4, 100, owner="me")
    assert trades(out) == [("t", "other", 100, 1), ("t", "later", 100, 3)]
    assert [c.client_order_id for c in of(out, OrderCanceled)] == ["own"]


def test_stp_cancel_both_cancels_both_orders() -> None:
    e = _stp_book("cancel_both")
    out = _limit(e, "t", B, 4, 100, owner="me")
    assert trades(out) == [("t", "other", 100, 1)]
    assert {c.client_order_id for c in of(out, OrderCanceled)} == {"own", "t"}


def test_stp_none_lets_an_owner_trade_with_itself() -> None:
    e = _stp_book("none")
    out = _limit(e, "t", B, 3, 100, owner="me")
    assert trades(out) == [("t", "other", 100, 1), ("t", "own", 100, 2)]


def test_stp_unknown_policy_raises() -> None:
    with pytest.raises(ValueError, match="stp"):
        MatchingEngine("XYZ", stp="cancel_random")


# --- the kernel Order path -------------------------------------------------------------------------
def _order(oid: str, side: Side, qty: int, **kw) -> Order:
    return Order(oid, "strat", "XYZ", side, kw.pop("order_type", OrderType.LIMIT), qty, **kw)


def test_submit_kernel_order_reads_without_mutating(eng: MatchingEngine) -> None:
    o = _order("k1", Side.BUY, 5, limit_ticks=100, time_in_force=TimeInForce.GTC)
    before = {s: getattr(o, s) for s in Order.__slots__}
    eng.submit(o, 1)
    eng._check()
    assert {s: getattr(o, s) for s in Order.__slots__} == before
    assert eng.order("k1").owner == "strat"


def test_submit_kernel_order_for_another_symbol_is_rejected(eng: MatchingEngine) -> None:
    o = Order("k1", "s", "ABC", Side.BUY, OrderType.MARKET, 1)
    assert of(eng.submit(o, 1), OrderRejected)[0].reason == "WRONG_SYMBOL"


def test_submit_ignores_contingent_links_the_kernel_emulates_them(eng: MatchingEngine) -> None:
    entry = _order("e", Side.BUY, 2, limit_ticks=100, child_ids=("tp", "sl"))
    tp = _order("tp", Side.SELL, 2, limit_ticks=103, parent_id="e", linked_ids=("sl",))
    sl = _order("sl", Side.SELL, 2, order_type=OrderType.STOP, stop_ticks=95, parent_id="e",
                linked_ids=("tp",))  # fmt: skip
    for o in (entry, tp, sl):
        assert names(eng.submit(o, 1)) == ["OrderAccepted"]
    eng._check()
    assert eng.best_bid == 100 and eng.best_ask == 103  # the child works before its parent fills
    out = eng.submit_market("x", "other", Side.BUY, 1, 2)
    eng._check()
    assert trades(out) == [("x", "tp", 103, 1)] and names(out)[-1] == "OrderFilled"
    assert eng.order("sl") is not None  # no OCO: the sibling's fill cancels nothing


def test_engine_events_drive_kernel_orders_through_their_state_machine(eng: MatchingEngine) -> None:
    maker = _order("mk", Side.SELL, 5, limit_ticks=100)
    taker = _order("tk", Side.BUY, 8, limit_ticks=100, time_in_force=TimeInForce.IOC)
    for o in (maker, taker):
        o.apply(OrderSubmitted(o.client_order_id, "V", 0, 0))
    events = eng.submit(maker, 1, owner="a") + eng.submit(taker, 2, owner="b")
    by_id = {"mk": maker, "tk": taker}
    for e in events:
        by_id[e.client_order_id].apply(e)
    assert maker.status == OrderStatus.FILLED and taker.status == OrderStatus.CANCELED
    assert taker.filled_lots == 5 and maker.venue_order_id is not None


def test_same_operations_give_identical_events() -> None:
    def run() -> list:
        e = MatchingEngine("XYZ")
        out = []
        for i in range(30):
            side = B if i % 3 else S
            out += e.submit_limit(f"o{i}", f"p{i % 4}", side, 1 + i % 5, 100 + (i * 7) % 5, i)
        out += e.cancel("o4", 99) + e.submit_market("m", "z", B, 20, 100)
        return out

    assert run() == run()


def test_accepted_events_name_the_venue_order_id(eng: MatchingEngine) -> None:
    a = of(_limit(eng, "a", B, 1, 100), OrderAccepted)[0]
    b = of(_limit(eng, "b", B, 1, 100), OrderAccepted)[0]
    assert a.venue_order_id != b.venue_order_id and a.venue_order_id.startswith("V-XYZ-")
