"""The clock protocol and the simulated clock that only moves forward.

Time is int nanoseconds since the Unix epoch, UTC. The kernel is given a clock; it never picks
one. ``SimClock`` belongs to whoever drives a simulation and refuses to go back in time.
"""

from __future__ import annotations

from typing import Protocol


class ClockError(RuntimeError):
    """The clock was asked to move backwards."""


class Clock(Protocol):
    def now_ns(self) -> int: ...


class SimClock:
    """A manual clock: ``advance_to(ts_ns)`` moves it forward; going back raises ``ClockError``."""

    __slots__ = ("_now_ns",)

    def __init__(self, start_ns: int = 0) -> None:
        self._now_ns = int(start_ns)

    def now_ns(self) -> int:
        return self._now_ns

    def advance_to(self, ts_ns: int) -> None:
        """Set the time to ``ts_ns``; equal time is allowed, earlier time raises."""
        if ts_ns < self._now_ns:
            raise ClockError(f"clock cannot go back from {self._now_ns} to {ts_ns}")
        self._now_ns = ts_ns
