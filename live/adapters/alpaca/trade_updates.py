"""Trade updates, Alpaca -> kernel: ``parse_trade_update`` (one ``trade_updates`` message to
kernel events) and ``trade_update_notice`` (the informational ones). Pure.

``trade_updates`` events and the kernel events they become (``cid`` is the kernel id the
caller's ``client_id_of`` returns for the order's ``client_order_id``; None = not ours: no
events):

============================  ==================================================================
``new``                       ``OrderAccepted(venue_order_id=order.id)``; for a replacement order
                              (``order.replaces`` set) also ``OrderModified`` with its qty /
                              limit / stop -- the confirmation of a replace (see ``replaced``)
``fill``, ``partial_fill``    ``OrderFilled``: ``trade_id`` = ``execution_id``, price and qty =
                              the event's ``price`` / ``qty`` (this execution, never the order's
                              cumulative fields); the kernel tells partial from complete itself
``canceled``                  ``OrderCanceled``
``expired``                   ``OrderExpired``
``rejected``                  ``OrderRejected``; for a replacement order ``OrderModifyRejected``
                              (Alpaca rejects the new order when the old one filled first: the
                              kernel's order lives on, only the change failed)
``order_replace_rejected``    ``OrderModifyRejected``
``order_cancel_rejected``     ``OrderCancelRejected``
``restated``                  ``OrderModified`` with the order's values (a venue-side change)
``replaced``                  nothing. Alpaca sends it with the OLD order (old qty and price,
                              ``replaced_by`` = the new id), so it cannot carry the new values;
                              the replacement's ``new`` does, and the kernel order keeps one id
``pending_new``, ``accepted`` nothing: the kernel already holds the order as SUBMITTED, and an
                              ``accepted`` order is not yet working (it may still be rejected)
``pending_cancel``,           nothing: the kernel raises its own pending states when it asks
``pending_replace``
``done_for_day``              nothing: the order is paused until the next session, not closed;
                              an ``OrderExpired`` would close it in the kernel while Alpaca can
                              still fill it tomorrow (a GTC order), so we wait for a real event
``stopped``                   nothing: a fill is guaranteed but has not happened; the ``fill``
                              that follows is the event
``suspended``                 nothing: not eligible for trading, but still open at Alpaca
``calculated``                nothing: fills are already reported; settlement is not an event
============================  ==================================================================

The events mapped to nothing are reported by ``trade_update_notice`` (for logs and monitoring).
Assumption: a replacement order's ``qty`` is the new TOTAL quantity (FIX cancel/replace), which
is the kernel's ``OrderModified.quantity_lots``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kernel.enums import Liquidity
from kernel.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderModifyRejected,
    OrderRejected,
)
from kernel.units import Instrument
from live.adapters.alpaca.errors import MalformedMessage
from live.adapters.alpaca.wire import (
    SIDE_BY_NAME,
    ClientIdOf,
    InstrumentOf,
    _instrument,
    _lots,
    _opt_ticks,
    _ticks,
    parse_timestamp,
)


# --- trade updates (Alpaca -> kernel) -------------------------------------------------------------
@dataclass(slots=True)
class TradeUpdateNotice:
    """A ``trade_updates`` event that maps to no kernel event (see the module table)."""

    event: str
    alpaca_id: str
    client_order_id: str
    status: str
    ts_event: int


_SILENT = frozenset(
    {
        "replaced",
        "pending_new",
        "accepted",
        "pending_cancel",
        "pending_replace",
        "done_for_day",
        "stopped",
        "suspended",
        "calculated",
        "held",
    }
)


def _update_data(msg: Mapping[str, Any]) -> Mapping[str, Any]:
    data = msg.get("data") if "stream" in msg else msg
    if msg.get("stream", "trade_updates") != "trade_updates" or not isinstance(data, Mapping):
        raise MalformedMessage("stream", "not a trade_updates message")
    if not isinstance(data.get("order"), Mapping):
        raise MalformedMessage("order", "missing")
    return data


def trade_update_notice(msg: Mapping[str, Any]) -> TradeUpdateNotice | None:
    """The notice for an informational event (one that maps to no kernel event), else None."""
    data = _update_data(msg)
    event = data.get("event")
    if event in _EVENTS:
        return None
    order = data["order"]
    ts = data.get("timestamp") or order.get("updated_at")
    return TradeUpdateNotice(
        str(event),
        str(order.get("id")),
        str(order.get("client_order_id")),
        str(order.get("status")),
        parse_timestamp(ts, "timestamp") if ts is not None else 0,
    )


def parse_trade_update(
    msg: Mapping[str, Any],
    instrument_of: InstrumentOf,
    client_id_of: ClientIdOf,
    *,
    ts_init: int = 0,
) -> list[Any]:
    """Translate one ``trade_updates`` message (wrapped or its ``data``) into kernel events.

    ``client_id_of(alpaca_client_order_id)`` gives the kernel's client order id (None: not our
    order, no events); ``instrument_of(symbol)`` the instrument. ``ts_event`` is the message's
    ``timestamp`` (else the order's ``updated_at``); ``ts_init`` is the caller's receive time.
    """
    data = _update_data(msg)
    handler = _EVENTS.get(data.get("event"))  # type: ignore[arg-type]
    if handler is None:
        return []
    order = data["order"]
    cid = client_id_of(str(order.get("client_order_id")))
    if cid is None:
        return []
    ts_raw = data.get("timestamp") or order.get("updated_at")
    ts = parse_timestamp(ts_raw, "timestamp")
    return handler(data, order, cid, instrument_of, ts, ts_init)


def _modified(order: Mapping[str, Any], cid: str, inst: Instrument, ts: int, ts_init: int):  # type: ignore[no-untyped-def]
    trailing = order.get("type", order.get("order_type")) == "trailing_stop"
    return OrderModified(
        cid,
        _lots(inst, order.get("qty"), "order.qty"),
        _opt_ticks(inst, order.get("limit_price"), "order.limit_price"),
        None if trailing else _opt_ticks(inst, order.get("stop_price"), "order.stop_price"),
        ts,
        ts_init,
    )


def _on_new(data, order, cid, instrument_of, ts, ts_init):  # type: ignore[no-untyped-def]
    out: list[Any] = [OrderAccepted(cid, str(order["id"]), ts, ts_init)]
    if order.get("replaces"):
        out.append(
            _modified(order, cid, _instrument(instrument_of, order.get("symbol")), ts, ts_init)
        )
    return out


def _on_fill(data, order, cid, instrument_of, ts, ts_init):  # type: ignore[no-untyped-def]
    inst = _instrument(instrument_of, order.get("symbol"))
    exec_id = data.get("execution_id")
    if not exec_id:
        raise MalformedMessage("execution_id", "a fill without an execution id")
    side = SIDE_BY_NAME.get(order.get("side"))  # type: ignore[arg-type]
    if side is None:
        raise MalformedMessage("order.side", f"{order.get('side')!r}")
    return [
        OrderFilled(
            cid,
            str(order["id"]),
            str(exec_id),
            inst.symbol,
            int(side),
            _ticks(inst, data.get("price"), "price"),
            _lots(inst, data.get("qty"), "qty"),
            Liquidity.NONE,
            0,  # why: Alpaca equities are commission-free and the event carries no fee
            ts,
            ts_init,
        )
    ]


def _reason(data: Mapping[str, Any], default: str) -> str:
    reason = data.get("reason") or data["order"].get("reject_reason")
    return str(reason) if reason else default


def _on_rejected(data, order, cid, instrument_of, ts, ts_init):  # type: ignore[no-untyped-def]
    if order.get("replaces"):
        return [OrderModifyRejected(cid, _reason(data, "ALPACA_REPLACEMENT_REJECTED"), ts, ts_init)]
    return [OrderRejected(cid, _reason(data, "ALPACA_REJECTED"), ts, ts_init)]


_EVENTS: dict[str, Callable[..., list[Any]]] = {
    "new": _on_new,
    "fill": _on_fill,
    "partial_fill": _on_fill,
    "canceled": lambda d, o, cid, i, ts, ti: [OrderCanceled(cid, ts, ti)],
    "expired": lambda d, o, cid, i, ts, ti: [OrderExpired(cid, ts, ti)],
    "rejected": _on_rejected,
    "order_replace_rejected": lambda d, o, cid, i, ts, ti: [
        OrderModifyRejected(cid, _reason(d, "ALPACA_REPLACE_REJECTED"), ts, ti)
    ],
    "order_cancel_rejected": lambda d, o, cid, i, ts, ti: [
        OrderCancelRejected(cid, _reason(d, "ALPACA_CANCEL_REJECTED"), ts, ti)
    ],
    "restated": lambda d, o, cid, i, ts, ti: [
        _modified(o, cid, _instrument(i, o.get("symbol")), ts, ti)
    ],
}
TRADE_EVENTS = frozenset(_EVENTS) | _SILENT  # every event name this module knows
