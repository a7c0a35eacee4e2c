"""``AlpacaAdapter``: Alpaca behind the kernel's venue port, built never to lose or duplicate.

Commands become REST calls on the event loop (the kernel never waits). What happens comes back
on the ``trade_updates`` stream and is translated by ``parse``; market data comes on the data
stream. The guarantees:

- Idempotent submit: the client order id is the kernel's. When a submit times out or fails with
  a 5xx, its effect is unknown, so the order is looked up by client order id before it is ever
  sent again: found, it is ours; not found, it is sent again (the same id cannot make two).
- Nothing duplicated: fills are recognised by execution id, acknowledgements and terminal events
  per order, whether they come from the stream, a REST answer or a reconciliation.
- Nothing lost: on start, after every reconnect, periodically and at the end the adapter reports
  (the template's ``reconcile``): fills since the last one known (the account's fill
  activities), the status of every order the kernel has open, and the account (cash, equity,
  buying power, positions with average cost); the shared reconciler (``kernel.reconcile``)
  decides what the kernel missed and which orders the venue never received (sent again). The
  kernel sees ``VenueStatus`` down while disconnected (the risk guard reduces; orders for this
  broker are denied ``BROKER_DOWN``) and up, reconciled, after.
- Instruments: ``GET /v2/assets/{symbol}`` gives tick (``price_increment``, else Alpaca's
  equity rule: 0.01) and lot (``min_trade_increment``, else 1), in USD.
- A watchdog checks a stream that stays open but goes silent while orders are open: it
  reconciles through REST, and reconnects when REST knew something the stream did not say.
- Replacement orders (PATCH makes a new Alpaca order) get the client order id
  ``<kernel id>~r<n>``; events for them are reported under the kernel's id.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import aiohttp

from kernel.events import (
    AccountReport,
    OrderAccepted,
    OrderCancelRejected,
    OrderModifyRejected,
    OrderRejected,
)
from kernel.reconcile import FillReport, OrderState, OrderStatusReport
from kernel.rng import named_stream
from kernel.units import Instrument
from live.adapters.alpaca import parse
from live.adapters.alpaca.config import AlpacaConfig
from live.adapters.alpaca.errors import (
    AlpacaError,
    NotFound,
    ServerError,
    Unsupported,
    is_duplicate_client_order_id,
)
from live.adapters.alpaca.http import AlpacaHttp, TransportError
from live.adapters.alpaca.stream import StreamClient
from live.adapters.template import VenueAdapter, VenueUnavailable, wall_ns


class AlpacaAdapter(VenueAdapter):
    """The Alpaca venue port on the adapter template. ``stats()`` reports submits, lookups after
    timeouts, resends, duplicates dropped, reconciliations and the events they recovered."""

    kind = "alpaca"

    def __init__(
        self,
        cfg: AlpacaConfig,
        instruments: dict[str, Instrument],
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        super().__init__(cfg.name, cfg.base_url, cfg.connect_timeout_s)
        self.cfg = cfg
        self.instruments = instruments
        self.http = AlpacaHttp(cfg, named_stream(cfg.seed, f"alpaca:{cfg.name}:http"), session)
        self.trading = StreamClient(
            cfg,
            "trading",
            self._on_trade_update,
            self._on_trading_state,
            named_stream(cfg.seed, f"alpaca:{cfg.name}:stream"),
        )
        self.data: StreamClient | None = None
        self._tasks: set[asyncio.Task] = set()
        self.ready = asyncio.Event()
        self.alpaca_id: dict[str, str] = {}  # kernel client order id -> current Alpaca order id
        self.kernel_id: dict[str, str] = {}  # Alpaca client order id (incl. ~r<n>) -> kernel id
        self.by_alpaca_id: dict[str, str] = {}  # Alpaca order id -> kernel id
        self.replacements: dict[str, int] = {}
        self.last_fill_at: str | None = None
        self._fill_cursor_set = False
        self._submitting: set[str] = set()  # client order ids with a submission in flight
        self.counts.update(
            {
                "submits": 0,
                "found_after_timeout": 0,
                "rejected": 0,
                "cancels": 0,
                "replaces": 0,
                "stale_checks": 0,
                "stale_reconnects": 0,
            }
        )

    # --- adapter life -----------------------------------------------------------------------------
    def bind(self, emit: Any, view: Any) -> None:
        super().bind(emit, view)
        for order in view.orders(self.name):
            if order.venue_order_id:
                self.alpaca_id[order.client_order_id] = order.venue_order_id
                self.by_alpaca_id[order.venue_order_id] = order.client_order_id
        # why: a kernel that already traded here (rebuilt from its journal) knows its fills by
        # trade id: every fill activity is read and the known ones dropped; a fresh session
        # starts its fill cursor at the newest activity (earlier fills are in the positions)
        self._fill_cursor_set = bool(self.alpaca_id)

    async def probe(self) -> None:
        await self.http.open()
        try:
            await self.http.request("GET", "/v2/account")
        except TransportError as exc:
            raise ConnectionError(exc.message) from None
        except ServerError as exc:
            raise VenueUnavailable(f"HTTP {exc.status}") from None
        except AlpacaError as exc:
            if exc.status in (401, 403):
                raise PermissionError(f"HTTP {exc.status}") from None
            raise ConnectionError(f"HTTP {exc.status}: {exc.message}") from None

    async def held_symbols(self) -> list[str]:
        """The symbols the account holds now (their positions are adopted at start)."""
        try:
            rows = await self.http.positions()
        except AlpacaError as exc:
            raise VenueUnavailable(f"positions: {_what(exc)}") from None
        return sorted(str(r.get("symbol")) for r in rows if r.get("symbol"))

    async def fetch_instrument(self, symbol: str) -> Instrument | None:
        try:
            asset = await self.http.request("GET", f"/v2/assets/{symbol}", safe=True)
        except NotFound:
            return None
        except AlpacaError as exc:
            raise VenueUnavailable(f"asset {symbol}: {exc.message}") from None
        return parse.instrument_from_asset(asset, self.name)

    async def start(self) -> None:
        await self.http.open()
        await self.reconcile()  # why: the account first: positions and cash before any order
        syms = [s for s in self.cfg.symbols if s in self.instruments] or list(self.instruments)
        if syms and self.cfg.data_url:
            self.data = StreamClient(
                self.cfg,
                "data",
                self._on_data,
                self._on_data_state,
                named_stream(self.cfg.seed, f"alpaca:{self.cfg.name}:data"),
                subscribe={"quotes": syms, "trades": syms},
            )
        self._spawn(self.trading.run(), keep=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.trading.connected.wait(), self.cfg.timeout_s)
        if self.data is not None:
            self._spawn(self.data.run(), keep=True)
        self._spawn(self._watchdog(), keep=True)
        self.ready.set()

    async def stop(self) -> None:
        await self.trading.close()
        if self.data is not None:
            await self.data.close()
        pending = [t for t in self._tasks if not t.done()]
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.http.close()

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.counts)
        out["http"] = dict(self.http.stats)
        out["stream"] = {
            "connects": self.trading.connects,
            "disconnects": self.trading.disconnects,
            "messages": self.trading.messages,
        }
        return out

    def is_connected(self) -> bool:
        return self.trading.connected.is_set()

    def _spawn(self, coro: Any, keep: bool = False) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        if not keep:
            task.add_done_callback(self._tasks.discard)

    # --- the venue port (the kernel calls these; they only schedule work) ---------------------------
    def submit(self, cmd: Any) -> None:
        self._spawn(self._submit(cmd.order))

    def cancel(self, cmd: Any) -> None:
        self._spawn(self._cancel(cmd.client_order_id))

    def modify(self, cmd: Any) -> None:
        self._spawn(self._modify(cmd))

    def resend(self, client_order_id: str) -> None:
        order = self.kernel_order(client_order_id)
        if order is not None:
            self._spawn(self._submit(order))

    def kernel_order(self, client_order_id: str) -> Any:
        """The order as the kernel sent it (to send it again)."""
        return self.view.sent_order(client_order_id) if self.view is not None else None

    def in_flight(self) -> set[str]:
        return set(self._submitting) | set(self.alpaca_id)

    def _track(self, kernel_id: str, alpaca_coid: str, alpaca_id: str) -> None:
        self.alpaca_id[kernel_id] = alpaca_id
        self.kernel_id[alpaca_coid] = kernel_id
        self.by_alpaca_id[alpaca_id] = kernel_id

    def client_id_of(self, alpaca_coid: str) -> str:
        """The kernel's id for an Alpaca client order id (a replacement's maps to its original)."""
        known = self.kernel_id.get(alpaca_coid)
        if known is not None:
            return known
        return alpaca_coid.split("~r", 1)[0]

    async def _submit(self, order: Any) -> None:
        coid = order.client_order_id
        if coid in self._submitting:
            return  # why: one submission per order at a time; a second would meet the first
        self._submitting.add(coid)
        try:
            await self._submit_once(order)
        finally:
            self._submitting.discard(coid)

    async def _submit_once(self, order: Any) -> None:
        await self.ready.wait()
        coid = order.client_order_id
        inst = self.instruments[order.symbol]
        now = wall_ns
        try:
            body = parse.order_request(order, inst, coid)
        except Unsupported as exc:
            await self.put(OrderRejected(coid, f"UNSUPPORTED: {exc}", now(), now()))
            return
        for attempt in range(self.cfg.max_retries + 1):
            self.counts["submits"] += 1
            try:
                resp = await self.http.submit_order(body)
                break
            except (TransportError, ServerError):
                # why: the effect is unknown: the order may exist; look before sending again
                try:
                    resp = await self.http.order_by_client_id(coid)
                    self.counts["found_after_timeout"] += 1
                    break
                except NotFound:
                    if attempt == self.cfg.max_retries:
                        await self.put(OrderRejected(coid, "VENUE_UNREACHABLE", now(), now()))
                        return
                    self.counts["resent"] += 1
                except AlpacaError:
                    await self.put(OrderRejected(coid, "VENUE_UNREACHABLE", now(), now()))
                    return
            except AlpacaError as exc:
                if is_duplicate_client_order_id(exc):
                    # why: the venue already has this order (an earlier attempt whose answer
                    # was lost): it is working there, not rejected; take its state
                    try:
                        resp = await self.http.order_by_client_id(coid)
                        self.counts["found_after_timeout"] += 1
                        break
                    except AlpacaError:
                        pass
                self.counts["rejected"] += 1
                await self.put(
                    OrderRejected(coid, f"HTTP {exc.status}: {exc.message}", now(), now())
                )
                return
        snap = parse.parse_order(resp, inst)
        self._track(coid, snap.client_order_id, snap.id)
        await self.put(OrderAccepted(coid, snap.id, snap.submitted_ns or now(), now()))

    async def _cancel(self, coid: str) -> None:
        await self.ready.wait()
        self.counts["cancels"] += 1
        aid = await self._alpaca_id(coid)
        if aid is None:
            await self.put(OrderCancelRejected(coid, "UNKNOWN_AT_VENUE", wall_ns(), wall_ns()))
            return
        try:
            await self.http.cancel_order(aid)
        except AlpacaError as exc:
            await self.put(
                OrderCancelRejected(coid, f"HTTP {exc.status}: {exc.message}", wall_ns(), wall_ns())
            )

    async def _modify(self, cmd: Any) -> None:
        await self.ready.wait()
        coid = cmd.client_order_id
        aid = await self._alpaca_id(coid)
        if aid is None:
            await self.put(OrderModifyRejected(coid, "UNKNOWN_AT_VENUE", wall_ns(), wall_ns()))
            return
        n = self.replacements.get(coid, 0) + 1
        self.replacements[coid] = n
        new_coid = f"{coid}~r{n}"
        inst = self.instruments[cmd.symbol]
        try:
            body = parse.replace_request(
                cmd.quantity_lots, cmd.limit_ticks, cmd.stop_ticks, inst, new_coid
            )
            resp = await self.http.replace_order(aid, body)
        except (AlpacaError, Unsupported) as exc:
            await self.put(
                OrderModifyRejected(coid, str(getattr(exc, "message", exc)), wall_ns(), wall_ns())
            )
            return
        self.counts["replaces"] += 1
        self._track(coid, new_coid, parse.parse_order(resp, inst).id)

    async def _alpaca_id(self, coid: str) -> str | None:
        aid = self.alpaca_id.get(coid)
        if aid is not None:
            return aid
        try:
            snap = parse.parse_order(await self.http.order_by_client_id(coid), None)
        except AlpacaError:
            return None
        self._track(coid, snap.client_order_id, snap.id)
        return snap.id

    # --- streams ------------------------------------------------------------------------------------
    async def _on_trade_update(self, msg: Any) -> None:
        if not isinstance(msg, dict) or msg.get("stream") != "trade_updates":
            return
        order = (msg.get("data") or {}).get("order") or {}
        if order.get("id") and order.get("client_order_id"):
            kid = self.client_id_of(order["client_order_id"])
            self.by_alpaca_id.setdefault(order["id"], kid)
        for event in parse.parse_trade_update(msg, self._instrument_of, self.client_id_of):
            await self.put(event)

    def _instrument_of(self, symbol: str) -> Instrument | None:
        return self.instruments.get(symbol)

    async def _on_trading_state(self, connected: bool) -> None:
        if not connected:
            self.reconciled = False
            await self.status(False, False)
            return
        await self.reconcile()  # emits VenueStatus(up, reconciled) when it succeeds

    async def _on_data(self, msg: Any) -> None:
        for event in parse.parse_market_data(msg, self._instrument_of, wall_ns()):
            if hasattr(event, "venue"):
                event.venue = self.name  # why: this venue's market (smart order routing)
            await self._emit(event)  # type: ignore[misc]

    async def _on_data_state(self, connected: bool) -> None:
        pass

    # --- reconciliation reports -----------------------------------------------------------------
    async def fetch_fills(self) -> list[FillReport]:
        try:
            activities = await self.http.fill_activities(self.last_fill_at)
        except AlpacaError as exc:
            raise VenueUnavailable(f"fill activities: {_what(exc)}") from None
        if not self._fill_cursor_set:
            # why: a fresh session: what was filled before it is in the account's positions
            self._fill_cursor_set = True
            while activities:
                self.last_fill_at = activities[-1].get("transaction_time") or self.last_fill_at
                if len(activities) < 100:
                    break
                try:
                    activities = await self.http.fill_activities(self.last_fill_at)
                except AlpacaError as exc:
                    raise VenueUnavailable(f"fill activities: {_what(exc)}") from None
            return []
        out = []
        for act in activities:
            fill = parse.parse_fill_activity(act, self._instrument_of)
            self.last_fill_at = act.get("transaction_time") or self.last_fill_at
            if fill is None:
                continue
            kid = self.by_alpaca_id.get(fill.order_id)
            if kid is None and fill.execution_id not in self.rec.seen_trades:
                try:
                    snap = parse.parse_order(await self.http.get_order(fill.order_id), None)
                    kid = self.client_id_of(snap.client_order_id)
                    self.by_alpaca_id[fill.order_id] = kid
                except NotFound:
                    kid = None
                except AlpacaError as exc:
                    raise VenueUnavailable(f"order {fill.order_id}: {_what(exc)}") from None
            out.append(
                FillReport(
                    fill.order_id,
                    fill.execution_id,
                    fill.symbol,
                    fill.side,
                    fill.price_ticks,
                    fill.qty_lots,
                    fill.ts_ns,
                    kid,
                )
            )
        return out

    async def fetch_order(self, order: OrderState) -> OrderStatusReport | None:
        coid = order.client_order_id
        try:
            resp = await self.http.order_by_client_id(self._current_coid(coid))
        except NotFound:
            return None
        except AlpacaError as exc:
            raise VenueUnavailable(f"order {coid}: {_what(exc)}") from None
        snap = parse.parse_order(resp, self.instruments.get(order.symbol))
        self._track(coid, snap.client_order_id, snap.id)
        return parse.status_report(snap, coid)

    async def cancel_now(self, order: OrderState) -> bool:
        coid = order.client_order_id
        aid = await self._alpaca_id(self._current_coid(coid))
        if aid is None:
            return False  # why: the venue does not know it (its submit never landed)
        try:
            await self.http.cancel_order(aid)
        except AlpacaError as exc:
            raise VenueUnavailable(f"cancel {coid}: {_what(exc)}") from None
        return True

    async def fetch_account(self, final: bool) -> AccountReport:
        try:
            account = parse.parse_account(await self.http.account())
            rows = await self.http.positions()
        except AlpacaError as exc:
            raise VenueUnavailable(f"account: {_what(exc)}") from None
        positions = []
        for row in rows:
            pos = parse.position_report(row, self._instrument_of)
            if pos is None:
                continue
            positions.append(pos)
        now = wall_ns()
        return AccountReport(
            self.name,
            account.currency,
            account.cash or 0,
            account.equity or 0,
            account.buying_power if account.buying_power is not None else account.cash or 0,
            tuple(sorted(positions)),
            final,
            now,
            now,
        )

    def _current_coid(self, coid: str) -> str:
        n = self.replacements.get(coid, 0)
        return coid if n == 0 else f"{coid}~r{n}"

    async def _watchdog(self) -> None:
        """A stream open but silent while orders are open: check REST; reconnect if it knew more.
        And a full reconciliation every ``reconcile_every_s`` whatever the stream does (it also
        brings a venue whose last reconciliation failed back to reconciled)."""
        cfg = self.cfg
        period = max(min(cfg.stale_after_s, cfg.reconcile_every_s) / 2, 0.05)
        last_full = time.monotonic()
        while True:
            await asyncio.sleep(period)
            if not self.trading.connected.is_set() or self.view is None:
                continue
            now = time.monotonic()
            if now - last_full >= cfg.reconcile_every_s or not self.reconciled:
                last_full = now
                await self.reconcile()
                continue
            silent = now - self.trading.last_message
            if silent < cfg.stale_after_s or not self.view.has_open(self.name):
                continue
            self.counts["stale_checks"] += 1
            before = self.counts["recovered_events"]
            await self.reconcile()
            if self.counts["recovered_events"] > before:
                self.counts["stale_reconnects"] += 1
                await self.trading.reconnect()
            self.trading.last_message = time.monotonic()


def _what(exc: AlpacaError) -> str:
    return f"HTTP {exc.status}: {exc.message}" if exc.status else exc.message
