"""The order manager: open-order indexes in a deterministic order, and OCO / OTO / bracket links."""

from __future__ import annotations

import itertools

import pytest

from kernel.enums import Contingency, OrderStatus, OrderType, Side
from kernel.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    OrderPendingCancel,
    OrderRejected,
    OrderSubmitted,
)
from kernel.fsm import InvalidTransition
from kernel.oms import ACT_CANCEL, ACT_RELEASE, DuplicateOrderId, OrderManager, UnknownOrder
from kernel.orders import Order, Overfill

S = OrderStatus
_ts = itertools.count(1)
_trade = itertools.count(1)


def limit(
    oid: str, qty: int = 10, side: Side = Side.BUY, symbol: str = "AAPL", strategy: str = "S"
):
    return Order(oid, strategy, symbol, side, OrderType.LIMIT, qty, limit_ticks=100)


def submitted(oid):
    t = next(_ts)
    return OrderSubmitted(oid, "SIM", t, t)


def accepted(oid):
    t = next(_ts)
    return OrderAccepted(oid, f"V-{oid}", t, t)


def filled(oid, qty, trade_id=None, price=100):
    t = next(_ts)
    tid = trade_id or f"T{next(_trade)}"
    return OrderFilled(oid, f"V-{oid}", tid, "AAPL", 1, price, qty, 1, 0, t, t)


def canceled(oid):
    t = next(_ts)
    return OrderCanceled(oid, t, t)


def pending_cancel(oid):
    t = next(_ts)
    return OrderPendingCancel(oid, t, t)


def working(oms: OrderManager, *orders: Order) -> None:
    """Add, submit and accept each order."""
    for o in orders:
        oms.add(o)
        oms.apply(submitted(o.client_order_id))
        oms.apply(accepted(o.client_order_id))


def ids(orders) -> list[str]:
    return [o.client_order_id for o in orders]


def acts(oms: OrderManager) -> list[tuple[int, str]]:
    return [(a, o.client_order_id) for a, o in oms.actions]


# --- registration and lookup --------------------------------------------------------------------
def test_add_duplicate_client_order_id_raises_duplicate_order_id():
    oms = OrderManager()
    oms.add(limit("A"))
    with pytest.raises(DuplicateOrderId, match="'A'"):
        oms.add(limit("A"))
    assert len(oms.orders) == 1


def test_apply_unknown_client_order_id_raises_unknown_order():
    oms = OrderManager()
    with pytest.raises(UnknownOrder) as info:
        oms.apply(submitted("NOPE"))
    assert isinstance(info.value, KeyError)
    assert oms.events_applied == 0


def test_get_returns_order_or_none():
    oms = OrderManager()
    a = limit("A")
    oms.add(a)
    assert oms.get("A") is a
    assert oms.get("B") is None


def test_apply_returns_the_order_and_counts_events():
    oms = OrderManager()
    a = limit("A")
    oms.add(a)
    assert oms.apply(submitted("A")) is a
    assert oms.events_applied == 1
    assert a.status == S.SUBMITTED


def test_apply_refused_event_leaves_indexes_untouched():
    oms = OrderManager()
    working(oms, limit("A"))
    with pytest.raises(Overfill):
        oms.apply(filled("A", 11))
    with pytest.raises(InvalidTransition):
        oms.apply(submitted("A"))
    assert ids(oms.open_orders()) == ["A"]
    assert oms.events_applied == 2
    oms._check()


# --- open-order indexes -------------------------------------------------------------------------
def test_open_orders_in_the_order_they_became_open():
    oms = OrderManager()
    for oid in ("A", "B", "C", "D"):
        oms.add(limit(oid))
    assert oms.open_orders() == []  # INITIALIZED orders are held by the kernel, not open
    for oid in ("C", "A", "D", "B"):
        oms.apply(submitted(oid))
    assert ids(oms.open_orders()) == ["C", "A", "D", "B"]
    oms.apply(canceled("A"))
    assert ids(oms.open_orders()) == ["C", "D", "B"]
    oms._check()


def test_open_orders_filter_by_symbol_and_strategy():
    oms = OrderManager()
    orders = [
        limit("A1", symbol="AAPL", strategy="s1"),
        limit("M1", symbol="MSFT", strategy="s1"),
        limit("A2", symbol="AAPL", strategy="s2"),
        limit("A3", symbol="AAPL", strategy="s1"),
    ]
    working(oms, *orders)
    assert ids(oms.open_orders(symbol="AAPL")) == ["A1", "A2", "A3"]
    assert ids(oms.open_orders(strategy_id="s1")) == ["A1", "M1", "A3"]
    assert ids(oms.open_orders(symbol="AAPL", strategy_id="s1")) == ["A1", "A3"]
    assert oms.open_orders(symbol="TSLA") == []
    assert oms.open_orders(strategy_id="nobody") == []
    assert oms.open_count("AAPL") == 3
    assert oms.open_count("TSLA") == 0


def test_open_orders_closed_by_fill_cancel_reject_expire_leave_index():
    oms = OrderManager()
    working(oms, limit("F"), limit("C"), limit("E"), limit("K"))
    oms.add(limit("R"))
    oms.apply(submitted("R"))
    oms.apply(filled("F", 10))
    oms.apply(canceled("C"))
    t = next(_ts)
    oms.apply(OrderExpired("E", t, t))
    oms.apply(OrderRejected("R", "NO", t, t))
    assert ids(oms.open_orders()) == ["K"]
    assert ids(oms.open_orders(symbol="AAPL")) == ["K"]
    assert ids(oms.open_orders(strategy_id="S")) == ["K"]
    oms._check()


def test_open_orders_pending_and_partial_orders_stay_open():
    oms = OrderManager()
    working(oms, limit("A"), limit("B"))
    oms.apply(filled("A", 4))
    oms.apply(pending_cancel("B"))
    assert ids(oms.open_orders()) == ["A", "B"]
    t = next(_ts)
    oms.apply(OrderCancelRejected("B", "TOO_LATE", t, t))
    assert ids(oms.open_orders()) == ["A", "B"]
    oms._check()


def test_open_orders_denied_order_never_opens():
    oms = OrderManager()
    oms.add(limit("A"))
    t = next(_ts)
    oms.apply(OrderDenied("A", "MAX_ORDER_VALUE", t, t))
    assert oms.open_orders() == []
    assert oms.orders["A"].status == S.DENIED
    oms._check()


def test_open_leaves_sums_remaining_by_side_and_strategy():
    oms = OrderManager()
    working(
        oms,
        limit("B1", 10, Side.BUY, strategy="s1"),
        limit("B2", 5, Side.BUY, strategy="s2"),
        limit("S1", 7, Side.SELL, strategy="s1"),
        limit("X", 100, Side.SELL, symbol="MSFT"),
    )
    oms.apply(filled("B1", 4))
    assert oms.open_leaves("AAPL") == (6 + 5, 7)
    assert oms.open_leaves("AAPL", strategy_id="s1") == (6, 7)
    assert oms.open_leaves("TSLA") == (0, 0)


def test_open_orders_returns_a_copy():
    oms = OrderManager()
    working(oms, limit("A"))
    oms.open_orders().clear()
    oms.open_orders(symbol="AAPL").clear()
    assert ids(oms.open_orders()) == ["A"]
    assert ids(oms.open_orders(symbol="AAPL")) == ["A"]


def test_duplicate_fill_counted_by_manager_not_applied():
    oms = OrderManager()
    working(oms, limit("A"))
    oms.apply(filled("A", 3, trade_id="X"))
    applied = oms.events_applied
    oms.apply(filled("A", 3, trade_id="X"))
    assert (oms.duplicate_fills, oms.events_applied) == (1, applied)
    assert oms.orders["A"].filled_lots == 3


# --- OCO ----------------------------------------------------------------------------------------
def _oco(oms: OrderManager, *oids: str) -> list[Order]:
    orders = [limit(oid) for oid in oids]
    oms.link_oco(orders)
    working(oms, *orders)
    return orders


def test_link_oco_sets_siblings_on_each_member():
    oms = OrderManager()
    a, b, c = _oco(oms, "A", "B", "C")
    assert (a.linked_ids, b.linked_ids, c.linked_ids) == (("B", "C"), ("A", "C"), ("A", "B"))
    assert all(o.contingency == Contingency.OCO for o in (a, b, c))


def test_oco_first_fill_cancels_siblings_in_link_order():
    oms = OrderManager()
    _oco(oms, "A", "B", "C")
    oms.apply(filled("B", 2))
    assert acts(oms) == [(ACT_CANCEL, "A"), (ACT_CANCEL, "C")]


def test_oco_second_fill_before_drain_queues_nothing_new():
    oms = OrderManager()
    _oco(oms, "A", "B")
    oms.apply(filled("A", 2))
    oms.apply(filled("A", 3))
    assert acts(oms) == [(ACT_CANCEL, "B")]


def test_oco_later_fill_with_sibling_pending_cancel_queues_no_second_cancel():
    oms = OrderManager()
    _oco(oms, "A", "B")
    oms.apply(filled("A", 2))
    oms.actions.clear()  # the kernel drained it and sent the cancel
    oms.apply(pending_cancel("B"))
    oms.apply(filled("A", 3))
    oms.apply(filled("A", 5))
    assert acts(oms) == []


@pytest.mark.parametrize("closing", ["cancel", "expire", "reject"])
def test_oco_member_closed_without_fill_cancels_siblings(closing):
    oms = OrderManager()
    _oco(oms, "A", "B")
    t = next(_ts)
    event = {
        "cancel": OrderCanceled("A", t, t),
        "expire": OrderExpired("A", t, t),
        "reject": OrderRejected("A", "HALTED", t, t),
    }[closing]
    oms.apply(event)
    assert acts(oms) == [(ACT_CANCEL, "B")]


def test_oco_sibling_already_closed_gets_no_cancel():
    oms = OrderManager()
    _oco(oms, "A", "B")
    oms.apply(canceled("B"))
    oms.actions.clear()
    oms.apply(filled("A", 10))
    assert acts(oms) == []


def test_oco_non_closing_event_queues_nothing():
    oms = OrderManager()
    _oco(oms, "A", "B")
    oms.apply(pending_cancel("A"))
    assert acts(oms) == []


# --- OTO and brackets ---------------------------------------------------------------------------
def _oto(oms: OrderManager, parent_qty: int = 10, child_qtys=(10, 10)):
    parent = limit("P", parent_qty)
    children = [limit(f"C{i}", q, Side.SELL) for i, q in enumerate(child_qtys, 1)]
    oms.link_oto(parent, children)
    oms.add(parent)
    for c in children:
        oms.add(c)
    return parent, children


def test_link_oto_sets_parent_children_and_holds_children():
    oms = OrderManager()
    parent, (c1, c2) = _oto(oms)
    assert parent.contingency == Contingency.OTO
    assert parent.child_ids == ("C1", "C2")
    assert (c1.parent_id, c2.parent_id) == ("P", "P")
    assert list(oms.held) == ["C1", "C2"]
    assert "P" not in oms.held


def test_oto_children_wait_while_parent_works():
    oms = OrderManager()
    _oto(oms)
    oms.apply(submitted("P"))
    oms.apply(accepted("P"))
    oms.apply(filled("P", 4))
    assert oms.actions == []
    assert list(oms.held) == ["C1", "C2"]


def test_oto_parent_filled_releases_children_sized_to_fill():
    oms = OrderManager()
    _parent, (c1, c2) = _oto(oms, 10, (10, 15))
    oms.apply(submitted("P"))
    oms.apply(filled("P", 6))
    oms.apply(filled("P", 4))
    assert acts(oms) == [(ACT_RELEASE, "C1"), (ACT_RELEASE, "C2")]
    assert (c1.quantity, c2.quantity) == (10, 10)  # C2 cut to the parent's 10


def test_oto_child_smaller_than_fill_keeps_its_quantity():
    oms = OrderManager()
    _parent, (c1,) = _oto(oms, 10, (3,))
    oms.apply(submitted("P"))
    oms.apply(filled("P", 10))
    assert acts(oms) == [(ACT_RELEASE, "C1")]
    assert c1.quantity == 3


def test_oto_parent_partial_then_canceled_releases_children_sized_to_partial():
    oms = OrderManager()
    _parent, (c1, c2) = _oto(oms)
    c2.display_lots = 5
    oms.apply(submitted("P"))
    oms.apply(accepted("P"))
    oms.apply(filled("P", 4))
    oms.apply(pending_cancel("P"))
    oms.apply(canceled("P"))
    assert acts(oms) == [(ACT_RELEASE, "C1"), (ACT_RELEASE, "C2")]
    assert (c1.quantity, c2.quantity, c2.display_lots) == (4, 4, 4)
    assert c1.leaves_lots == 4


@pytest.mark.parametrize("closing", ["cancel", "reject", "expire", "deny"])
def test_oto_parent_closed_without_fill_cancels_children(closing):
    oms = OrderManager()
    _oto(oms)
    t = next(_ts)
    if closing == "deny":
        oms.apply(OrderDenied("P", "RISK", t, t))
    else:
        oms.apply(submitted("P"))
        oms.apply(
            {
                "cancel": OrderCanceled("P", t, t),
                "reject": OrderRejected("P", "NO", t, t),
                "expire": OrderExpired("P", t, t),
            }[closing]
        )
    assert acts(oms) == [(ACT_CANCEL, "C1"), (ACT_CANCEL, "C2")]


def test_oto_released_child_leaves_held_when_submitted():
    oms = OrderManager()
    _oto(oms)
    oms.apply(submitted("P"))
    oms.apply(filled("P", 10))
    oms.actions.clear()
    oms.apply(submitted("C1"))
    assert list(oms.held) == ["C2"]
    assert ids(oms.open_orders()) == ["C1"]
    oms._check()


@pytest.mark.parametrize("closing", ["cancel", "deny", "expire"])
def test_oto_held_child_closed_leaves_held(closing):
    oms = OrderManager()
    _oto(oms)
    oms.apply(submitted("P"))
    oms.apply(canceled("P"))
    t = next(_ts)
    closing_event = {
        "cancel": OrderCanceled("C1", t, t),
        "deny": OrderDenied("C1", "RISK", t, t),
        "expire": OrderExpired("C1", t, t),
    }[closing]
    oms.apply(closing_event)
    assert list(oms.held) == ["C2"]
    oms._check()


def test_bracket_parent_fill_releases_exits_then_one_exit_cancels_the_other():
    oms = OrderManager()
    entry = limit("E", 10)
    tp = limit("TP", 10, Side.SELL)
    sl = Order("SL", "S", "AAPL", Side.SELL, OrderType.STOP, 10, stop_ticks=90)
    oms.link_oto(entry, [tp, sl])
    oms.link_oco([tp, sl])
    for o in (entry, tp, sl):
        oms.add(o)
    assert entry.contingency == Contingency.OTO
    oms.apply(submitted("E"))
    oms.apply(filled("E", 7))
    oms.apply(canceled("E"))
    # why: the exits are OCO with each other, but a held exit is not canceled by its sibling
    assert acts(oms) == [(ACT_RELEASE, "TP"), (ACT_RELEASE, "SL")]
    assert (tp.quantity, sl.quantity) == (7, 7)
    oms.actions.clear()
    working_ids = ("TP", "SL")
    for oid in working_ids:
        oms.apply(submitted(oid))
        oms.apply(accepted(oid))
    oms.apply(filled("TP", 7))
    assert acts(oms) == [(ACT_CANCEL, "SL")]
    assert ids(oms.open_orders()) == ["SL"]
    oms._check()


def test_check_detects_index_out_of_step():
    oms = OrderManager()
    working(oms, limit("A"))
    oms._open_by_symbol["AAPL"].pop("A")
    with pytest.raises(AssertionError):
        oms._check()
