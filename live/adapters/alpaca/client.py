"""``AlpacaAdapter``: Alpaca behind the kernel's venue port, built never to lose or duplicate.

Commands become REST calls on the event loop (the kernel never waits). What happens comes back
on the ``trade_updates`` stream and is translated by ``parse``; market data comes on the data
stream. The guarantees:

- Idempotent submit: the client order id is the kernel's. When a submit times out or fails with
  a 5xx, its effect is unknown, so the order is looked up by client order id before it is ever
  sent again: found, it is ours; not found, it is sent again (the same id cannot make two).
- Nothing duplicated: fills are recognised by execution id, acknowledgements and terminal events
  per order, whether they come from the stream, a REST answer or a reconciliation.
- Nothing lost: on start and after every reconnect the adapter reconciles: fills since the last
  one known (the account's fill activities), the status of every order the kernel has open, and
  kernel orders the venue never received (sent again). The kernel sees ``VenueStatus`` down
  while disconnected (the risk guard reduces) and up, reconciled, after.
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
    OrderAccepted,
    OrderCancelRejected,
    OrderFilled,
    OrderModifyRejected,
    OrderRejected,
    RiskEvent,
    VenueStatus,
)
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
from live.adapters.base import Emit

_TERMINAL = {"OrderCanceled", "OrderExpired", "OrderRejected"}


def _now() -> int:
    return time.time_ns()


class AlpacaAdapter:
    """The Alpaca venue port. ``stats()`` reports submits, lookups after timeouts, resends,
    duplicates dropped, reconciliations and the events they recovered."""

    def __init__(
        self,
        cfg: AlpacaConfig,
        instruments: dict[str, Instrument],
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.name = cfg.name
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
        syms = [s for s in cfg.symbols if s in instruments]
        self.data = (
            StreamClient(
                cfg,
                "data",
                self._on_data,
                self._on_data_state,
                named_stream(cfg.seed, f"alpaca:{cfg.name}:data"),
                subscribe={"quotes": syms, "trades": syms},
            )
            if syms and cfg.data_url
            else None
        )
        self.kernel: Any = None
        self._emit: Emit | None = None
        self._tasks: set[asyncio.Task] = set()
        self.ready = asyncio.Event()
        self._lock = asyncio.Lock()  # one reconciliation at a time
        self.alpaca_id: dict[str, str] = {}  # kernel client order id -> current Alpaca order id
        self.kernel_id: dict[str, str] = {}  # Alpaca client order id (incl. ~r<n>) -> kernel id
        self.by_alpaca_id: dict[str, str] = {}  # Alpaca order id -> kernel id
        self.replacements: dict[str, int] = {}
        self.seen_exec: set[str] = set()
        self.acked: set[str] = set()
        self.closed: set[tuple[str, str]] = set()
        self.last_fill_at: str | None = None
        self._submitting: set[str] = set()  # client order ids with a submission in flight
        self.counts = {
            "submits": 0,
            "found_after_timeout": 0,
            "resent": 0,
            "rejected": 0,
            "cancels": 0,
            "replaces": 0,
            "duplicates_dropped": 0,
            "reconciliations": 0,
            "recovered_events": 0,
            "stale_checks": 0,
            "stale_reconnects": 0,
        }

    # --- adapter life -----------------------------------------------------------------------------
    def bind(self, emit: Emit, kernel: Any) -> None:
        self._emit = emit
        self.kernel = kernel
        self._learn(kernel)

    def _learn(self, kernel: Any) -> None:
        """Start from what the kernel already knows (a kernel rebuilt from its journal after a
        crash): its executions, acknowledgements, closed orders and Alpaca order ids, so the
        first reconciliation sends only what was missed."""
        for order in kernel.oms.orders.values():
            if (order.venue or self.name) != self.name:
                continue
            coid = order.client_order_id
            self.seen_exec.update(order._trade_ids or ())
            if order.venue_order_id:
                self.acked.add(coid)
                self.alpaca_id[coid] = order.venue_order_id
                self.by_alpaca_id[order.venue_order_id] = coid
            status = order.status.name
            if status in ("CANCELED", "EXPIRED", "REJECTED"):
                self.closed.add((coid, "Order" + status.capitalize()))

    async def start(self) -> None:
        await self.http.open()
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
        out = dict(self.counts)
        out["http"] = dict(self.http.stats)
        out["stream"] = {
            "connects": self.trading.connects,
            "disconnects": self.trading.disconnects,
            "messages": self.trading.messages,
        }
        return out

    def _spawn(self, coro: Any, keep: bool = False) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        if not keep:
            task.add_done_callback(self._tasks.discard)

    async def _put(self, event: Any) -> None:
        """Emit once: fills by execution id, acks and terminal events once per order."""
        name = type(event).__name__
        if name == "OrderFilled":
            if event.trade_id in self.seen_exec:
                self.counts["duplicates_dropped"] += 1
                return
            self.seen_exec.add(event.trade_id)
        elif name == "OrderAccepted":
            if event.client_order_id in self.acked:
                self.counts["duplicates_dropped"] += 1
                return
            self.acked.add(event.client_order_id)
        elif name in _TERMINAL:
            key = (event.client_order_id, name)
            if key in self.closed:
                self.counts["duplicates_dropped"] += 1
                return
            self.closed.add(key)
        await self._emit(event)  # type: ignore[misc]

    # --- the venue port (the kernel calls these; they only schedule work) ---------------------------
    def submit(self, cmd: Any) -> None:
        self._spawn(self._submit(cmd.order))

    def cancel(self, cmd: Any) -> None:
        self._spawn(self._cancel(cmd.client_order_id))

    def modify(self, cmd: Any) -> None:
        self._spawn(self._modify(cmd))

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
        try:
            body = parse.order_request(order, inst, coid)
        except Unsupported as exc:
            await self._put(OrderRejected(coid, f"UNSUPPORTED: {exc}", _now(), _now()))
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
                        await self._put(OrderRejected(coid, "VENUE_UNREACHABLE", _now(), _now()))
                        return
                    self.counts["resent"] += 1
                except AlpacaError:
                    await self._put(OrderRejected(coid, "VENUE_UNREACHABLE", _now(), _now()))
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
                await self._put(
                    OrderRejected(coid, f"HTTP {exc.status}: {exc.message}", _now(), _now())
                )
                return
        snap = parse.parse_order(resp, inst)
        self._track(coid, snap.client_order_id, snap.id)
        await self._put(OrderAccepted(coid, snap.id, snap.submitted_ns or _now(), _now()))

    async def _cancel(self, coid: str) -> None:
        await self.ready.wait()
        self.counts["cancels"] += 1
        aid = await self._alpaca_id(coid)
        if aid is None:
            await self._put(OrderCancelRejected(coid, "UNKNOWN_AT_VENUE", _now(), _now()))
            return
        try:
            await self.http.cancel_order(aid)
        except AlpacaError as exc:
            await self._put(
                OrderCancelRejected(coid, f"HTTP {exc.status}: {exc.message}", _now(), _now())
            )

    async def _modify(self, cmd: Any) -> None:
        await self.ready.wait()
        coid = cmd.client_order_id
        aid = await self._alpaca_id(coid)
        if aid is None:
            await self._put(OrderModifyRejected(coid, "UNKNOWN_AT_VENUE", _now(), _now()))
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
            await self._put(
                OrderModifyRejected(coid, str(getattr(exc, "message", exc)), _now(), _now())
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
            await self._put(event)

    def _instrument_of(self, symbol: str) -> Instrument | None:
        return self.instruments.get(symbol)

    async def _on_trading_state(self, connected: bool) -> None:
        now = _now()
        if not connected:
            await self._emit(VenueStatus(self.name, False, False, now, now))  # type: ignore[misc]
            return
        await self.reconcile()
        now = _now()
        await self._emit(VenueStatus(self.name, True, True, now, now))  # type: ignore[misc]

    async def _on_data(self, msg: Any) -> None:
        for event in parse.parse_market_data(msg, self._instrument_of, _now()):
            if hasattr(event, "venue"):
                event.venue = self.name  # why: this venue's market (smart order routing)
            await self._emit(event)  # type: ignore[misc]

    async def _on_data_state(self, connected: bool) -> None:
        pass

    # --- reconciliation -----------------------------------------------------------------------------
    async def reconcile(self) -> int:
        """Bring the kernel up to the venue's truth; return how many events it recovered."""
        async with self._lock:
            self.counts["reconciliations"] += 1
            recovered = 0
            try:
                recovered += await self._reconcile_fills()
                recovered += await self._reconcile_orders()
            except AlpacaError as exc:
                now = _now()
                await self._emit(
                    RiskEvent("RECONCILE_FAILED", f"{self.name}: {exc.message}", now, now)
                )  # type: ignore[misc]
            self.counts["recovered_events"] += recovered
            return recovered

    async def _reconcile_fills(self) -> int:
        recovered = 0
        for act in await self.http.fill_activities(self.last_fill_at):
            fill = parse.parse_fill_activity(act, self._instrument_of)
            if fill is None:
                continue
            self.last_fill_at = act.get("transaction_time") or self.last_fill_at
            if fill.execution_id in self.seen_exec:
                continue
            kid = self.by_alpaca_id.get(fill.order_id)
            if kid is None:
                try:
                    snap = parse.parse_order(await self.http.get_order(fill.order_id), None)
                    kid = self.client_id_of(snap.client_order_id)
                    self.by_alpaca_id[fill.order_id] = kid
                except NotFound:
                    kid = f"external:{fill.order_id}"
            now = _now()
            await self._put(
                OrderFilled(
                    kid,
                    fill.order_id,
                    fill.execution_id,
                    fill.symbol,
                    fill.side,
                    fill.price_ticks,
                    fill.qty_lots,
                    2,
                    0,
                    fill.ts_ns,
                    now,
                )
            )
            recovered += 1
        return recovered

    async def _reconcile_orders(self) -> int:
        kernel = self.kernel
        if kernel is None:
            return 0
        recovered = 0
        for order in list(kernel.oms.open_orders()):
            if (order.venue or self.name) != self.name:
                continue
            coid = order.client_order_id
            inst = self.instruments[order.symbol]
            try:
                resp = await self.http.order_by_client_id(self._current_coid(coid))
            except NotFound:
                if (
                    order.status.name == "SUBMITTED"
                    and coid not in self.alpaca_id
                    and coid not in self._submitting
                ):
                    # why: journaled and maybe never sent (a crash, a lost request): send it now;
                    # the client order id makes a second copy impossible
                    self.counts["resent"] += 1
                    self._spawn(self._submit(order))
                continue
            snap = parse.parse_order(resp, inst)
            self._track(coid, snap.client_order_id, snap.id)
            for event in parse.order_state_events(snap, coid, _now()):
                before = len(self.closed) + len(self.acked)
                await self._put(event)
                recovered += (len(self.closed) + len(self.acked)) > before
        return recovered

    def _current_coid(self, coid: str) -> str:
        n = self.replacements.get(coid, 0)
        return coid if n == 0 else f"{coid}~r{n}"

    async def _watchdog(self) -> None:
        """A stream open but silent while orders are open: check REST; reconnect if it knew more.
        And a full reconciliation every ``reconcile_every_s`` whatever the stream does."""
        cfg = self.cfg
        period = max(min(cfg.stale_after_s, cfg.reconcile_every_s) / 2, 0.05)
        last_full = time.monotonic()
        while True:
            await asyncio.sleep(period)
            if not self.trading.connected.is_set() or self.kernel is None:
                continue
            now = time.monotonic()
            if now - last_full >= cfg.reconcile_every_s:
                last_full = now
                await self.reconcile()
                continue
            silent = now - self.trading.last_message
            mine = [o for o in self.kernel.oms.open_orders() if (o.venue or self.name) == self.name]
            if silent < cfg.stale_after_s or not mine:
                continue
            self.counts["stale_checks"] += 1
            if await self.reconcile():
                self.counts["stale_reconnects"] += 1
                await self.trading.reconnect()
            self.trading.last_message = time.monotonic()

    async def finish(self) -> None:
        """Before the run ends: one last reconciliation, so nothing the venue did is missed."""
        if self.trading.connected.is_set():
            await self.reconcile()
