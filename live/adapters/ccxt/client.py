"""``CcxtAdapter``: a crypto exchange through ccxt (Binance spot first) behind the kernel's venue
port, on the adapter template (``live.adapters.template``).

Commands become REST calls (``ccxt.async_support``) on the event loop, each through the
``RestGate`` (429: wait ``Retry-After`` and send again; 418: no REST at all until the ban ends,
``VenueNotice("BN_BANNED")`` and ``VenueStatus`` down meanwhile, up again after a
reconciliation; -1021: the clock offset read again). What happens comes back on ccxt.pro's
user-data stream (``stream.UserStream``: ``watch_my_trades``, ``watch_orders``) and quotes on
``watch_bids_asks`` (``stream.QuoteStream``). The guarantees, as for every venue:

- Idempotent submit (``commands``): the kernel's client order id is ``newClientOrderId``; an
  unknown outcome (-1007, a timeout, a 5xx) is looked up by it before anything is sent again.
- Fills come from trades, never from order snapshots: the stream's trades, ``myTrades`` since
  the last trade read (``fromId``, per symbol) in every reconciliation, and ``myTrades`` of one
  order (``orderId``) when the exchange says it filled more than its trades showed within
  ``fill_wait_s``. Each fill once (its trade id, ``"BTCUSDT:12"``, through the once-gate); its
  commission exact, in the asset the exchange charged (``commission_currency``: a buy's fee in
  the base asset, a sell's in the quote, or BNB). A terminal event (canceled, expired) waits for
  the fills its order counts.
- Nothing lost: on start, after every (re)subscription of the user stream, after a ban, every
  ``reconcile_every_s`` and at the end, the template's ``reconcile``: trades since the last
  read, the open orders (``fetch_open_orders``), every order the kernel has open (by client
  order id), the account (``fetch_balance``: cash, buying power, positions, every asset exact).
  While the stream is down or REST banned, the kernel sees ``VenueStatus`` down (it reduces).
- Instruments (``fetch_instrument``): ``load_markets``: tick = PRICE_FILTER tickSize, lot =
  LOT_SIZE stepSize, currency = the quote, ``base`` = the base; the market's minimum quantity
  and notional are checked before an order is sent (``order_requests``).
- Secrets: the key and secret never appear in notices, events, errors or ``stats``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async

from kernel.events import (
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderTriggered,
)
from kernel.reconcile import (
    CANCELED,
    EXPIRED,
    FILLED,
    REJECTED,
    TERMINAL_EVENTS,
    WORKING,
    OrderState,
)
from kernel.rng import named_stream
from kernel.units import Instrument
from live.adapters.ccxt import parse
from live.adapters.ccxt.commands import OrderCommands, expiry_ns
from live.adapters.ccxt.config import CcxtConfig
from live.adapters.ccxt.errors import MalformedMessage, describe, guard_logger
from live.adapters.ccxt.order_requests import EXPIRING
from live.adapters.ccxt.parse import MarketSpec
from live.adapters.ccxt.reports import PAGE, CcxtReports
from live.adapters.ccxt.rest import RestGate
from live.adapters.ccxt.stream import Backoff, QuoteStream, UserStream
from live.adapters.ccxt.tracking import OrderBook
from live.adapters.template import VenueUnavailable, wall_ns

_ACKED = (WORKING, FILLED, CANCELED, EXPIRED)


def _exchange_class(module: Any, exchange: str) -> Any:
    cls = getattr(module, exchange, None)
    if cls is None or not isinstance(cls, type):
        raise ValueError(f"ccxt has no exchange {exchange!r}")
    return cls


def _rest_url(ex: Any) -> str | None:
    """The exchange's public REST URL as ccxt holds it (the sandbox's in sandbox mode)."""
    api = getattr(ex, "urls", {}).get("api")
    if isinstance(api, str):
        return api
    if isinstance(api, dict):
        for key in ("public", "rest", "spot"):
            if isinstance(api.get(key), str):
                return str(api[key])
    return None


class CcxtAdapter(CcxtReports):
    """The ccxt venue port on the adapter template. ``stats()`` reports submits, look-ups after
    unknown outcomes, sends again, rejects (local and the exchange's), cancels, duplicates
    dropped, reconciliations, fills recovered, REST calls, 429s, bans, stream connects and
    disconnects."""

    kind = "ccxt"

    def __init__(
        self,
        cfg: CcxtConfig,
        instruments: dict[str, Instrument],
        rest_exchange: Any = None,
        stream_exchange: Any = None,
    ) -> None:
        super().__init__(cfg.name, cfg.url, cfg.connect_timeout_s)
        self.cfg = cfg
        self.instruments = instruments
        if rest_exchange is None:
            rest_exchange = cfg.point(
                _exchange_class(ccxt_async, cfg.exchange)(cfg.exchange_settings())
            )
        if stream_exchange is None:
            stream_exchange = _pro_exchange(cfg)
        self.ex = rest_exchange
        self.pro = stream_exchange  # None: no websockets (REST polling only)
        if not cfg.base_url:
            self.url = _rest_url(self.ex) or self.url  # why: messages name where it connects
        for ex in (self.ex, self.pro):
            if ex is not None:
                guard_logger(getattr(ex, "logger", None), cfg.secrets())
        self.notice_prefix = "BN" if cfg.exchange.startswith("binance") else "CCXT"
        self.book = OrderBook()
        self.rest = RestGate(
            self.ex, self.counts, cfg.secrets(), self._on_ban, self._on_unban,
            cfg.retry_after_s, cfg.rate_limit_retries, cfg.ban_default_s,
        )  # fmt: skip
        if self.pro is not None:
            self.rest.mirrors.append(self.pro)
        self.orders = OrderCommands(
            cfg, self.rest, self.book, self.specs_get, self._inst, self._ref_price, self.put,
            self._on_snapshot, self._reconcile_soon, self.counts,
        )  # fmt: skip
        self.specs: dict[str, MarketSpec] = {}  # kernel symbol -> its market
        self.by_ccxt: dict[str, str] = {}  # ccxt symbol -> kernel symbol
        self.prices: dict[str, Decimal] = {}  # kernel symbol -> last mid
        self.cursor: dict[str, int] = {}  # kernel symbol -> the last trade id read from REST
        self._seen_seq: dict[str, int] = {}  # market id -> the highest trade id the kernel knows
        self._open_snapshot: dict[str, Any] = {}  # coid -> the exchange's order (this reconcile)
        self._reading: set[str] = set()  # orders whose trades are being read
        self._markets_loaded = False
        rng = named_stream(cfg.seed, f"ccxt:{cfg.name}:stream")
        self.user: UserStream | None = None
        self.quotes: QuoteStream | None = None
        if self.pro is not None:
            self.user = UserStream(
                self.pro, self._on_trades, self._on_orders, self._on_stream,
                Backoff(rng, cfg.backoff_s, cfg.backoff_max_s), cfg.timeout_s, cfg.secrets(),
            )  # fmt: skip
        self._rng = rng
        self.counts.update(dict.fromkeys(
            ("fills_streamed", "fills_read", "order_trades_read", "malformed", "quotes",
             "stream_drops", "expired_by_adapter"), 0))  # fmt: skip

    def specs_get(self, symbol: str) -> MarketSpec | None:
        return self.specs.get(symbol)

    def _inst(self, symbol: str) -> Instrument | None:
        return self.instruments.get(symbol)

    def _ref_price(self, symbol: str) -> Decimal | None:
        return self.prices.get(symbol)

    # --- adapter life ----------------------------------------------------------------------------
    async def probe(self) -> None:
        try:
            await self._load_markets()
            await self.rest.call("balance", self.ex.fetch_balance)
        except VenueUnavailable:
            raise
        except ccxt_async.AuthenticationError as exc:
            raise PermissionError(describe(exc, self.cfg.secrets())) from None
        except (ccxt_async.NetworkError, ccxt_async.ExchangeError) as exc:
            raise ConnectionError(describe(exc, self.cfg.secrets())) from None

    def bind(self, emit: Any, view: Any) -> None:
        super().bind(emit, view)
        for o in view.orders(self.name):
            self.book.delivered[o.client_order_id] = o.filled_lots
            if o.venue_order_id:
                self.book.track(o.client_order_id, o.symbol, o.venue_order_id)
            for tid in o.trade_ids:
                market_id, _, seq = tid.rpartition(":")
                if market_id and seq.isdigit():
                    self._seen_seq[market_id] = max(self._seen_seq.get(market_id, 0), int(seq))
            if o.is_open:
                sent = view.sent_order(o.client_order_id)
                if sent is not None and sent.time_in_force in EXPIRING:
                    self.book.expiry[o.client_order_id] = expiry_ns(sent)

    async def start(self) -> None:
        self._started = True
        await self._load_markets()
        for symbol in self._my_symbols():
            spec, inst = self._spec(symbol), self.instruments[symbol]
            if spec is not None and (spec.step % inst.lot_size or spec.tick % inst.tick_size):
                # why: the exchange fills and prices on its own grid; one the instrument cannot
                # express (a coarser lot or tick) makes those fills unreadable (malformed)
                await self.notice(
                    f"{self.notice_prefix}_GRID_MISMATCH",
                    f"{symbol}: instrument tick {inst.tick_size} lot {inst.lot_size}, "
                    f"the exchange's tick {spec.tick} step {spec.step}",
                )
        if self.user is not None:
            self._spawn(self.user.run())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.user.connected.wait(), self.cfg.timeout_s)
        self._reconcile_at = None
        await self.reconcile()  # why: the account first: positions and cash before any order
        syms = [self.specs[s].ccxt_symbol for s in self._my_symbols() if s in self.specs]
        if self.pro is not None and self.cfg.market_data and syms:
            self.quotes = QuoteStream(
                self.pro, syms, self._on_quotes,
                Backoff(self._rng, self.cfg.backoff_s, self.cfg.backoff_max_s), self.cfg.secrets(),
            )  # fmt: skip
            self._spawn(self.quotes.run())
        self._spawn(self._watchdog())

    async def stop(self) -> None:
        self._closing = True
        if self.user is not None:
            await self.user.close()
        self.rest.close()
        await self._cancel_tasks()
        for ex in (self.pro, self.ex):
            if ex is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ex.close(), 5.0)

    def is_connected(self) -> bool:
        stream_up = self.user is None or self.user.connected.is_set()
        return stream_up and not self.rest.banned

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.counts)
        out["banned"] = self.rest.banned
        if self.user is not None:
            out["stream"] = {"connects": self.user.connects, "disconnects": self.user.disconnects,
                             "messages": self.user.messages, "last_error": self.user.last_error}  # fmt: skip
        if self.quotes is not None:
            out["quotes_stream"] = {"updates": self.quotes.updates, "errors": self.quotes.errors}
        out["exchange"] = self.cfg.exchange
        return out

    # --- the venue port (``submit``, ``modify``, ``resend``: the template's) -----------------------
    def cancel(self, cmd: Any) -> None:
        self._spawn(self.orders.cancel(cmd.client_order_id, cmd.symbol))

    async def cancel_now(self, order: OrderState) -> bool:
        """At shutdown, an order still open: its cancel sent now, awaited (False: the exchange
        does not have it, or could not be asked)."""
        return await self.orders.cancel(order.client_order_id, order.symbol)

    # --- the once-gate, with the book of fills --------------------------------------------------
    async def put(self, event: Any) -> None:
        release = None
        if isinstance(event, OrderFilled):
            if event.trade_id not in self.rec.seen_trades:
                release = self.book.on_fill(event.client_order_id, event.qty_lots)
        elif type(event).__name__ in TERMINAL_EVENTS:
            self.book.held.pop(event.client_order_id, None)
        await super().put(event)
        if release is not None:
            await super().put(release)

    # --- what the exchange says ----------------------------------------------------------------------
    async def _on_snapshot(self, coid: str, snap: parse.OrderSnap) -> None:
        """An order's state (a REST answer or the stream): its acknowledgement, its trigger, its
        terminal event (after the fills it counts); fills never come from here."""
        now = wall_ns()
        ts = snap.ts_ns or now
        book = self.book
        book.track(coid, snap.symbol, snap.order_id)
        book.unknown.discard(coid)
        if snap.status in _ACKED and coid not in self.rec.acked:
            await self.put(OrderAccepted(coid, snap.order_id, ts, now))
        if snap.working and snap.order_type in parse.STOP_TYPES and coid not in book.triggered:
            book.triggered.add(coid)
            await self.put(OrderTriggered(coid, ts, now))
        book.note_executed(coid, snap.filled_lots, time.monotonic())
        event: Any = None
        if snap.status == CANCELED:
            if coid in book.expiring:
                self.counts["expired_by_adapter"] += 1
                event = OrderExpired(coid, ts, now)
            else:
                event = OrderCanceled(coid, ts, now)
        elif snap.status == EXPIRED:
            event = OrderExpired(coid, ts, now)
        elif snap.status == REJECTED:
            event = OrderRejected(coid, snap.reason or "VENUE_REJECTED", ts, now)
        if event is not None:
            book.expiry.pop(coid, None)
            if not book.hold(coid, event, snap.filled_lots):
                await self.put(event)
        elif snap.status == FILLED:
            book.expiry.pop(coid, None)

    async def _on_orders(self, orders: list[Any]) -> None:
        for o in orders:
            symbol = self.by_ccxt.get(str(o.get("symbol")))
            inst = self.instruments.get(symbol) if symbol else None
            if inst is None:
                continue
            try:
                snap = parse.parse_order(o, inst)
            except MalformedMessage as exc:
                await self._malformed(f"order: {exc}")
                continue
            coid = snap.client_order_id if self._is_ours(snap.client_order_id) else None
            coid = coid or self.book.coid_of(inst.symbol, snap.order_id)
            if coid is not None:
                await self._on_snapshot(coid, snap)

    async def _on_trades(self, trades: list[Any]) -> None:
        for t in trades:
            symbol = self.by_ccxt.get(str(t.get("symbol")))
            spec = self.specs.get(symbol) if symbol else None
            inst = self.instruments.get(symbol) if symbol else None
            if spec is None or inst is None:
                continue
            fill = await self._read_trade(t, spec, inst, "fills_streamed")
            if fill is not None:
                await self._deliver(fill, self._coid_of_fill(fill))

    def _coid_of_fill(self, fill: parse.Fill) -> str | None:
        if self._is_ours(fill.client_order_id):
            coid = fill.client_order_id
            self.book.track(coid, fill.symbol, fill.order_id)  # type: ignore[arg-type]
            return coid
        return self.book.coid_of(fill.symbol, fill.order_id)

    async def _deliver(self, fill: parse.Fill, coid: str | None) -> None:
        now = wall_ns()
        await self.put(OrderFilled(
            coid or f"external:{fill.order_id}", fill.order_id, fill.trade_id, fill.symbol,
            fill.side, fill.price_ticks, fill.qty_lots, fill.liquidity, fill.commission,
            fill.ts_ns or now, now, fill.commission_currency,
        ))  # fmt: skip

    async def _on_quotes(self, tickers: dict[str, Any]) -> None:
        now = wall_ns()
        for ccxt_symbol, ticker in tickers.items():
            symbol = self.by_ccxt.get(ccxt_symbol)
            inst = self.instruments.get(symbol) if symbol else None
            if inst is None or not isinstance(ticker, dict):
                continue
            try:
                quote = parse.parse_quote(ticker, inst, self.name, now)
            except MalformedMessage:
                self.counts["malformed"] += 1
                continue
            if quote is None:
                continue
            self.prices[inst.symbol] = inst.ticks_to_price(quote.bid_ticks + quote.ask_ticks) / 2
            self.counts["quotes"] += 1
            await self._emit(quote)  # type: ignore[misc]

    async def _on_stream(self, up: bool) -> None:
        if up:
            self._reconcile_soon()  # why: backfill what the stream missed while it was down
            return
        self.counts["stream_drops"] += 1
        if self._closing:
            return
        was = self.reconciled
        self.reconciled = False
        if was or self._started:
            await self.status(False, False)

    async def _on_ban(self, seconds: float, detail: str) -> None:
        self.reconciled = False
        await self.notice(
            f"{self.notice_prefix}_BANNED",
            f"the exchange banned this IP for {seconds:.1f} s: no REST calls until then ({detail})",
        )
        await self.status(False, False)

    async def _on_unban(self) -> None:
        await self.notice(f"{self.notice_prefix}_UNBANNED", "the ban ended: reconciling")
        self._reconcile_soon()

    # --- the watchdog ----------------------------------------------------------------------------
    async def _tick(self, times: list[float]) -> None:
        """The watchdog's: orders ahead of their fills, DAY / GTD expiries, reconciliations due
        or failed."""
        if self.view is None:
            return
        now = time.monotonic()
        if not self.rest.banned:
            for coid in self.book.overdue(now, self.cfg.fill_wait_s):
                if coid not in self._reading:
                    self._spawn(self._read_order_trades(coid))
            now_ns = wall_ns()
            for coid, at in list(self.book.expiry.items()):
                if now_ns >= at:
                    del self.book.expiry[coid]
                    order = self.view.get(coid)
                    if order is not None and order.is_open:
                        self._spawn(self.orders.cancel(coid, order.symbol, expire=True))
        if self.rest.banned or (self.user is not None and not self.user.connected.is_set()):
            return
        await self._reconcile_if_due(times, now, self.cfg.reconcile_every_s)

    async def _read_order_trades(self, coid: str) -> None:
        """An order the exchange says filled more than its trades showed: its trades read
        (``myTrades?orderId``); a terminal event held for them goes out after."""
        known = self.book.venue_ids.get(coid)
        if known is None:
            self.book.executed.pop(coid, None)
            return
        symbol, order_id = known
        spec, inst = self.specs.get(symbol), self.instruments.get(symbol)
        if spec is None or inst is None:
            return
        self._reading.add(coid)
        try:
            self.counts["order_trades_read"] += 1
            trades = await self.rest.call(
                f"trades of {coid}", self.ex.fetch_my_trades, spec.ccxt_symbol, None, PAGE,
                {"orderId": order_id},
            )  # fmt: skip
            for t in trades or ():
                fill = await self._read_trade(t, spec, inst, "fills_read")
                if fill is not None:
                    await self._deliver(fill, coid)
            ev = self.book.executed.get(coid)
            if ev is not None:
                # why: still short after reading them all: the trades lag the order; try again
                # later, but do not hold its terminal event back any longer
                self.book.executed[coid] = (ev[0], time.monotonic())
                held = self.book.release(coid)
                if held is not None:
                    await self.put(held)
        except (VenueUnavailable, ccxt_async.NetworkError, ccxt_async.ExchangeError):
            pass  # why: read again on the next tick past fill_wait_s, or by the reconciliation
        finally:
            self._reading.discard(coid)


def _pro_exchange(cfg: CcxtConfig) -> Any:
    """ccxt.pro's client for the exchange (None when ccxt.pro has none: REST polling only)."""
    try:
        import ccxt.pro as ccxt_pro
    except ImportError:  # pragma: no cover - ccxt ships ccxt.pro since 4.0
        return None
    cls = getattr(ccxt_pro, cfg.exchange, None)
    if cls is None or not isinstance(cls, type):
        return None
    return cfg.point(cls(cfg.exchange_settings()))
