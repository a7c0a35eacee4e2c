"""The spot account of the local Binance venue: orders, trades, balances, and what it reports.

Matching is the simulated venue's (``live.fakes.alpaca.core.VenueCore``: one ``RecordedMarket``
per symbol, the recorded data's time as the clock; ``CONTRACT.md``'s fill rules), joined the
way the Alpaca and IB accounts join it; this account words its reports the Binance way and keeps
the balances per asset (``live.fakes.binance.wallet``). Every event goes to a ``Sink`` (the
server's user-data connections): ``executionReport`` (``report=True``: the report faults apply)
then ``outboundAccountPosition`` with the assets that changed.

Order life:

- ``place(params)``: the checks of ``live.fakes.binance.orders.check_new``; a
  ``newClientOrderId`` the account has seen (open or closed) is -2010 ``Duplicate order sent.``
  (the idempotency key; Binance itself only refuses one among open orders); funds short is -2010
  ``Account has insufficient balance for requested action.``. Accepted: the lock is taken,
  ``executionReport`` NEW. A LIMIT_MAKER that would take is -2010 ``Order would immediately match
  and take.`` and leaves no order. The answer holds what happened at once (``fills``).
- Each fill: a trade (ids from 1, per venue), the lock's share released, the assets moved, the
  commission charged in the asset received; ``executionReport`` TRADE (``l``/``L``/``t``/
  ``n``/``N``), then ``outboundAccountPosition``. The ``partial`` fault books a fill of 2 lots
  or more as 2 or 3 trades.
- ``cancel``: ``executionReport`` CANCELED; an unknown or closed order is -2011 ``Unknown order
  sent.``. The venue's own cancels (an IOC / FOK / market remainder, self-trade prevention) are
  EXPIRED. A market order larger than the last print fills the rest at later prints (rule 1:
  trades are the only touch) and stays PARTIALLY_FILLED meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

from kernel.enums import Liquidity, Side
from kernel.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderModifyRejected,
    OrderRejected,
    OrderTriggered,
)
from kernel.orders import InvalidOrder, Order
from live.fakes.alpaca.core import VenueCore
from live.fakes.alpaca.faults import Faults
from live.fakes.binance.config import BnSymbol, FakeBinanceConfig
from live.fakes.binance.orders import TIFS, TYPES, BnError, BnOrder, BnTrade, check_new
from live.fakes.binance.orders import execution_report as report_json
from live.fakes.binance.wallet import Wallet, commission

_MAKER = int(Liquidity.MAKER)
UNKNOWN = "Unknown order sent."
MAX_LIMIT = 1000


class Sink(Protocol):
    """Where the account's events go (the user-data stream's connections)."""

    def user_event(self, event: dict[str, Any], report: bool) -> None:
        """Send ``event``; ``report``: an executionReport (drop / dup faults apply)."""


class BnAccount:
    """The venue's one account (``config.api_key``); call it from the event loop only."""

    def __init__(
        self, config: FakeBinanceConfig, core: VenueCore, faults: Faults, sink: Sink
    ) -> None:
        self.key, self.secret = config.api_key, config.api_secret
        self.core = core
        self.faults = faults
        self.sink = sink
        self.symbols: dict[str, BnSymbol] = {s.name: s for s in config.symbols()}
        self.books = core.join(self)  # type: ignore[arg-type]  # why: an account, duck-typed
        self.ledger = Wallet(config.balances)  # why: the core marks its accounts' .ledger
        self.maker_bps, self.taker_bps = Decimal(config.maker_bps), Decimal(config.taker_bps)
        self.min_notional = Decimal(config.min_notional)
        self.orders: dict[int, BnOrder] = {}
        self.by_client: dict[tuple[str, str], BnOrder] = {}
        self.by_key: dict[str, BnOrder] = {}
        self.trades: list[BnTrade] = []
        self.counts = dict.fromkeys(("orders", "fills", "cancels", "rejects"), 0)
        self.update_ms = 0
        self._ids = {"order": 0, "trade": 0}
        self._fills: list[BnTrade] | None = None  # trades of the order being placed
        self._refused: str | None = None
        self._placing: BnOrder | None = None
        self._apply: dict[type, Callable[[Any], None]] = {
            OrderAccepted: self._on_accepted,
            OrderTriggered: self._on_triggered,
            OrderFilled: self._on_filled,
            OrderCanceled: self._on_canceled,
            OrderExpired: self._on_canceled,
            OrderRejected: self._on_rejected,
            OrderCancelRejected: self._on_refused,
            OrderModified: lambda ev: None,  # why: no modify at Binance spot; a stop's level
            OrderModifyRejected: lambda ev: None,
        }

    @property
    def now_ms(self) -> int:
        return self.core.now // 1_000_000

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def last_price(self, sym: BnSymbol) -> Decimal | None:
        mark = self.ledger.marks.get(sym.name)
        if mark is None:
            return None
        return sym.inst.tick_size * mark.numerator / mark.denominator

    # --- what the account says ---------------------------------------------------------------
    def _report(self, o: BnOrder, x: str, trade: BnTrade | None = None) -> None:
        self.sink.user_event(report_json(o, x, self.now_ms, trade), True)
        changed = self.ledger.take_changed()
        if changed:
            self.update_ms = self.now_ms
            event = {"e": "outboundAccountPosition", "E": self.now_ms, "u": self.now_ms,
                     "B": self.ledger.position_json(changed)}  # fmt: skip
            self.sink.user_event(event, False)

    # --- orders ----------------------------------------------------------------------------------
    def place(self, params: dict[str, str]) -> tuple[BnOrder, list[BnTrade], str]:
        """A new order: (the order, its fills at once, the answer type) or ``BnError``."""
        sym = self.symbols.get((params.get("symbol") or "").upper())
        last = self.last_price(sym) if sym is not None else None
        new = check_new(params, self.symbols, last, self.min_notional)
        sym, inst = new.sym, new.sym.inst
        if not new.client_id:
            new.client_id = self.core.ids.next("client").replace("-", "")[:22]
        if (sym.name, new.client_id) in self.by_client:
            raise BnError(-2010, "Duplicate order sent.")
        qty = inst.lots_to_qty(new.lots)
        if new.side == "BUY":
            asset = sym.quote
            ref = inst.ticks_to_price(new.price) if new.price is not None else last
            amount = qty * ref if ref is not None else Decimal(0)
        else:
            asset, amount = sym.base, qty
        if not self.ledger.can_spend(asset, amount):
            raise BnError(-2010, "Account has insufficient balance for requested action.")
        o = BnOrder(self._next("order"), new, self.now_ms)
        self.orders[o.order_id] = o
        self.by_client[(sym.name, o.client_id)] = o
        self.counts["orders"] += 1
        if new.side == "SELL" or new.price is not None:
            self.ledger.lock(asset, amount)
            o.locked = amount
        o.key = key = self.core.new_key(self)  # type: ignore[arg-type]
        self.by_key[key] = o
        try:
            order = Order(
                key, "binance", sym.name, Side(o.sign), TYPES[o.otype], o.lots,
                limit_ticks=o.price, stop_ticks=o.stop, time_in_force=TIFS[o.tif],
                post_only=o.otype == "LIMIT_MAKER",
            )  # fmt: skip
        except InvalidOrder as exc:
            self._forget(o)
            raise BnError(-1013, str(exc).replace(f"{key}: ", "")) from None
        self._fills, self._refused, self._placing = [], None, o
        market = self.books[sym.name].market
        try:
            self.core.deliver(market.arrive(order, self.core.now), market)
            fills = self._fills
        finally:
            self._fills, self._placing = None, None
        if self._refused is not None:
            self._forget(o)
            self.counts["rejects"] += 1
            if self._refused == "POST_ONLY_WOULD_TAKE":
                raise BnError(-2010, "Order would immediately match and take.")
            raise BnError(-2010, f"Order rejected: {self._refused}")
        default = "FULL" if o.otype in ("MARKET", "LIMIT") else "ACK"
        return o, fills, new.resp_type or default

    def _forget(self, o: BnOrder) -> None:
        self.ledger.unlock(o.sym.base if o.side == "SELL" else o.sym.quote, o.locked)
        self.ledger.take_changed()
        o.locked = Decimal(0)
        del self.orders[o.order_id]
        del self.by_client[(o.sym.name, o.client_id)]
        self.by_key.pop(o.key, None)

    def find(self, params: dict[str, str]) -> BnOrder | None:
        """The order ``orderId`` or ``origClientOrderId`` of ``symbol`` names (None: unknown)."""
        name = (params.get("symbol") or "").upper()
        if not name:
            raise BnError(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")  # fmt: skip
        if name not in self.symbols:
            raise BnError(-1121, "Invalid symbol.")
        if params.get("orderId"):
            try:
                o = self.orders.get(int(params["orderId"]))
            except ValueError:
                raise BnError(-1100, "Illegal characters found in parameter 'orderId'; legal range is '^[0-9]{1,20}$'.") from None  # fmt: skip
            return o if o is not None and o.sym.name == name else None
        if params.get("origClientOrderId"):
            return self.by_client.get((name, params["origClientOrderId"]))
        raise BnError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")  # fmt: skip

    def cancel(self, params: dict[str, str]) -> BnOrder:
        """Cancel an open order (``BnError`` -2011 when it is unknown or closed)."""
        o = self.find(params)
        if o is None or not o.is_open:
            raise BnError(-2011, UNKNOWN)
        o.cancel_client_id = (
            params.get("newClientOrderId") or self.core.ids.next("client").replace("-", "")[:22]
        )
        self.counts["cancels"] += 1
        self._refused = None
        market = self.books[o.sym.name].market
        self.core.deliver(market.cancel(o.key, self.core.now), market)
        if self._refused is not None:
            raise BnError(-2011, UNKNOWN)
        return o

    def open_orders(self, symbol: str | None) -> list[BnOrder]:
        return [o for o in self.orders.values()
                if o.is_open and (symbol is None or o.sym.name == symbol)]  # fmt: skip

    def all_orders(self, params: dict[str, str]) -> list[BnOrder]:
        name = _symbol(params, self.symbols)
        start = int(params.get("orderId") or 0)
        out = [o for o in self.orders.values() if o.sym.name == name and o.order_id >= start]
        out = [o for o in out if _in_window(o.time_ms, params)]
        return out[: _limit(params)] if params.get("orderId") else out[-_limit(params) :]

    def my_trades(self, params: dict[str, str]) -> list[BnTrade]:
        name = _symbol(params, self.symbols)
        out = [t for t in self.trades if t.order.sym.name == name]
        if params.get("orderId"):
            out = [t for t in out if t.order.order_id == int(params["orderId"])]
        if params.get("fromId"):
            start = int(params["fromId"])
            return [t for t in out if t.trade_id >= start][: _limit(params)]
        out = [t for t in out if _in_window(t.time_ms, params)]
        return out[-_limit(params) :]

    # --- reports of the simulated venue (routed by the core) -------------------------------------
    def receive(self, ev: Any) -> None:
        self._apply[type(ev)](ev)

    def _on_accepted(self, ev: OrderAccepted) -> None:
        self._report(self.by_key[ev.client_order_id], "NEW")

    def _on_triggered(self, ev: OrderTriggered) -> None:
        self.by_key[ev.client_order_id].working = True

    def _on_rejected(self, ev: OrderRejected) -> None:
        self._refused = ev.reason

    def _on_refused(self, ev: OrderCancelRejected) -> None:
        self._refused = ev.reason

    def _on_canceled(self, ev: OrderCanceled | OrderExpired) -> None:
        o = self.by_key[ev.client_order_id]
        asked = bool(o.cancel_client_id) and type(ev) is OrderCanceled  # why: else the venue's
        o.status = "CANCELED" if asked else "EXPIRED"
        o.update_ms = self.now_ms
        self.ledger.unlock(o.sym.base if o.side == "SELL" else o.sym.quote, o.locked)
        o.locked = Decimal(0)
        self._report(o, o.status)

    def _on_filled(self, ev: OrderFilled) -> None:
        o = self.by_key[ev.client_order_id]
        for piece in self.faults.split("partial", ev.qty_lots):
            self._execution(o, ev, piece)

    def _execution(self, o: BnOrder, ev: OrderFilled, lots: int) -> None:
        sym, inst, w = o.sym, o.sym.inst, self.ledger
        qty = inst.lots_to_qty(lots)
        notional = qty * inst.ticks_to_price(ev.price_ticks)
        maker = ev.liquidity == _MAKER
        bps = self.maker_bps if maker else self.taker_bps
        if o.side == "BUY":
            if o.price is not None:
                release = qty * inst.ticks_to_price(o.price)
                o.locked -= release
                w.unlock(sym.quote, release)
            w.move(sym.quote, -notional)
            fee, fee_asset = commission(qty, bps), sym.base
            w.move(sym.base, qty - fee)
        else:
            o.locked -= qty
            w.unlock(sym.base, qty)
            w.move(sym.base, -qty)
            fee, fee_asset = commission(notional, bps), sym.quote
            w.move(sym.quote, notional - fee)
        o.filled += lots
        o.quote += notional
        o.update_ms = self.now_ms
        o.status = "FILLED" if o.filled >= o.lots else "PARTIALLY_FILLED"
        if o.status == "FILLED" and o.locked:
            w.unlock(sym.base if o.side == "SELL" else sym.quote, o.locked)
            o.locked = Decimal(0)
        trade = BnTrade(self._next("trade"), o, lots, ev.price_ticks, fee, fee_asset, maker,
                        self.now_ms)  # fmt: skip
        self.trades.append(trade)
        if self._fills is not None and o is self._placing:
            self._fills.append(trade)
        self.counts["fills"] += 1
        self._report(o, "TRADE", trade)

    # --- views -----------------------------------------------------------------------------------
    def account_json(self) -> dict[str, Any]:
        """``GET /api/v3/account`` (the recorded fetchBalance's fields; ints for ids, times)."""
        rate = lambda bps: f"{bps / 10000:.8f}"  # noqa: E731
        return {
            "makerCommission": int(self.maker_bps), "takerCommission": int(self.taker_bps),
            "buyerCommission": 0, "sellerCommission": 0,
            "commissionRates": {"maker": rate(self.maker_bps), "taker": rate(self.taker_bps),
                                "buyer": "0.00000000", "seller": "0.00000000"},
            "canTrade": True, "canWithdraw": True, "canDeposit": True, "brokered": False,
            "requireSelfTradePrevention": False, "preventSor": False,
            "updateTime": self.update_ms, "accountType": "SPOT",
            "balances": self.ledger.balances_json(), "permissions": ["SPOT"], "uid": 100000001,
        }  # fmt: skip


def _symbol(params: dict[str, str], symbols: dict[str, BnSymbol]) -> str:
    name = (params.get("symbol") or "").upper()
    if not name:
        raise BnError(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")  # fmt: skip
    if name not in symbols:
        raise BnError(-1121, "Invalid symbol.")
    return name


def _limit(params: dict[str, str]) -> int:
    try:
        n = int(params.get("limit") or 500)
    except ValueError:
        raise BnError(-1100, "Illegal characters found in parameter 'limit'.") from None
    return max(1, min(n, MAX_LIMIT))


def _in_window(ms: int, params: dict[str, str]) -> bool:
    start, end = params.get("startTime"), params.get("endTime")
    return (not start or ms >= int(start)) and (not end or ms <= int(end))
