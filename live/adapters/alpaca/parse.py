"""Alpaca JSON <-> kernel: order requests out; trade updates, orders, positions, data in. Pure.

No I/O and no clock: every function maps one message, with the instrument (for exact ticks and
lots) and the id mapping given by the caller. Prices and quantities travel as decimal strings
made exactly from ticks and lots; everything read back must land on the instrument's grid, or
``MalformedMessage`` names the field (nothing is rounded). Shapes follow alpaca-py 0.44
(``alpaca.trading.models.Order`` / ``TradeUpdate`` / ``Position`` / ``TradeAccount`` /
``Clock``, ``alpaca.data.models``) and Alpaca's streaming docs.

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

Reconciliation: ``parse_order`` (-> ``OrderSnapshot``), ``order_state_events`` (the events that
bring a kernel order to a snapshot's state), ``parse_fill_activity`` (fills since the last one
known), ``parse_position``, ``parse_account``, ``parse_clock``. Market data: ``parse_quote``,
``parse_trade``, ``parse_bar``, ``parse_market_data`` (a whole data-stream frame).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from kernel.enums import Liquidity, OrderStatus, OrderType, Side, TimeInForce
from kernel.events import (
    Bar,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderModifyRejected,
    OrderRejected,
    QuoteTick,
    TradeTick,
)
from kernel.orders import Order
from kernel.reconcile import OrderStatusReport
from kernel.units import Instrument, UnitError, money_to_units, to_decimal
from live.adapters.alpaca.errors import MalformedMessage, Unsupported

MINUTE_NS = 60_000_000_000
DAY_NS = 86_400_000_000_000
MAX_CLIENT_ORDER_ID = 128

InstrumentOf = Callable[[str], Instrument | None]
ClientIdOf = Callable[[str], str | None]

SIDE_NAMES = {Side.BUY: "buy", Side.SELL: "sell"}
SIDE_BY_NAME = {"buy": Side.BUY, "sell": Side.SELL}
TYPE_NAMES = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "stop",
    OrderType.STOP_LIMIT: "stop_limit",
    OrderType.TRAILING_STOP: "trailing_stop",
}
TIF_NAMES = {
    TimeInForce.DAY: "day",
    TimeInForce.GTC: "gtc",
    TimeInForce.OPG: "opg",
    TimeInForce.CLS: "cls",
    TimeInForce.IOC: "ioc",
    TimeInForce.FOK: "fok",
}

# --- time ---------------------------------------------------------------------------------------
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_timestamp(value: Any, field: str = "timestamp") -> int:
    """An RFC3339 string (any offset, up to 9 fraction digits) or a msgpack Timestamp -> int ns."""
    if isinstance(value, str):
        m = _RFC3339.match(value)
        if m is None:
            raise MalformedMessage(field, f"{value!r} is not an RFC3339 timestamp")
        y, mo, d, h, mi, s, frac, zone = m.groups()
        try:
            datetime(int(y), int(mo), int(d), int(h), int(mi), int(s))
        except ValueError:
            raise MalformedMessage(field, f"{value!r} is not a valid date and time") from None
        if frac and len(frac) > 9:
            if frac[9:].strip("0"):
                raise MalformedMessage(field, f"{value!r} is finer than a nanosecond")
            frac = frac[:9]
        secs = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s)))
        if zone not in ("Z", "z"):
            sign = 1 if zone[0] == "+" else -1
            secs -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
        return secs * 1_000_000_000 + (int(frac.ljust(9, "0")) if frac else 0)
    to_unix_nano = getattr(value, "to_unix_nano", None)  # why: msgpack.Timestamp, no import
    if callable(to_unix_nano):
        return int(to_unix_nano())
    raise MalformedMessage(field, f"{value!r} is not a timestamp")


def _ts_or_none(value: Any, field: str) -> int | None:
    return None if value is None else parse_timestamp(value, field)


# --- numbers ------------------------------------------------------------------------------------
def decimal_text(value: Decimal) -> str:
    """A Decimal as plain decimal text (never exponent notation: Alpaca reads "1E-7" badly)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def price_text(instrument: Instrument, ticks: int) -> str:
    """Int ticks as Alpaca's exact decimal price string."""
    return decimal_text(instrument.ticks_to_price(ticks))


def qty_text(instrument: Instrument, lots: int) -> str:
    """Int lots as Alpaca's exact decimal quantity string."""
    return decimal_text(instrument.lots_to_qty(lots))


def _ticks(instrument: Instrument, value: Any, field: str) -> int:
    try:
        return instrument.price_to_ticks(value, field)
    except UnitError as exc:
        raise MalformedMessage(field, str(exc)) from None


def _lots(instrument: Instrument, value: Any, field: str) -> int:
    try:
        return instrument.qty_to_lots(value, field)
    except UnitError as exc:
        raise MalformedMessage(field, str(exc)) from None


def _opt_ticks(instrument: Instrument, value: Any, field: str) -> int | None:
    return None if value is None else _ticks(instrument, value, field)


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return to_decimal(value, field)
    except UnitError as exc:
        raise MalformedMessage(field, str(exc)) from None


# --- requests (kernel -> Alpaca) ------------------------------------------------------------------
def _check_supported(order: Order, client_order_id: str) -> None:
    if order.order_type not in TYPE_NAMES:
        raise Unsupported("type", f"{order.order_type.name} orders (emulate them locally)")
    if order.time_in_force not in TIF_NAMES:
        raise Unsupported("time_in_force", f"{order.time_in_force.name} (no expire_at)")
    if order.post_only:
        raise Unsupported("post_only", "Alpaca has no post-only flag")
    if order.display_lots is not None:
        raise Unsupported("display_qty", "Alpaca has no iceberg / display quantity")
    if order.reduce_only:
        raise Unsupported("reduce_only", "Alpaca has no reduce-only flag")
    if not client_order_id or len(client_order_id) > MAX_CLIENT_ORDER_ID:
        raise Unsupported("client_order_id", f"must be 1 to {MAX_CLIENT_ORDER_ID} characters")


def order_request(
    order: Order, instrument: Instrument, client_order_id: str, *, extended_hours: bool = False
) -> dict[str, Any]:
    """Build the ``POST /v2/orders`` body of a simple order (market, limit, stop, stop_limit,
    trailing_stop; day/gtc/opg/cls/ioc/fok). Raise ``Unsupported`` for what Alpaca lacks.

    The kernel's contingency links are not sent (the kernel emulates them); use
    ``bracket_request`` for Alpaca's own bracket / oco / oto classes.
    """
    assert order.symbol == instrument.symbol, (order.symbol, instrument.symbol)
    _check_supported(order, client_order_id)
    body: dict[str, Any] = {
        "symbol": instrument.symbol,
        "qty": qty_text(instrument, order.quantity),
        "side": SIDE_NAMES[order.side],
        "type": TYPE_NAMES[order.order_type],
        "time_in_force": TIF_NAMES[order.time_in_force],
        "client_order_id": client_order_id,
    }
    otype = order.order_type
    if order.limit_ticks is not None:
        body["limit_price"] = price_text(instrument, order.limit_ticks)
    if otype in (OrderType.STOP, OrderType.STOP_LIMIT):
        body["stop_price"] = price_text(instrument, order.stop_ticks)  # type: ignore[arg-type]
    elif otype == OrderType.TRAILING_STOP:
        if order.trail_ticks is not None:
            body["trail_price"] = price_text(instrument, order.trail_ticks)
        else:
            body["trail_percent"] = decimal_text(Decimal(order.trail_ppm).scaleb(-4))  # type: ignore[arg-type]
    if extended_hours:
        body["extended_hours"] = True
    return body


def _leg_check(leg: Order, side: Side, qty: int, field: str, types: tuple[OrderType, ...]) -> None:
    if leg.order_type not in types:
        raise Unsupported(field, f"must be {' or '.join(t.name for t in types)}")
    if leg.side != side:
        raise Unsupported(f"{field}.side", f"must be {side.name}")
    if leg.quantity != qty:
        raise Unsupported(f"{field}.qty", "must equal the order's quantity")


def bracket_request(
    entry: Order | None,
    take_profit: Order | None,
    stop_loss: Order | None,
    instrument: Instrument,
    client_order_id: str,
    *,
    extended_hours: bool = False,
) -> dict[str, Any]:
    """Build an Alpaca order-class body: ``bracket`` (entry + both legs), ``oto`` (entry + one
    leg) or ``oco`` (``entry=None``: the take-profit limit and the stop-loss, one cancels other).

    ``take_profit`` is a LIMIT order and ``stop_loss`` a STOP or STOP_LIMIT order on the exit side
    with the entry's quantity; only their prices are sent (Alpaca names the legs itself).
    """
    legs: dict[str, Any] = {}
    if entry is None:
        if take_profit is None or stop_loss is None:
            raise Unsupported("order_class", "oco needs both take_profit and stop_loss")
        _leg_check(stop_loss, take_profit.side, take_profit.quantity, "stop_loss", _SL_TYPES)
        base = take_profit
        body = order_request(take_profit, instrument, client_order_id)
        del body["limit_price"]  # why: oco carries its limit in take_profit, as alpaca-py sends it
        order_class = "oco"
    else:
        if take_profit is None and stop_loss is None:
            raise Unsupported("order_class", "a bracket or oto needs a take_profit or stop_loss")
        base = entry
        body = order_request(entry, instrument, client_order_id, extended_hours=extended_hours)
        exit_side = Side(-entry.side)
        if take_profit is not None:
            _leg_check(take_profit, exit_side, entry.quantity, "take_profit", (OrderType.LIMIT,))
        if stop_loss is not None:
            _leg_check(stop_loss, exit_side, entry.quantity, "stop_loss", _SL_TYPES)
        order_class = "bracket" if take_profit is not None and stop_loss is not None else "oto"
    assert base.symbol == instrument.symbol
    if take_profit is not None:
        legs["take_profit"] = {"limit_price": price_text(instrument, take_profit.limit_ticks)}  # type: ignore[arg-type]
    if stop_loss is not None:
        sl = {"stop_price": price_text(instrument, stop_loss.stop_ticks)}  # type: ignore[arg-type]
        if stop_loss.order_type == OrderType.STOP_LIMIT:
            sl["limit_price"] = price_text(instrument, stop_loss.limit_ticks)  # type: ignore[arg-type]
        legs["stop_loss"] = sl
    body["order_class"] = order_class
    body.update(legs)
    return body


_SL_TYPES = (OrderType.STOP, OrderType.STOP_LIMIT)


def replace_request(
    quantity_lots: int | None,
    limit_ticks: int | None,
    stop_ticks: int | None,
    instrument: Instrument,
    client_order_id: str,
    *,
    trail_ticks: int | None = None,
    trail_ppm: int | None = None,
    time_in_force: TimeInForce | None = None,
) -> dict[str, Any]:
    """Build the ``PATCH /v2/orders/{id}`` body; None keeps a value. ``client_order_id`` names
    the replacement order (Alpaca gives it a new order id; ids must be unique)."""
    body: dict[str, Any] = {}
    if quantity_lots is not None:
        body["qty"] = qty_text(instrument, quantity_lots)
    if time_in_force is not None:
        if time_in_force not in TIF_NAMES:
            raise Unsupported("time_in_force", time_in_force.name)
        body["time_in_force"] = TIF_NAMES[time_in_force]
    if limit_ticks is not None:
        body["limit_price"] = price_text(instrument, limit_ticks)
    if stop_ticks is not None:
        body["stop_price"] = price_text(instrument, stop_ticks)
    if trail_ticks is not None:
        body["trail"] = price_text(instrument, trail_ticks)
    elif trail_ppm is not None:
        body["trail"] = decimal_text(Decimal(trail_ppm).scaleb(-4))
    if not body:
        raise ValueError("a replace must change the quantity, a price, the trail or the TIF")
    if not client_order_id or len(client_order_id) > MAX_CLIENT_ORDER_ID:
        raise Unsupported("client_order_id", f"must be 1 to {MAX_CLIENT_ORDER_ID} characters")
    body["client_order_id"] = client_order_id
    return body


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


def _instrument(instrument_of: InstrumentOf, symbol: Any) -> Instrument:
    inst = instrument_of(str(symbol)) if symbol is not None else None
    if inst is None:
        raise MalformedMessage("symbol", f"unknown symbol {symbol!r}")
    return inst


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


@dataclass(slots=True)
class FillActivity:
    """A ``FILL`` account activity (``GET /v2/account/activities/FILL``) in kernel units.

    ``execution_id`` is the part of the activity id after ``::``, the same id the stream's
    ``execution_id`` carries, so a fill recovered here and one seen live are one trade.
    """

    activity_id: str
    execution_id: str
    order_id: str
    symbol: str
    side: int
    price_ticks: int
    qty_lots: int
    cum_lots: int | None
    leaves_lots: int | None
    order_status: str | None
    ts_ns: int


def parse_fill_activity(
    activity: Mapping[str, Any], instrument_of: InstrumentOf
) -> FillActivity | None:
    """A ``FILL`` activity -> ``FillActivity`` (None for other activities and unknown symbols).

    ``qty`` is this execution's quantity (``cum_qty`` is the order's running total).
    """
    if activity.get("activity_type") != "FILL":
        return None
    inst = instrument_of(str(activity.get("symbol")))
    if inst is None:
        return None
    side = SIDE_BY_NAME.get(activity.get("side"))  # type: ignore[arg-type]
    if side is None:
        raise MalformedMessage("side", f"{activity.get('side')!r}")
    activity_id = str(activity.get("id"))
    cum, leaves = activity.get("cum_qty"), activity.get("leaves_qty")
    return FillActivity(
        activity_id=activity_id,
        execution_id=activity_id.rsplit("::", 1)[-1],
        order_id=str(activity.get("order_id")),
        symbol=inst.symbol,
        side=int(side),
        price_ticks=_ticks(inst, activity.get("price"), "price"),
        qty_lots=_lots(inst, activity.get("qty"), "qty"),
        cum_lots=None if cum is None else _lots(inst, cum, "cum_qty"),
        leaves_lots=None if leaves is None else _lots(inst, leaves, "leaves_qty"),
        order_status=activity.get("order_status"),
        ts_ns=parse_timestamp(activity.get("transaction_time"), "transaction_time"),
    )


def parse_position(position: Mapping[str, Any], instrument_of: InstrumentOf) -> tuple[str, int]:
    """An Alpaca position -> ``(symbol, signed qty in lots)`` (short positions negative)."""
    symbol = str(position.get("symbol"))
    inst = _instrument(instrument_of, symbol)
    qty = _decimal(position.get("qty"), "qty")
    if qty is None:
        raise MalformedMessage("qty", "missing")
    lots = _lots(inst, abs(qty), "qty")
    short = position.get("side") == "short" or qty < 0
    return symbol, -lots if short else lots


@dataclass(slots=True)
class AccountSnapshot:
    """The account's money in int money units of its currency (``kernel.units.MONEY_SCALE``)."""

    account_id: str
    account_number: str
    status: str
    currency: str
    cash: int | None
    equity: int | None
    buying_power: int | None
    portfolio_value: int | None
    long_market_value: int | None
    short_market_value: int | None
    trading_blocked: bool
    account_blocked: bool
    pattern_day_trader: bool


def _money(account: Mapping[str, Any], field: str) -> int | None:
    value = account.get(field)
    if value is None or value == "":
        return None
    try:
        return money_to_units(value, field)
    except (UnitError, InvalidOperation) as exc:
        raise MalformedMessage(field, str(exc)) from None


def parse_account(account: Mapping[str, Any]) -> AccountSnapshot:
    """Translate ``GET /v2/account``."""
    return AccountSnapshot(
        account_id=str(account["id"]),
        account_number=str(account.get("account_number", "")),
        status=str(account.get("status", "")),
        currency=str(account.get("currency") or "USD"),
        cash=_money(account, "cash"),
        equity=_money(account, "equity"),
        buying_power=_money(account, "buying_power"),
        portfolio_value=_money(account, "portfolio_value"),
        long_market_value=_money(account, "long_market_value"),
        short_market_value=_money(account, "short_market_value"),
        trading_blocked=bool(account.get("trading_blocked")),
        account_blocked=bool(account.get("account_blocked")),
        pattern_day_trader=bool(account.get("pattern_day_trader")),
    )


@dataclass(slots=True)
class ClockSnapshot:
    """``GET /v2/clock`` in int ns."""

    ts_ns: int
    is_open: bool
    next_open_ns: int
    next_close_ns: int


def parse_clock(clock: Mapping[str, Any]) -> ClockSnapshot:
    """Translate ``GET /v2/clock``."""
    return ClockSnapshot(
        parse_timestamp(clock.get("timestamp"), "timestamp"),
        bool(clock.get("is_open")),
        parse_timestamp(clock.get("next_open"), "next_open"),
        parse_timestamp(clock.get("next_close"), "next_close"),
    )


# --- market data (data v2 stream) ---------------------------------------------------------------
def parse_quote(
    msg: Mapping[str, Any], instrument: Instrument, ts_init: int, *, zero_size_unknown: bool = False
) -> QuoteTick:
    """A ``{"T": "q"}`` message -> ``QuoteTick`` (sizes in lots; with ``zero_size_unknown`` a
    size of 0 becomes None, "unlimited", for feeds that carry no sizes)."""
    bid_lots: int | None = _lots(instrument, msg.get("bs", 0), "bs")
    ask_lots: int | None = _lots(instrument, msg.get("as", 0), "as")
    if zero_size_unknown:
        bid_lots = bid_lots or None
        ask_lots = ask_lots or None
    return QuoteTick(
        instrument.symbol,
        _ticks(instrument, msg.get("bp"), "bp"),
        _ticks(instrument, msg.get("ap"), "ap"),
        bid_lots,
        ask_lots,
        parse_timestamp(msg.get("t"), "t"),
        ts_init,
    )


def parse_trade(msg: Mapping[str, Any], instrument: Instrument, ts_init: int) -> TradeTick:
    """A ``{"T": "t"}`` message -> ``TradeTick`` (Alpaca gives no aggressor: 0)."""
    trade_id = msg.get("i")
    return TradeTick(
        instrument.symbol,
        _ticks(instrument, msg.get("p"), "p"),
        _lots(instrument, msg.get("s"), "s"),
        0,
        None if trade_id is None else str(trade_id),
        parse_timestamp(msg.get("t"), "t"),
        ts_init,
    )


def parse_bar(
    msg: Mapping[str, Any], instrument: Instrument, ts_init: int, interval_ns: int = MINUTE_NS
) -> Bar:
    """A ``{"T": "b"}`` (or ``"d"``) message -> ``Bar``; Alpaca's ``t`` is the bar's open, the
    kernel's ``ts_event`` its close (open + interval)."""
    return Bar(
        instrument.symbol,
        _ticks(instrument, msg.get("o"), "o"),
        _ticks(instrument, msg.get("h"), "h"),
        _ticks(instrument, msg.get("l"), "l"),
        _ticks(instrument, msg.get("c"), "c"),
        _lots(instrument, msg.get("v", 0), "v"),
        interval_ns,
        parse_timestamp(msg.get("t"), "t") + interval_ns,
        ts_init,
    )


def parse_market_data(
    messages: list[Mapping[str, Any]] | Mapping[str, Any],
    instrument_of: InstrumentOf,
    ts_init: int,
    *,
    bar_interval_ns: int = MINUTE_NS,
    zero_size_unknown: bool = False,
) -> list[Any]:
    """Translate a data-stream frame (a list of messages) into kernel market data.

    Quotes, trades, minute bars (``b``) and daily bars (``d``) of known symbols become events;
    control messages (success, subscription, error), updated bars, statuses and symbols the
    caller does not know are skipped.
    """
    out: list[Any] = []
    for msg in [messages] if isinstance(messages, Mapping) else messages:
        kind = msg.get("T")
        if kind not in ("q", "t", "b", "d"):
            continue
        inst = instrument_of(str(msg.get("S")))
        if inst is None:
            continue
        if kind == "q":
            out.append(parse_quote(msg, inst, ts_init, zero_size_unknown=zero_size_unknown))
        elif kind == "t":
            out.append(parse_trade(msg, inst, ts_init))
        else:
            out.append(parse_bar(msg, inst, ts_init, bar_interval_ns if kind == "b" else DAY_NS))
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


def position_report(
    position: Mapping[str, Any], instrument_of: InstrumentOf
) -> tuple[str, int, int] | None:
    """An Alpaca position -> ``(symbol, signed lots, signed cost in ticks x lots)`` (the average
    entry price times the quantity, rounded to whole ticks x lots); None for a symbol the session
    has no instrument for."""
    symbol = str(position.get("symbol"))
    inst = instrument_of(symbol)
    if inst is None:
        return None
    _, lots = parse_position(position, instrument_of)
    avg = _decimal(position.get("avg_entry_price"), "avg_entry_price") or Decimal(0)
    cost = (avg / inst.tick_size * lots).to_integral_value()
    return symbol, lots, int(cost)


def instrument_from_asset(asset: Mapping[str, Any], venue: str | None = None) -> Instrument:
    """``GET /v2/assets/{symbol}`` -> an instrument: tick from ``price_increment`` (else 0.01,
    Alpaca's tick for US equities at or above $1), lot from ``min_trade_increment`` (else 1;
    fractional shares trade in 1e-9 units only when the asset is ``fractionable``), USD."""
    tick = _decimal(asset.get("price_increment"), "price_increment") or Decimal("0.01")
    lot = _decimal(asset.get("min_trade_increment"), "min_trade_increment") or Decimal(1)
    return Instrument(
        str(asset.get("symbol")), tick.normalize(), lot.normalize(), "USD", Decimal(1), venue
    )
