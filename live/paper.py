"""Paper trading on the local simulator: a ``SimBroker`` behind the live runner.

A data file is replayed in wall time (``speed`` data seconds per wall second; the first event at
start): the venue sees each event at its data time and fills our orders by the same rules as a
backtest; the kernel sees the events (and the venue's answers) through the runner's queue, with
the live clock. The venue's own clock is the data's time, advancing with the wall clock between
events, so latency models and expiries work as in the sim.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import Any

from kernel.events import Bar, BookUpdate, QuoteTick, TradeTick
from live.adapters.base import Emit
from sim.broker import DELIVER, NEVER, SimBroker
from sim.due import MESSAGE, WAKE, next_due
from sim.feeds import Chunk
from sim.market_events import ChunkEvents


class DataClock:
    """The venue's clock: data time = start + (wall - wall start) x speed, never backwards."""

    __slots__ = ("_floor", "data0", "speed", "wall0")

    def __init__(self, data0: int, speed: float) -> None:
        self.data0 = data0
        self.speed = speed
        self.wall0 = time.time_ns()
        self._floor = data0

    def now_ns(self) -> int:
        t = self.data0 + int((time.time_ns() - self.wall0) * self.speed)
        if t < self._floor:
            t = self._floor
        self._floor = t
        return t

    def advance_to(self, ts: int) -> None:
        if ts > self._floor:
            self._floor = ts

    def wall_of(self, data_ts: int) -> float:
        """Seconds from now until ``data_ts`` comes round."""
        return max((data_ts - self.now_ns()) / self.speed / 1e9, 0.0)


class SimPaperAdapter:
    """The ``type: sim`` broker of ``executioncore live``. ``events`` yields market data events
    (from ``sim.feeds`` chunks) in time order; ``speed`` scales data time to wall time."""

    def __init__(
        self,
        name: str,
        broker: SimBroker,
        chunks: Iterator[Chunk],
        sources: list[Any],
        clock: DataClock,
    ) -> None:
        self.name = name
        self.broker = broker
        self.clock = clock
        self._chunks = chunks
        self._sources = sources
        self._emit: Emit | None = None
        self._tasks: list[asyncio.Task] = []
        self._wake = asyncio.Event()
        self.data_done = False
        self.events_sent = 0
        self._handlers: dict[tuple[str, str], Any] = {}

    # --- venue port -------------------------------------------------------------------------------
    def submit(self, cmd: Any) -> None:
        self.broker.submit(cmd)
        self._wake.set()

    def cancel(self, cmd: Any) -> None:
        self.broker.cancel(cmd)
        self._wake.set()

    def modify(self, cmd: Any) -> None:
        self.broker.modify(cmd)
        self._wake.set()

    # --- adapter ----------------------------------------------------------------------------------
    def bind(self, emit: Emit, kernel: Any) -> None:
        self._emit = emit

    async def start(self) -> None:
        self._tasks = [
            asyncio.ensure_future(self._replay()),
            asyncio.ensure_future(self._pump_forever()),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def stats(self) -> dict[str, Any]:
        return {"events": self.events_sent, "data_done": self.data_done}

    # --- the venue, in wall time ----------------------------------------------------------------
    async def _pump(self, upto: int) -> None:
        """Handle the venue's messages and wake-ups due by data time ``upto``."""
        broker = self.broker
        while True:
            q = broker.queue
            # the sim's rule (no kernel timers here: the live runner fires them)
            what = next_due(q[0][0] if q else NEVER, NEVER, broker.wake_ns, upto, True)
            if what == MESSAGE:
                entry = broker.pop()
                self.clock.advance_to(entry[0])
                if entry[2] == DELIVER:
                    await self._emit(entry[3])  # type: ignore[misc]
                else:
                    broker.process(entry)
            elif what == WAKE:
                broker.wake(broker.wake_ns)
            else:
                return

    async def _pump_forever(self) -> None:
        while True:
            await self._pump(self.clock.now_ns())
            nxt = min(self.broker.queue[0][0] if self.broker.queue else NEVER, self.broker.wake_ns)
            self._wake.clear()
            timeout = None if nxt >= NEVER else self.clock.wall_of(nxt)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _replay(self) -> None:
        events = ChunkEvents(self._sources)  # why: the same events a backtest delivers
        for chunk in self._chunks:
            events.add_chunk(chunk)
            await self._deliver(events)
        events.flush_carries()
        await self._deliver(events)
        self.data_done = True

    async def _deliver(self, events: ChunkEvents) -> None:
        pending = events.pending
        while pending:
            _, event = events.popleft()
            if hasattr(event, "venue"):
                event.venue = self.name
            delay = self.clock.wall_of(event.ts_event)
            if delay > 0:
                await asyncio.sleep(delay)
            self.clock.advance_to(event.ts_event)
            await self._pump(event.ts_event)
            kind = _KIND[type(event)]
            key = (kind, event.symbol)
            if key not in self._handlers:
                self._handlers[key] = self.broker.handler(kind, event.symbol)
            handler = self._handlers[key]
            if handler is not None:
                if kind == "bars":
                    reports = handler(event, events.last_open)  # the bar's (session's) open
                else:
                    reports = handler(event)
                if reports:
                    self.broker.take(reports, event.ts_event)
            await self._pump(event.ts_event)
            await self._emit(event)  # type: ignore[misc]
            self.events_sent += 1


_KIND = {QuoteTick: "quotes", TradeTick: "trades", Bar: "bars", BookUpdate: "book"}
