"""Signal files (CONTRACT.md "Strategy inputs"): CSV or Parquet with columns ``ts``, ``symbol``,
``value`` - ``ts`` an ISO-8601 time (UTC when it names no zone) or an epoch number (s, ms, us or
ns by its size), ``value`` the target (kept as its exact decimal text). ``read_signals`` reads a
whole file (backtests); ``SignalTail`` reads the rows appended since its last look (live: the
file followed as it grows, a partial last line left for the next look)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sim.feeds.timestamps import epoch_scale

Row = tuple[int, str, str]  # (ts_ns, symbol, value)
COLUMNS = ("ts", "symbol", "value")


class SignalFileError(ValueError):
    """A signal file that cannot be read: the message names the file, the row and the field."""


def parse_ts(text: str) -> int:
    """An ISO-8601 time or an epoch number as int ns since the epoch (UTC)."""
    text = text.strip()
    try:
        number = float(text)
    except ValueError:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        delta = stamp - datetime(1970, 1, 1, tzinfo=UTC)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"not a time: {text!r}")
    return int(Decimal(text) * epoch_scale(number))


def _row(path: Path, n: int, ts: object, symbol: object, value: object) -> Row:
    where = f"{path}: row {n}"
    try:
        ts_ns = parse_ts(str(ts))
    except ValueError:
        raise SignalFileError(f"{where}: ts {ts!r} is not a time") from None
    sym = str(symbol).strip()
    if not sym:
        raise SignalFileError(f"{where}: symbol is empty")
    text = str(value).strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise SignalFileError(f"{where}: value {value!r} is not a number") from None
    if not number.is_finite():
        raise SignalFileError(f"{where}: value {value!r} is not a finite number")
    return ts_ns, sym, text


def read_signals(path: str | Path) -> list[Row]:
    """Every row of a signal file, in time order (stable for rows of one time)."""
    path = Path(path)
    if not path.is_file():
        raise SignalFileError(f"{path}: no such file")
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        missing = [c for c in COLUMNS if c not in table.column_names]
        if missing:
            raise SignalFileError(f"{path}: missing columns {missing} (needs ts, symbol, value)")
        cols = [table.column(c).to_pylist() for c in COLUMNS]
        rows = [_row(path, i + 1, *vals) for i, vals in enumerate(zip(*cols, strict=True))]
    else:
        rows = _csv_rows(path, path.read_text(), 1)[0]
    return sorted(rows, key=lambda r: r[0])


def _csv_rows(path: Path, text: str, first_line: int) -> tuple[list[Row], int]:
    """The rows of CSV ``text`` (the header line included when ``first_line`` is 1) and how
    many characters of it were whole lines."""
    whole = text[: text.rfind("\n") + 1] if "\n" in text else ""
    reader = csv.reader(io.StringIO(whole))
    rows: list[Row] = []
    n = first_line
    for record in reader:
        if n == 1:
            if [c.strip() for c in record[:3]] != list(COLUMNS):
                raise SignalFileError(f"{path}: the header must be ts,symbol,value, got {record}")
        elif record and any(field.strip() for field in record):
            if len(record) < 3:
                raise SignalFileError(f"{path}: row {n - 1}: expected ts,symbol,value")
            rows.append(_row(path, n - 1, record[0], record[1], record[2]))
        n += 1
    return rows, len(whole)


class SignalTail:
    """Follow a CSV signal file as it grows: ``poll()`` returns the whole rows appended since
    the last call (the first call: every row so far)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.offset = 0
        self.line = 1  # the next line's number (1: the header)

    def poll(self) -> list[Row]:
        try:
            with self.path.open("r", encoding="utf-8", newline="") as f:
                f.seek(self.offset)
                text = f.read()
        except FileNotFoundError:
            return []
        rows, used = _csv_rows(self.path, text, self.line)
        self.offset += len(text[:used].encode("utf-8"))
        self.line += text[:used].count("\n")
        return rows
