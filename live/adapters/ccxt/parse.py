"""ccxt structures -> kernel units. Pure: markets (``market_spec``, ``instrument_of``), trades
(``parse_trade``), orders (``parse_order``, ``status_report``), balances (``parse_balances``,
``account_report``) and quotes (``parse_quote``).

Exact decimals: ccxt's unified numbers are floats, so each value is read from the exchange's
own text in ``info`` when it is there (Binance: ``PRICE_FILTER.tickSize``, ``LOT_SIZE.stepSize``,
``NOTIONAL.minNotional``; a trade's ``price`` / ``qty`` / ``commission`` / ``commissionAsset``
from ``myTrades``, or ``L`` / ``l`` / ``n`` / ``N`` from an ``executionReport``; an order's
``executedQty`` / ``z``; ``balances[].free`` / ``locked``), and from the float's shortest repr
otherwise (``0.1`` is ``Decimal("0.1")``). Nothing is rounded: a price off the tick or a
quantity off the lot raises ``MalformedMessage``.

Ids: Binance numbers trades (and orders) per symbol, so a trade's kernel id is
``"<market id>:<trade id>"`` (``"BTCUSDT:12"``): two symbols' trade 12 are two fills.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kernel.enums import Liquidity
from kernel.events import AccountReport, QuoteTick
from kernel.reconcile import (
    CANCELED,
    EXPIRED,
    FILLED,
    PENDING,
    REJECTED,
    WORKING,
    OrderStatusReport,
)
from kernel.units import Instrument, UnitError, to_decimal
from live.adapters.ccxt.errors import MalformedMessage

TICK_SIZE, DECIMAL_PLACES, SIGNIFICANT_DIGITS = 4, 2, 3  # ccxt's precision modes
ZERO = Decimal(0)

# Binance's order statuses (``status`` in REST, ``X`` in an executionReport)
RAW_STATUS = {
    "PENDING_NEW": PENDING,
    "NEW": WORKING,
    "PARTIALLY_FILLED": WORKING,
    "PENDING_CANCEL": WORKING,
    "FILLED": FILLED,
    "CANCELED": CANCELED,
    "CANCELLED": CANCELED,
    "REJECTED": REJECTED,
    "EXPIRED": EXPIRED,
    "EXPIRED_IN_MATCH": EXPIRED,
}
# ccxt's unified statuses
UNIFIED_STATUS = {
    "open": WORKING,
    "canceling": WORKING,
    "closed": FILLED,
    "canceled": CANCELED,
    "expired": EXPIRED,
    "rejected": REJECTED,
}
STOP_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})


def dec(value: Any, what: str) -> Decimal:
    """An exact Decimal from the exchange's text or a ccxt float (``MalformedMessage``)."""
    try:
        return to_decimal(value, what)
    except UnitError as exc:
        raise MalformedMessage(what, str(exc)) from None


def opt_dec(value: Any, what: str) -> Decimal | None:
    return None if value is None or value == "" else dec(value, what)


def text(d: Decimal) -> str:
    """A decimal as plain text: ``5``, ``0.5``, ``0.000001`` (never ``5E+1``)."""
    return format(d.normalize(), "f")


# --- markets ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MarketSpec:
    """One exchange market as the adapter trades it: the kernel's ``symbol`` and ccxt's
    (``ccxt_symbol``, ``market_id``), the assets, the grid (``tick``, ``step``) and the
    minimums an order must meet (``min_qty``, ``min_notional``; None: none known), whether
    the minimum notional applies to market orders, the exchange's order types (``order_types``,
    its own names; empty: not known) and the exchange's display name."""

    symbol: str
    ccxt_symbol: str
    market_id: str
    base: str
    quote: str
    tick: Decimal
    step: Decimal
    min_qty: Decimal | None
    min_notional: Decimal | None
    min_notional_market: bool
    order_types: frozenset[str]
    exchange: str = ""
    iceberg: bool = False


def _filters(info: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for f in info.get("filters") or ():
        if isinstance(f, Mapping) and f.get("filterType"):
            out[str(f["filterType"])] = f
    return out


def _grid(value: Any, mode: int, what: str) -> Decimal:
    if value is None:
        raise MalformedMessage(what, "missing")
    if mode == DECIMAL_PLACES or (mode != TICK_SIZE and float(value).is_integer()):
        return Decimal(1).scaleb(-int(value))
    return dec(value, what)


def market_spec(
    market: Mapping[str, Any],
    symbol: str | None = None,
    exchange: str = "",
    precision_mode: int = TICK_SIZE,
) -> MarketSpec:
    """A ccxt market -> ``MarketSpec`` (``symbol``: the kernel's name, default ccxt's)."""
    info = market.get("info") or {}
    filters = _filters(info) if isinstance(info, Mapping) else {}
    prec = market.get("precision") or {}
    limits = market.get("limits") or {}
    price_f, lot_f = filters.get("PRICE_FILTER"), filters.get("LOT_SIZE")
    tick = (
        dec(price_f["tickSize"], "PRICE_FILTER.tickSize")
        if price_f and price_f.get("tickSize")
        else _grid(prec.get("price"), precision_mode, "precision.price")
    )
    step = (
        dec(lot_f["stepSize"], "LOT_SIZE.stepSize")
        if lot_f and lot_f.get("stepSize")
        else _grid(prec.get("amount"), precision_mode, "precision.amount")
    )
    if tick <= 0 or step <= 0:
        raise MalformedMessage("precision", f"tick {tick} and step {step} must be positive")
    min_qty = (
        dec(lot_f["minQty"], "LOT_SIZE.minQty")
        if lot_f and lot_f.get("minQty")
        else opt_dec((limits.get("amount") or {}).get("min"), "limits.amount.min")
    )
    notional_f = filters.get("NOTIONAL") or filters.get("MIN_NOTIONAL")
    min_notional: Decimal | None
    if notional_f and notional_f.get("minNotional") is not None:
        min_notional = dec(notional_f["minNotional"], "NOTIONAL.minNotional")
        applies = notional_f.get("applyMinToMarket", notional_f.get("applyToMarket", True))
    else:
        min_notional = opt_dec((limits.get("cost") or {}).get("min"), "limits.cost.min")
        applies = True
    types = info.get("orderTypes") if isinstance(info, Mapping) else None
    return MarketSpec(
        symbol=symbol or str(market["symbol"]),
        ccxt_symbol=str(market["symbol"]),
        market_id=str(market.get("id") or market["symbol"]),
        base=str(market.get("base") or ""),
        quote=str(market.get("quote") or ""),
        tick=tick.normalize(),
        step=step.normalize(),
        min_qty=min_qty.normalize() if min_qty else None,
        min_notional=min_notional.normalize() if min_notional else None,
        min_notional_market=bool(applies),
        order_types=frozenset(str(t) for t in types or ()),
        exchange=exchange,
        iceberg=bool(info.get("icebergAllowed")) if isinstance(info, Mapping) else False,
    )


def instrument_of(spec: MarketSpec, venue: str | None = None) -> Instrument:
    """The kernel instrument of a market: tick = the price grid, lot = the quantity grid,
    currency = the quote asset, ``base`` = the base asset."""
    return Instrument(
        spec.symbol, spec.tick, spec.step, spec.quote or "USD", Decimal(1), venue,
        base=spec.base or None,
    )  # fmt: skip


def ticks(inst: Instrument, value: Any, what: str) -> int:
    try:
        return inst.price_to_ticks(dec(value, what), what)
    except UnitError as exc:
        raise MalformedMessage(what, str(exc)) from None


def lots(inst: Instrument, value: Any, what: str) -> int:
    try:
        return inst.qty_to_lots(dec(value, what), what)
    except UnitError as exc:
        raise MalformedMessage(what, str(exc)) from None


def money(value: Decimal) -> int:
    """Money units (1e-9) of an amount, truncated toward zero past 1e-9 (exact for Binance's
    eight decimals)."""
    return int(value.scaleb(9))


def ms_to_ns(ms: Any) -> int | None:
    if ms is None or isinstance(ms, bool):
        return None
    try:
        return int(ms) * 1_000_000
    except (TypeError, ValueError):
        return None


# --- trades ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Fill:
    """One trade in kernel units. ``trade_id`` is the kernel's (``"BTCUSDT:12"``), ``seq`` the
    exchange's number (a ``fromId`` cursor), ``client_order_id`` the order's when the message
    carries it (an executionReport's ``c``), else None."""

    trade_id: str
    seq: int | None
    order_id: str
    client_order_id: str | None
    symbol: str
    side: int
    price_ticks: int
    qty_lots: int
    liquidity: int
    commission: int
    commission_currency: str
    ts_ns: int


def _first(info: Mapping[str, Any], *keys: str) -> Any:
    for k in keys:
        v = info.get(k)
        if v is not None and v != "":
            return v
    return None


def parse_trade(trade: Mapping[str, Any], spec: MarketSpec, inst: Instrument) -> Fill:
    """A ccxt trade (``fetch_my_trades`` / ``watch_my_trades``) -> ``Fill``."""
    info = trade.get("info") or {}
    if not isinstance(info, Mapping):
        info = {}
    ws = info.get("e") == "executionReport"
    raw_id = _first(info, "t") if ws else None
    raw_id = raw_id if raw_id is not None else trade.get("id") or _first(info, "id", "tradeId")
    if raw_id is None or str(raw_id) in ("", "-1"):
        raise MalformedMessage("id", "a trade without an id")
    order_id = trade.get("order") or _first(info, "i" if ws else "orderId")
    if order_id is None:
        raise MalformedMessage("order", "a trade without its order id")
    side_name = trade.get("side")
    if side_name not in ("buy", "sell"):
        buyer = info.get("isBuyer")
        side_name = {True: "buy", False: "sell"}.get(buyer) if isinstance(buyer, bool) else None
    if side_name is None:
        raise MalformedMessage("side", f"{trade.get('side')!r}")
    price = _first(info, "L") if ws else _first(info, "price")
    qty = _first(info, "l") if ws else _first(info, "qty")
    price = price if price is not None else trade.get("price")
    qty = qty if qty is not None else trade.get("amount")
    fee_cost = _first(info, "n") if ws else _first(info, "commission")
    fee_asset = _first(info, "N") if ws else _first(info, "commissionAsset")
    fee = trade.get("fee") or {}
    if fee_cost is None and isinstance(fee, Mapping):
        fee_cost, fee_asset = fee.get("cost"), fee.get("currency")
    commission = money(dec(fee_cost, "fee.cost")) if fee_cost is not None else 0
    maker = info.get("m") if ws else info.get("isMaker")
    if not isinstance(maker, bool):
        tm = trade.get("takerOrMaker")
        maker = tm == "maker" if tm in ("maker", "taker") else None
    liquidity = Liquidity.NONE if maker is None else Liquidity.MAKER if maker else Liquidity.TAKER
    ts = ms_to_ns(trade.get("timestamp")) or ms_to_ns(_first(info, "T", "time")) or 0
    coid = _first(info, "c") if ws else None
    try:
        seq: int | None = int(raw_id)
    except (TypeError, ValueError):
        seq = None
    return Fill(
        trade_id=f"{spec.market_id}:{raw_id}",
        seq=seq,
        order_id=str(order_id),
        client_order_id=str(coid) if coid else None,
        symbol=inst.symbol,
        side=1 if side_name == "buy" else -1,
        price_ticks=ticks(inst, price, "price"),
        qty_lots=lots(inst, qty, "amount"),
        liquidity=int(liquidity),
        commission=commission,
        commission_currency=str(fee_asset) if fee_asset and commission else "",
        ts_ns=ts,
    )


# --- orders ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OrderSnap:
    """One order as the exchange has it: ids, venue-neutral ``status`` (``kernel.reconcile``),
    ``filled_lots``, ``ts_ns``, the exchange's ``order_type``, ``working`` (a stop order that
    triggered; None: not said) and the exchange's ``reason`` for a rejection."""

    order_id: str
    client_order_id: str
    symbol: str
    status: str
    filled_lots: int
    ts_ns: int
    order_type: str
    working: bool | None
    reason: str


def parse_order(order: Mapping[str, Any], inst: Instrument) -> OrderSnap:
    """A ccxt order (REST or ``watch_orders``) -> ``OrderSnap``."""
    info = order.get("info") or {}
    if not isinstance(info, Mapping):
        info = {}
    oid = order.get("id") or _first(info, "orderId", "i")
    if oid is None:
        raise MalformedMessage("id", "an order without an id")
    raw = _first(info, "X", "status")
    status = RAW_STATUS.get(str(raw).upper()) if raw is not None else None
    if status is None:
        status = UNIFIED_STATUS.get(str(order.get("status")), PENDING)
    filled = _first(info, "z", "executedQty")
    filled = filled if filled is not None else order.get("filled") or 0
    otype = _first(info, "o", "type") or str(order.get("type") or "").upper()
    working = info.get("w") if "w" in info else info.get("isWorking")
    ts = (
        ms_to_ns(order.get("lastUpdateTimestamp"))
        or ms_to_ns(order.get("timestamp"))
        or ms_to_ns(_first(info, "E", "updateTime", "transactTime", "time"))
        or 0
    )
    reason = _first(info, "r")
    return OrderSnap(
        order_id=str(oid),
        client_order_id=str(order.get("clientOrderId") or _first(info, "clientOrderId") or ""),
        symbol=inst.symbol,
        status=status,
        filled_lots=lots(inst, filled, "filled"),
        ts_ns=ts,
        order_type=str(otype).upper(),
        working=working if isinstance(working, bool) else None,
        reason="" if reason in (None, "NONE") else str(reason),
    )


def status_report(snap: OrderSnap, client_order_id: str) -> OrderStatusReport:
    """The reconciler's view of an order (its kernel id given)."""
    return OrderStatusReport(
        client_order_id, snap.order_id, snap.status, snap.filled_lots, snap.ts_ns,
        snap.reason if snap.status == REJECTED else "",
    )  # fmt: skip


# --- balances and the account ----------------------------------------------------------------
def parse_balances(balance: Mapping[str, Any]) -> dict[str, tuple[Decimal, Decimal]]:
    """A ccxt ``fetch_balance`` -> ``{asset: (free, locked)}``, exact: Binance's own
    ``info.balances`` text when there, ccxt's ``free`` / ``used`` otherwise."""
    info = balance.get("info")
    rows = info.get("balances") if isinstance(info, Mapping) else None
    out: dict[str, tuple[Decimal, Decimal]] = {}
    if isinstance(rows, list) and rows and all(isinstance(r, Mapping) for r in rows):
        for r in rows:
            asset = str(r.get("asset") or "")
            if asset:
                out[asset] = (dec(r.get("free") or 0, f"{asset}.free"),
                              dec(r.get("locked") or 0, f"{asset}.locked"))  # fmt: skip
        return out
    skip = {"info", "free", "used", "total", "timestamp", "datetime", "debt"}
    for asset, row in balance.items():
        if asset in skip or not isinstance(row, Mapping):
            continue
        free = opt_dec(row.get("free"), f"{asset}.free") or ZERO
        used = opt_dec(row.get("used"), f"{asset}.used")
        if used is None:
            total = opt_dec(row.get("total"), f"{asset}.total") or ZERO
            used = max(total - free, ZERO)
        out[str(asset)] = (free, used)
    return out


def balance_units(balances: Mapping[str, tuple[Decimal, Decimal]]) -> tuple[tuple[str, int], ...]:
    """``AccountReport.balances``: ``(asset, (free + locked) x 1e9)`` of every non-zero
    asset, sorted by asset."""
    out = []
    for asset in sorted(balances):
        free, locked = balances[asset]
        units = money(free + locked)
        if units:
            out.append((asset, units))
    return tuple(out)


def account_report(
    venue: str,
    currency: str,
    balances: Mapping[str, tuple[Decimal, Decimal]],
    instruments: Iterable[Instrument],
    price_of: Callable[[str], Decimal | None],
    final: bool,
    now_ns: int,
) -> AccountReport:
    """A spot account as the kernel's ``AccountReport``: ``cash`` = the quote asset's total,
    ``buying_power`` = its free part, ``positions`` = each instrument's base holding in whole
    lots (floor) at the last price (``cost`` = lots x price ticks; 0 with no price; a base
    asset counts once, for its first instrument by symbol), ``equity`` = cash + every holding
    at its last price (approximate), ``balances`` = every non-zero asset, exact."""
    free_q, locked_q = balances.get(currency, (ZERO, ZERO))
    cash = money(free_q + locked_q)
    equity = Decimal(cash)
    positions = []
    taken: set[str] = set()
    for inst in sorted(instruments, key=lambda i: i.symbol):
        base = inst.base
        if not base or base in taken or inst.currency != currency:
            continue
        taken.add(base)
        free, locked = balances.get(base, (ZERO, ZERO))
        total = free + locked
        n = math.floor(total / inst.lot_size) if total > 0 else 0
        price = price_of(inst.symbol)
        cost = 0
        if price is not None and price > 0:
            px_ticks = int(price / inst.tick_size)
            cost = n * px_ticks
            equity += (total * price).scaleb(9)
        positions.append((inst.symbol, n, cost))
    return AccountReport(
        venue, currency, cash, int(equity), money(free_q), tuple(positions), final,
        now_ns, now_ns, balance_units(balances),
    )  # fmt: skip


# --- quotes ----------------------------------------------------------------------------------
def parse_quote(
    ticker: Mapping[str, Any], inst: Instrument, venue: str | None, now_ns: int
) -> QuoteTick | None:
    """A ccxt ticker / bid-ask (``watch_bids_asks``) -> ``QuoteTick`` (None without a two-sided
    touch). Binance's bookTicker text (``b``/``B``/``a``/``A``) when there."""
    info = ticker.get("info") or {}
    if not isinstance(info, Mapping):
        info = {}
    bid = _first(info, "b", "bidPrice")
    ask = _first(info, "a", "askPrice")
    bid = bid if bid is not None else ticker.get("bid")
    ask = ask if ask is not None else ticker.get("ask")
    if bid is None or ask is None:
        return None
    bid_q = _first(info, "B", "bidQty")
    ask_q = _first(info, "A", "askQty")
    bid_q = bid_q if bid_q is not None else ticker.get("bidVolume")
    ask_q = ask_q if ask_q is not None else ticker.get("askVolume")
    bid_t, ask_t = ticks(inst, bid, "bid"), ticks(inst, ask, "ask")
    if bid_t <= 0 or ask_t <= 0:
        return None
    ts = ms_to_ns(ticker.get("timestamp")) or now_ns
    return QuoteTick(
        inst.symbol, bid_t, ask_t,
        None if bid_q is None else lots(inst, bid_q, "bidVolume"),
        None if ask_q is None else lots(inst, ask_q, "askVolume"),
        ts, now_ns, venue,
    )  # fmt: skip
