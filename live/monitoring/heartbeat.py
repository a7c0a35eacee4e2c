"""The heartbeat of a live session: every ``heartbeat_interval`` seconds a log line, the
``executioncore_heartbeat_timestamp_seconds`` metric and, when ``heartbeat_url`` is set, a ping
to it (a dead-man's switch such as healthchecks.io: it alerts when the pings stop).

A ping that fails (no answer within its timeout, a connection error, an HTTP status of 400 or
more) is a missed heartbeat: ``missed`` counts them in a row (a success sets it back to 0, so the
kernel's ``heartbeat_missed`` alert rule fires and then resolves), ``missed_total`` over the
session. Ticks keep to the interval's grid, however long a ping takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from live.monitoring.sinks import redact_url, reveal, scrub

log = logging.getLogger("executioncore.heartbeat")

DEFAULT_INTERVAL_S = 60.0
PING_TIMEOUT_S = 10.0


class Heartbeat:
    """Ticks every ``interval_s`` from ``start()`` (the first at once) until ``stop()``.

    ``describe`` returns the log line's state part (the host's: trading state, equity, ...);
    ``on_missed`` is told each missed ping (with the misses in a row); ``method`` is the ping's
    HTTP method (GET, or POST with an empty body)."""

    def __init__(
        self,
        interval_s: float | None = None,
        url: Any = None,
        *,
        describe: Callable[[], str] | None = None,
        on_missed: Callable[[int], None] | None = None,
        method: str = "GET",
        timeout_s: float = PING_TIMEOUT_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.interval_s = float(interval_s) if interval_s else DEFAULT_INTERVAL_S
        self._url = None if url is None else reveal(url)
        self.describe = describe
        self.on_missed = on_missed  # called with the misses in a row after each missed ping
        self.method = method.upper()
        self.timeout_s = min(timeout_s, max(self.interval_s * 0.9, 0.05))
        self.clock = clock
        self.last_ts: float | None = None  # unix time of the last tick
        self.last_ok_ts: float | None = None  # unix time of the last ping answered
        self.ticks = 0
        self.pings = 0
        self.missed = 0  # pings missed in a row
        self.missed_total = 0
        self._task: asyncio.Task[None] | None = None
        self._session: Any = None

    @property
    def url(self) -> str | None:
        """The ping URL as a log may show it (its token left out)."""
        return None if self._url is None else redact_url(self._url)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="heartbeat")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._session is not None:
            with contextlib.suppress(Exception):
                await self._session.close()
            self._session = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # why: a heartbeat must never end the session
                log.exception("heartbeat: a tick failed")
            due += self.interval_s
            now = loop.time()
            if due <= now:  # a tick overran: skip to the next slot on the grid
                due += ((now - due) // self.interval_s + 1) * self.interval_s
            await asyncio.sleep(due - now)

    async def tick(self) -> None:
        """One heartbeat: the timestamp, the log line, the ping."""
        self.last_ts = self.clock()
        self.ticks += 1
        state = ""
        if self.describe is not None:
            try:
                state = self.describe()
            except Exception as exc:
                state = f"(state unavailable: {type(exc).__name__})"
        if self._url is not None:
            ok, why = await self.ping()
            if ok:
                self.missed = 0
                self.last_ok_ts = self.clock()
            else:
                self.missed += 1
                self.missed_total += 1
                log.warning(
                    "heartbeat: ping to %s missed (%d in a row): %s", self.url, self.missed, why
                )
                if self.on_missed is not None:
                    try:
                        self.on_missed(self.missed)
                    except Exception:
                        log.exception("heartbeat: the missed-ping hook failed")
        log.info("heartbeat %d %s", self.ticks, state)

    async def ping(self) -> tuple[bool, str]:
        """GET (or POST) the heartbeat URL: ``(answered 2xx/3xx, why not)``."""
        import aiohttp

        assert self._url is not None
        self.pings += 1
        try:
            if self._session is None:
                self._session = aiohttp.ClientSession()
            timeout = aiohttp.ClientTimeout(total=self.timeout_s)
            async with self._session.request(self.method, self._url, timeout=timeout) as resp:
                if resp.status < 400:
                    return True, ""
                return False, f"HTTP {resp.status}"
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            return False, f"no answer within {self.timeout_s:.3g} s"
        except Exception as exc:
            return False, scrub(f"{type(exc).__name__}: {exc}", self._url)
