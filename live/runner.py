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
``cancel_on_exit`` is set (and their answers awaited up to ``grace_s``), strategies get
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
        for adapter in self.adapters:
            adapter.bind(self.emit, self.kernel)
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
            await self._shutdown()
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
                getter = asyncio.ensure_future(self.queue.get())
                done, _ = await asyncio.wait(
                    {getter, stop_wait}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if getter not in done:
                    getter.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await getter
                    if not self._stop.is_set():
                        self.stop("RUN_FOR_ELAPSED")
                    break
                self._handle(getter.result())
                for _ in range(self.burst - 1):  # why: a burst between commits, then yield
                    try:
                        item = self.queue.get_nowait()
                    except asyncio.QueueEmpty:
                        break
                    self._handle(item)
                self._commit()
        finally:
            stop_wait.cancel()

    def _handle(self, item: Any) -> None:
        now = self.clock.stamp()
        kernel = self.kernel
        if item is not _TIMER:
            item.ts_init = now
            self.inputs += 1
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
            while kernel.oms.open_orders() and loop.time() < deadline:
                try:
                    item = await asyncio.wait_for(
                        self.queue.get(), max(deadline - loop.time(), 0.01)
                    )
                except TimeoutError:
                    break
                self._handle(item)
                self._commit()
        await self._final_reconcile()
        kernel.stop()
        self._commit()

    async def _final_reconcile(self) -> None:
        """Let each adapter reconcile once more, and take in what that brings."""
        for adapter in self.adapters:
            finish = getattr(adapter, "finish", None)
            if finish is not None:
                with contextlib.suppress(Exception):
                    await finish()
        while True:
            try:
                item = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            self._handle(item)
        self._commit()


def venue_down(name: str, now: int) -> VenueStatus:
    return VenueStatus(name, False, False, now, now)


def venue_up(name: str, now: int, reconciled: bool = True) -> VenueStatus:
    return VenueStatus(name, True, reconciled, now, now)
