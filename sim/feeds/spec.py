"""What a scenario's data entry says (``DataSpec``), the error a bad file raises, and run counts.

A ``DataSpec`` is one item of a scenario's ``data:`` list, already validated: the kind of data,
the symbol it belongs to, where the file is, how its columns map onto the contract columns, the
bar interval, what to do with a bad row and the zone of naive timestamps. ``DataError`` names the
file, the line (CSV, the header is line 1) or row (Parquet, 1-based) and what was expected, so a
user can fix the file without a traceback. ``FeedStats`` counts rows read and skipped per source
and keeps the first few skipped rows as examples for the run summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

KINDS = ("quotes", "trades", "bars", "book")
ON_BAD_ROW = ("error", "skip")
DEFAULT_CHUNK_ROWS = 16384
MAX_EXAMPLES = 20

_UNIT_NS = {
    "ns": 1,
    "us": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
    "d": 86_400_000_000_000,
}
_INTERVAL_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ns|us|ms|s|m|h|d)\s*$")


class DataError(ValueError):
    """A market data file that cannot be used as it is.

    ``path`` is the file, ``row`` the 1-based line number in a CSV file (the header is line 1)
    or the 1-based row index in a Parquet file (None for a problem with the whole file), and
    ``column`` the contract column at fault (None when not about one column); ``unit`` says
    which (``"line"`` or ``"row"``). ``reason`` is the message without the location prefix;
    ``str(error)`` is the whole message.
    """

    def __init__(
        self,
        path: Path | str,
        reason: str,
        row: int | None = None,
        column: str | None = None,
        unit: str = "line",
    ) -> None:
        self.path = Path(path)
        self.row = row
        self.unit = unit
        self.column = column
        self.reason = reason
        where = f"{path}" if row is None else f"{path} {unit} {row}"
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        # why: sweep workers send errors between processes; rebuild from the fields
        return (type(self), (self.path, self.reason, self.row, self.column, self.unit))


def parse_interval(value: object) -> int:
    """Parse a bar interval (``"1m"``, ``"1d"``, ``"500ms"``, ``"1.5s"``; an int is ns) to ns."""
    if isinstance(value, bool):
        raise ValueError(f"interval {value!r} is not a duration")
    if isinstance(value, int):
        ns = value
    else:
        m = _INTERVAL_RE.match(value) if isinstance(value, str) else None
        if m is None:
            raise ValueError(
                f"interval {value!r} is not a duration like 1m, 1d, 500ms (units: "
                "ns, us, ms, s, m, h, d)"
            )
        try:
            exact = Decimal(m.group(1)) * _UNIT_NS[m.group(2)]
        except InvalidOperation:  # pragma: no cover - the regex admits only decimals
            raise ValueError(f"interval {value!r} is not a duration") from None
        if exact != exact.to_integral_value():
            raise ValueError(f"interval {value!r} is not a whole number of nanoseconds")
        ns = int(exact)
    if ns <= 0:
        raise ValueError(f"interval {value!r} must be positive")
    return ns


@dataclass(slots=True)
class DataSpec:
    """One data entry of a scenario file.

    ``columns`` maps a file's column names to contract column names (the table in CONTRACT.md);
    columns it does not name are found by built-in, case-insensitive aliases. ``interval_ns`` is
    required for bars (the bar's length: a bar is known at open + interval). ``on_bad_row`` is
    ``"error"`` (stop at the first bad row) or ``"skip"`` (drop it and count it). ``tz`` is the
    IANA zone of naive timestamps (default UTC); ``chunk_rows`` bounds the rows per chunk.
    """

    kind: str
    symbol: str
    path: Path
    columns: dict[str, str] | None = None
    interval_ns: int | None = None
    on_bad_row: str = "error"
    tz: str | None = None
    chunk_rows: int = DEFAULT_CHUNK_ROWS

    def __post_init__(self) -> None:
        where = f"data entry {self.symbol!r} ({self.path})"
        if self.kind not in KINDS:
            raise ValueError(f"{where}: kind {self.kind!r} must be one of {', '.join(KINDS)}")
        if not isinstance(self.symbol, str) or not self.symbol:
            raise ValueError(f"{where}: symbol must be a non-empty string")
        self.path = Path(self.path)
        if self.columns is not None:
            if not isinstance(self.columns, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.columns.items()
            ):
                raise ValueError(f"{where}: columns must map file column names to column names")
            self.columns = dict(self.columns)
        if self.kind == "bars":
            if self.interval_ns is None:
                raise ValueError(f"{where}: bars need an interval (e.g. interval: 1m)")
            self.interval_ns = parse_interval(self.interval_ns)
        elif self.interval_ns is not None:
            raise ValueError(f"{where}: interval applies to bars only, not {self.kind}")
        if self.on_bad_row not in ON_BAD_ROW:
            raise ValueError(
                f"{where}: on_bad_row must be 'error' or 'skip', not {self.on_bad_row!r}"
            )
        if self.tz is not None:
            try:
                ZoneInfo(self.tz)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{where}: tz {self.tz!r} is not a known time zone") from None
        if isinstance(self.chunk_rows, bool) or not isinstance(self.chunk_rows, int):
            raise ValueError(f"{where}: chunk_rows must be an int")
        if self.chunk_rows <= 0:
            raise ValueError(f"{where}: chunk_rows must be positive")

    @classmethod
    def from_entry(cls, entry: dict[str, Any], base_dir: Path | str = ".") -> DataSpec:
        """Build a spec from a scenario ``data:`` item; a relative path is relative to base_dir."""
        if not isinstance(entry, dict):
            raise ValueError(f"data entry {entry!r} must be a mapping")
        known = {"kind", "symbol", "path", "columns", "interval", "on_bad_row", "tz", "chunk_rows"}
        unknown = sorted(set(entry) - known)
        if unknown:
            raise ValueError(
                f"data entry {entry.get('symbol')!r}: unknown key(s) {', '.join(unknown)}; "
                f"expected {', '.join(sorted(known))}"
            )
        for key in ("kind", "symbol", "path"):
            if key not in entry:
                raise ValueError(f"data entry {entry.get('symbol')!r}: missing key {key!r}")
        path = Path(entry["path"])
        if not path.is_absolute():
            path = Path(base_dir) / path
        interval = entry.get("interval")
        try:
            interval_ns = None if interval is None else parse_interval(interval)
        except ValueError as exc:
            raise ValueError(f"data entry {entry['symbol']!r}: {exc}") from None
        return cls(
            kind=entry["kind"],
            symbol=entry["symbol"],
            path=path,
            columns=entry.get("columns"),
            interval_ns=interval_ns,
            on_bad_row=entry.get("on_bad_row", "error"),
            tz=entry.get("tz"),
            chunk_rows=entry.get("chunk_rows", DEFAULT_CHUNK_ROWS),
        )


@dataclass(slots=True)
class SourceStats:
    """Counts for one source: rows read from the file, rows skipped, event-time range delivered."""

    path: str
    rows_read: int = 0
    rows_skipped: int = 0
    first_ts: int | None = None
    last_ts: int | None = None

    @property
    def rows_delivered(self) -> int:
        return self.rows_read - self.rows_skipped


@dataclass(slots=True)
class FeedStats:
    """Row counts over all sources and the first ``max_examples`` skipped rows.

    ``skipped`` holds ``(path, row, reason)`` with ``row`` as in ``DataError`` (CSV line or
    Parquet row). Sources are keyed by their index in the scenario's data list.
    """

    max_examples: int = MAX_EXAMPLES
    rows_read: int = 0
    rows_skipped: int = 0
    sources: dict[int, SourceStats] = field(default_factory=dict)
    skipped: list[tuple[str, int, str]] = field(default_factory=list)

    def source(self, index: int, path: Path | str) -> SourceStats:
        """The stats of source ``index``, created on first use."""
        stats = self.sources.get(index)
        if stats is None:
            stats = self.sources[index] = SourceStats(str(path))
        return stats

    def add_read(self, index: int, path: Path | str, rows: int) -> None:
        self.source(index, path).rows_read += rows
        self.rows_read += rows

    def add_skipped(self, index: int, path: Path | str, rows: int) -> None:
        self.source(index, path).rows_skipped += rows
        self.rows_skipped += rows

    def add_example(self, path: Path | str, row: int, reason: str) -> None:
        if len(self.skipped) < self.max_examples:
            self.skipped.append((str(path), row, reason))

    def wants_examples(self) -> bool:
        return len(self.skipped) < self.max_examples

    def add_delivered(self, index: int, path: Path | str, first_ts: int, last_ts: int) -> None:
        stats = self.source(index, path)
        if stats.first_ts is None:
            stats.first_ts = first_ts
        stats.last_ts = last_ts

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view for the run summary (sources in index order)."""
        return {
            "rows_read": self.rows_read,
            "rows_skipped": self.rows_skipped,
            "sources": [
                {
                    "source": i,
                    "path": s.path,
                    "rows_read": s.rows_read,
                    "rows_skipped": s.rows_skipped,
                    "first_ts": s.first_ts,
                    "last_ts": s.last_ts,
                }
                for i, s in sorted(self.sources.items())
            ],
            "skipped_examples": [
                {"path": p, "row": r, "reason": why} for p, r, why in self.skipped
            ],
        }
