"""Kernel orders -> ccxt ``create_order`` arguments, and the exchange's filters checked first.
Pure.

=====================  ========================================================================
kernel                 Binance spot (through ccxt)
=====================  ========================================================================
MARKET                 ``MARKET`` (no time in force: it takes what it can at once); FOK refused
LIMIT                  ``LIMIT`` with ``timeInForce`` GTC, IOC or FOK
LIMIT, post_only       ``LIMIT_MAKER`` (refused by the exchange when it would take: the
                       kernel sees ``OrderRejected("POST_ONLY_WOULD_TAKE: ...")``); GTC only
STOP, STOP_LIMIT       ``STOP_LOSS`` / ``STOP_LOSS_LIMIT`` (``stopPrice``): a buy triggers at or
                       above the stop, a sell at or below, as the kernel's stops do
MIT, LIT               ``TAKE_PROFIT`` / ``TAKE_PROFIT_LIMIT`` (``stopPrice``)
DAY, GTD               sent GTC; the adapter cancels the order at its end (the next 00:00 UTC,
                       ``expire_ns``) and reports it expired (``CcxtConfig.day_expiry``)
=====================  ========================================================================

Refused before anything is sent (``Unsupported``): a type the market does not list
(``orderTypes``), trailing stops, OPG / CLS, reduce-only, iceberg (display quantity), a client
order id Binance would refuse (``^[.A-Z:/a-z0-9_-]{1,36}$``). ``LocalReject`` (the exchange's
filters, checked here so the exchange never sees the order): a quantity under the minimum
(``BELOW_MIN_QTY``) or off the exchange's step (``OFF_LOT_SIZE``), a price off its tick
(``OFF_PRICE_FILTER``), a notional under the minimum (``BELOW_MIN_NOTIONAL``: at the limit
price, or for a market order at ``ref_price`` when one is known).

Always: ``clientOrderId`` = the kernel's client order id (ccxt sends it as
``newClientOrderId``: the idempotency key), amounts and prices as floats of the exact decimals
(their repr is the decimal text ccxt sends).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kernel.enums import OrderType, Side, TimeInForce
from kernel.units import Instrument
from live.adapters.ccxt.errors import LocalReject, Unsupported
from live.adapters.ccxt.parse import MarketSpec, text

CLIENT_ID = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")  # Binance's newClientOrderId
SIDES = {Side.BUY: "buy", Side.SELL: "sell"}
RAW_TYPES = {
    OrderType.MARKET: "MARKET",
    OrderType.LIMIT: "LIMIT",
    OrderType.STOP: "STOP_LOSS",
    OrderType.STOP_LIMIT: "STOP_LOSS_LIMIT",
    OrderType.MIT: "TAKE_PROFIT",
    OrderType.LIT: "TAKE_PROFIT_LIMIT",
}
TIFS = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK"}
EXPIRING = (TimeInForce.DAY, TimeInForce.GTD)  # sent GTC, canceled by the adapter at their end
WITH_TIF = frozenset({"LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})


@dataclass(slots=True)
class CcxtOrder:
    """``exchange.create_order(symbol, type, side, amount, price, params)``'s arguments, and
    ``raw_type``: the exchange's own name of the order type."""

    symbol: str
    type: str
    side: str
    amount: float
    price: float | None
    params: dict[str, Any] = field(default_factory=dict)
    raw_type: str = ""


def raw_type(order: Any) -> str:
    if order.order_type not in RAW_TYPES:
        raise Unsupported("type", f"{order.order_type.name} orders")
    if order.order_type == OrderType.LIMIT and order.post_only:
        return "LIMIT_MAKER"
    return RAW_TYPES[order.order_type]


def _check(order: Any, spec: MarketSpec, name: str, client_order_id: str, day_expiry: bool) -> None:
    ex = spec.exchange or "the exchange"
    if spec.order_types and name not in spec.order_types:
        raise Unsupported(
            "type",
            f"{ex} {spec.ccxt_symbol} takes {', '.join(sorted(spec.order_types))}, not {name}",
        )
    tif = order.time_in_force
    if tif in EXPIRING:
        if not day_expiry:
            raise Unsupported("time_in_force", f"{tif.name} ({ex} spot has GTC, IOC and FOK)")
    elif tif not in TIFS:
        raise Unsupported("time_in_force", f"{tif.name} ({ex} spot has GTC, IOC and FOK)")
    if order.order_type == OrderType.MARKET and tif == TimeInForce.FOK:
        raise Unsupported("time_in_force", "FOK market orders (a market order takes what it can)")
    if name == "LIMIT_MAKER" and tif not in (TimeInForce.GTC, *EXPIRING):
        raise Unsupported("time_in_force", f"{tif.name} with post-only (a maker order rests)")
    if order.reduce_only:
        raise Unsupported("reduce_only", f"{ex} spot has no reduce-only flag")
    if order.display_lots is not None:
        raise Unsupported("display_qty", "iceberg orders are not mapped")
    if not CLIENT_ID.match(client_order_id):
        raise Unsupported(
            "client_order_id", f"{client_order_id!r} must match {CLIENT_ID.pattern} at {ex}"
        )


def _on_grid(value: Decimal, grid: Decimal) -> bool:
    return value % grid == 0


def check_filters(
    order: Any, inst: Instrument, spec: MarketSpec, ref_price: Decimal | None
) -> None:
    """The exchange's filters (``LocalReject`` naming the one that fails)."""
    ex = spec.exchange or "exchange"
    sym = spec.ccxt_symbol
    qty = inst.lots_to_qty(order.quantity)
    if not _on_grid(qty, spec.step):
        raise LocalReject(
            f"OFF_LOT_SIZE: {text(qty)} {spec.base} is not a multiple of {text(spec.step)} "
            f"({ex} LOT_SIZE filter for {sym})"
        )
    if spec.min_qty is not None and qty < spec.min_qty:
        raise LocalReject(
            f"BELOW_MIN_QTY: {text(qty)} {spec.base} < {text(spec.min_qty)} {spec.base} "
            f"({ex} LOT_SIZE filter for {sym})"
        )
    for ticks_, what in ((order.limit_ticks, "price"), (order.stop_ticks, "stop price")):
        if ticks_ is not None and not _on_grid(inst.ticks_to_price(ticks_), spec.tick):
            raise LocalReject(
                f"OFF_PRICE_FILTER: {what} {text(inst.ticks_to_price(ticks_))} is not a multiple "
                f"of {text(spec.tick)} ({ex} PRICE_FILTER for {sym})"
            )
    if spec.min_notional is None:
        return
    price = inst.ticks_to_price(order.limit_ticks) if order.limit_ticks is not None else None
    if price is None:
        if not spec.min_notional_market:
            return
        price = inst.ticks_to_price(order.stop_ticks) if order.stop_ticks is not None else ref_price
    if price is None or price <= 0:
        return  # why: no price to value it at; the exchange checks it
    notional = qty * price
    if notional < spec.min_notional:
        raise LocalReject(
            f"BELOW_MIN_NOTIONAL: {text(notional)} {spec.quote} < {text(spec.min_notional)} "
            f"{spec.quote} ({ex} NOTIONAL filter for {sym})"
        )


def order_request(
    order: Any,
    inst: Instrument,
    spec: MarketSpec,
    ref_price: Decimal | None = None,
    day_expiry: bool = True,
) -> CcxtOrder:
    """``create_order``'s arguments for a kernel order (``Unsupported`` / ``LocalReject``)."""
    coid = order.client_order_id
    name = raw_type(order)
    _check(order, spec, name, coid, day_expiry)
    check_filters(order, inst, spec, ref_price)
    params: dict[str, Any] = {"clientOrderId": coid}
    price = None
    if order.limit_ticks is not None:
        price = float(inst.ticks_to_price(order.limit_ticks))
    if order.stop_ticks is not None and order.order_type != OrderType.LIMIT:
        params["stopPrice"] = float(inst.ticks_to_price(order.stop_ticks))
    if name in WITH_TIF:
        params["timeInForce"] = TIFS.get(order.time_in_force, "GTC")
    ccxt_type = {"MARKET": "market", "LIMIT": "limit", "LIMIT_MAKER": "limit"}.get(name, name)
    if name == "LIMIT_MAKER":
        params["postOnly"] = True
    return CcxtOrder(
        spec.ccxt_symbol, ccxt_type, SIDES[Side(order.side)],
        float(inst.lots_to_qty(order.quantity)), price, params, name,
    )  # fmt: skip
