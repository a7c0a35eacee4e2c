"""ib_async's order events -> kernel events, in the order TWS sent them, plus follow-ups.

``OrderStream`` takes what the library reports about orders, each call synchronous and pure of
I/O, and appends to ``out`` the kernel events (and ``VenueNotice`` s) to deliver, in order, and
to ``actions`` what the adapter must do about it (send something again, look an order up,
reconcile). Which order an event is about: ``orderRef`` (the kernel's id) when the kernel knows
it, else the ``orderId`` / ``permId`` the adapter placed. Events of orders that are not the
kernel's are ignored.

- ``on_status`` (``orderStatusEvent``, also after ``openOrder``): ``order_events``' table; a
  status that repeats the last ``(status, filled)`` is dropped; one set by the library from an
  error is left to ``on_error``. IB counting more filled than the fills seen (an execution the
  socket lost) asks for a reconciliation (``reqExecutions`` finds it).
- ``on_execution`` / ``on_commission``: ``fills.FillAssembler`` (a fill waits for its commission).
- ``on_error``: ``errors``' table, with what is pending for the order (a cancel, a modify, an
  unanswered placement) deciding between the cancel, modify and order readings of a code.
- A modify is confirmed (``OrderModified`` with the kernel's values) by the first ``openOrder`` or
  status after it was sent that shows the new quantity, limit and trigger (a trailing stop's new
  stop level is not echoed by the library: any answer confirms it), unless an error refused it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kernel.events import (
    OrderCanceled,
    OrderCancelRejected,
    OrderModified,
    OrderModifyRejected,
    OrderRejected,
    VenueNotice,
)
from kernel.units import Instrument
from live.adapters.ibkr import errors
from live.adapters.ibkr.fills import FillAssembler, commission_units, fill_event
from live.adapters.ibkr.order_events import from_error, status_events
from live.adapters.ibkr.tracking import OrderBook
from live.adapters.ibkr.wire import lots, number

LOOKUP, CANCEL_AGAIN, MODIFY_AGAIN = "lookup", "cancel_again", "modify_again"
RECONCILE, RESUBSCRIBE = "reconcile", "resubscribe"
TERMINAL = (OrderCanceled, OrderRejected)
_MODIFY_ANSWERS = frozenset({errors.MODIFY_REJECTED, errors.PRICE_OFF_TICK, errors.CANCEL_REJECTED})
_SILENT = frozenset({"PendingSubmit", "ApiPending", "PendingCancel", "ValidationError"})


@dataclass(slots=True)
class Action:
    """Something the adapter must do: ``kind`` (the names above), about ``coid`` or ``req_id``."""

    kind: str
    coid: str | None = None
    req_id: int = -1


class OrderStream:
    """See the module docstring. ``known_filled(coid)``: the lots the kernel has booked;
    ``instrument_of(symbol)``; ``wall()`` the time in ns, ``mono()`` monotonic seconds."""

    def __init__(
        self,
        venue: str,
        book: OrderBook,
        assembler: FillAssembler,
        is_ours: Callable[[str], bool],
        known_filled: Callable[[str], int],
        instrument_of: Callable[[str], Instrument | None],
        symbol_of: Callable[[Any], str],
        wall: Callable[[], int],
        mono: Callable[[], float],
    ) -> None:
        self.venue = venue
        self.book = book
        self.assembler = assembler
        self.is_ours = is_ours
        self.known_filled = known_filled
        self.instrument_of = instrument_of
        self.symbol_of = symbol_of
        self.wall = wall
        self.mono = mono
        self.out: list[Any] = []
        self.actions: list[Action] = []
        self.seen_lots: dict[str, int] = {}  # lots of the executions seen live, per order

    def coid_of(self, trade: Any) -> str | None:
        """The kernel's id of the order ``trade`` is about (None: not the kernel's)."""
        ref = trade.order.orderRef
        if ref and self.is_ours(ref):
            return str(ref)
        coid = self.book.coid_of_order_id(trade.order.orderId) if trade.order.orderId else None
        if coid is None:
            perm = trade.orderStatus.permId or trade.order.permId
            coid = self.book.by_perm_id.get(perm) if perm else None
        return coid

    def _deliver(self, coid: str, events: list[Any]) -> None:
        for ev in events:
            if isinstance(ev, TERMINAL):
                self.book.forget(coid)
                self.out.extend(self.assembler.terminal(coid, ev))
            else:
                self.out.append(ev)

    def notice(self, code: str, detail: str) -> None:
        now = self.wall()
        self.out.append(VenueNotice(self.venue, code, detail, now, now))

    # --- order status ---------------------------------------------------------------------------
    def on_open_order(self, trade: Any) -> None:
        coid = self.coid_of(trade)
        if coid is not None:
            self.book.answered(coid, trade.order.permId)
            self._confirm_modify(coid, trade)

    def on_status(self, trade: Any) -> None:
        coid = self.coid_of(trade)
        st = trade.orderStatus
        if coid is None or from_error(trade) or st.status in _SILENT:
            return  # why: not IB's word (the library's own marks, or a cancel it just sent)
        self.book.answered(coid, st.permId)
        self._confirm_modify(coid, trade)
        key = (st.status, float(st.filled or 0))
        previous = self.book.status.get(coid)
        if previous == key:
            return
        self.book.status[coid] = key
        if st.status == "Filled":
            self.book.forget(coid)
        now = self.wall()
        self._deliver(
            coid,
            status_events(trade, coid, previous[0] if previous else None,
                          self.book.reasons.get(coid), now, now),
        )  # fmt: skip
        self._check_fill_gap(coid, trade)

    def _check_fill_gap(self, coid: str, trade: Any) -> None:
        inst = self.instrument_of(self.symbol_of(trade.contract))
        filled = number(trade.orderStatus.filled)
        if inst is None or not filled:
            return
        ib_lots = lots(inst, filled, "filled")
        if ib_lots > max(self.known_filled(coid), self.seen_lots.get(coid, 0)):
            self.actions.append(Action(RECONCILE, coid))

    def _confirm_modify(self, coid: str, trade: Any) -> None:
        m = self.book.modifies.get(coid)
        if m is None or m.sent_at is None:
            return
        order = trade.order
        qty, lmt, stop = m.ib
        if (qty is not None and number(order.totalQuantity) != number(qty)) or (
            lmt is not None and number(order.lmtPrice) != number(lmt)
        ):
            return
        if (
            stop is not None
            and order.orderType != "TRAIL"
            and number(order.auxPrice) != number(stop)
        ):
            return
        del self.book.modifies[coid]
        placement = self.book.placements.get(coid)
        if placement is not None:
            placement.order = m.order
        now = self.wall()
        self.out.append(OrderModified(coid, *m.kernel, now, now))

    # --- executions -----------------------------------------------------------------------------
    def on_execution(self, trade: Any, fill: Any) -> None:
        coid = self.coid_of(trade)
        ref = fill.execution.orderRef
        if coid is None and ref and self.is_ours(ref):
            coid = str(ref)
        inst = self.instrument_of(self.symbol_of(fill.contract))
        if coid is None or inst is None:
            return
        self.seen_lots[coid] = self.seen_lots.get(coid, 0) + lots(inst, fill.execution.shares)
        ts_init = self.wall()

        def build(commission: int) -> Any:
            return fill_event(fill, coid, inst, commission, ts_init)

        self.out.extend(self.assembler.add(fill.execution.execId, coid, build, self.mono()))

    def on_commission(self, trade: Any, fill: Any, report: Any) -> None:
        self.out.extend(self.assembler.commission(report.execId, commission_units(report)))

    def expire(self) -> None:
        """Book the fills whose commission is overdue."""
        self.out.extend(self.assembler.expire(self.mono()))

    # --- errors ---------------------------------------------------------------------------------
    def on_error(self, req_id: int, code: int, text: str) -> None:
        kind = errors.classify(code)
        if kind in errors.CONNECTIVITY or req_id < 0:
            if kind is None and req_id < 0:
                self.notice("IB_ERROR", errors.reason(code, text))
            return
        coid = self.book.coid_of_order_id(req_id)
        if coid is None:
            if kind == errors.PACING:
                self.actions.append(Action(RESUBSCRIBE, req_id=req_id))
            return
        book = self.book
        placement = book.placements.get(coid)
        acked = coid in book.status  # IB has shown the order (a status about it)
        if kind == errors.PACING:
            if placement is not None and placement.sent_at is not None and not acked:
                # why: the refused message is the placement, or a cancel or modify right after
                # it: find the order by orderRef before placing it again
                self.actions.append(Action(LOOKUP, coid))
            if coid in book.cancels:
                self.actions.append(Action(CANCEL_AGAIN, coid))
            if coid in book.modifies:
                self.actions.append(Action(MODIFY_AGAIN, coid))
            return
        reason = errors.reason(code, text)
        if kind == errors.INFO:
            self.notice("IB_WARNING", f"{coid}: {reason}")
            return
        book.answered(coid)
        book.reasons[coid] = reason
        now = self.wall()
        if kind == errors.DUPLICATE_ID:
            self.actions.append(Action(LOOKUP, coid))
        elif kind == errors.CANCELED:
            self._deliver(coid, [OrderCanceled(coid, now, now)])
        elif kind == errors.CANCEL_REJECTED:
            self._cancel_refused(coid, acked, reason, now)
        elif coid in book.modifies and (
            kind in _MODIFY_ANSWERS or (kind == errors.REJECTED and acked)
        ):
            # why: 104/105/110 -- or a 201 -- about a live order being modified refuse the
            # change, not the order
            del book.modifies[coid]
            self.out.append(OrderModifyRejected(coid, reason, now, now))
        elif kind == errors.REJECTED or not acked:
            self._deliver(coid, [OrderRejected(coid, reason, now, now)])
        else:
            self.notice("IB_ORDER_ERROR", f"{coid}: {reason}")

    def _cancel_refused(self, coid: str, acked: bool, reason: str, now: int) -> None:
        """10147/10148/10149/161/135: a cancel (or a modify) IB could not apply."""
        book = self.book
        if coid in book.cancels:
            if not acked:
                # why: IB has not shown the order yet (its placement was lost or refused and is
                # being redone): the cancel waits and goes once IB shows the order
                book.cancels[coid] = None
                return
            del book.cancels[coid]
            self.out.append(OrderCancelRejected(coid, reason, now, now))
        elif coid in book.modifies:
            del book.modifies[coid]
            self.out.append(OrderModifyRejected(coid, reason, now, now))
        else:
            self.notice("IB_ORDER_ERROR", f"{coid}: {reason}")
