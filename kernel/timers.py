"""The timer queue: a heap keyed by ``(ts_ns, seq)`` so equal times always fire in schedule order.

Cancel is lazy (the entry stays in the heap and is skipped when popped), so schedule and cancel
are O(log n) and O(1); ``due`` pops in O(k log n) for k due timers.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable
from typing import Any


class TimerQueue:
    """Timers ordered by ``(ts_ns, seq)``; ``seq`` is the schedule order, so ties are stable."""

    __slots__ = ("_heap", "_live", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Any]] = []
        self._live: dict[int, Hashable] = {}  # seq -> key, for timers not yet fired or canceled
        self._seq = 0

    def __len__(self) -> int:
        return len(self._live)

    def schedule(self, ts_ns: int, payload: Any) -> int:
        """Schedule ``payload`` at ``ts_ns``; return the timer's handle (its sequence number)."""
        seq = self._seq
        self._seq = seq + 1
        heapq.heappush(self._heap, (ts_ns, seq, payload))
        self._live[seq] = True
        return seq

    def cancel(self, handle: int) -> bool:
        """Cancel a timer by handle; return whether it was still pending."""
        return self._live.pop(handle, None) is not None

    def next_ns(self) -> int | None:
        """The time of the earliest pending timer, or None."""
        heap = self._heap
        live = self._live
        while heap and heap[0][1] not in live:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def pop_due(self, now_ns: int) -> tuple[int, int, Any] | None:
        """Pop the earliest timer due at or before ``now_ns`` as ``(ts_ns, handle, payload)``."""
        heap = self._heap
        live = self._live
        while heap:
            entry = heap[0]
            if entry[1] not in live:
                heapq.heappop(heap)
                continue
            if entry[0] > now_ns:
                return None
            heapq.heappop(heap)
            del live[entry[1]]
            return entry
        return None

    def due(self, now_ns: int) -> list[tuple[int, int, Any]]:
        """Pop every timer due at or before ``now_ns``, in ``(ts_ns, seq)`` order."""
        out = []
        entry = self.pop_due(now_ns)
        while entry is not None:
            out.append(entry)
            entry = self.pop_due(now_ns)
        return out

    def _check(self) -> None:
        assert all(seq < self._seq for seq in self._live)
        pending = {e[1] for e in self._heap}
        assert set(self._live) <= pending
