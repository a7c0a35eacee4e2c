"""Alpaca orders for reconciliation: ``parse_order`` (-> ``OrderSnapshot``, legs included),
``order_state_events`` (the kernel events that bring a kernel order to a snapshot's state)
and ``status_report`` (a snapshot as the shared reconciler's ``OrderStatusReport``). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kernel.enums import OrderStatus
from kernel.events import (
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderModified,
    OrderModifyRejected,
    OrderRejected,
)
from kernel.reconcile import OrderStatusReport
from kernel.units import Instrument, UnitError
from live.adapters.alpaca.errors import MalformedMessage
from live.adapters.alpaca.wire import SIDE_BY_NAME, _decimal, _lots, _ts_or_none, parse_timestamp

# --- orders, positions, account, clock (reconciliation) ---------------------------------------------
_OPEN = frozenset(
    {
        "new",
        "partially_filled",
        "done_for_day",
        "accepted",
        "pending_new",
        "accepted_for_bidding",
        "pending_cancel",
        "pending_replace",
        "pending_review",
        "stopped",
        "suspended",
        "calculated",
        "held",
    }
)
_KERNEL_STATUS = {
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
    "pending_cancel": OrderStatus.PENDING_CANCEL,
    "pending_replace": OrderStatus.PENDING_UPDATE,
    "accepted": OrderStatus.SUBMITTED,
    "pending_new": OrderStatus.SUBMITTED,
    "accepted_for_bidding": OrderStatus.SUBMITTED,
    "pending_review": OrderStatus.SUBMITTED,
    "held": OrderStatus.SUBMITTED,
}


@dataclass(slots=True)
class OrderSnapshot:
    """One Alpaca order as reconciliation needs it (``parse_order``).

    ``qty`` / ``filled_qty`` / ``avg_price`` are Alpaca's exact decimals; the ``*_lots`` and
    ``*_ticks`` fields are them in kernel units when an instrument was given (else None; an
    average of several fills is usually off the grid: ``avg_price_ticks`` None). Times int ns.
    """

    alpaca_id: str
    client_order_id: str
    symbol: str
    status: str
    side: int
    order_type: str
    order_class: str
    time_in_force: str
    qty: Decimal | None
    filled_qty: Decimal
    qty_lots: int | None
    filled_lots: int | None
    notional: Decimal | None
    avg_price: Decimal | None
    avg_price_ticks: int | None
    limit_ticks: int | None
    stop_ticks: int | None
    trail_price: Decimal | None
    trail_percent: Decimal | None
    hwm: Decimal | None
    extended_hours: bool
    replaces: str | None
    replaced_by: str | None
    legs: tuple[OrderSnapshot, ...]
    created_ns: int
    updated_ns: int | None
    submitted_ns: int | None
    filled_ns: int | None
    canceled_ns: int | None
    expired_ns: int | None
    failed_ns: int | None
    replaced_ns: int | None

    @property
    def id(self) -> str:
        """Alpaca's order id (``alpaca_id``)."""
        return self.alpaca_id

    @property
    def is_open(self) -> bool:
        """Still able to trade at Alpaca (``replaced`` counts as closed: its successor trades;
        ``calculated`` is open only while something is left: it may be done for the day)."""
        if self.status == "calculated":
            return self.qty is None or self.filled_qty < self.qty
        return self.status in _OPEN

    @property
    def kernel_status(self) -> OrderStatus | None:
        """The kernel status this order is in (None for ``replaced``: see its successor)."""
        if self.status == "replaced":
            return None
        status = _KERNEL_STATUS.get(self.status)
        if status is not None:
            return status
        if self.status == "calculated" and not self.is_open:
            return OrderStatus.FILLED
        return OrderStatus.PARTIALLY_FILLED if self.filled_qty else OrderStatus.ACCEPTED


def _grid_ticks(instrument: Instrument | None, value: Any, field: str, lenient: bool) -> int | None:
    if instrument is None or value is None:
        return None
    try:
        return instrument.price_to_ticks(value, field)
    except UnitError:
        if lenient:  # why: a trailing stop's level and an average are computed, off the grid
            return None
        raise MalformedMessage(field, f"{value!r} is off the grid of {instrument.symbol}") from None


def parse_order(order: Mapping[str, Any], instrument: Instrument | None) -> OrderSnapshot:
    """Translate an Alpaca order object (REST or a trade update's ``order``), legs included.

    With ``instrument`` None only ids, statuses, decimals and times are read (enough to find an
    order); kernel-unit fields are None.
    """
    side = SIDE_BY_NAME.get(order.get("side"))  # type: ignore[arg-type]
    if side is None:
        raise MalformedMessage("side", f"{order.get('side')!r}")
    otype = str(order.get("type") or order.get("order_type"))
    qty = _decimal(order.get("qty"), "qty")
    filled = _decimal(order.get("filled_qty"), "filled_qty") or Decimal(0)
    avg = _decimal(order.get("filled_avg_price"), "filled_avg_price")
    inst = instrument
    return OrderSnapshot(
        alpaca_id=str(order["id"]),
        client_order_id=str(order["client_order_id"]),
        symbol=str(order.get("symbol")),
        status=str(order["status"]),
        side=int(side),
        order_type=otype,
        order_class=str(order.get("order_class") or "simple"),
        time_in_force=str(order.get("time_in_force")),
        qty=qty,
        filled_qty=filled,
        qty_lots=None if inst is None or qty is None else _lots(inst, qty, "qty"),
        filled_lots=None if inst is None else _lots(inst, filled, "filled_qty"),
        notional=_decimal(order.get("notional"), "notional"),
        avg_price=avg,
        avg_price_ticks=_grid_ticks(inst, avg, "filled_avg_price", True),
        limit_ticks=_grid_ticks(inst, order.get("limit_price"), "limit_price", False),
        stop_ticks=_grid_ticks(
            inst, order.get("stop_price"), "stop_price", otype == "trailing_stop"
        ),
        trail_price=_decimal(order.get("trail_price"), "trail_price"),
        trail_percent=_decimal(order.get("trail_percent"), "trail_percent"),
        hwm=_decimal(order.get("hwm"), "hwm"),
        extended_hours=bool(order.get("extended_hours")),
        replaces=order.get("replaces"),
        replaced_by=order.get("replaced_by"),
        legs=tuple(parse_order(leg, instrument) for leg in order.get("legs") or ()),
        created_ns=parse_timestamp(order.get("created_at"), "created_at"),
        updated_ns=_ts_or_none(order.get("updated_at"), "updated_at"),
        submitted_ns=_ts_or_none(order.get("submitted_at"), "submitted_at"),
        filled_ns=_ts_or_none(order.get("filled_at"), "filled_at"),
        canceled_ns=_ts_or_none(order.get("canceled_at"), "canceled_at"),
        expired_ns=_ts_or_none(order.get("expired_at"), "expired_at"),
        failed_ns=_ts_or_none(order.get("failed_at"), "failed_at"),
        replaced_ns=_ts_or_none(order.get("replaced_at"), "replaced_at"),
    )


_ACKED = frozenset(
    {
        "new",
        "partially_filled",
        "filled",
        "done_for_day",
        "canceled",
        "expired",
        "replaced",
        "pending_cancel",
        "pending_replace",
        "stopped",
        "suspended",
        "calculated",
    }
)


def order_state_events(snap: OrderSnapshot, client_order_id: str, ts_init: int) -> list[Any]:
    """The kernel events that bring an order to ``snap``'s state, fills excepted (reconciliation).

    An acknowledged order gives ``OrderAccepted``; a replacement that is still open also
    ``OrderModified`` (its values; needs a snapshot parsed with an instrument); then the terminal
    event of a canceled, expired or rejected order (a rejected replacement: ``OrderModifyRejected``).
    Fills come from ``parse_fill_activity``, never from an order's cumulative fields. The caller
    drops what the kernel already has (acks and terminal events once per order).
    """
    cid = client_order_id
    status = snap.status
    out: list[Any] = []
    if status in _ACKED:
        ts = snap.submitted_ns or snap.created_ns
        out.append(OrderAccepted(cid, snap.alpaca_id, ts, ts_init))
    if snap.replaces and snap.is_open and snap.qty_lots is not None:
        ts = snap.created_ns
        out.append(
            OrderModified(cid, snap.qty_lots, snap.limit_ticks, snap.stop_ticks, ts, ts_init)
        )
    last = snap.updated_ns or snap.created_ns
    if status == "canceled":
        out.append(OrderCanceled(cid, snap.canceled_ns or last, ts_init))
    elif status == "expired":
        out.append(OrderExpired(cid, snap.expired_ns or last, ts_init))
    elif status == "rejected":
        ts = snap.failed_ns or last
        if snap.replaces:
            out.append(OrderModifyRejected(cid, "ALPACA_REPLACEMENT_REJECTED", ts, ts_init))
        else:
            out.append(OrderRejected(cid, "ALPACA_REJECTED", ts, ts_init))
    return out


# --- reports for the shared reconciler (kernel.reconcile) and the instrument provider ----------
_REPORT_STATUS = {
    "filled": "filled",
    "canceled": "canceled",
    "expired": "expired",
    "rejected": "rejected",
    "accepted": "pending",
    "pending_new": "pending",
    "accepted_for_bidding": "pending",
    "pending_review": "pending",
    "held": "pending",
}


def status_report(snap: OrderSnapshot, client_order_id: str) -> OrderStatusReport:
    """An Alpaca order (the current one, a replacement if replaced) as the reconciler's report."""
    status = snap.status
    if status == "calculated":
        kind = "working" if snap.is_open else "filled"
    else:
        kind = _REPORT_STATUS.get(status, "working")
    modified = None
    if snap.replaces and snap.qty_lots is not None:
        modified = (snap.qty_lots, snap.limit_ticks, snap.stop_ticks)
    last = snap.updated_ns or snap.created_ns
    ts = {
        "canceled": snap.canceled_ns,
        "expired": snap.expired_ns,
        "rejected": snap.failed_ns,
        "pending": snap.created_ns,
        "working": snap.submitted_ns or snap.created_ns,
        "filled": snap.filled_ns,
    }.get(kind) or last
    return OrderStatusReport(
        client_order_id,
        snap.alpaca_id,
        kind,
        snap.filled_lots or 0,
        ts,
        "ALPACA_REPLACEMENT_REJECTED" if snap.replaces else "ALPACA_REJECTED",
        modified,
        bool(snap.replaces) and kind == "rejected",
    )
