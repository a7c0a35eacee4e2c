"""Trading sessions: the daily open and close in a time zone, as int ns UTC.

A session ``09:30-16:00 America/New_York`` opens and closes every calendar day (weekends and
holidays are not modelled: with daily data the data itself only has trading days). Conversions
use ``zoneinfo``, so daylight saving time is honoured.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kernel.units import DAY_NS


class SessionError(ValueError):
    """A session definition that cannot be used."""


def _parse_hhmm(text: str, what: str) -> time:
    try:
        hh, mm = str(text).split(":")
        return time(int(hh), int(mm))
    except (ValueError, TypeError):
        raise SessionError(f"session.{what}: expected HH:MM, got {text!r}") from None


class Session:
    """Daily open/close. ``close_after(ts)`` and ``open_after(ts)`` give the next boundary."""

    def __init__(self, open: str, close: str, tz: str = "UTC") -> None:
        self.open_time = _parse_hhmm(open, "open")
        self.close_time = _parse_hhmm(close, "close")
        if self.close_time <= self.open_time:
            raise SessionError("session.close must be after session.open")
        try:
            self.tz = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise SessionError(f"session.tz: unknown time zone {tz!r}") from None

    def _at(self, day: date, t: time) -> int:
        local = datetime.combine(day, t, tzinfo=self.tz)
        return int(local.astimezone(UTC).timestamp()) * 1_000_000_000

    def _local_day(self, ts_ns: int) -> date:
        return datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=UTC).astimezone(self.tz).date()

    def open_on(self, day: date) -> int:
        return self._at(day, self.open_time)

    def close_on(self, day: date) -> int:
        return self._at(day, self.close_time)

    def close_after(self, ts_ns: int) -> int:
        """The first session close strictly after ``ts_ns``."""
        day = self._local_day(ts_ns) - timedelta(days=1)
        for _ in range(4):
            close = self.close_on(day)
            if close > ts_ns:
                return close
            day += timedelta(days=1)
        raise AssertionError("unreachable")

    def open_after(self, ts_ns: int) -> int:
        """The first session open at or after ``ts_ns``."""
        day = self._local_day(ts_ns) - timedelta(days=1)
        for _ in range(4):
            opening = self.open_on(day)
            if opening >= ts_ns:
                return opening
            day += timedelta(days=1)
        raise AssertionError("unreachable")

    def is_open(self, ts_ns: int) -> bool:
        day = self._local_day(ts_ns)
        return self.open_on(day) <= ts_ns < self.close_on(day)

    def day_of(self, ts_ns: int) -> date:
        """The local calendar day of ``ts_ns``."""
        return self._local_day(ts_ns)


def utc_midnight_after(ts_ns: int) -> int:
    """00:00 UTC of the day after ``ts_ns``'s UTC day."""
    return (ts_ns // DAY_NS + 1) * DAY_NS
