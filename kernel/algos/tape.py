"""The market tape of one symbol as the algos see it: cumulative volume, notional and mark-time.

Everything is a running int sum, so what happened over any interval is the difference of two
``TapeMark``s taken at its ends (O(1) however many parents are watching): traded volume and
notional from trades (``price x size``) and, separately, from bars (typical price
``(high + low + close) / 3`` x volume, kept x3 so it stays an int); and the integral of the mark
over time (``mark2 x ns``, the mark doubled as the kernel keeps it) with the time it covers, for
a time-weighted average price. A symbol's volume is its trades' when it has trades in the
interval, else its bars'. Our own fills never appear here: in the simulation they do not change
the recorded market.

It also keeps the volume seen per minute of the UTC day (``minute_volume``, 1,440 ints): the
history a VWAP's ``historical`` profile is estimated from.
"""

from __future__ import annotations

from fractions import Fraction

MINUTE_NS = 60_000_000_000
DAY_MINUTES = 1_440
DAY_NS = MINUTE_NS * DAY_MINUTES


class TapeMark:
    """The tape's running sums at one moment."""

    __slots__ = (
        "bar_notional3",
        "bar_volume",
        "mark_time",
        "marked_ns",
        "trade_notional",
        "trade_volume",
    )

    def __init__(
        self,
        trade_volume: int,
        trade_notional: int,
        bar_volume: int,
        bar_notional3: int,
        mark_time: int,
        marked_ns: int,
    ) -> None:
        self.trade_volume = trade_volume
        self.trade_notional = trade_notional
        self.bar_volume = bar_volume
        self.bar_notional3 = bar_notional3
        self.mark_time = mark_time
        self.marked_ns = marked_ns


def volume_between(a: TapeMark, b: TapeMark) -> int:
    """Market volume (lots) from ``a`` to ``b``: trades if any traded, else bars."""
    traded = b.trade_volume - a.trade_volume
    return traded if traded > 0 else b.bar_volume - a.bar_volume


def vwap_between(a: TapeMark, b: TapeMark) -> Fraction | None:
    """Volume-weighted average price (ticks) from ``a`` to ``b``, None without volume."""
    traded = b.trade_volume - a.trade_volume
    if traded > 0:
        return Fraction(b.trade_notional - a.trade_notional, traded)
    bars = b.bar_volume - a.bar_volume
    if bars > 0:
        return Fraction(b.bar_notional3 - a.bar_notional3, 3 * bars)
    return None


def twap_between(a: TapeMark, b: TapeMark) -> Fraction | None:
    """Time-weighted average mark (ticks) from ``a`` to ``b``, None when no time had a mark."""
    span = b.marked_ns - a.marked_ns
    if span <= 0:
        return None
    return Fraction(b.mark_time - a.mark_time, 2 * span)


class Tape:
    """Running sums for one symbol; ``advance`` after every market event (O(1))."""

    __slots__ = (
        "bar_notional3",
        "bar_volume",
        "last_mark2",
        "last_ts",
        "mark_time",
        "marked_ns",
        "minute_volume",
        "trade_notional",
        "trade_volume",
    )

    def __init__(self, mark2: int | None, ts_ns: int) -> None:
        self.trade_volume = 0
        self.trade_notional = 0
        self.bar_volume = 0
        self.bar_notional3 = 0
        self.mark_time = 0
        self.marked_ns = 0
        self.last_mark2 = mark2
        self.last_ts = ts_ns
        self.minute_volume = [0] * DAY_MINUTES

    def add_trade(self, price_ticks: int, size_lots: int, ts_ns: int) -> None:
        self.trade_volume += size_lots
        self.trade_notional += price_ticks * size_lots
        self.minute_volume[(ts_ns // MINUTE_NS) % DAY_MINUTES] += size_lots

    def add_bar(
        self, high: int, low: int, close: int, volume: int, open_ns: int, span_ns: int
    ) -> None:
        self.bar_volume += volume
        self.bar_notional3 += (high + low + close) * volume
        if span_ns < DAY_NS:  # why: a daily bar says nothing about the time of day
            self.minute_volume[(open_ns // MINUTE_NS) % DAY_MINUTES] += volume

    def advance(self, ts_ns: int, mark2: int | None) -> None:
        """Integrate the previous mark up to ``ts_ns``; the mark is ``mark2`` from now on."""
        dt = ts_ns - self.last_ts
        if dt > 0:
            if self.last_mark2 is not None:
                self.mark_time += self.last_mark2 * dt
                self.marked_ns += dt
            self.last_ts = ts_ns
        self.last_mark2 = mark2

    def mark(self, now_ns: int) -> TapeMark:
        """The running sums at ``now_ns`` (the current mark integrated up to it)."""
        mark_time, marked = self.mark_time, self.marked_ns
        dt = now_ns - self.last_ts
        if dt > 0 and self.last_mark2 is not None:
            mark_time += self.last_mark2 * dt
            marked += dt
        return TapeMark(
            self.trade_volume,
            self.trade_notional,
            self.bar_volume,
            self.bar_notional3,
            mark_time,
            marked,
        )

    def profile(self, start_ns: int, duration_ns: int, slices: int) -> list[int]:
        """Historical volume of each of ``slices`` equal parts of ``[start, start + duration)``
        at the same times of day (minute volumes weighted by overlap; relative weights)."""
        out = []
        minutes = self.minute_volume
        for i in range(slices):
            a = start_ns + (i * duration_ns) // slices
            b = start_ns + ((i + 1) * duration_ns) // slices
            weight = 0
            m = a // MINUTE_NS
            while m * MINUTE_NS < b:
                lo, hi = max(a, m * MINUTE_NS), min(b, (m + 1) * MINUTE_NS)
                weight += minutes[m % DAY_MINUTES] * (hi - lo)
                m += 1
            out.append(weight)
        return out
