"""The adapter template every live venue follows (Alpaca today; IBKR and CCXT next).

An adapter is the venue port (``submit``/``cancel``/``modify`` only schedule work) plus four
duties, each a method a venue implements in its own terms:

- ``probe()`` - one cheap authenticated call; ``connect()`` retries it with backoff until
  ``connect_timeout_s`` and raises ``BrokerUnreachable`` (the message names the broker and its
  URL, never a credential), so a session that cannot reach a broker at start stops at once.
- **instrument provider** - ``fetch_instrument(symbol)``: tick, lot, currency from the venue.
- **account report** - ``fetch_account(final)``: the broker's cash, equity, buying power and
  positions (average cost) as a ``kernel.events.AccountReport``.
- **reconciliation reports** - ``fetch_fills()`` (``FillReport`` since the last call) and
  ``fetch_order(order)`` (an ``OrderStatusReport``, or None when the venue does not know it).

``reconcile()`` is the same for every venue: reports in, ``kernel.reconcile.Reconciler.plan``
decides, the events go out through the once-gate, then the account report (after the fills it
reflects), then ``VenueStatus(up, reconciled)`` when the venue was not reconciled. A failure
(the venue's REST down) becomes a ``VenueNotice("RECONCILE_FAILED")``: the session goes on and
the next reconciliation tries again. Adapters see the kernel only through an ``OrderView``.

``TaskedAdapter`` adds what the IBKR and CCXT adapters share: their work as tasks, the venue
port onto their order commands, and a watchdog that reconciles when asked, periodically and
after a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from kernel.events import AccountReport, OrderFilled, VenueNotice, VenueStatus
from kernel.reconcile import FillReport, OrderState, OrderStatusReport, OrderView, Reconciler
from kernel.units import Instrument

Emit = Callable[[Any], Awaitable[None]]
FINAL_GAP_RETRIES = 3
FINAL_RETRY_S = 0.25  # ``finish``: the pause between final reconciliations the venue refused
FINAL_RETRY_FOR_S = 5.0  # ... and for how long at most (the runner's grace period by default)
TICK_S = 0.1  # a watchdog's period (``TaskedAdapter``)


class BrokerUnreachable(Exception):
    """A broker could not be reached (or refused our credentials) within its connect timeout."""

    def __init__(self, broker: str, kind: str, url: str, reason: str, waited_s: float) -> None:
        self.broker, self.kind, self.url, self.reason = broker, kind, url, reason
        super().__init__(
            f"broker {broker} ({kind}) unreachable at {url}: {reason} "
            f"(gave up after {waited_s:.1f} s)"
        )


class VenueUnavailable(Exception):
    """A venue call failed in a way reconciliation reports and retries later (REST down)."""


def wall_ns() -> int:
    return time.time_ns()


class VenueAdapter:
    """The shared machinery; a venue subclass fills in the ``probe``/``fetch_*`` methods, the
    order calls and its streams."""

    kind = "venue"

    def __init__(self, name: str, url: str, connect_timeout_s: float = 10.0) -> None:
        self.name = name
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        self.rec = Reconciler(name)
        self.view: OrderView | None = None
        self._emit: Emit | None = None
        self._rec_lock = asyncio.Lock()
        self.reconciled = False
        self.connected_once = False
        # orders whose venue status counts fills the last reconciliation lacked, plus one when a
        # final reconciliation saw a fill arrive while it read (finish() reads again while > 0)
        self.fill_gaps = 0
        self.fills_admitted = 0  # fills let through the once-gate (stream and reconciliation)
        # a venue whose reconciliations fail this long, while its stream is up, is down for
        # routing (``routing.failover_after``): the kernel sends its symbols' orders elsewhere
        self.failover_after_s: float | None = None
        self.failing_since: float | None = None
        self.counts: dict[str, int] = {
            "reconciliations": 0,
            "reconcile_failures": 0,
            "recovered_events": 0,
            "duplicates_dropped": 0,
            "resent": 0,
        }

    # --- what a venue implements --------------------------------------------------------------
    async def probe(self) -> None:
        """One authenticated call; raise ``ConnectionError``/``OSError``/``TimeoutError`` or
        ``PermissionError`` (credentials refused) when it fails."""
        raise NotImplementedError

    async def fetch_instrument(self, symbol: str) -> Instrument | None:
        raise NotImplementedError

    async def fetch_account(self, final: bool) -> AccountReport:
        raise NotImplementedError

    async def fetch_fills(self) -> list[FillReport]:
        raise NotImplementedError

    async def fetch_order(self, order: OrderState) -> OrderStatusReport | None:
        raise NotImplementedError

    def in_flight(self) -> set[str]:
        """Client order ids whose submission is under way (never resent)."""
        return set()

    def resend(self, client_order_id: str) -> None:
        """Send again an order the venue never received."""
        raise NotImplementedError

    # --- life -----------------------------------------------------------------------------------
    def bind(self, emit: Emit, view: OrderView) -> None:
        self._emit = emit
        self.view = view
        self.rec.learn(view.orders(self.name))

    async def connect(self) -> None:
        """``probe()`` until it answers, backing off, for at most ``connect_timeout_s``."""
        t0 = time.monotonic()
        deadline = t0 + self.connect_timeout_s
        delay = 0.1
        reason = "no answer"
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                await asyncio.wait_for(self.probe(), left)
                self.connected_once = True
                return
            except PermissionError as exc:
                raise BrokerUnreachable(
                    self.name, self.kind, self.url, f"credentials refused ({exc})", 0.0
                ) from None
            except TimeoutError:
                reason = "timed out"
            except (OSError, ConnectionError, VenueUnavailable) as exc:
                reason = _reason(exc)
            await asyncio.sleep(min(delay, max(deadline - time.monotonic(), 0)))
            delay = min(delay * 2, 2.0)
        raise BrokerUnreachable(
            self.name, self.kind, self.url, reason, time.monotonic() - t0
        ) from None

    async def provide_instruments(self, symbols: list[str]) -> dict[str, Instrument]:
        """The instrument provider: the venue's tick, lot and currency for each symbol it has."""
        out: dict[str, Instrument] = {}
        for sym in symbols:
            inst = await self.fetch_instrument(sym)
            if inst is not None:
                out[sym] = inst
        return out

    # --- the once-gate and notices --------------------------------------------------------------
    async def put(self, event: Any) -> None:
        """Deliver an order event once (fills by trade id, acks and terminal events per order)."""
        if self.rec.admit(event):
            if type(event) is OrderFilled:
                self.fills_admitted += 1
            await self._emit(event)  # type: ignore[misc]
        else:
            self.counts["duplicates_dropped"] += 1

    async def notice(self, code: str, detail: str) -> None:
        now = wall_ns()
        await self._emit(VenueNotice(self.name, code, detail, now, now))  # type: ignore[misc]

    async def status(self, connected: bool, reconciled: bool) -> None:
        now = wall_ns()
        await self._emit(VenueStatus(self.name, connected, reconciled, now, now))  # type: ignore[misc]

    # --- reconciliation -------------------------------------------------------------------------
    async def reconcile(self, final: bool = False) -> bool:
        """Reports in, the shared reconciler decides, events out; False when the venue could not
        be read (a notice says why; the session goes on)."""
        async with self._rec_lock:
            self.counts["reconciliations"] += 1
            try:
                fills = await self.fetch_fills()
                admitted = self.fills_admitted
                account = await self.fetch_account(final)
                opens = self.view.open_orders(self.name) if self.view is not None else []
                reports = {o.client_order_id: await self.fetch_order(o) for o in opens}
                # a fill that came by the stream while the account was read may be missing from
                # it (traded after the read) though the kernel has booked it: a final account
                # adopted as read would then undo it, so the final reading is taken again
                raced = self.fills_admitted != admitted
            except VenueUnavailable as exc:
                self.counts["reconcile_failures"] += 1
                await self.notice("RECONCILE_FAILED", str(exc))
                await self._watch_failures()
                return False
            self.failing_since = None
            plan = self.rec.plan(opens, reports, fills, wall_ns(), self.in_flight())
            before = self.counts["duplicates_dropped"]
            for event in plan.events:
                await self.put(event)
            self.counts["recovered_events"] += len(plan.events) - (
                self.counts["duplicates_dropped"] - before
            )
            self.fill_gaps = sum(code == "FILL_GAP" for code, _ in plan.notices) + (final and raced)
            for code, detail in plan.notices:
                await self.notice(code, detail)
            for coid in plan.resend:
                self.counts["resent"] += 1
                self.resend(coid)
            await self._emit(account)  # type: ignore[misc]
            if not self.reconciled and self.is_connected():
                self.reconciled = True
                await self.status(True, True)
            return True

    async def _watch_failures(self) -> None:
        """Reconciliations failing for ``failover_after_s``: the venue is down (its stream may
        be up, its REST is not); the next reconciliation that succeeds brings it back."""
        now = time.monotonic()
        if self.failing_since is None:
            self.failing_since = now
            return
        after = self.failover_after_s
        if after is not None and self.reconciled and now - self.failing_since >= after:
            self.reconciled = False
            await self.notice(
                "RECONCILE_STALE",
                f"{self.name}: not reconciled for {now - self.failing_since:.1f} s",
            )
            await self.status(False, False)

    def is_connected(self) -> bool:
        """The venue's event stream is up (a subclass says)."""
        return True

    async def finish(self) -> None:
        """Before the session ends (the runner calls it): one last reconciliation, its account
        report final, so nothing the venue did is missed and the summary's cash and positions
        are the broker's. An order still trading while it runs can fill between the read of the
        fills and the read of its status (a gap), or by the stream while the account is read:
        then everything is read again, a few times. A venue that cannot be read (its REST down
        for a while) is asked again every ``FINAL_RETRY_S`` until it answers, for up to
        ``FINAL_RETRY_FOR_S`` (the runner also bounds the whole by its grace period): without
        that, a fill the stream had not brought was missed whenever the session's end fell in
        such a window."""
        deadline = time.monotonic() + FINAL_RETRY_FOR_S
        while not await self.reconcile(final=True):
            if time.monotonic() >= deadline:
                return
            await asyncio.sleep(FINAL_RETRY_S)
        for _ in range(FINAL_GAP_RETRIES):
            if not self.fill_gaps:
                break
            await asyncio.sleep(0.2)
            await self.reconcile(final=True)

    async def cancel_remaining(self) -> int:
        """At shutdown with ``cancel_on_exit``, when orders are still open after the grace
        period's cancels (a cancel refused while the venue's REST was down, an answer lost):
        cancel each at the venue directly, awaited, before the final reconciliation reads their
        state, so no order of the session is left to fill after it. Returns how many were sent."""
        if self.view is None:
            return 0
        sent = 0
        for order in self.view.open_orders(self.name):
            with contextlib.suppress(VenueUnavailable):
                sent += bool(await self.cancel_now(order))
        return sent

    async def cancel_now(self, order: OrderState) -> bool:
        """Cancel ``order`` at the venue now (a venue implements it; False: not sent)."""
        return False


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    low = text.lower()
    if "refused" in low or isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if "name or service" in low or "nodename" in low or "getaddrinfo" in low:
        return "host not found"
    return text


class TaskedAdapter(VenueAdapter):
    """A venue adapter whose work runs as tasks on the event loop, watched every ``TICK_S``
    (IBKR, CCXT). The venue port schedules the venue's ``orders`` (``submit(order)``,
    ``modify(cmd)``; ``cancel`` stays the venue's own) and its ``book`` says what is in flight.
    A venue implements ``_tick`` (its own checks, then ``_reconcile_if_due``); a tick that
    raises one of ``watchdog_errors`` becomes a ``VenueNotice("<notice_prefix>_WATCHDOG")``."""

    orders: Any  # the venue's order commands
    book: Any  # the venue's order book (``in_flight()``)
    notice_prefix = "VENUE"
    watchdog_errors: tuple[type[BaseException], ...] = (VenueUnavailable,)

    def __init__(self, name: str, url: str, connect_timeout_s: float = 10.0) -> None:
        super().__init__(name, url, connect_timeout_s)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reconcile_at: float | None = None
        self._started = self._closing = False

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _cancel_tasks(self) -> None:
        """Every task still running cancelled, and awaited."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _describe(self, exc: BaseException) -> str:
        """An error as a notice tells it (a venue whose errors may hold a secret masks it)."""
        return str(exc)

    # --- the venue port (the kernel calls these; they only schedule work) ---------------------------
    def submit(self, cmd: Any) -> None:
        self._spawn(self.orders.submit(cmd.order))

    def modify(self, cmd: Any) -> None:
        self._spawn(self.orders.modify(cmd))

    def resend(self, client_order_id: str) -> None:
        order = self.view.sent_order(client_order_id) if self.view is not None else None
        if order is not None:
            self._spawn(self.orders.submit(order))

    def in_flight(self) -> set[str]:
        return self.book.in_flight()

    # --- the watchdog ----------------------------------------------------------------------------
    def _reconcile_soon(self, delay_s: float = 0.0) -> None:
        at = time.monotonic() + delay_s
        if self._reconcile_at is None or at < self._reconcile_at:
            self._reconcile_at = at

    async def _watchdog(self) -> None:
        times = [time.monotonic()] * 2  # the last full reconciliation, the last attempt
        while not self._closing:
            await asyncio.sleep(TICK_S)
            try:
                await self._tick(times)
            except self.watchdog_errors as exc:
                # why: the watchdog outlives a bad tick; what it did not do, the next one does
                await self.notice(f"{self.notice_prefix}_WATCHDOG", self._describe(exc))

    async def _tick(self, times: list[float]) -> None:
        raise NotImplementedError

    async def _reconcile_if_due(self, times: list[float], now: float, every_s: float) -> None:
        """A reconciliation asked for (``_reconcile_soon``), periodic (``every_s`` since the
        last full one) or retried (a second after a failed one)."""
        due = self._reconcile_at is not None and now >= self._reconcile_at
        periodic = now - times[0] >= every_s
        retry = not self.reconciled and now - times[1] >= 1.0
        if due or periodic or retry:
            self._reconcile_at = None
            times[1] = now
            if await self.reconcile():
                times[0] = now
