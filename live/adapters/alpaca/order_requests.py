"""Order requests, kernel -> Alpaca: the ``POST /v2/orders`` body of a simple order
(``order_request``), of Alpaca's bracket / oto / oco classes (``bracket_request``) and the
``PATCH /v2/orders/{id}`` body of a replace (``replace_request``). ``Unsupported`` names what
Alpaca lacks. Pure.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kernel.enums import OrderType, Side, TimeInForce
from kernel.orders import Order
from kernel.units import Instrument
from live.adapters.alpaca.errors import Unsupported
from live.adapters.alpaca.wire import (
    MAX_CLIENT_ORDER_ID,
    SIDE_NAMES,
    TIF_NAMES,
    TYPE_NAMES,
    decimal_text,
    price_text,
    qty_text,
)


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
