"""The exchange engine's contingent orders (OCO, OTO, bracket) and reduce-only."""

from __future__ import annotations

import pytest
from matching_helpers import names, of, trades

from kernel.enums import Contingency, OrderType, Side
from kernel.events import OrderCanceled, OrderModified, OrderRejected
from kernel.orders import Order
from sim.exchange import MatchingEngine
from sim.exchange_orders import LIMIT, STOP, W_BOOK, W_HELD, W_TRIGGER

B, S = 1, -1


@pytest.fixture
def eng() -> MatchingEngine:
    return MatchingEngine("XYZ")


def _sub(
    e: MatchingEngine, oid: str, side: int, otype: int, qty: int, t: int = 1, owner="me", **kw
):
    out = e.submit_order(oid, owner, side, otype, qty, t, **kw)
    e._check()
    return out


def _canceled(events: list) -> list[str]:
    return [e.client_order_id for e in of(events, OrderCanceled)]


# --- OCO -----------------------------------------------------------------------------------------
def _oco_pair(e: MatchingEngine) -> None:
    _sub(e, "tp", S, LIMIT, 2, limit_ticks=105, oco=("sl",))
    _sub(e, "sl", S, STOP, 2, stop_ticks=95, oco=("tp",))


def test_oco_fill_of_one_member_cancels_the_other(eng: MatchingEngine) -> None:
    _oco_pair(eng)
    out = eng.submit_market("x", "other", B, 1, 2)
    eng._check()
    assert trades(out) == [("x", "tp", 105, 1)] and _canceled(out) == ["sl"]
    assert eng.order("tp") is not None  # the partially filled member keeps working


def test_oco_cancel_of_one_member_cancels_the_other(eng: MatchingEngine) -> None:
    _oco_pair(eng)
    out = eng.cancel("sl", 2)
    eng._check()
    assert _canceled(out) == ["sl", "tp"] and eng.best_ask is None


def test_oco_member_arriving_after_the_group_fired_is_rejected(eng: MatchingEngine) -> None:
    _sub(eng, "a", S, LIMIT, 1, limit_ticks=105, oco=("b",))
    eng.submit_market("x", "other", B, 1, 2)
    out = _sub(eng, "b", S, STOP, 1, stop_ticks=95, oco=("a",))
    assert of(out, OrderRejected)[0].reason == "OCO_GROUP_DONE"


# --- OTO and brackets ----------------------------------------------------------------------------
def _parent_and_child(e: MatchingEngine) -> None:
    _sub(e, "p", B, LIMIT, 5, limit_ticks=100, is_parent=True)
    _sub(e, "c", S, LIMIT, 5, limit_ticks=105, parent_id="p")


def test_oto_child_is_held_until_the_parent_fills(eng: MatchingEngine) -> None:
    _parent_and_child(eng)
    assert eng.order("c").where == W_HELD and eng.best_ask is None


def test_oto_child_is_released_when_the_parent_fills_completely(eng: MatchingEngine) -> None:
    _parent_and_child(eng)
    eng.submit_market("x", "other", S, 5, 2)
    eng._check()
    assert eng.order("c").where == W_BOOK and eng.best_ask == 105


def test_oto_child_is_sized_to_the_partial_fill_when_the_parent_is_canceled(
    eng: MatchingEngine,
) -> None:
    _parent_and_child(eng)
    eng.submit_market("x", "other", S, 2, 2)
    assert eng.order("c").where == W_HELD
    out = eng.cancel("p", 3)
    eng._check()
    assert of(out, OrderModified)[0].quantity_lots == 2 and eng.order("c").qty == 2


def test_oto_parent_canceled_unfilled_cancels_its_children(eng: MatchingEngine) -> None:
    _parent_and_child(eng)
    out = eng.cancel("p", 2)
    eng._check()
    assert _canceled(out) == ["p", "c"]


def test_oto_child_of_an_unknown_parent_is_rejected(eng: MatchingEngine) -> None:
    out = _sub(eng, "c", S, LIMIT, 1, limit_ticks=105, parent_id="nope")
    assert of(out, OrderRejected)[0].reason == "UNKNOWN_PARENT"


def test_oto_child_after_the_parent_filled_is_released_at_once(eng: MatchingEngine) -> None:
    _sub(eng, "p", B, LIMIT, 3, limit_ticks=100, is_parent=True)
    eng.submit_market("x", "other", S, 3, 2)
    out = _sub(eng, "c", S, LIMIT, 5, limit_ticks=105, parent_id="p")
    assert names(out) == ["OrderAccepted", "OrderModified"] and eng.best_ask == 105


def test_bracket_take_profit_fill_cancels_the_stop_loss(eng: MatchingEngine) -> None:
    _sub(eng, "entry", B, LIMIT, 5, limit_ticks=100, is_parent=True)
    _sub(eng, "tp", S, LIMIT, 5, limit_ticks=105, parent_id="entry", oco=("sl",))
    _sub(eng, "sl", S, STOP, 5, stop_ticks=95, parent_id="entry", oco=("tp",))
    eng.submit_market("x", "other", S, 5, 2)
    assert eng.order("tp").where == W_BOOK and eng.order("sl").where == W_TRIGGER
    out = eng.submit_market("y", "other", B, 5, 3)
    eng._check()
    assert trades(out) == [("y", "tp", 105, 5)] and _canceled(out) == ["sl"]
    assert eng.positions["me"] == 0


def test_bracket_from_kernel_orders_links_by_their_ids(eng: MatchingEngine) -> None:
    entry = Order("e", "s1", "XYZ", Side.BUY, OrderType.LIMIT, 2, limit_ticks=100, child_ids=("t",))
    tp = Order(
        "t", "s1", "XYZ", Side.SELL, OrderType.LIMIT, 2, limit_ticks=103,
        contingency=Contingency.OTO, parent_id="e",
    )  # fmt: skip
    eng.submit(entry, 1)
    eng.submit(tp, 1)
    assert eng.order("t").where == W_HELD
    eng.submit_market("x", "other", S, 2, 2)
    eng._check()
    assert eng.best_ask == 103


# --- reduce-only ---------------------------------------------------------------------------------
def _long(e: MatchingEngine, qty: int, owner: str = "me") -> None:
    e.submit_limit(f"lp{qty}", "lp", S, qty, 100, 1)
    e.submit_market(f"buy{qty}", owner, B, qty, 1)
    assert e.positions[owner] == qty


def test_reduce_only_with_a_flat_position_is_rejected(eng: MatchingEngine) -> None:
    out = _sub(eng, "r", S, LIMIT, 1, limit_ticks=101, reduce_only=True)
    assert of(out, OrderRejected)[0].reason == "REDUCE_ONLY_WOULD_INCREASE"


def test_reduce_only_on_the_position_side_is_rejected(eng: MatchingEngine) -> None:
    _long(eng, 3)
    out = _sub(eng, "r", B, LIMIT, 1, limit_ticks=99, reduce_only=True)
    assert of(out, OrderRejected)[0].reason == "REDUCE_ONLY_WOULD_INCREASE"


def test_reduce_only_larger_than_the_position_is_trimmed(eng: MatchingEngine) -> None:
    _long(eng, 3)
    out = _sub(eng, "r", S, LIMIT, 5, limit_ticks=101, reduce_only=True)
    assert names(out) == ["OrderAccepted", "OrderModified"] and out[1].quantity_lots == 3
    assert eng.depth()[1] == [(101, 3)]


def test_reduce_only_is_canceled_when_the_position_closes_elsewhere(eng: MatchingEngine) -> None:
    _long(eng, 3)
    _sub(eng, "r", S, LIMIT, 3, limit_ticks=105, reduce_only=True)
    eng.submit_limit("bid", "other", B, 3, 99, 2)
    out = eng.submit_market("flat", "me", S, 3, 3)
    eng._check()
    assert _canceled(out) == ["r"] and eng.positions["me"] == 0


def test_reduce_only_is_trimmed_when_the_position_shrinks(eng: MatchingEngine) -> None:
    _long(eng, 3)
    _sub(eng, "r", S, LIMIT, 3, limit_ticks=105, reduce_only=True)
    eng.submit_limit("bid", "other", B, 1, 99, 2)
    out = eng.submit_market("part", "me", S, 1, 3)
    eng._check()
    assert of(out, OrderModified)[0].quantity_lots == 2 and eng.depth()[1] == [(105, 2)]
