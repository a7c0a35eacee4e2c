"""The live clock: wall time, stamped once per input so the kernel sees one time per event.

The runner calls ``stamp()`` when it takes an input off its queue (or fires timers): that time
becomes the input's ``ts_init`` and stays the kernel's ``now`` until the next input, exactly as
a replay will set it from the journal. It never goes backwards. During crash recovery the runner
uses ``set(ts)`` to walk the clock through the recorded inputs.
"""

from __future__ import annotations

import time


class LiveClock:
    __slots__ = ("_now_ns",)

    def __init__(self, start_ns: int | None = None) -> None:
        # why: a recovery starts at 0 and walks through the recorded times before going live
        self._now_ns = time.time_ns() if start_ns is None else start_ns

    def now_ns(self) -> int:
        return self._now_ns

    def stamp(self) -> int:
        """Move to the wall time (never back) and return it."""
        now = time.time_ns()
        if now < self._now_ns:
            now = self._now_ns
        self._now_ns = now
        return now

    def set(self, ts_ns: int) -> None:
        """Move to a recorded time (recovery); never back."""
        if ts_ns > self._now_ns:
            self._now_ns = ts_ns

    def advance_to(self, ts_ns: int) -> None:
        self.set(ts_ns)
