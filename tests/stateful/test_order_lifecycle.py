"""Order lifecycles through the OrderManager beside a simple model: statuses, fills, open indexes.

The model is written out rule by rule (what a venue answer does to an order in each status), not
read from ``kernel.fsm``, so it checks the table as well as the manager. ``oms._check()`` runs
after every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kernel.enums import OrderStatus, OrderType, Side
from kernel.events import (
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
)
from kernel.fsm import InvalidTransition
from kernel.oms import OrderManager
from kernel.orders import Order

S = OrderStatus
INIT, SUB, ACK, PF, FILLED = S.INITIALIZED, S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED
PCAN, PUPD, CANCELED, EXPIRED = S.PENDING_CANCEL, S.PENDING_UPDATE, S.CANCELED, S.EXPIRED
DENIED, REJECTED = S.DENIED, S.REJECTED
MODEL_OPEN = {SUB, ACK, PF, PCAN, PUPD}
PENDING = {PCAN, PUPD}
WORKING = {SUB, ACK, PF}  # open and not waiting on a request


@dataclass
class ModelOrder:
    symbol: str
    strategy: str
    quantity: int
    status: int = INIT
    restore: int = INIT  # where a pending order goes back to
    filled: int = 0


class OrderLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.oms = OrderManager()
        self.model: dict[str, ModelOrder] = {}
        self.opened: list[str] = []  # open ids, in the order they became open
        self.fills: list[OrderFilled] = []
        self.duplicates = 0
        self.ts = 0
        self.n = 0

    # --- helpers ------------------------------------------------------------------------------
    def _t(self) -> int:
        self.ts += 1
        return self.ts

    def _with(self, statuses, min_leaves: int = 0) -> list[str]:
        return [
            oid
            for oid, m in self.model.items()
            if m.status in statuses and m.quantity - m.filled >= min_leaves
        ]

    def _pick(self, data, statuses, min_leaves: int = 0) -> str:
        return data.draw(st.sampled_from(self._with(statuses, min_leaves)), label="order")

    def _move(self, oid: str, status: int) -> None:
        m = self.model[oid]
        was_open, now_open = m.status in MODEL_OPEN, status in MODEL_OPEN
        if was_open and not now_open:
            self.opened.remove(oid)
        elif now_open and not was_open:
            self.opened.append(oid)
        if status in PENDING and m.status not in PENDING:
            m.restore = m.status
        m.status = status

    def _fill(self, oid: str, qty: int) -> None:
        m = self.model[oid]
        t = self._t()
        event = OrderFilled(oid, f"V-{oid}", f"T{t}", m.symbol, 1, 100 + t % 7, qty, 1, 1, t, t)
        self.oms.apply(event)
        self.fills.append(event)
        m.filled += qty
        if m.filled == m.quantity:
            self._move(oid, FILLED)
        elif m.status in PENDING:
            m.restore = PF  # a fill while a request is in flight: pending, but now partial
        elif m.status in WORKING:
            self._move(oid, PF)
        # CANCELED / EXPIRED: a fill that happened before the close, reported late

    # --- rules --------------------------------------------------------------------------------
    @rule(
        qty=st.integers(1, 20),
        symbol=st.sampled_from(["AAPL", "MSFT"]),
        strategy=st.sampled_from(["s1", "s2"]),
    )
    def create(self, qty, symbol, strategy):
        self.n += 1
        oid = f"{strategy}-{self.n}"
        self.oms.add(Order(oid, strategy, symbol, Side.BUY, OrderType.LIMIT, qty, limit_ticks=100))
        self.model[oid] = ModelOrder(symbol, strategy, qty)

    @precondition(lambda self: self._with({INIT}))
    @rule(data=st.data())
    def submit(self, data):
        oid = self._pick(data, {INIT})
        self.oms.apply(OrderSubmitted(oid, "SIM", self._t(), self.ts))
        self._move(oid, SUB)

    @precondition(lambda self: self._with({INIT}))
    @rule(data=st.data())
    def deny(self, data):
        oid = self._pick(data, {INIT})
        self.oms.apply(OrderDenied(oid, "RISK", self._t(), self.ts))
        self._move(oid, DENIED)

    @precondition(lambda self: self._with({SUB, ACK, PF, PCAN, PUPD}))
    @rule(data=st.data())
    def accept(self, data):
        oid = self._pick(data, {SUB, ACK, PF, PCAN, PUPD})
        self.oms.apply(OrderAccepted(oid, f"V-{oid}", self._t(), self.ts))
        m = self.model[oid]
        if m.status == SUB:
            self._move(oid, ACK)
        elif m.status in PENDING and m.restore == SUB:
            m.restore = ACK  # a late ack: still pending, but now acknowledged
        # ACCEPTED repeats, PARTIALLY_FILLED keeps its fills, a pending partial stays partial

    @precondition(lambda self: self._with({SUB, ACK, PF, PCAN, PUPD, CANCELED, EXPIRED}, 2))
    @rule(data=st.data())
    def fill_partially(self, data):
        oid = self._pick(data, {SUB, ACK, PF, PCAN, PUPD, CANCELED, EXPIRED}, 2)
        m = self.model[oid]
        self._fill(oid, data.draw(st.integers(1, m.quantity - m.filled - 1), label="qty"))

    @precondition(lambda self: self._with({SUB, ACK, PF, PCAN, PUPD, CANCELED, EXPIRED}, 1))
    @rule(data=st.data())
    def fill(self, data):
        oid = self._pick(data, {SUB, ACK, PF, PCAN, PUPD, CANCELED, EXPIRED}, 1)
        m = self.model[oid]
        self._fill(oid, m.quantity - m.filled)

    @precondition(lambda self: self._with({SUB, ACK, PF, PCAN, PUPD}))
    @rule(data=st.data())
    def cancel_request(self, data):
        oid = self._pick(data, {SUB, ACK, PF, PCAN, PUPD})
        self.oms.apply(OrderPendingCancel(oid, self._t(), self.ts))
        self._move(oid, PCAN)

    @precondition(lambda self: self._with({INIT, SUB, ACK, PF, PCAN, PUPD, CANCELED}))
    @rule(data=st.data())
    def cancel(self, data):
        oid = self._pick(data, {INIT, SUB, ACK, PF, PCAN, PUPD, CANCELED})
        self.oms.apply(OrderCanceled(oid, self._t(), self.ts))
        self._move(oid, CANCELED)

    @precondition(lambda self: self._with({PCAN, ACK, PF, FILLED, CANCELED, EXPIRED}))
    @rule(data=st.data())
    def cancel_reject(self, data):
        oid = self._pick(data, {PCAN, ACK, PF, FILLED, CANCELED, EXPIRED})
        self.oms.apply(OrderCancelRejected(oid, "TOO_LATE", self._t(), self.ts))
        m = self.model[oid]
        if m.status == PCAN:
            self._move(oid, m.restore)
        # otherwise a stale answer (a second cancel, or too late): nothing changes

    @precondition(lambda self: self._with({SUB, ACK, PF, PUPD}))
    @rule(data=st.data())
    def modify_request(self, data):
        oid = self._pick(data, {SUB, ACK, PF, PUPD})
        self.oms.apply(OrderPendingUpdate(oid, self._t(), self.ts))
        self._move(oid, PUPD)

    @precondition(lambda self: self._with({PUPD, ACK, PF, PCAN}))
    @rule(data=st.data(), extra=st.integers(1, 15))
    def modified(self, data, extra):
        oid = self._pick(data, {PUPD, ACK, PF, PCAN})
        m = self.model[oid]
        qty = m.filled + extra
        self.oms.apply(OrderModified(oid, qty, 101, None, self._t(), self.ts))
        m.quantity = qty
        if m.status == PUPD:
            self._move(oid, m.restore)

    @precondition(lambda self: self._with({PUPD, PCAN, ACK, PF, FILLED, CANCELED, EXPIRED}))
    @rule(data=st.data())
    def modify_reject(self, data):
        oid = self._pick(data, {PUPD, PCAN, ACK, PF, FILLED, CANCELED, EXPIRED})
        self.oms.apply(OrderModifyRejected(oid, "NO", self._t(), self.ts))
        m = self.model[oid]
        if m.status == PUPD:
            self._move(oid, m.restore)

    @precondition(lambda self: self._with({INIT, SUB, ACK, PF, PCAN, PUPD}))
    @rule(data=st.data())
    def expire(self, data):
        oid = self._pick(data, {INIT, SUB, ACK, PF, PCAN, PUPD})
        self.oms.apply(OrderExpired(oid, self._t(), self.ts))
        self._move(oid, EXPIRED)

    @precondition(lambda self: self._with({SUB, ACK, PCAN, PUPD}, 0))
    @rule(data=st.data())
    def reject(self, data):
        oid = self._pick(data, {SUB, ACK, PCAN, PUPD})
        if self.model[oid].filled:
            return  # a venue does not reject an order that has traded
        self.oms.apply(OrderRejected(oid, "NO", self._t(), self.ts))
        self._move(oid, REJECTED)

    @precondition(lambda self: self.fills)
    @rule(data=st.data())
    def duplicate_fill(self, data):
        event = data.draw(st.sampled_from(self.fills), label="replayed fill")
        order = self.oms.orders[event.client_order_id]
        before = (order.status, order.filled_lots, order.fill_cost, order.event_count)
        self.oms.apply(event)
        self.duplicates += 1
        assert (order.status, order.filled_lots, order.fill_cost, order.event_count) == before

    @precondition(lambda self: self._with({FILLED, REJECTED, DENIED}))
    @rule(data=st.data())
    def event_on_closed_order_is_refused(self, data):
        oid = self._pick(data, {FILLED, REJECTED, DENIED})
        order = self.oms.orders[oid]
        before = (order.status, order.event_count, order.ts_last)
        with pytest.raises(InvalidTransition):
            self.oms.apply(OrderSubmitted(oid, "SIM", self._t(), self.ts))
        assert (order.status, order.event_count, order.ts_last) == before

    # --- invariants ---------------------------------------------------------------------------
    @invariant()
    def manager_invariants_hold(self):
        self.oms._check()

    @invariant()
    def orders_match_model(self):
        for oid, m in self.model.items():
            o = self.oms.orders[oid]
            assert (o.status, o.filled_lots, o.quantity) == (m.status, m.filled, m.quantity), oid
        assert self.oms.duplicate_fills == self.duplicates

    @invariant()
    def open_indexes_match_model_in_order(self):
        assert [o.client_order_id for o in self.oms.open_orders()] == self.opened
        for symbol in ("AAPL", "MSFT"):
            want = [i for i in self.opened if self.model[i].symbol == symbol]
            assert [o.client_order_id for o in self.oms.open_orders(symbol=symbol)] == want
        for strategy in ("s1", "s2"):
            want = [i for i in self.opened if self.model[i].strategy == strategy]
            got = self.oms.open_orders(strategy_id=strategy)
            assert [o.client_order_id for o in got] == want


TestOrderLifecycle = OrderLifecycle.TestCase
