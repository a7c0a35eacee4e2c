"""Retention of closed orders (``OrderManager(retain_closed=N)``, ``Kernel(retain_closed=N)``):
the newest N closed orders kept in full, older ones evicted in the order they closed when a new
order is registered, tombstones that still recognise a late duplicate fill."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_helpers import Harness

from kernel.codec import OUT, decode
from kernel.enums import OrderStatus, OrderType, Side
from kernel.events import (
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderFilled,
    OrderPendingCancel,
    OrderRejected,
    OrderSubmitted,
)
from kernel.fsm import CLOSED_STATUSES
from kernel.journal import read_records
from kernel.monitor import Monitor
from kernel.oms import (
    ACT_CANCEL,
    ACT_RELEASE,
    MIN_TOMBSTONES,
    DuplicateOrderId,
    OrderManager,
    UnknownOrder,
)
from kernel.orders import InvalidOrder, Order
from kernel.strategy import Strategy

S = OrderStatus
_ts = itertools.count(1)


def limit(oid: str, qty: int = 10) -> Order:
    return Order(oid, "S", "AAPL", Side.BUY, OrderType.LIMIT, qty, limit_ticks=100)


def ev(kind: str, oid: str, qty: int = 0, trade: str = ""):  # type: ignore[no-untyped-def]
    t = next(_ts)
    if kind == "submit":
        return OrderSubmitted(oid, "SIM", t, t)
    if kind == "accept":
        return OrderAccepted(oid, f"V-{oid}", t, t)
    if kind == "fill":
        return OrderFilled(oid, f"V-{oid}", trade, "AAPL", 1, 100, qty, 1, 0, t, t)
    if kind == "cancel":
        return OrderCanceled(oid, t, t)
    if kind == "pending_cancel":
        return OrderPendingCancel(oid, t, t)
    if kind == "reject":
        return OrderRejected(oid, "NO", t, t)
    assert kind == "deny"
    return OrderDenied(oid, "NO", t, t)


def working(oms: OrderManager, oid: str, qty: int = 10) -> Order:
    order = limit(oid, qty)
    oms.add(order)
    oms.apply(ev("submit", oid))
    oms.apply(ev("accept", oid))
    return order


def closed_ids(oms: OrderManager) -> set[str]:
    return {oid for oid, o in oms.orders.items() if o.status in CLOSED_STATUSES}


# --- the OMS ------------------------------------------------------------------------------------
def test_retention_none_keeps_every_closed_order():
    oms = OrderManager()
    for oid in "ABCDE":
        working(oms, oid)
        oms.apply(ev("cancel", oid))
    oms.add(limit("F"))
    assert list(oms.orders) == list("ABCDEF")
    assert (oms.evicted, oms.added) == (0, 6)
    oms._check()


def test_retention_evicts_the_oldest_closed_first_and_only_when_an_order_is_added():
    oms = OrderManager(retain_closed=2)
    for oid in "ABCDE":
        working(oms, oid)
    # closed in another order than they were registered in
    oms.apply(ev("fill", "C", 10, "tC"))
    oms.apply(ev("cancel", "A"))
    oms.apply(ev("fill", "E", 10, "tE"))
    oms.apply(ev("reject", "B"))
    oms.apply(ev("cancel", "D"))
    assert closed_ids(oms) == set("ABCDE")  # nothing leaves until an order is registered
    oms._check()
    oms.add(limit("F"))
    assert list(oms.orders) == ["B", "D", "F"]  # the two that closed last, then the new one
    assert [oms.was_evicted(oid) for oid in "ABCDEF"] == [True, False, True, False, True, False]
    assert (oms.evicted, oms.added) == (3, 6)
    assert oms.evicted_counts == {("", S.CANCELED): 1, ("", S.FILLED): 2}
    oms._check()


def test_retention_never_evicts_open_held_or_unsent_orders():
    oms = OrderManager(retain_closed=0)
    working(oms, "OPEN")
    working(oms, "PART")
    oms.apply(ev("fill", "PART", 4, "t1"))
    working(oms, "PENDING")
    oms.apply(ev("pending_cancel", "PENDING"))
    parent, child = limit("PARENT"), limit("CHILD")
    oms.link_oto(parent, [child])
    oms.add(parent)
    oms.apply(ev("submit", "PARENT"))
    oms.add(child)  # held while its parent works
    oms.add(limit("UNSENT"))
    working(oms, "DONE")
    oms.apply(ev("cancel", "DONE"))
    oms.add(limit("DENIED"))
    oms.apply(ev("deny", "DENIED"))
    oms.add(limit("NEW"))
    assert set(oms.orders) == {"OPEN", "PART", "PENDING", "PARENT", "CHILD", "UNSENT", "NEW"}
    assert list(oms.held) == ["CHILD"]
    assert oms.was_evicted("DONE") and oms.was_evicted("DENIED")
    oms._check()


def test_retention_duplicate_fill_of_an_evicted_order_is_counted_and_changes_nothing():
    oms = OrderManager(retain_closed=0)
    working(oms, "A")
    oms.apply(ev("fill", "A", 4, "t1"))
    oms.apply(ev("fill", "A", 6, "t2"))
    working(oms, "C")
    oms.apply(ev("cancel", "C"))
    oms.add(limit("B"))
    assert oms.get("A") is None and oms.was_evicted("A") and oms.was_evicted("C")
    applied = oms.events_applied
    assert oms.apply(ev("fill", "A", 6, "t2")) is None
    assert oms.apply(ev("fill", "A", 4, "t1")) is None
    assert oms.duplicate_fills == 2
    assert oms.events_applied == applied
    assert oms.actions == []
    # anything else for an evicted order is as for an unknown one (the kernel's path)
    with pytest.raises(UnknownOrder):
        oms.apply(ev("fill", "A", 1, "t3"))
    with pytest.raises(UnknownOrder):
        oms.apply(ev("cancel", "A"))
    # a trade id of another order is no duplicate of this one
    with pytest.raises(UnknownOrder):
        oms.apply(ev("fill", "C", 1, "t1"))
    assert oms.duplicate_fills == 2
    oms._check()


def test_retention_tombstones_are_bounded_and_forget_the_oldest_first():
    assert OrderManager(retain_closed=5).tombstones_max == MIN_TOMBSTONES
    assert OrderManager(retain_closed=300).tombstones_max == 3_000
    oms = OrderManager(retain_closed=0)
    n = MIN_TOMBSTONES + 2
    for i in range(n):
        working(oms, f"o{i}")
        oms.apply(ev("fill", f"o{i}", 10, f"t{i}"))
    oms.add(limit("last"))
    assert oms.evicted == n
    assert [oms.was_evicted(f"o{i}") for i in (0, 1, 2, n - 1)] == [False, False, True, True]
    assert oms.apply(ev("fill", "o2", 10, "t2")) is None  # remembered: a duplicate
    with pytest.raises(UnknownOrder):  # forgotten: unknown, as it was before any retention
        oms.apply(ev("fill", "o1", 10, "t1"))
    assert oms.duplicate_fills == 1
    oms._check()


def test_retention_an_evicted_order_id_cannot_be_used_again():
    oms = OrderManager(retain_closed=0)
    working(oms, "A")
    oms.apply(ev("cancel", "A"))
    oms.add(limit("B"))
    with pytest.raises(DuplicateOrderId, match="'A'"):
        oms.add(limit("A"))
    assert set(oms.orders) == {"B"}


@pytest.mark.parametrize("bad", [-1, True, 1.5, "10"])
def test_retention_bad_value_raises_value_error(bad):
    with pytest.raises(ValueError, match="retain_closed"):
        OrderManager(retain_closed=bad)


# --- property: random order lives against a model --------------------------------------------
# what may happen next to an order, by its status (a held child waits for its parent)
NEXT = {
    S.INITIALIZED: ("submit", "submit", "deny"),
    S.SUBMITTED: ("accept", "part", "fill", "reject", "cancel"),
    S.ACCEPTED: ("part", "fill", "cancel", "pending_cancel"),
    S.PARTIALLY_FILLED: ("part", "fill", "cancel", "pending_cancel"),
    S.PENDING_CANCEL: ("cancel", "part", "fill"),
}
OPS = st.one_of(
    st.tuples(st.just("new"), st.booleans()),  # a new order; True: with an OTO child
    st.tuples(st.just("event"), st.integers(0, 50), st.integers(0, 4)),
    st.tuples(st.just("event"), st.integers(0, 50), st.integers(0, 4)),
    st.tuples(st.just("dup"), st.integers(0, 200)),  # a fill delivered again
)


def _drain(oms: OrderManager) -> None:
    """The kernel's part of the links: held children released or canceled."""
    while oms.actions:
        act, order = oms.actions.pop(0)
        if order.status != S.INITIALIZED:
            continue  # an OCO sibling's cancel would go to the venue: not modelled here
        if act == ACT_CANCEL:
            oms.apply(ev("cancel", order.client_order_id))
        elif act == ACT_RELEASE:
            oms.apply(ev("submit", order.client_order_id))


@given(st.integers(0, 4), st.lists(OPS, min_size=30, max_size=100))
def test_retention_property_oms_holds_what_is_not_closed_plus_the_newest_n_closed(n, ops):
    oms = OrderManager(retain_closed=n)
    ids: list[str] = []  # every order registered, in order
    closed_seq: list[str] = []  # the model: ids in the order they were seen to close
    fills: list[OrderFilled] = []  # every fill applied
    trade = itertools.count()
    closed_since_add = 0

    def observe() -> None:
        nonlocal closed_since_add
        for oid in ids:
            o = oms.orders.get(oid)
            if o is not None and o.status in CLOSED_STATUSES and oid not in closed_seq:
                closed_seq.append(oid)
                closed_since_add += 1

    for op in ops:
        if op[0] == "new":
            parent = limit(f"o{len(ids)}")
            children = [limit(f"o{len(ids)}c")] if op[1] else []
            if children:
                oms.link_oto(parent, children)
            for order in (parent, *children):
                oms.add(order)
                ids.append(order.client_order_id)
                # right after a registration: exactly the newest n closed are kept
                keep = closed_seq[-n:] if n else []
                assert closed_ids(oms) == set(keep)
                assert all(oms.was_evicted(oid) for oid in closed_seq if oid not in keep)
                assert all(oid in oms.orders for oid in ids if oid not in closed_seq)
                closed_since_add = 0
        elif op[0] == "event":
            live = [o for oid in ids if (o := oms.orders.get(oid)) is not None and o.status in NEXT]
            live = [o for o in live if o.client_order_id not in oms.held]
            if not live:
                continue
            order = live[op[1] % len(live)]
            kinds = NEXT[order.status]
            kind = kinds[op[2] % len(kinds)]
            leaves = order.quantity - order.filled_lots
            qty = max(1, leaves // 2) if kind == "part" else leaves
            oid = order.client_order_id
            event = ev("fill" if kind in ("part", "fill") else kind, oid, qty, f"T{next(trade)}")
            oms.apply(event)
            if kind in ("part", "fill"):
                fills.append(event)
            _drain(oms)
            observe()
        elif fills:
            again = fills[op[1] % len(fills)]
            before = (oms.duplicate_fills, oms.events_applied)
            held = {oid: (o.status, o.filled_lots) for oid, o in oms.orders.items()}
            oms.apply(again)
            assert (oms.duplicate_fills, oms.events_applied) == (before[0] + 1, before[1])
            assert {oid: (o.status, o.filled_lots) for oid, o in oms.orders.items()} == held
        not_closed = sum(1 for oid in ids if oid not in closed_seq)
        assert len(oms.orders) <= not_closed + n + closed_since_add
        oms._check()


# --- the kernel ---------------------------------------------------------------------------------
class Quiet(Strategy):
    strategy_id = "q"

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    def on_order_event(self, event) -> None:  # type: ignore[no-untyped-def]
        self.events.append(type(event).__name__)


def _filled_then_evicted(retain: int | None):  # type: ignore[no-untyped-def]
    """A buy of 10 filled (trade t1), then a new order: with retention 0 the first is gone."""
    h = Harness(retain_closed=retain)
    s = Quiet()
    h.kernel.add_strategy(s)
    first = s.ctx.submit("X", Side.BUY, 10, OrderType.LIMIT, limit_ticks=100)
    h.accept(first.client_order_id)
    h.fill(first.client_order_id, 100, 10)
    s.ctx.submit("X", Side.SELL, 5, OrderType.LIMIT, limit_ticks=105)
    return h, s, first


def _again(h: Harness, oid: str, trade: str, qty: int = 10) -> None:
    now = h.tick()
    h.kernel.on_order_event(OrderFilled(oid, "v-" + oid, trade, "X", 1, 100, qty, 2, 0, now, now))


def test_kernel_late_duplicate_fill_of_an_evicted_order_is_ignored_like_a_kept_one():
    digests = []
    for retain in (None, 0):
        h, s, first = _filled_then_evicted(retain)
        k = h.kernel
        assert (k.oms.get(first.client_order_id) is None) == (retain == 0)
        seen = list(s.events)
        _again(h, first.client_order_id, "t1")
        assert k.oms.duplicate_fills == 1
        assert k.portfolio.positions["X"].qty == 10
        assert k.portfolio.position_qty("X", "q") == 10
        assert (k.stats.fills, k.stats.unknown_events, k.stats.refused_events) == (1, 0, 0)
        assert k.risk_events == []
        assert s.events == seen  # the strategy hears nothing of a duplicate
        k.stop()
        digests.append(h.journal.digest())  # type: ignore[union-attr]
    assert digests[0] == digests[1]


def test_kernel_evicted_order_cancel_is_a_no_op_and_modify_is_refused():
    h, s, first = _filled_then_evicted(0)
    k, oid = h.kernel, first.client_order_id
    sent = len(h.venue.commands)
    s.ctx.cancel(first)  # the strategy still holds the (closed) order
    s.ctx.cancel(oid)
    k.cancel_order(oid)
    assert len(h.venue.commands) == sent
    with pytest.raises(InvalidOrder) as info:
        s.ctx.modify(oid, limit_ticks=99)
    assert info.value.reason == "NOT_OPEN"
    assert s.ctx.order(oid) is None
    with pytest.raises(UnknownOrder):  # never registered: as before
        k.cancel_order("q-999")


def test_kernel_new_fill_of_an_evicted_order_is_booked_as_external_never_lost():
    h, _, first = _filled_then_evicted(0)
    k = h.kernel
    _again(h, first.client_order_id, "t-late", qty=3)
    assert k.portfolio.positions["X"].qty == 13  # the venue says it traded: booked
    assert k.portfolio.position_qty("X", "q") == 10  # not to the strategy: the order is gone
    assert k.stats.unknown_events == 1
    assert [code for _, code, _ in k.risk_events] == ["EXTERNAL_FILL"]
    k.stop()
    outs = [decode(r) for r in read_records(h.sink.blocks) if r[0] == OUT]
    assert any(type(obj).__name__ == "RiskEvent" for _, obj in outs)


def test_kernel_monitor_counts_evicted_orders_by_their_last_status():
    counts = []
    for retain in (None, 0):
        h, s, first = _filled_then_evicted(retain)
        Monitor.install(h.kernel, {})
        h.accept(s.ctx.open_orders()[0].client_order_id)
        assert (h.kernel.oms.get(first.client_order_id) is None) == (retain == 0)
        counts.append(h.kernel.monitor.order_counts)
    assert counts[0] == counts[1] == {("sim", "filled"): 1, ("sim", "accepted"): 1}
