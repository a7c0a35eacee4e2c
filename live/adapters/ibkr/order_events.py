"""IB order status -> kernel order events and reconciliation reports. Pure.

TWS reports an order's life as ``orderStatus`` (and ``openOrder``) messages; ib_async keeps them
on a ``Trade`` and emits ``orderStatusEvent`` when one changed something (a repeated status is
not emitted, and the adapter drops one that repeats its last ``(status, filled)`` anyway). The
statuses and the kernel events they become:

================================  ==============================================================
``PendingSubmit``, ``ApiPending`` nothing: sent, not yet at IB (the kernel holds SUBMITTED)
``PreSubmitted``, ``Submitted``   ``OrderAccepted(venue_order_id=permId)``; ``Submitted`` after
                                  ``PreSubmitted`` for a stop, trailing stop, MIT or LIT: also
                                  ``OrderTriggered`` (IB holds those PreSubmitted until then)
``Filled``                        nothing: the executions are the fills (``fills``); the kernel
                                  tells a complete fill from a partial one itself
``Cancelled``, ``ApiCancelled``   ``OrderCanceled`` (an expired DAY/GTD order is Cancelled too)
``Inactive``                      ``OrderRejected`` with the reason of the error that preceded
                                  it (201's text), else ``"IB Inactive"``
``PendingCancel``                 nothing: the kernel raised PENDING_CANCEL when it asked
``ValidationError``               nothing: the library's own mark for a warning about the order
================================  ==============================================================

A status the library set itself from an error message (its log entry carries the error code:
e.g. "Cancelled" after error 201) is not IB's status and maps to nothing here; the error is
translated on its own (``client``). Reconciliation reads the same statuses: ``status_report``.
"""

from __future__ import annotations

from typing import Any

from kernel.events import OrderAccepted, OrderCanceled, OrderRejected, OrderTriggered
from kernel.reconcile import (
    CANCELED,
    FILLED,
    PENDING,
    REJECTED,
    WORKING,
    OrderStatusReport,
)
from kernel.units import Instrument
from live.adapters.ibkr.order_requests import CONDITIONAL
from live.adapters.ibkr.wire import lots, number

VENUE_STATUS = {
    "PendingSubmit": PENDING,
    "ApiPending": PENDING,
    "PreSubmitted": WORKING,
    "Submitted": WORKING,
    "PendingCancel": WORKING,
    "ApiUpdate": WORKING,
    "Filled": FILLED,
    "Cancelled": CANCELED,
    "ApiCancelled": CANCELED,
    "Inactive": REJECTED,
}
ACCEPTED_STATUSES = frozenset({"PreSubmitted", "Submitted"})


def venue_order_id(trade: Any) -> str:
    """The kernel's venue order id for an IB order: its ``permId`` (IB's id for the order, the
    same for every client and session), or ``<clientId>-<orderId>`` before IB gave one."""
    perm = trade.orderStatus.permId or trade.order.permId
    if perm:
        return str(perm)
    return f"{trade.order.clientId}-{trade.order.orderId}"


def from_error(trade: Any) -> bool:
    """True when the trade's last status was set by the library from an error message (not by
    an ``orderStatus`` from TWS)."""
    log = trade.log
    return bool(log) and bool(getattr(log[-1], "errorCode", 0))


def status_events(
    trade: Any, coid: str, previous: str | None, reason: str | None, ts: int, ts_init: int
) -> list[Any]:
    """The kernel events for the trade's current status (``previous``: the last status the
    adapter saw for it; ``reason``: the text of the last error about it)."""
    status = trade.orderStatus.status
    if status in ACCEPTED_STATUSES:
        out: list[Any] = [OrderAccepted(coid, venue_order_id(trade), ts, ts_init)]
        if (
            status == "Submitted"
            and previous == "PreSubmitted"
            and trade.order.orderType in CONDITIONAL
        ):
            out.append(OrderTriggered(coid, ts, ts_init))
        return out
    if status in ("Cancelled", "ApiCancelled"):
        return [OrderCanceled(coid, ts, ts_init)]
    if status == "Inactive":
        return [OrderRejected(coid, reason or "IB Inactive", ts, ts_init)]
    return []


def filled_lots(trade: Any, inst: Instrument | None) -> int:
    """What IB says the order has filled, in lots: the live status's ``filled``, or a completed
    order's ``filledQuantity`` (completedOrder carries no status counts)."""
    if inst is None:
        return 0
    filled = number(trade.orderStatus.filled) or 0
    if not filled:
        filled = number(getattr(trade.order, "filledQuantity", None)) or 0
    return lots(inst, filled, "filled") if filled else 0


def status_report(
    trade: Any,
    coid: str,
    inst: Instrument | None,
    ts: int,
    reason: str = "",
    modified: tuple[int | None, int | None, int | None] | None = None,
) -> OrderStatusReport | None:
    """The reconciliation report of one IB order (None for a status that says nothing)."""
    status = VENUE_STATUS.get(trade.orderStatus.status)
    if status is None:
        return None
    if status == REJECTED and not reason:
        reason = "IB Inactive"
    return OrderStatusReport(
        coid,
        venue_order_id(trade),
        status,
        filled_lots(trade, inst),
        ts,
        reason,
        modified if status == WORKING else None,
    )
