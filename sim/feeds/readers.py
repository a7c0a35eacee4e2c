"""``read_chunks``: stream one data file as validated ``Chunk`` s in kernel units.

Each batch of raw columns goes through the same steps: timestamps to int ns, values to ticks and
lots with the kind's checks (``convert``), then the time order check — a row earlier than the
last accepted row is bad ("time going backwards"); equal timestamps are fine. A bad row either
stops the read with a ``DataError`` at the first one in file order (``on_bad_row: error``) or is
dropped and counted in ``FeedStats`` (``skip``). Memory stays bounded by one block of the file,
whatever its length; chunks have at most ``spec.chunk_rows`` rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kernel.units import Instrument
from sim.feeds.chunk import Chunk
from sim.feeds.columns import resolve_columns
from sim.feeds.convert import BadRows, KindConverter, show
from sim.feeds.sources import CsvSource, ParquetSource, open_source
from sim.feeds.spec import DataError, DataSpec, FeedStats
from sim.feeds.timestamps import TimestampParser, format_ns

INT64_MIN = int(np.iinfo(np.int64).min)
_NONE = np.zeros(0, dtype=np.int64)


def read_chunks(
    spec: DataSpec,
    instrument: Instrument,
    source: int = 0,
    stats: FeedStats | None = None,
    ahead: bool = False,
) -> Iterator[Chunk]:
    """Open ``spec``'s file and return an iterator of its chunks, in file order.

    The file is opened and its columns matched now, so a missing file or column raises
    ``DataError`` here; bad rows raise (or are counted) as the iterator reaches them.
    ``ahead``: a Parquet file's raw batches are decoded by a thread a few batches ahead
    (``sim.feeds.ahead``; backtests: the chunks and counts are the same either way).
    """
    if instrument.symbol != spec.symbol:
        raise ValueError(f"instrument {instrument.symbol!r} given for data of {spec.symbol!r}")
    src = open_source(spec.path, spec.chunk_rows, ahead)
    mapping = resolve_columns(spec.kind, src.columns(), spec.columns, spec.path)
    return _SourceReader(spec, instrument, source, stats or FeedStats(), src, mapping).chunks()


def probe_time_range(spec: DataSpec) -> tuple[int, int] | None:
    """Return ``(first, last)`` event time in ns of ``spec``'s valid rows, or None if it has none.

    Reads only the timestamp column (bars: open + interval). ``first`` is the first valid
    timestamp in file order and ``last`` the latest one; other columns are not checked.
    """
    src = open_source(spec.path, spec.chunk_rows)
    ts_col = resolve_columns(spec.kind, src.columns(), spec.columns, spec.path)["ts"]
    parser = TimestampParser(spec.tz)
    first: int | None = None
    last = INT64_MIN
    for batch in src.batches([ts_col]):
        ts, ok = parser.parse(batch.column(0))
        if not ok.any():
            continue
        valid = ts[ok]
        if first is None:
            first = int(valid[0])
        last = max(last, int(valid.max()))
    if first is None:
        return None
    shift = spec.interval_ns or 0
    return first + shift, last + shift


class _SourceReader:
    """The per-file state of one read: timestamp encoding, last accepted time, row numbering."""

    __slots__ = (
        "conv",
        "error_mode",
        "index",
        "instrument",
        "last_ts",
        "mapping",
        "parser",
        "spec",
        "src",
        "stats",
    )

    def __init__(
        self,
        spec: DataSpec,
        instrument: Instrument,
        index: int,
        stats: FeedStats,
        src: CsvSource | ParquetSource,
        mapping: dict[str, str],
    ) -> None:
        self.spec = spec
        self.instrument = instrument
        self.index = index
        self.stats = stats
        self.src = src
        self.mapping = mapping
        self.parser = TimestampParser(spec.tz)
        self.conv = KindConverter(spec.kind, instrument)
        self.error_mode = spec.on_bad_row == "error"
        self.last_ts = INT64_MIN
        stats.source(index, spec.path)

    def chunks(self) -> Iterator[Chunk]:
        spec = self.spec
        names = list(self.mapping)
        wanted = list(self.mapping.values())
        limit = spec.chunk_rows
        for batch in self.src.batches(wanted):
            n = batch.num_rows
            if n == 0:
                continue
            # why: columns come back in file order, so look them up by name, not position
            raw = {name: batch.column(self.mapping[name]) for name in names}
            ts, cols = self._convert(raw, n)
            if spec.interval_ns:
                ts = ts + spec.interval_ns
            if len(ts) == 0:
                continue
            self.stats.add_delivered(self.index, spec.path, int(ts[0]), int(ts[-1]))
            for start in range(0, len(ts), limit):
                stop = start + limit
                yield Chunk(
                    spec.kind,
                    spec.symbol,
                    self.index,
                    ts[start:stop],
                    {k: v[start:stop] for k, v in cols.items()},
                )
        tail = self.src.finish()
        if tail:
            self.stats.add_read(self.index, spec.path, len(tail))
            self._report(None, _NONE, _NONE, tail)

    def _convert(
        self, raw: dict[str, pa.Array], n: int
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        bad = BadRows(n)
        ts_raw = raw["ts"]
        ts, ok = self.parser.parse(ts_raw)

        def bad_ts(i: int) -> str:
            shown = show(ts_raw, i)
            return "ts is missing" if shown == "missing" else f"ts {shown} is not a timestamp"

        bad.flag(~ok, "ts", bad_ts)
        cols = self.conv.convert(raw, n, bad)
        self._check_order(ts, bad)
        rows, invalid = self.src.take_rows(n)
        bad_idx = np.flatnonzero(bad.code) if bad.code.any() else _NONE
        ignored = 0
        if len(bad_idx) and isinstance(self.src, CsvSource):
            blank = _blank_rows(raw, bad_idx)
            ignored = int(blank.sum())
            bad_idx = bad_idx[~blank]
        self._report(bad, bad_idx, rows, invalid)
        self.stats.add_read(self.index, self.spec.path, n - ignored + len(invalid))
        if len(bad_idx) or ignored:
            keep = bad.good()
            return ts[keep], {k: v[keep] for k, v in cols.items()}
        return ts, cols

    def _check_order(self, ts: np.ndarray, bad: BadRows) -> None:
        # a row is late when it is earlier than the latest accepted row before it
        last = self.last_ts
        good = bad.good()
        if good.all() and ts[0] >= last and bool(np.all(ts[1:] >= ts[:-1])):
            self.last_ts = int(ts[-1])
            return
        idx = np.flatnonzero(good)
        if len(idx) == 0:
            return
        t = ts[idx]
        prev = np.maximum.accumulate(np.concatenate(([last], t[:-1])))
        late = t < prev
        self.last_ts = max(last, int(t.max()))
        if not late.any():
            return
        prev_at = np.zeros(len(ts), dtype=np.int64)
        prev_at[idx] = prev
        mask = np.zeros(len(ts), dtype=bool)
        mask[idx[late]] = True
        bad.flag(
            mask,
            "ts",
            lambda i: (
                f"time going backwards: ts {format_ns(ts[i])} is before the previous "
                f"row's {format_ns(prev_at[i])}"
            ),
        )

    def _report(
        self,
        bad: BadRows | None,
        bad_idx: np.ndarray,
        rows: np.ndarray,
        invalid: list[tuple[int, str]],
    ) -> None:
        # raise at the first bad row (error) or count the bad rows and keep a few (skip)
        if not len(bad_idx) and not invalid:
            return
        path, unit = self.spec.path, self.src.unit
        if self.error_mode:
            first = int(rows[bad_idx[0]]) if len(bad_idx) else None
            if invalid and (first is None or invalid[0][0] < first):
                raise DataError(path, invalid[0][1], row=invalid[0][0], unit=unit)
            assert bad is not None and first is not None
            column, reason = bad.describe(int(bad_idx[0]))
            raise DataError(path, reason, row=first, column=column, unit=unit)
        self.stats.add_skipped(self.index, path, len(bad_idx) + len(invalid))
        room = self.stats.max_examples - len(self.stats.skipped)
        if room <= 0:
            return
        examples = list(invalid[:room])
        if bad is not None:
            examples += [(int(rows[i]), bad.describe(i)[1]) for i in bad_idx[:room].tolist()]
        for row, reason in sorted(examples)[:room]:
            self.stats.add_example(path, row, reason)


def _blank_rows(raw: dict[str, pa.Array], idx: np.ndarray) -> np.ndarray:
    # why: a CSV line with no value in any used column is a blank line, not a bad row
    take = pa.array(idx)
    blank = np.ones(len(idx), dtype=bool)
    for arr in raw.values():
        cells = pc.utf8_trim_whitespace(arr.take(take))
        blank &= np.asarray(pc.fill_null(pc.equal(cells, ""), True))
    return blank
