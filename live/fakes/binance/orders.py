"""A Binance spot order at the local venue: the record, the checks of a new order, its JSON.

Checks, in Binance's order and words: mandatory parameters (-1102), the symbol (-1121), the
order type (-1116), the side (-1117), the time in force (-1115; only LIMIT, STOP_LOSS_LIMIT and
TAKE_PROFIT_LIMIT take one, elsewhere -1106), then the symbol's filters (-1013 ``Filter failure:
PRICE_FILTER`` for a price off the tick grid or out of range, ``LOT_SIZE`` for a quantity off the
step or below minQty, ``NOTIONAL`` below minNotional, market orders at the last price). The
kinds map onto the simulator's orders: MARKET, LIMIT (GTC / IOC / FOK), LIMIT_MAKER (post-only),
STOP_LOSS (a stop), STOP_LOSS_LIMIT (a stop-limit), TAKE_PROFIT (market-if-touched) and
TAKE_PROFIT_LIMIT (limit-if-touched). JSON: the REST order (``GET /api/v3/order``), the
new-order answer (ACK / RESULT / FULL with ``fills``), the trade (``myTrades``) and the
``executionReport`` event, shaped as the recorded responses (``data/``): decimals as strings with
eight places, ids and times as integers (ms).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from kernel.enums import OrderType, TimeInForce
from live.fakes.binance.config import BnSymbol
from live.fakes.binance.wallet import fmt8

TYPES = {
    "MARKET": OrderType.MARKET,
    "LIMIT": OrderType.LIMIT,
    "LIMIT_MAKER": OrderType.LIMIT,
    "STOP_LOSS": OrderType.STOP,
    "STOP_LOSS_LIMIT": OrderType.STOP_LIMIT,
    "TAKE_PROFIT": OrderType.MIT,
    "TAKE_PROFIT_LIMIT": OrderType.LIT,
}
WITH_PRICE = frozenset({"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
WITH_STOP = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
WITH_TIF = frozenset({"LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
TIFS = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK}
OPEN = frozenset({"NEW", "PARTIALLY_FILLED"})
MAX_PRICE = Decimal(1_000_000)
MAX_QTY = Decimal(9000)
ZERO8 = "0.00000000"


class BnError(Exception):
    """A Binance error answer: HTTP ``status`` and ``{"code": code, "msg": msg}``."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


def mandatory(name: str) -> BnError:
    return BnError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def _decimal(params: dict[str, str], name: str) -> Decimal:
    try:
        value = Decimal(params[name])
    except (InvalidOperation, ValueError):
        raise mandatory(name) from None
    if not value.is_finite() or value <= 0:
        raise BnError(-1100, f"Illegal characters found in parameter '{name}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'.")  # fmt: skip
    return value


@dataclass(slots=True)
class NewOrder:
    """A checked new order: kernel units and Binance's names."""

    sym: BnSymbol
    side: str  # BUY | SELL
    otype: str
    tif: str  # GTC when the type takes none
    lots: int
    price: int | None  # ticks
    stop: int | None  # ticks
    client_id: str
    resp_type: str


def check_new(
    params: dict[str, str],
    symbols: dict[str, BnSymbol],
    last: Decimal | None,
    min_notional: Decimal,
) -> NewOrder:
    """The new order ``params`` ask for, or ``BnError`` (see the module docstring)."""
    for name in ("symbol", "side", "type"):
        if not params.get(name):
            raise mandatory(name)
    sym = symbols.get(params["symbol"].upper())
    if sym is None:
        raise BnError(-1121, "Invalid symbol.")
    otype, side = params["type"].upper(), params["side"].upper()
    if otype not in TYPES:
        raise BnError(-1116, "Invalid orderType.")
    if side not in ("BUY", "SELL"):
        raise BnError(-1117, "Invalid side.")
    tif = params.get("timeInForce")
    if otype in WITH_TIF:
        if not tif:
            raise mandatory("timeInForce")
        if tif.upper() not in TIFS:
            raise BnError(-1115, "Invalid timeInForce.")
    elif tif:
        raise BnError(-1106, "Parameter 'timeInForce' sent when not required.")
    if not params.get("quantity"):
        raise mandatory("quantity")  # why: quoteOrderQty is not taken here
    qty = _decimal(params, "quantity")
    price = stop = None
    if otype in WITH_PRICE:
        if not params.get("price"):
            raise mandatory("price")
        price = _price(sym, _decimal(params, "price"))
    elif params.get("price"):
        raise BnError(-1106, "Parameter 'price' sent when not required.")
    if otype in WITH_STOP:
        if not params.get("stopPrice"):
            raise mandatory("stopPrice")
        stop = _price(sym, _decimal(params, "stopPrice"))
    inst = sym.inst
    lots = qty / inst.lot_size
    if lots != lots.to_integral_value() or qty < inst.lot_size or qty > MAX_QTY:
        raise BnError(-1013, "Filter failure: LOT_SIZE")
    ref = inst.ticks_to_price(price) if price is not None else last
    if ref is not None and qty * ref < min_notional:
        raise BnError(-1013, "Filter failure: NOTIONAL")
    return NewOrder(
        sym, side, otype, (tif or "GTC").upper(), int(lots), price, stop,
        params.get("newClientOrderId") or "", (params.get("newOrderRespType") or "").upper(),
    )  # fmt: skip


def _price(sym: BnSymbol, value: Decimal) -> int:
    tick = sym.inst.tick_size
    ticks = value / tick
    if ticks != ticks.to_integral_value() or value < tick or value > MAX_PRICE:
        raise BnError(-1013, "Filter failure: PRICE_FILTER")
    return int(ticks)


class BnOrder:
    """One order (``key`` names it in the simulated market); money fields exact."""

    __slots__ = (
        "cancel_client_id",
        "client_id",
        "filled",
        "key",
        "locked",
        "lots",
        "order_id",
        "otype",
        "price",
        "quote",
        "side",
        "status",
        "stop",
        "sym",
        "tif",
        "time_ms",
        "update_ms",
        "working",
    )  # fmt: skip

    def __init__(self, order_id: int, new: NewOrder, now_ms: int) -> None:
        self.order_id = order_id
        self.client_id = new.client_id
        self.sym = new.sym
        self.side, self.otype, self.tif = new.side, new.otype, new.tif
        self.lots, self.price, self.stop = new.lots, new.price, new.stop
        self.filled = 0  # lots
        self.quote = Decimal(0)  # cummulativeQuoteQty
        self.status = "NEW"
        self.time_ms = self.update_ms = now_ms
        self.working = new.otype not in WITH_STOP
        self.locked = Decimal(0)  # what the order still holds of its lock asset
        self.key = ""
        self.cancel_client_id = ""  # set when the client asks for the cancel

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def sign(self) -> int:
        return 1 if self.side == "BUY" else -1

    def px(self, ticks: int | None) -> str:
        return ZERO8 if ticks is None else fmt8(self.sym.inst.ticks_to_price(ticks))

    def qty(self, lots: int) -> str:
        return fmt8(self.sym.inst.lots_to_qty(lots))

    def _base(self) -> dict[str, Any]:
        return {
            "symbol": self.sym.name, "orderId": self.order_id, "orderListId": -1,
            "clientOrderId": self.client_id,
        }  # fmt: skip

    def _terms(self) -> dict[str, Any]:
        return {
            "price": self.px(self.price), "origQty": self.qty(self.lots),
            "executedQty": self.qty(self.filled), "cummulativeQuoteQty": fmt8(self.quote),
            "status": self.status, "timeInForce": self.tif, "type": self.otype,
            "side": self.side,
        }  # fmt: skip

    def rest_json(self) -> dict[str, Any]:
        """``GET /api/v3/order`` (and ``openOrders``, ``allOrders``)."""
        return {
            **self._base(), **self._terms(), "stopPrice": self.px(self.stop),
            "icebergQty": ZERO8, "time": self.time_ms, "updateTime": self.update_ms,
            "isWorking": self.working, "workingTime": self.time_ms if self.working else -1,
            "origQuoteOrderQty": ZERO8, "selfTradePreventionMode": "NONE",
        }  # fmt: skip

    def new_json(self, fills: list[dict[str, Any]], resp_type: str) -> dict[str, Any]:
        """``POST /api/v3/order``'s answer: ACK, RESULT or FULL (the default of MARKET and LIMIT)."""
        out = {**self._base(), "transactTime": self.time_ms}
        if resp_type == "ACK":
            return out
        out.update({
            "price": self.px(self.price), "origQty": self.qty(self.lots),
            "executedQty": self.qty(self.filled), "origQuoteOrderQty": ZERO8,
            "cummulativeQuoteQty": fmt8(self.quote), "status": self.status,
            "timeInForce": self.tif, "type": self.otype, "side": self.side,
        })  # fmt: skip
        if self.stop is not None:
            out["stopPrice"] = self.px(self.stop)
        out["workingTime"] = self.time_ms if self.working else -1
        if resp_type != "RESULT":
            out["fills"] = fills
        out["selfTradePreventionMode"] = "NONE"
        return out

    def cancel_json(self, now_ms: int) -> dict[str, Any]:
        """``DELETE /api/v3/order``'s answer."""
        out = {
            "symbol": self.sym.name, "origClientOrderId": self.client_id,
            "orderId": self.order_id, "orderListId": -1, "clientOrderId": self.cancel_client_id,
            "transactTime": now_ms, **self._terms(), "origQuoteOrderQty": ZERO8,
            "selfTradePreventionMode": "NONE",
        }  # fmt: skip
        if self.stop is not None:
            out["stopPrice"] = self.px(self.stop)
        return out


@dataclass(slots=True)
class BnTrade:
    """One trade of an order (``myTrades``; a FULL answer's ``fills``)."""

    trade_id: int
    order: BnOrder
    lots: int
    price: int  # ticks
    fee: Decimal
    fee_asset: str
    maker: bool
    time_ms: int

    @property
    def quote(self) -> Decimal:
        inst = self.order.sym.inst
        return inst.lots_to_qty(self.lots) * inst.ticks_to_price(self.price)

    def fill_json(self) -> dict[str, Any]:
        o = self.order
        return {
            "price": o.px(self.price), "qty": o.qty(self.lots), "commission": fmt8(self.fee),
            "commissionAsset": self.fee_asset, "tradeId": self.trade_id,
        }  # fmt: skip

    def rest_json(self) -> dict[str, Any]:
        o = self.order
        return {
            "symbol": o.sym.name, "id": self.trade_id, "orderId": o.order_id, "orderListId": -1,
            "price": o.px(self.price), "qty": o.qty(self.lots), "quoteQty": fmt8(self.quote),
            "commission": fmt8(self.fee), "commissionAsset": self.fee_asset,
            "time": self.time_ms, "isBuyer": o.side == "BUY", "isMaker": self.maker,
            "isBestMatch": True,
        }  # fmt: skip


def execution_report(
    o: BnOrder, x: str, now_ms: int, trade: BnTrade | None = None, reason: str = "NONE"
) -> dict[str, Any]:
    """The user-data stream's ``executionReport`` for ``o`` (``x`` the execution type)."""
    canceled = x == "CANCELED" and o.cancel_client_id
    return {
        "e": "executionReport", "E": now_ms, "s": o.sym.name,
        "c": o.cancel_client_id if canceled else o.client_id, "S": o.side, "o": o.otype,
        "f": o.tif, "q": o.qty(o.lots), "p": o.px(o.price), "P": o.px(o.stop), "F": ZERO8,
        "g": -1, "C": o.client_id if canceled else "", "x": x, "X": o.status, "r": reason,
        "i": o.order_id,
        "l": o.qty(trade.lots) if trade else ZERO8, "z": o.qty(o.filled),
        "L": o.px(trade.price) if trade else ZERO8, "n": fmt8(trade.fee) if trade else "0",
        "N": trade.fee_asset if trade else None, "T": trade.time_ms if trade else now_ms,
        "t": trade.trade_id if trade else -1, "I": o.order_id * 2 + (x == "TRADE"),
        "w": o.is_open and o.working, "m": trade.maker if trade else False, "M": False,
        "O": o.time_ms, "Z": fmt8(o.quote), "Y": fmt8(trade.quote) if trade else ZERO8,
        "Q": ZERO8, "W": o.time_ms, "V": "NONE",
    }  # fmt: skip
