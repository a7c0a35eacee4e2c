"""The asyncio host of a live kernel.

Adapters put what happens (order events, market data, connection status) on one bounded queue;
the runner takes inputs off it in order, stamps each with the wall clock (``LiveClock.stamp``:
the input's ``ts_init`` and the kernel's ``now`` while it is processed), and hands it to the
kernel. Kernel timers become ``loop.call_at`` wake-ups. Commands go out through the adapters,
which only schedule their I/O: nothing the kernel does blocks.

Write-ahead: the runner processes a burst of queued inputs without yielding to the event loop,
then commits the journal, and only then yields, so a command reaches the journal on disk before
the adapter's task can send it. After a crash, the journal therefore knows every order that may
exist at the venue, and the ids a restarted kernel generates never collide with them.

Shutdown (SIGINT/SIGTERM, ``stop()``, or ``run_for`` elapsed): the kernel stops taking new orders
(the trading state goes HALTED, reason SHUTDOWN), open orders are canceled when
``cancel_on_exit`` is set (asked again every ``CANCEL_RETRY_S`` while one is still open, the
answers awaited up to ``grace_s``), strategies get
``on_stop``, the journal is flushed, the adapters close.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from typing import Any

from kernel.enums import TradingState
from kernel.events import OperatorAction, VenueStatus
from kernel.kernel import Kernel
from kernel.reconcile import OrderView
from live.adapters.base import Adapter
from live.clock import LiveClock

_TIMER = object()  # a queue marker: kernel timers may be due


class LiveRunner:
    """Run ``kernel`` against ``adapters`` until stopped.

    Parameters: ``queue_size`` bounds the input queue (adapters wait when it is full);
    ``burst`` is the most inputs handled between two journal commits; ``run_for_s`` stops the
    run after that many seconds; ``cancel_on_exit`` cancels open orders at shutdown.
    """

    def __init__(
        self,
        kernel: Kernel,
        clock: LiveClock,
        adapters: list[Adapter],
        *,
        commit: Callable[[], None] | None = None,
        queue_size: int = 10_000,
        burst: int = 256,
        run_for_s: float | None = None,
        cancel_on_exit: bool = True,
        grace_s: float = 5.0,
        started: bool = False,
        give_up_after_s: float | None = None,
        is_strategy_error: Callable[[BaseException], bool] | None = None,
    ) -> None:
        self.kernel = kernel
        self.clock = clock
        self.adapters = adapters
        self._commit = commit or (lambda: None)
        self.queue: asyncio.Queue[Any] = asyncio.Queue(queue_size)
        self.burst = burst
        self.run_for_s = run_for_s
        self.cancel_on_exit = cancel_on_exit
        self.grace_s = grace_s
        self._started = started  # kernel.start() already ran (recovered from a journal)
        self._stop = asyncio.Event()
        self._timer_handle: asyncio.TimerHandle | None = None
        self._timer_due: int | None = None
        self.inputs = 0
        self.stop_reason = ""
        # a broker down this long ends the session (None: retried for as long as it runs)
        self.give_up_after_s = give_up_after_s
        self.down_since: dict[str, float] = {}
        self.gave_up: str | None = None
        # an exception from a strategy's callback ends the session cleanly (the host reports it)
        self._is_strategy_error = is_strategy_error or (lambda exc: False)
        self.failure: BaseException | None = None

    # --- the adapters' side -----------------------------------------------------------------------
    async def emit(self, event: Any) -> None:
        """Queue an input (waits while the queue is full: backpressure, nothing dropped)."""
        await self.queue.put(event)

    def stop(self, reason: str = "STOP") -> None:
        if not self._stop.is_set():
            self.stop_reason = reason
            self._stop.set()

    # --- the loop ---------------------------------------------------------------------------------
    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop, sig.name)
        view = OrderView(self.kernel)
        for adapter in self.adapters:
            adapter.bind(self.emit, view)
        try:
            for adapter in self.adapters:
                await adapter.start()
            self.clock.stamp()
            if not self._started:
                self.kernel.start()
                self._started = True
            self._commit()
            deadline = None if self.run_for_s is None else loop.time() + self.run_for_s
            await self._serve(deadline)
            try:
                await self._shutdown()
            except Exception as exc:
                if self.failure is None and self._is_strategy_error(exc):
                    self.failure = exc
                else:
                    raise
                self._commit()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
            if self._timer_handle is not None:
                self._timer_handle.cancel()
            for adapter in self.adapters:
                with contextlib.suppress(Exception):
                    await adapter.stop()

    async def _serve(self, deadline: float | None) -> None:
        loop = asyncio.get_running_loop()
        stop_wait = asyncio.ensure_future(self._stop.wait())
        try:
            while not self._stop.is_set():
                self._arm_timer()
                timeout = None if deadline is None else max(deadline - loop.time(), 0.0)
                watch = self._give_up_wait(loop.time())
                if watch is not None:
                    timeout = watch if timeout is None else min(timeout, watch)
                getter = asyncio.ensure_future(self.queue.get())
                done, _ = await asyncio.wait(
                    {getter, stop_wait}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if getter not in done:
                    getter.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await getter
                    if self._check_give_up(loop.time()):
                        break
                    if deadline is not None and loop.time() >= deadline:
                        if not self._stop.is_set():
                            self.stop("RUN_FOR_ELAPSED")
                        break
                    continue
                try:
                    self._handle(getter.result())
                    for _ in range(self.burst - 1):  # why: a burst between commits, then yield
                        try:
                            item = self.queue.get_nowait()
                        except asyncio.QueueEmpty:
                            break
                        self._handle(item)
                except Exception as exc:
                    if not self._is_strategy_error(exc):
                        raise
                    self.failure = exc
                    self.stop("STRATEGY_ERROR")
                self._commit()
                if self._check_give_up(loop.time()):
                    break
        finally:
            stop_wait.cancel()

    def _give_up_wait(self, now: float) -> float | None:
        """Seconds until the longest-down broker reaches ``give_up_after_s`` (None: no watch)."""
        if self.give_up_after_s is None or not self.down_since:
            return None
        return max(min(self.down_since.values()) + self.give_up_after_s - now, 0.0) + 0.01

    def _check_give_up(self, now: float) -> bool:
        if self.give_up_after_s is None:
            return False
        for name, since in sorted(self.down_since.items()):
            if now - since >= self.give_up_after_s:
                self.gave_up = name
                self.stop(f"GIVE_UP:{name}")
                return True
        return False

    def _track_status(self, item: VenueStatus) -> None:
        if not item.connected:
            self.down_since.setdefault(item.venue, asyncio.get_running_loop().time())
        elif item.reconciled:
            self.down_since.pop(item.venue, None)

    def _handle(self, item: Any) -> None:
        now = self.clock.stamp()
        kernel = self.kernel
        if item is not _TIMER:
            item.ts_init = now
            self.inputs += 1
            if type(item) is VenueStatus:
                self._track_status(item)
            kernel.on_event(item)
        due = kernel.next_timer_ns()
        if due is not None and due <= now:
            kernel.run_timers()

    def _arm_timer(self) -> None:
        """Wake the loop when the kernel's earliest timer comes due."""
        due = self.kernel.next_timer_ns()
        if due == self._timer_due:
            return
        if self._timer_handle is not None:
            self._timer_handle.cancel()
            self._timer_handle = None
        self._timer_due = due
        if due is None:
            return
        loop = asyncio.get_running_loop()
        delay = max((due - self.clock.now_ns()) / 1e9, 0.0)
        self._timer_handle = loop.call_later(delay, self._timer_fired)

    def _timer_fired(self) -> None:
        self._timer_due = None
        self._timer_handle = None
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(_TIMER)

    @property
    def running(self) -> bool:
        """The kernel has started and the session is not stopping: inputs are taken."""
        return self._started and not self._stop.is_set()

    def operator(self, action: str, reason: str) -> None:
        """Act on the kernel as an operator: journaled as an input (a replay repeats it)."""
        now = self.clock.stamp()
        self.kernel.on_event(OperatorAction(action, reason, now, now))

    async def _shutdown(self) -> None:
        """Stop new orders, cancel open ones if asked, wait for their answers, flush."""
        kernel = self.kernel
        if kernel.risk.state != TradingState.HALTED:
            self.operator("halt", f"SHUTDOWN:{self.stop_reason}")
        if self.cancel_on_exit and kernel.oms.open_orders():
            self.operator("cancel_all", "SHUTDOWN")
            self._commit()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.grace_s
            retry_at = loop.time() + CANCEL_RETRY_S
            while kernel.oms.open_orders() and loop.time() < deadline:
                if loop.time() >= retry_at:
                    # why: a refused cancel (the venue's REST down, an order whose submit is
                    # still in doubt) leaves the order open at the venue, where it could fill
                    # after the session: ask again until the grace period ends
                    self.operator("cancel_all", "SHUTDOWN")
                    self._commit()
                    retry_at = loop.time() + CANCEL_RETRY_S
                wait = max(min(deadline, retry_at) - loop.time(), 0.01)
                try:
                    item = await asyncio.wait_for(self.queue.get(), wait)
                except TimeoutError:
                    continue
                self._handle(item)
                self._commit()
        await self._final_reconcile()
        try:
            kernel.stop()
        finally:
            self._commit()

    async def _final_reconcile(self) -> None:
        """Let each adapter reconcile once more, and take in what that brings; with
        ``cancel_on_exit``, orders still open are first canceled at their venue directly."""
        for adapter in self.adapters:
            remaining = getattr(adapter, "cancel_remaining", None)
            if (
                remaining is not None
                and self.cancel_on_exit
                and adapter.name not in self.down_since
                and self.kernel.oms.open_orders()
            ):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(remaining(), self.grace_s)
            finish = getattr(adapter, "finish", None)
            if finish is not None and adapter.name not in self.down_since:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(finish(), self.grace_s)
        while True:
            try:
                item = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            self._handle(item)
        self._commit()


CANCEL_RETRY_S = 0.5  # shutdown: how often open orders are asked to cancel again


def venue_down(name: str, now: int) -> VenueStatus:
    return VenueStatus(name, False, False, now, now)


def venue_up(name: str, now: int, reconciled: bool = True) -> VenueStatus:
    return VenueStatus(name, True, reconciled, now, now)
