"""The pacing of messages to TWS: ``rate`` a second on average, ``burst`` at once, in order.

TWS accepts 50 messages a second from one client and answers the next with error 100 ("Max rate
of messages per second has been exceeded"), leaving it unhandled. Every message the adapter
sends waits its turn here first. A token bucket (not a one-second window): ``burst`` tokens,
refilled at ``rate`` a second, one per message. So a burst goes out as ``burst`` messages at
once and then one every ``1 / rate`` seconds, and any interval of ``T`` seconds carries at most
``burst + rate x T`` of them -- 45 in a second with the defaults (40 a second, burst 5), under
TWS's 50 with room for the jitter between sending and TWS's reading (a window-aligned sender
lets two full windows' worth land in one of TWS's seconds when the first is read late).
Waiters go in the order they came (a lock queues them), so commands keep the kernel's order,
and nothing is refused or dropped: a burst just takes longer. When TWS says error 100 anyway
(another program on the same client id, a fault), ``penalize`` empties the bucket for a whole
``pause_s``, and the adapter sends the refused message again.

The clock and the sleep are arguments, so tests drive it with a fake clock and never sleep.
``delay``/``take`` are O(1).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

_EPS = 1e-9
_MIN_WAIT_S = 1e-6


class Throttle:
    """``await acquire()`` before each message. ``sent`` and ``waited_s`` count what went
    through and how long the waits were; ``penalties`` counts the error-100 answers."""

    __slots__ = ("_clock", "_last", "_lock", "_sleep", "_tokens", "burst", "pause_s",
                 "penalties", "rate", "sent", "waited_s")  # fmt: skip

    def __init__(
        self,
        rate: float,
        burst: int = 5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        pause_s: float = 1.0,
    ) -> None:
        assert rate > 0 and burst >= 1 and pause_s >= 0, (rate, burst, pause_s)
        self.rate = float(rate)
        self.burst = burst
        self.pause_s = pause_s
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._last: float | None = None
        self._lock: asyncio.Lock | None = None  # why: made in the loop that first uses it
        self.sent = 0
        self.waited_s = 0.0
        self.penalties = 0

    def _refill(self, now: float) -> None:
        last = self._last
        if last is not None and now > last:
            self._tokens = min(float(self.burst), self._tokens + (now - last) * self.rate)
        if last is None or now > last:
            self._last = now

    def delay(self, now: float) -> float:
        """Seconds until one more message may go (0: now)."""
        self._refill(now)
        # why: a token short by a rounding error would ask for a wait too small to move a
        # float clock (1e-17 s at t = 5.0): the waiter would spin forever
        if self._tokens >= 1.0 - _EPS:
            return 0.0
        return max((1.0 - self._tokens) / self.rate, _MIN_WAIT_S)

    def take(self, now: float) -> None:
        """Count a message sent at ``now`` (the caller checked ``delay(now) == 0``)."""
        assert self.delay(now) == 0.0, "take() beyond the rate"
        self._tokens -= 1.0
        self.sent += 1

    def penalize(self, now: float | None = None) -> None:
        """TWS refused a message for pacing: nothing more for ``pause_s`` from ``now`` (default:
        the clock's now), then the steady rate."""
        self._refill(self._clock() if now is None else now)
        self.penalties += 1
        self._tokens = min(self._tokens, 0.0) - self.rate * self.pause_s

    async def acquire(self) -> None:
        """Wait for this message's turn (first come, first served), then count it."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while True:
                now = self._clock()
                wait = self.delay(now)
                if wait <= 0.0:
                    self.take(now)
                    return
                self.waited_s += wait
                await self._sleep(wait)

    def _check(self) -> None:
        """Invariants, for tests: the bucket never holds more than ``burst`` tokens."""
        assert self._tokens <= self.burst, (self._tokens, self.burst)
