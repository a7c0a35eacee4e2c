"""Random event sequences against one order: the table is followed or the order is left unchanged."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kernel.enums import OrderStatus, OrderType, Side
from kernel.events import (
    K_ACCEPTED,
    K_CANCEL_REJECTED,
    K_CANCELED,
    K_DENIED,
    K_EXPIRED,
    K_FILL,
    K_FILLED,
    K_MODIFIED,
    K_MODIFY_REJECTED,
    K_PARTIALLY_FILLED,
    K_PENDING_CANCEL,
    K_PENDING_UPDATE,
    K_REJECTED,
    K_SUBMITTED,
    K_TRIGGERED,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderModifyRejected,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderRejected,
    OrderSubmitted,
    OrderTriggered,
)
from kernel.fsm import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    PENDING_STATUSES,
    RESTORE,
    TRANSITIONS,
    InvalidTransition,
)
from kernel.orders import InvalidModify, Order, Overfill

S = OrderStatus
OID = "P-1"
QTY = 10

SIMPLE = {
    K_DENIED: lambda t: OrderDenied(OID, "RISK", t, t),
    K_SUBMITTED: lambda t: OrderSubmitted(OID, "SIM", t, t),
    K_ACCEPTED: lambda t: OrderAccepted(OID, "V", t, t),
    K_REJECTED: lambda t: OrderRejected(OID, "NO", t, t),
    K_TRIGGERED: lambda t: OrderTriggered(OID, t, t),
    K_PENDING_CANCEL: lambda t: OrderPendingCancel(OID, t, t),
    K_PENDING_UPDATE: lambda t: OrderPendingUpdate(OID, t, t),
    K_CANCEL_REJECTED: lambda t: OrderCancelRejected(OID, "NO", t, t),
    K_MODIFY_REJECTED: lambda t: OrderModifyRejected(OID, "NO", t, t),
    K_CANCELED: lambda t: OrderCanceled(OID, t, t),
    K_EXPIRED: lambda t: OrderExpired(OID, t, t),
}

fills = st.builds(
    lambda qty, price, tid, fee: ("fill", qty, price, tid, fee),
    st.integers(-1, QTY + 1),
    st.integers(1, 200),
    st.sampled_from(["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"]),  # repeats: duplicates
    st.integers(0, 9),
)
modifies = st.builds(
    lambda qty, limit: ("modify", qty, limit),
    st.one_of(st.none(), st.integers(0, 2 * QTY)),
    st.one_of(st.none(), st.integers(1, 200)),
)
simple = st.sampled_from(sorted(SIMPLE)).map(lambda k: ("simple", k))
# why: weight the usual venue answers up so sequences get past the first few events
common = st.sampled_from([K_SUBMITTED, K_ACCEPTED, K_PENDING_CANCEL, K_CANCEL_REJECTED]).map(
    lambda k: ("simple", k)
)
OPS = st.lists(st.one_of(simple, common, fills, fills, modifies), max_size=40)


def build(op: tuple, ts: int):
    if op[0] == "fill":
        _, qty, price, tid, fee = op
        return OrderFilled(OID, "V", tid, "AAPL", 1, price, qty, 1, fee, ts, ts)
    if op[0] == "modify":
        return OrderModified(OID, op[1], op[2], None, ts, ts)
    return SIMPLE[op[1]](ts)


def snapshot(o: Order) -> tuple:
    return tuple(
        frozenset(v) if isinstance(v, set) else v
        for v in (getattr(o, name) for name in Order.__slots__)
    )


class Model:
    """The order as the table says it should be: status, the status a pending order returns to."""

    def __init__(self) -> None:
        self.status: int = S.INITIALIZED
        self.restore: int | None = None
        self.filled = 0
        self.quantity = QTY
        self.trade_ids: set[str] = set()

    def predict(self, event) -> tuple[str, object]:
        kind = event.KIND
        if kind == K_FILL:
            if event.trade_id in self.trade_ids:
                return "duplicate", None
            total = self.filled + event.qty_lots
            if event.qty_lots <= 0 or total > self.quantity:
                return "raise", Overfill
            kind = K_FILLED if total == self.quantity else K_PARTIALLY_FILLED
        nxt = TRANSITIONS.get((self.status, kind))
        if nxt is None:
            return "raise", InvalidTransition
        qty = event.quantity_lots if kind == K_MODIFIED else None
        if qty is not None and qty <= self.filled:
            return "raise", InvalidModify
        if nxt == RESTORE:
            nxt = self.restore
        return "ok", (kind, nxt)

    def advance(self, event, kind: int, nxt: int) -> None:
        if self.status in PENDING_STATUSES:
            if nxt == self.status and kind in (K_ACCEPTED, K_TRIGGERED, K_PARTIALLY_FILLED):
                # a pending order's status-to-return-to moves as the table moves it
                self.restore = TRANSITIONS.get((self.restore, kind), self.restore)
        elif nxt in PENDING_STATUSES:
            self.restore = self.status
        if kind in (K_PARTIALLY_FILLED, K_FILLED):
            self.filled += event.qty_lots
            self.trade_ids.add(event.trade_id)
        if kind == K_MODIFIED and event.quantity_lots is not None:
            self.quantity = event.quantity_lots
        self.status = nxt


@given(start_submitted=st.booleans(), ops=OPS)
def test_order_random_events_follow_table_or_raise_unchanged(start_submitted, ops):
    order = Order(OID, "S", "AAPL", Side.BUY, OrderType.LIMIT, QTY, limit_ticks=100)
    model = Model()
    if start_submitted:
        ops = [("simple", K_SUBMITTED), *ops]
    cost = commission = applied = duplicates = 0
    for ts, op in enumerate(ops, 1):
        event = build(op, ts)
        outcome, detail = model.predict(event)
        before = snapshot(order)
        if outcome == "raise":
            try:
                order.apply(event)
            except detail as exc:  # type: ignore[misc]
                assert type(exc) is detail
            else:
                raise AssertionError(f"{op} should raise {detail} in {before}")
            assert snapshot(order) == before
            continue
        result = order.apply(event)
        if outcome == "duplicate":
            duplicates += 1
            assert result is False
        else:
            kind, nxt = detail  # type: ignore[misc]
            assert result is True
            model.advance(event, kind, nxt)
            applied += 1
            assert order.ts_last == ts
            if event.KIND == K_FILL:
                cost += event.price_ticks * event.qty_lots
                commission += event.commission
        assert order.status == model.status
        assert order.filled_lots == model.filled
        assert order.quantity == model.quantity
        assert (order.event_count, order.duplicate_fills) == (applied, duplicates)
        assert (order.fill_cost, order.commission) == (cost, commission)
        check_quantities(order)


def check_quantities(order: Order) -> None:
    assert 0 <= order.filled_lots <= order.quantity
    assert order.leaves_lots >= 0
    if order.status in OPEN_STATUSES:
        assert order.filled_lots + order.leaves_lots == order.quantity
        assert order.leaves_lots > 0
    if order.status in CLOSED_STATUSES:
        assert order.leaves_lots == 0
    if order.status == S.FILLED:
        assert order.filled_lots == order.quantity
    # an open order that is not waiting on a request says whether it has fills
    if order.status in OPEN_STATUSES - PENDING_STATUSES:
        assert (order.status == S.PARTIALLY_FILLED) == (order.filled_lots > 0)
    if order.status in PENDING_STATUSES:
        assert order._restore in (S.SUBMITTED, S.ACCEPTED, S.TRIGGERED, S.PARTIALLY_FILLED)
        assert (order._restore == S.PARTIALLY_FILLED) == (order.filled_lots > 0)


@given(
    fills=st.lists(
        st.tuples(st.integers(1, 4), st.integers(1, 10_000), st.integers(0, 3)), max_size=20
    )
)
def test_order_fill_cost_is_sum_of_price_times_qty_of_applied_fills(fills):
    order = Order(OID, "S", "AAPL", Side.SELL, OrderType.LIMIT, 25, limit_ticks=1)
    order.apply(OrderSubmitted(OID, "SIM", 0, 0))
    applied = []
    for i, (qty, price, dup_of) in enumerate(fills):
        tid = f"t{i - dup_of}" if dup_of <= i else f"t{i}"
        event = OrderFilled(OID, "V", tid, "AAPL", -1, price, qty, 1, 1, i, i)
        try:
            if order.apply(event):
                applied.append((qty, price))
        except Overfill:
            assert order.filled_lots + qty > order.quantity
    assert order.filled_lots == sum(q for q, _ in applied)
    assert order.fill_cost == sum(q * p for q, p in applied)
    assert order.commission == len(applied)
    assert order.status == (
        S.FILLED if order.filled_lots == 25 else S.PARTIALLY_FILLED if applied else S.SUBMITTED
    )
