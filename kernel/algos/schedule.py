"""TWAP and VWAP: a parent spread over its horizon by a schedule of slices.

The horizon ``[start, start + duration)`` is cut into ``slices`` equal intervals; slice ``i``
fires at ``start + i x duration / slices`` (TWAP's ``time_jitter`` j moves it later by up to
``j`` of an interval, drawn from the parent's seeded stream, so slices keep their order and stay
inside their interval). Each slice has a weight: 1 for TWAP (``size_jitter`` s scales each by a
factor in ``[1 - s, 1 + s)``), the volume profile for VWAP: given, or ``historical`` (the volume
seen earlier in the run at the same times of day, from the tape; uniform when there is none).
At slice ``i`` the cumulative target is ``floor(quantity x weights[0..i] / total)`` (the last
is the whole quantity) and the algo sends ``target - filled - working`` when that is at least
``min_child_lots`` (a smaller remainder waits for the next slice; the last slice sends any).

Children are market orders, or limits at the parent's limit; with ``limit_offset_ticks`` they
are limits at the near touch plus the offset, re-priced at every slice (the open ones are
canceled and what they leave unfilled is sent again at the new price once the cancel is
confirmed, as one child). A market child still working at a slice is left to fill.
"""

from __future__ import annotations

from fractions import Fraction

from kernel.algos.base import ExecAlgo
from kernel.algos.params import HISTORICAL

T_SLICE = "s"
PPM = 1_000_000


class Twap(ExecAlgo):
    """Time-weighted: equal slices (optionally jittered in time and size)."""

    NAME = "twap"
    __slots__ = ("_next", "profile_source", "slice_times", "target", "targets")

    def on_start(self) -> None:
        n = self.p.slices
        duration = self.p.duration_ns
        assert duration is not None
        step = duration // n
        times = []
        for i in range(n):
            t = self.ts_start + (i * duration) // n
            jitter = self.p.time_jitter
            if jitter and i:
                # why: slice 0 fires at arrival; later ones move forward within their interval
                t += int(jitter * step * int(self.rng.integers(0, PPM)) / PPM)
            times.append(t)
        self.slice_times = times
        self.targets = cumulative(self.quantity, self.weights())
        self.target = 0
        self._next = 0
        self._schedule()

    def weights(self) -> list[Fraction]:
        self.profile_source = "uniform"
        s = self.p.size_jitter
        if not s:
            return [Fraction(1)] * self.p.slices
        self.profile_source = "uniform, size jitter"
        draws = self.rng.integers(0, PPM, size=self.p.slices).tolist()
        return [1 + s * (Fraction(2 * u, PPM) - 1) for u in draws]

    def _schedule(self) -> None:
        if self._next < len(self.slice_times):
            self.set_timer(T_SLICE, self.slice_times[self._next])

    def on_algo_timer(self, tag: str) -> None:
        if tag != T_SLICE:
            return
        self.target = self.targets[self._next]
        self._next += 1
        self._schedule()
        if self.p.limit_offset_ticks is not None:
            self.cancel_children(passive_only=True)
        self.top_up()

    def top_up(self) -> None:
        if self.repricing:
            return  # why: once the cancels are confirmed, one child replaces them all
        working = self.working_lots()
        qty = min(self.target, self.quantity) - self.filled_lots - working
        if qty <= 0:
            return
        last = self._next >= len(self.slice_times)
        if qty < self.p.min_child_lots and not last:
            return  # why: too small for a child: it rides with the next slice
        self.send_child(qty)


class Vwap(Twap):
    """Volume-weighted: slices sized by a volume profile (given or historical)."""

    NAME = "vwap"
    __slots__ = ()

    def weights(self) -> list[Fraction]:
        profile = self.p.profile
        if isinstance(profile, tuple):
            self.profile_source = "given"
            return list(profile)
        assert profile == HISTORICAL and self.p.duration_ns is not None
        hist = self.engine.tapes[self.symbol].profile(
            self.ts_start, self.p.duration_ns, self.p.slices
        )
        if not any(hist):
            self.profile_source = "uniform (no history)"
            return [Fraction(1)] * self.p.slices
        self.profile_source = "historical"
        return [Fraction(w) for w in hist]


def cumulative(quantity: int, weights: list[Fraction]) -> list[int]:
    """Cumulative integer targets: ``floor(quantity x w[0..i] / sum(w))``, the last exactly
    ``quantity``; never decreasing."""
    total = sum(weights)
    if total <= 0:
        weights = [Fraction(1)] * len(weights)
        total = Fraction(len(weights))
    out = []
    acc = Fraction(0)
    for w in weights:
        acc += w
        out.append(int(quantity * acc / total))
    out[-1] = quantity
    return out
