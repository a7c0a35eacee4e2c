"""The CCXT adapter's markets and reconciliation reports: the base class ``CcxtReports`` of
``client.CcxtAdapter`` (split out to keep modules small; it holds no state of its own, the
adapter sets every attribute it declares).

- Markets (``load_markets`` once, then ``parse.market_spec`` per kernel symbol) and the
  instrument provider (``fetch_instrument``); ``held_symbols`` is empty (see there).
- ``fetch_fills``: per symbol, the open orders first (``fetch_open_orders``: no status ahead of
  its fills; their states answer ``fetch_order``), then every trade since the last one read
  (``myTrades?fromId``). A fresh session starts at the newest trade (what was traded before is
  in the balances), a resumed one at the last trade its kernel knows. A trade of an order this
  session never saw placed is looked up by order id: its client order id says whether it is
  ours (else ``client_order_id`` None: external).
- ``fetch_order``: from the open orders just read, else looked up by client order id; an order
  the exchange never had, whose cancel the kernel asked for, is reported canceled
  (``NEVER_AT_VENUE``: it never reached the exchange, and now never will).
- ``fetch_account``: ``fetch_balance`` (every asset exact) and the last prices
  (``parse.account_report``).
- ``reconcile`` is the template's, never while REST is banned.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async

from kernel.events import AccountReport
from kernel.reconcile import CANCELED, EXPIRED, FillReport, OrderState, OrderStatusReport
from kernel.units import Instrument
from live.adapters.ccxt import account, parse
from live.adapters.ccxt.commands import OrderCommands
from live.adapters.ccxt.config import CcxtConfig
from live.adapters.ccxt.errors import MalformedMessage, describe
from live.adapters.ccxt.parse import MarketSpec
from live.adapters.ccxt.rest import Banned, RestGate
from live.adapters.ccxt.tracking import OrderBook
from live.adapters.template import TaskedAdapter, VenueUnavailable, wall_ns

PAGE = 1000  # myTrades per request (Binance's maximum)


class CcxtReports(TaskedAdapter):
    """Markets, the instrument provider and the reconciliation reports (see the module)."""

    watchdog_errors = (VenueUnavailable, ccxt_async.BaseError)

    cfg: CcxtConfig
    instruments: dict[str, Instrument]
    ex: Any  # ccxt.async_support's exchange
    pro: Any  # ccxt.pro's (None: no websockets)
    rest: RestGate
    book: OrderBook
    orders: OrderCommands
    specs: dict[str, MarketSpec]  # kernel symbol -> its market
    by_ccxt: dict[str, str]  # ccxt symbol -> kernel symbol
    prices: dict[str, Decimal]  # kernel symbol -> last mid
    cursor: dict[str, int]  # kernel symbol -> the last trade id read from REST
    _seen_seq: dict[str, int]  # market id -> the highest trade id the kernel knows
    _open_snapshot: dict[str, Any]  # coid -> the exchange's order (this reconciliation)
    _markets_loaded: bool
    notice_prefix: str

    def _my_symbols(self) -> list[str]:
        return sorted(s for s, i in self.instruments.items() if i.venue in (None, self.name))

    def _is_ours(self, coid: str | None) -> bool:
        return bool(coid) and self.view is not None and self.view.get(coid) is not None  # type: ignore[arg-type]

    # --- markets and instruments -----------------------------------------------------------------
    async def _load_markets(self) -> None:
        if self._markets_loaded:
            return
        try:
            await self.rest.call("load markets", self.ex.load_markets)
        except (ccxt_async.NetworkError, ccxt_async.ExchangeError) as exc:
            raise VenueUnavailable(f"markets: {describe(exc, self.cfg.secrets())}") from None
        self._markets_loaded = True
        if self.pro is not None:
            self.pro.set_markets(self.ex.markets, getattr(self.ex, "currencies", None))
            diff = (getattr(self.ex, "options", None) or {}).get("timeDifference")
            if diff is not None:
                self.pro.options["timeDifference"] = diff

    def _market(self, symbol: str) -> Any:
        try:
            return self.ex.market(symbol)
        except ccxt_async.BadSymbol:
            return None

    def _spec(self, symbol: str) -> MarketSpec | None:
        spec = self.specs.get(symbol)
        if spec is not None:
            return spec
        market = self._market(symbol)
        if market is None:
            return None
        try:
            spec = parse.market_spec(
                market, symbol, str(getattr(self.ex, "name", "") or self.cfg.exchange),
                int(getattr(self.ex, "precisionMode", parse.TICK_SIZE) or parse.TICK_SIZE),
            )  # fmt: skip
        except MalformedMessage as exc:
            raise VenueUnavailable(f"market {symbol}: {exc}") from None
        self.specs[symbol] = spec
        self.by_ccxt[spec.ccxt_symbol] = symbol
        return spec

    async def fetch_instrument(self, symbol: str) -> Instrument | None:
        await self._load_markets()
        spec = self._spec(symbol)
        if spec is None:
            return None
        try:
            return parse.instrument_of(spec, self.name)
        except ValueError as exc:
            raise VenueUnavailable(f"market {symbol}: {exc}") from None

    def taker_bps(self) -> Decimal | None:
        """The exchange's taker fee for the session's markets, in bps (ccxt's market fee; the
        highest when they differ): the smart order router's default for this broker."""
        fees = []
        for spec in self.specs.values():
            market = (self.ex.markets or {}).get(spec.ccxt_symbol) or {}
            if market.get("taker") is not None:
                fees.append(Decimal(str(market["taker"])) * 10_000)
        return max(fees) if fees else None

    async def held_symbols(self) -> list[str]:
        """None: a crypto account's other assets are balances, not positions of the session.
        A testnet or a real account holds many (BNB kept for fees, dust of old trades): taking
        each as a pair to trade would subscribe to their markets and have the kill switch and
        ``emergency_flatten`` sell them. The session's own pairs (configured, scripted, the
        strategy's) adopt what the account holds of their base asset at start; every asset
        is in the summary's ``balances``."""
        return []

    async def _malformed(self, detail: str) -> None:
        self.counts["malformed"] += 1
        await self.notice(f"{self.notice_prefix}_MALFORMED", detail)
        self._reconcile_soon()  # why: what could not be read is read again

    async def _read_trade(
        self, raw: Any, spec: MarketSpec, inst: Instrument, counter: str
    ) -> parse.Fill | None:
        """A trade the exchange sent as a fill (None: malformed, reported); ``counts[counter]``
        counts it when the kernel has not seen it yet."""
        try:
            fill = parse.parse_trade(raw, spec, inst)
        except MalformedMessage as exc:
            await self._malformed(f"trade: {exc}")
            return None
        if fill.trade_id not in self.rec.seen_trades:
            self.counts[counter] += 1
        return fill

    # --- the reconciliation reports ----------------------------------------------------------------
    async def reconcile(self, final: bool = False) -> bool:
        if self.rest.banned:
            return False  # why: no REST call may go out; the end of the ban reconciles
        return await super().reconcile(final)

    def _describe(self, exc: BaseException) -> str:
        return describe(exc, self.cfg.secrets())

    def _unavailable(self, what: str, exc: BaseException) -> VenueUnavailable:
        if isinstance(exc, VenueUnavailable):
            return exc
        return VenueUnavailable(f"{what}: {self._describe(exc)}")

    async def fetch_fills(self) -> list[FillReport]:
        """Open orders first (no status ahead of its fills), then every trade since the last
        one read, per symbol (``fromId``); a fresh session starts at the newest trade (what
        was traded before is in the balances), a resumed one at the last its kernel knows."""
        await self._load_markets()
        out: list[FillReport] = []
        snapshot: dict[str, Any] = {}
        for symbol in self._my_symbols():
            spec, inst = self._spec(symbol), self.instruments.get(symbol)
            if spec is None or inst is None:
                continue
            try:
                opens = await self.rest.call(
                    f"open orders {symbol}", self.ex.fetch_open_orders, spec.ccxt_symbol
                )
                for o in opens or ():
                    coid = str(o.get("clientOrderId") or "")
                    if coid:
                        snapshot[coid] = o
                out.extend(await self._trades_since(spec, inst))
            except (VenueUnavailable, ccxt_async.NetworkError, ccxt_async.ExchangeError) as exc:
                raise self._unavailable(f"trades {symbol}", exc) from None
        self._open_snapshot = snapshot
        return out

    async def _trades_since(self, spec: MarketSpec, inst: Instrument) -> list[FillReport]:
        symbol = inst.symbol
        cursor = self.cursor.get(symbol)
        if cursor is None:
            cursor = self._seen_seq.get(spec.market_id)
        if cursor is None:
            newest = await self.rest.call(
                f"newest trade {symbol}", self.ex.fetch_my_trades, spec.ccxt_symbol, None, 1
            )
            seqs = [parse.parse_trade(t, spec, inst).seq for t in newest or ()]
            self.cursor[symbol] = max((s for s in seqs if s is not None), default=0)
            return []
        out: list[FillReport] = []
        while True:
            trades = await self.rest.call(
                f"trades {symbol}", self.ex.fetch_my_trades, spec.ccxt_symbol, None, PAGE,
                {"fromId": cursor + 1},
            )  # fmt: skip
            for t in trades or ():
                fill = await self._read_trade(t, spec, inst, "fills_read")
                if fill is None:
                    continue
                if fill.seq is not None:
                    cursor = max(cursor, fill.seq)
                out.append(await self._fill_report(fill))
            self.cursor[symbol] = cursor
            if len(trades or ()) < PAGE:
                return out

    async def _fill_report(self, fill: parse.Fill) -> FillReport:
        coid = self.book.coid_of(fill.symbol, fill.order_id)
        key = (fill.symbol, fill.order_id)
        if (
            coid is None
            and key not in self.book.external
            and fill.trade_id not in self.rec.seen_trades
        ):
            # why: an order this session did not see placed (a restart, a lost answer): the
            # exchange's client order id says whether it is ours
            spec = self.specs[fill.symbol]
            try:
                found = await self.rest.call(
                    f"order {fill.order_id}", self.ex.fetch_order, fill.order_id, spec.ccxt_symbol
                )
            except ccxt_async.OrderNotFound:
                found = None  # why: the exchange forgot it (archived): not one it can name ours
            cid = str((found or {}).get("clientOrderId") or "")
            if self._is_ours(cid):
                coid = cid
                self.book.track(cid, fill.symbol, fill.order_id)
            else:
                self.book.external[key] = True
        return FillReport(
            fill.order_id, fill.trade_id, fill.symbol, fill.side, fill.price_ticks,
            fill.qty_lots, fill.ts_ns, coid, fill.commission, fill.liquidity,
            fill.commission_currency,
        )  # fmt: skip

    async def fetch_order(self, order: OrderState) -> OrderStatusReport | None:
        coid = order.client_order_id
        if coid in self.book.submitting:
            return None  # why: its submission is under way (in flight: never resent)
        inst = self.instruments.get(order.symbol)
        spec = self._spec(order.symbol)
        if inst is None or spec is None:
            return None
        raw = self._open_snapshot.get(coid)
        if raw is None:
            raw = await self.orders.look_up(coid, spec)  # VenueUnavailable: not now
        if raw is None:
            if coid in self.orders.cancel_asked and coid not in self.book.submitting:
                # why: the exchange never had it, nothing is under way, and the kernel asked to
                # cancel it: it never reached the exchange, and now never will
                return OrderStatusReport(coid, "", CANCELED, 0, wall_ns(), "NEVER_AT_VENUE")
            return None
        try:
            snap = parse.parse_order(raw, inst)
        except MalformedMessage as exc:
            raise VenueUnavailable(f"order {coid}: {exc}") from None
        self.book.track(coid, inst.symbol, snap.order_id)
        self.book.unknown.discard(coid)
        self.book.note_executed(coid, snap.filled_lots, time.monotonic())
        if snap.status == CANCELED and coid in self.book.expiring:
            snap = parse.OrderSnap(
                snap.order_id, snap.client_order_id, snap.symbol, EXPIRED, snap.filled_lots,
                snap.ts_ns, snap.order_type, snap.working, snap.reason,
            )  # fmt: skip
        return parse.status_report(snap, coid)

    async def _balances(self) -> dict[str, tuple[Decimal, Decimal]]:
        try:
            bal = await self.rest.call("balance", self.ex.fetch_balance)
        except (VenueUnavailable, ccxt_async.NetworkError, ccxt_async.ExchangeError) as exc:
            raise self._unavailable("balance", exc) from None
        try:
            return parse.parse_balances(bal)
        except MalformedMessage as exc:
            raise VenueUnavailable(f"balance: {exc}") from None

    async def fetch_account(self, final: bool) -> AccountReport:
        balances = await self._balances()
        mine = [self.instruments[s] for s in self._my_symbols()]
        currency = account.account_currency(self.cfg.quote, mine, self.cfg.exchange)
        for inst in mine:
            base = balances.get(inst.base or "", (Decimal(0), Decimal(0)))
            if inst.symbol not in self.prices and sum(base) > 0:
                await self._read_price(inst.symbol)
        return parse.account_report(
            self.name, currency, balances, mine, self.prices.get, final, wall_ns()
        )

    async def _read_price(self, symbol: str) -> None:
        spec = self.specs.get(symbol)
        if spec is None:
            return
        try:
            ticker = await self.rest.call(
                f"ticker {symbol}", self.ex.fetch_ticker, spec.ccxt_symbol
            )
        except Banned:
            raise
        except (VenueUnavailable, ccxt_async.NetworkError, ccxt_async.ExchangeError):
            return  # why: the equity is approximate; a holding without a price counts 0
        last = (ticker or {}).get("last") or (ticker or {}).get("close")
        if last:
            self.prices[symbol] = parse.dec(last, "last")
