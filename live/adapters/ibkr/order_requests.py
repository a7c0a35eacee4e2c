"""Kernel orders -> IB ``Order`` objects (placeOrder), and a modify applied to one. Pure.

=====================  ========================================================================
kernel                 IB
=====================  ========================================================================
MARKET, LIMIT          ``MKT``, ``LMT`` (``lmtPrice``); with TIF CLS: ``MOC``, ``LOC`` (TIF DAY)
STOP, STOP_LIMIT       ``STP`` (``auxPrice`` = the stop), ``STP LMT`` (and ``lmtPrice``)
TRAILING_STOP          ``TRAIL``: ``auxPrice`` = the trailing amount, or ``trailingPercent``;
                       ``trailStopPrice`` = the initial stop when the kernel set one
MIT, LIT               ``MIT`` (``auxPrice`` = the trigger), ``LIT`` (and ``lmtPrice``)
TIF                    DAY, GTC, IOC, FOK, OPG; GTD with ``goodTillDate`` = ``expire_ns`` as
                       ``YYYYMMDD-HH:MM:SS`` UTC, rounded down to the second (IB's resolution:
                       the order never outlives what was asked)
display quantity       ``displaySize`` (IB's iceberg)
=====================  ========================================================================

Always: ``orderRef`` = the kernel's client order id (the idempotency key: found again after a
disconnect or a restart in open and completed orders), ``transmit=True``, ``outsideRth`` from
the kernel order's ``outside_rth`` flag when it has one (else False), ``account`` when
configured. The kernel's contingent links are not sent (``client``'s docstring: brackets and
OCO are emulated by the kernel). ``Unsupported`` names what IB lacks: post-only and
reduce-only. Prices and sizes go as floats made from the exact decimals (their repr is the
decimal text TWS receives).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kernel.enums import OrderType, Side, TimeInForce
from kernel.units import Instrument
from live.adapters.ibkr import ib_api
from live.adapters.ibkr.errors import Unsupported
from live.adapters.ibkr.wire import ib_utc

ACTIONS = {Side.BUY: "BUY", Side.SELL: "SELL"}
ORDER_TYPES = {
    OrderType.MARKET: "MKT",
    OrderType.LIMIT: "LMT",
    OrderType.STOP: "STP",
    OrderType.STOP_LIMIT: "STP LMT",
    OrderType.TRAILING_STOP: "TRAIL",
    OrderType.MIT: "MIT",
    OrderType.LIT: "LIT",
}
AT_CLOSE = {OrderType.MARKET: "MOC", OrderType.LIMIT: "LOC"}
TIFS = {
    TimeInForce.DAY: "DAY",
    TimeInForce.GTC: "GTC",
    TimeInForce.IOC: "IOC",
    TimeInForce.FOK: "FOK",
    TimeInForce.OPG: "OPG",
    TimeInForce.GTD: "GTD",
}
# IB order types whose trigger price is ``auxPrice`` (PreSubmitted until it triggers)
AUX_TRIGGERED = frozenset({"STP", "STP LMT", "MIT", "LIT"})
CONDITIONAL = AUX_TRIGGERED | {"TRAIL"}


def _price(inst: Instrument, ticks: int) -> float:
    return float(inst.ticks_to_price(ticks))


def ib_order(order: Any, inst: Instrument, account: str = "") -> Any:
    """The IB ``Order`` for a kernel order (``Unsupported`` for what IB lacks)."""
    assert order.symbol == inst.symbol, (order.symbol, inst.symbol)
    if order.post_only:
        raise Unsupported("post_only", "TWS has no post-only flag for this order")
    if order.reduce_only:
        raise Unsupported("reduce_only", "TWS has no reduce-only flag")
    otype, tif = order.order_type, order.time_in_force
    ib_type = ORDER_TYPES[otype]
    ib_tif = TIFS.get(tif, "DAY")
    if tif == TimeInForce.CLS:
        if otype not in AT_CLOSE:
            raise Unsupported("time_in_force", f"CLS with a {otype.name} order (MOC/LOC only)")
        ib_type, ib_tif = AT_CLOSE[otype], "DAY"
    out = ib_api.Order(
        action=ACTIONS[Side(order.side)],
        totalQuantity=float(inst.lots_to_qty(order.quantity)),
        orderType=ib_type,
        tif=ib_tif,
        orderRef=order.client_order_id,
        transmit=True,
        outsideRth=bool(getattr(order, "outside_rth", False)),
    )
    if account:
        out.account = account
    if order.limit_ticks is not None:
        out.lmtPrice = _price(inst, order.limit_ticks)
    if ib_type in AUX_TRIGGERED:
        out.auxPrice = _price(inst, order.stop_ticks)
    elif ib_type == "TRAIL":
        if order.trail_ticks is not None:
            out.auxPrice = _price(inst, order.trail_ticks)
        else:
            out.trailingPercent = float(Decimal(order.trail_ppm).scaleb(-4))
        if order.stop_ticks is not None:
            out.trailStopPrice = _price(inst, order.stop_ticks)
    if tif == TimeInForce.GTD:
        out.goodTillDate = ib_utc(order.expire_ns)
    if order.display_lots is not None:
        out.displaySize = int(inst.lots_to_qty(order.display_lots))
    return out


def apply_modify(
    target: Any,
    inst: Instrument,
    quantity_lots: int | None,
    limit_ticks: int | None,
    stop_ticks: int | None,
) -> tuple[float | None, float | None, float | None]:
    """Set a modify's new values on ``target`` (an IB ``Order``; None keeps a value) and return
    them as IB numbers ``(totalQuantity, lmtPrice, stop)``: the stop is ``auxPrice`` for
    stop/MIT/LIT orders and ``trailStopPrice`` for TRAIL (whose ``auxPrice`` is its offset)."""
    qty = lmt = stop = None
    if quantity_lots is not None:
        qty = target.totalQuantity = float(inst.lots_to_qty(quantity_lots))
    if limit_ticks is not None:
        lmt = target.lmtPrice = _price(inst, limit_ticks)
    if stop_ticks is not None:
        stop = _price(inst, stop_ticks)
        if target.orderType == "TRAIL":
            target.trailStopPrice = stop
        elif target.orderType in AUX_TRIGGERED:
            target.auxPrice = stop
        else:
            raise Unsupported("stop_price", f"a {target.orderType} order has no stop")
    if qty is None and lmt is None and stop is None:
        raise ValueError("a modify must change the quantity or a price")
    return qty, lmt, stop
