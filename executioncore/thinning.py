"""Thinning time series for charts and the recorder without losing what the eye looks for.

Three rules, one per kind of data:

- ``bucket_extremes`` (lines: equity, prices): split the points into equal-count buckets (bucket
  ``b`` of ``B`` holds indices ``b*n//B`` to ``(b+1)*n//B - 1``) and keep each bucket's first,
  last, lowest and highest point, in time order. Spikes, the deepest drawdown and the level at
  each bucket edge survive, so a line drawn through what is kept passes through every extreme.
- ``step_changes`` (step series: positions): keep the first point, every point whose value
  differs from the one before, and the last point; when those are more than the limit, thin them
  with ``bucket_extremes`` (which keeps each bucket's first and last, so no flat period is drawn
  at the wrong level).
- ``aggregate_markers`` (fill markers): up to the limit every marker is kept; beyond it, markers
  falling in one of ``limit`` equal time slices become one marker at their quantity-weighted
  average price and mean time, carrying how many fills it stands for.

All three are pure and O(n).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

P = TypeVar("P", bound=tuple)


def bucket_indices(values: Sequence[float], buckets: int) -> list[int]:
    """Return the sorted indices of the first, last, min and max value of each bucket."""
    n = len(values)
    buckets = max(1, min(buckets, n))
    out: list[int] = []
    for b in range(buckets):
        lo, hi = b * n // buckets, (b + 1) * n // buckets
        if lo >= hi:
            continue
        chunk = values[lo:hi]
        # why: min/max/index on a list of floats run in C
        i_min, i_max = chunk.index(min(chunk)), chunk.index(max(chunk))
        out.extend(lo + i for i in sorted({0, hi - lo - 1, i_min, i_max}))
    return out


def bucket_extremes(points: Sequence[P], max_points: int) -> Sequence[P]:
    """Keep at most ``max_points`` of ``(ts, value, ...)`` points: each of ``max_points // 4``
    buckets' first, last, min and max (the input itself when it is short enough)."""
    if len(points) <= max_points:
        return points
    values = [p[1] for p in points]
    return [points[i] for i in bucket_indices(values, max(1, max_points // 4))]


def step_changes(points: Sequence[P], max_points: int) -> Sequence[P]:
    """Keep the first point, every change of value and the last point; thin those with
    ``bucket_extremes`` only when they are more than ``max_points``."""
    if len(points) <= 2:
        return points
    kept = [points[0]]
    prev = points[0][1]
    for p in points[1:-1]:
        if p[1] != prev:
            kept.append(p)
            prev = p[1]
    kept.append(points[-1])
    return bucket_extremes(kept, max_points)


@dataclass(slots=True)
class Marker:
    """One drawn marker: ``count`` fills of total ``qty`` at average ``price``, between
    ``first_ns`` and ``last_ns`` (equal for a single fill); drawn at ``ts``."""

    ts: int
    price: float
    qty: float
    count: int
    first_ns: int
    last_ns: int


def aggregate_markers(
    fills: Sequence[tuple[int, float, float]], max_markers: int, span: tuple[int, int]
) -> list[Marker]:
    """Turn ``(ts, price, qty)`` fills (time order) into at most ``max_markers`` markers."""
    if len(fills) <= max_markers:
        return [Marker(t, p, q, 1, t, t) for t, p, q in fills]
    t0, t1 = span
    width = max(1, -(-(t1 - t0 + 1) // max(1, max_markers)))
    groups: dict[int, list[tuple[int, float, float]]] = {}
    for f in fills:
        slot = min(max_markers - 1, max(0, (f[0] - t0) // width))
        groups.setdefault(slot, []).append(f)
    out = []
    for _, group in sorted(groups.items()):
        qty = sum(abs(q) for _, _, q in group)
        if qty > 0:
            price = sum(p * abs(q) for _, p, q in group) / qty
        else:
            price = sum(p for _, p, _ in group) / len(group)
        prices = [p for _, p, _ in group]
        # why: float rounding (tiny quantities) must not put the average outside its fills
        price = min(max(price, min(prices)), max(prices))
        ts = sum(t for t, _, _ in group) // len(group)
        out.append(Marker(ts, price, qty, len(group), group[0][0], group[-1][0]))
    return out
