"""Orders waiting for a trigger price: stops, stop-limits, trailing stops, MIT and LIT.

Design: in exchange mode every trigger is the last trade price. A trigger order "fires up" (when
the last trade is at or above its price: buy stop, buy stop-limit, sell MIT, sell LIT, buy
trailing stop) or "fires down" (the mirror image). Fixed triggers sit in two heaps keyed by
price then sequence, with lazy deletion: an entry is valid while the engine's record is still
waiting (``where == W_TRIGGER``) with the same ``seq`` (a modify re-sequences the record).
Trailing stops are few and their stop moves with every trade, so they are scanned in a dict.

The engine reports trades one sweep at a time: a sweep's prices move monotonically from its
first to its last trade, so ``fire(first, last)`` is exact without replaying every print. A
trailing stop follows the best price seen since acceptance (sells: the highest trade, buys: the
lowest), never moving back; a ppm offset is rounded away from the market to a whole tick.

Complexity: add O(log n); fire O(k log n) for k fired, plus O(t) for t trailing stops.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from sim.exchange_orders import TRAILING_STOP, W_TRIGGER, Rec


def trail_offset(wm: int, trail_ticks: int | None, trail_ppm: int | None) -> int:
    """The trailing distance in ticks at watermark ``wm`` (ppm rounded up, at least 1 tick)."""
    if trail_ticks is not None:
        return trail_ticks
    return max(1, -(-abs(wm) * trail_ppm // 1_000_000))  # type: ignore[operator]


class TriggerBook:
    """Waiting trigger orders of one instrument. ``live`` is the engine's oid -> record map of
    waiting records (read only here: an entry is valid while its record waits there)."""

    __slots__ = ("_down", "_live", "_up", "count", "trailing")

    def __init__(self, live: Mapping[str, Rec]) -> None:
        self._live = live
        self._up: list[tuple[int, int, str]] = []  # (stop, seq, oid)
        self._down: list[tuple[int, int, str]] = []  # (-stop, seq, oid)
        self.count = 0  # valid heap entries
        self.trailing: dict[str, Rec] = {}

    def __len__(self) -> int:
        return self.count + len(self.trailing)

    def add(self, rec: Rec, last: int | None) -> tuple[bool, int | None]:
        """Register ``rec``; return (already triggered by ``last``, initial trailing stop).

        A record that is already triggered is not registered. For a trailing stop the second
        value is its stop after initialisation from ``last`` (None if there is no trade yet).
        """
        ext = rec.ext
        assert ext is not None
        if rec.otype == TRAILING_STOP:
            if last is not None:
                off = trail_offset(last, ext.trail_ticks, ext.trail_ppm)
                ext.wm = last
                if ext.up:
                    stop = last + off
                    ext.stop = stop if ext.stop is None else min(ext.stop, stop)
                else:
                    stop = last - off
                    ext.stop = stop if ext.stop is None else max(ext.stop, stop)
                if last >= ext.stop if ext.up else last <= ext.stop:
                    return True, ext.stop
            self.trailing[rec.oid] = rec
            return False, ext.stop
        stop = ext.stop
        assert stop is not None
        if last is not None and (last >= stop if ext.up else last <= stop):
            return True, None
        if ext.up:
            heapq.heappush(self._up, (stop, rec.seq, rec.oid))
        else:
            heapq.heappush(self._down, (-stop, rec.seq, rec.oid))
        self.count += 1
        return False, None

    def discard(self, rec: Rec) -> None:
        """Forget a waiting record (canceled, expired or modified); heap entries go lazily."""
        if rec.otype == TRAILING_STOP:
            self.trailing.pop(rec.oid, None)
            return
        self.count -= 1
        if len(self._up) + len(self._down) > 2 * self.count + 64:
            self._compact()

    def _valid(self, seq: int, oid: str) -> bool:
        rec = self._live.get(oid)
        return rec is not None and rec.where == W_TRIGGER and rec.seq == seq

    def _compact(self) -> None:
        # why: bounds the heaps when many waiting orders are canceled far from the market
        self._up = [e for e in self._up if self._valid(e[1], e[2])]
        self._down = [e for e in self._down if self._valid(e[1], e[2])]
        heapq.heapify(self._up)
        heapq.heapify(self._down)

    def fire(self, first: int, last: int) -> tuple[list[Rec], list[Rec]]:
        """Trades went monotonically from ``first`` to ``last``: return (fired, moved).

        ``fired`` is in the order the trades reached the triggers (triggers reached by the
        first trade, then the others from the nearest); they are no longer registered. ``moved``
        are the trailing stops whose stop changed (the new stop is ``rec.ext.stop``).
        """
        rising = first <= last
        lo, hi = (first, last) if rising else (last, first)
        hits: list[tuple[int, int, int, Rec]] = []  # (phase, key, seq, rec)
        up_phase, down_phase = (1, 0) if rising else (0, 1)
        up = self._up
        while up and up[0][0] <= hi:
            stop, seq, oid = heapq.heappop(up)
            if self._valid(seq, oid):
                self.count -= 1
                hits.append((up_phase, stop, seq, self._live[oid]))
        down = self._down
        while down and -down[0][0] >= lo:
            neg, seq, oid = heapq.heappop(down)
            if self._valid(seq, oid):
                self.count -= 1
                hits.append((down_phase, neg, seq, self._live[oid]))
        moved: list[Rec] = []
        if self.trailing:
            for rec in list(self.trailing.values()):
                fired, changed = _trail(rec, first, last, lo, hi)
                if changed:
                    moved.append(rec)
                if fired:
                    del self.trailing[rec.oid]
                    stop = rec.ext.stop  # type: ignore[union-attr]
                    if rec.ext.up:  # type: ignore[union-attr]
                        hits.append((up_phase, stop, rec.seq, rec))  # type: ignore[arg-type]
                    else:
                        hits.append((down_phase, -stop, rec.seq, rec))  # type: ignore[operator]
        if len(hits) > 1:
            hits.sort(key=lambda h: (h[0], h[1], h[2]))
        return [h[3] for h in hits], moved


def _trail(rec: Rec, first: int, last: int, lo: int, hi: int) -> tuple[bool, bool]:
    """Move one trailing stop through a monotonic sweep; return (fired, stop changed)."""
    ext = rec.ext
    assert ext is not None
    old = ext.stop
    tt, tp = ext.trail_ticks, ext.trail_ppm
    if ext.up:  # a buy: the stop sits above the lowest trade
        wm = first if ext.wm is None else min(ext.wm, first)
        stop = wm + trail_offset(wm, tt, tp)
        if old is not None:
            stop = min(old, stop)
        if hi >= stop:
            ext.wm, ext.stop = wm, stop
            return True, stop != old
        wm = min(wm, last)
        stop = min(stop, wm + trail_offset(wm, tt, tp))
    else:  # a sell: the stop sits below the highest trade
        wm = first if ext.wm is None else max(ext.wm, first)
        stop = wm - trail_offset(wm, tt, tp)
        if old is not None:
            stop = max(old, stop)
        if lo <= stop:
            ext.wm, ext.stop = wm, stop
            return True, stop != old
        wm = max(wm, last)
        stop = max(stop, wm - trail_offset(wm, tt, tp))
    ext.wm, ext.stop = wm, stop
    return False, stop != old
