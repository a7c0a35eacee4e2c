"""Bad rows: every kind of fault stops the read at its exact line (error) or is skipped (skip)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kernel.units import Instrument
from sim.feeds import DataError, DataSpec, FeedStats, read_chunks

XYZ = Instrument("XYZ", "0.01", "1")
MINUTE = 60_000_000_000


def t(sec: int) -> str:
    return f"2021-01-08T00:00:{sec:02d}Z"


HEADERS = {
    "quotes": "ts,bid,ask,bid_sz,ask_sz",
    "trades": "ts,px,sz,side",
    "bars": "ts,open,high,low,close,volume",
    "book": "ts,side,px,sz,update_type",
}
GOOD = {
    "quotes": "{ts},1.00,1.01,1,1",
    "trades": "{ts},1.00,1,buy",
    "bars": "{ts},1.00,1.02,0.99,1.01,5",
    "book": "{ts},b,1.00,1,set",
}

# (kind, bad line at second 3, reason, column)
CASES = [
    ("quotes", f"{t(3)},abc,1.01,1,1", "bid_px 'abc' is not a number", "bid_px"),
    ("quotes", f"{t(3)},1.00,,1,1", "ask_px is missing", "ask_px"),
    ("quotes", f"{t(3)},NaN,1.01,1,1", "bid_px 'NaN' is not a finite number", "bid_px"),
    ("quotes", f"{t(3)},1.02,1.01,1,1", "crossed quote: bid_px 1.02 > ask_px 1.01", "bid_px"),
    (
        "quotes",
        f"{t(3)},1.005,1.01,1,1",
        "off-tick price: bid_px 1.005 is not a multiple of the tick size 0.01",
        "bid_px",
    ),
    (
        "quotes",
        f"{t(3)},1.00,1.01,1.5,1",
        "off-lot size: bid_sz 1.5 is not a multiple of the lot size 1",
        "bid_sz",
    ),
    ("quotes", f"{t(3)},1.00,1.01,1,-2", "ask_sz -2 must not be negative", "ask_sz"),
    ("quotes", "yesterday,1.00,1.01,1,1", "ts 'yesterday' is not a timestamp", "ts"),
    ("quotes", ",1.00,1.01,1,1", "ts is missing", "ts"),
    (
        "quotes",
        f"{t(1)},1.00,1.01,1,1",
        "time going backwards: ts 2021-01-08T00:00:01Z is before the previous row's "
        "2021-01-08T00:00:02Z",
        "ts",
    ),
    ("quotes", f"{t(3)},1.00", "malformed line: expected 5 fields, found 2", None),
    ("quotes", f"{t(3)},1.00,1.01,1,1,9", "malformed line: expected 5 fields, found 6", None),
    ("trades", f"{t(3)},1.00,0,buy", "sz 0 must be positive", "sz"),
    ("trades", f"{t(3)},1.00,1,up", "side 'up' is not buy or sell", "side"),
    ("trades", f"{t(3)},1.001,1,buy", "off-tick price: px 1.001 is not a multiple", "px"),
    ("bars", f"{t(3)},1.00,1.01,0.99,1.02,5", "bad bar: high 1.01 is below the close 1.02", "high"),
    ("bars", f"{t(3)},1.00,1.05,1.01,1.02,5", "bad bar: low 1.01 is above the open 1.00", "low"),
    ("bars", f"{t(3)},1.00,1.05,0.99,1.02,-1", "volume -1 must not be negative", "volume"),
    ("bars", f"{t(3)},1.00,1.05,0.99,1.02,x", "volume 'x' is not a number", "volume"),
    ("book", f"{t(3)},x,1.00,1,set", "side 'x' is not a book side (b/a or bid/ask)", "side"),
    ("book", f"{t(3)},b,1.00,-1,set", "sz -1 must not be negative", "sz"),
    ("book", f"{t(3)},a,1.00,1,patch", "update_type 'patch' is not snap or set", "update_type"),
]


def make_file(tmp_path: Path, kind: str, bad_line: str) -> Path:
    good = GOOD[kind]
    lines = [HEADERS[kind], good.format(ts=t(1)), good.format(ts=t(2)), bad_line]
    lines.append(good.format(ts=t(5)))
    path = tmp_path / f"{kind}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def spec(kind: str, path: Path, mode: str, **kw) -> DataSpec:
    interval = MINUTE if kind == "bars" else None
    return DataSpec(kind, "XYZ", path, interval_ns=interval, on_bad_row=mode, **kw)


IDS = [f"{kind}-{reason[:36]}" for kind, _, reason, _ in CASES]


@pytest.mark.parametrize(("kind", "bad_line", "reason", "column"), CASES, ids=IDS)
def test_bad_row_error_mode_names_file_line_and_reason(tmp_path, kind, bad_line, reason, column):
    path = make_file(tmp_path, kind, bad_line)
    with pytest.raises(DataError) as info:
        list(read_chunks(spec(kind, path, "error"), XYZ))
    err = info.value
    assert str(err).startswith(f"{path} line 4: {reason}")
    assert err.row == 4 and err.path == path and err.column == column and err.unit == "line"
    assert err.reason == str(err).removeprefix(f"{path} line 4: ")


@pytest.mark.parametrize(("kind", "bad_line", "reason", "column"), CASES, ids=IDS)
def test_bad_row_skip_mode_drops_and_counts_it(tmp_path, kind, bad_line, reason, column):
    path = make_file(tmp_path, kind, bad_line)
    stats = FeedStats()
    chunks = list(read_chunks(spec(kind, path, "skip"), XYZ, 0, stats))
    ts = np.concatenate([c.ts for c in chunks])
    shift = MINUTE if kind == "bars" else 0
    base = 1_610_064_000_000_000_000 + shift
    assert ts.tolist() == [base + s * 1_000_000_000 for s in (1, 2, 5)]
    assert stats.rows_read == 4 and stats.rows_skipped == 1
    assert stats.sources[0].rows_skipped == 1
    assert len(stats.skipped) == 1
    where, row, why = stats.skipped[0]
    assert (where, row) == (str(path), 4) and why.startswith(reason)


def test_first_bad_row_is_reported_when_there_are_several(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(
        "ts,bid,ask\n"
        f"{t(1)},1.00,1.01\n"
        f"{t(2)},1.00\n"  # malformed, line 3
        f"{t(3)},1.02,1.01\n"  # crossed, line 4
        f"{t(4)},x,1.01\n"  # line 5
    )
    with pytest.raises(DataError, match=r"line 3: malformed line"):
        list(read_chunks(spec("quotes", path, "error"), XYZ))
    path.write_text(f"ts,bid,ask\n{t(1)},1.00,1.01\n{t(3)},1.02,1.01\n{t(2)},1.00\n{t(4)},x,1.01\n")
    with pytest.raises(DataError, match=r"line 3: crossed quote"):
        list(read_chunks(spec("quotes", path, "error"), XYZ))


def test_blank_lines_are_ignored_and_keep_line_numbers(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(f"ts,bid,ask\n\n{t(1)},1.00,1.01\n\n\n{t(2)},zz,1.01\n{t(3)},1.00,1.01\n\n\n")
    with pytest.raises(DataError) as info:
        list(read_chunks(spec("quotes", path, "error"), XYZ))
    assert info.value.row == 6
    stats = FeedStats()
    rows = sum(len(c) for c in read_chunks(spec("quotes", path, "skip"), XYZ, 0, stats))
    assert (
        rows == 2
        and stats.rows_read == 3
        and stats.skipped == [(str(path), 6, "bid_px 'zz' is not a number")]
    )


def test_malformed_last_line_is_reported(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(f"ts,bid,ask\n{t(1)},1.00,1.01\n{t(2)}\n")
    with pytest.raises(DataError, match=r"line 3: malformed line: expected 3 fields, found 1"):
        list(read_chunks(spec("quotes", path, "error"), XYZ))
    stats = FeedStats()
    assert sum(len(c) for c in read_chunks(spec("quotes", path, "skip"), XYZ, 0, stats)) == 1
    assert stats.rows_read == 2 and stats.rows_skipped == 1


def test_line_numbers_stay_exact_across_blocks(tmp_path):
    # several Arrow blocks, with blank and malformed lines early on
    n = 100_000
    lines = ["ts,bid,ask", "", f"{t(0)},1.00"]
    lines += [f"{1_610_064_000_000 + i},1.00,1.01" for i in range(n)]
    lines += ["1610064999999,1.00,0.99"]
    path = tmp_path / "q.csv"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size > 2 << 20
    stats = FeedStats()
    rows = sum(len(c) for c in read_chunks(spec("quotes", path, "skip"), XYZ, 0, stats))
    assert rows == n
    assert [r for _, r, _ in stats.skipped] == [3, n + 4]
    assert stats.skipped[1][2] == "crossed quote: bid_px 1.00 > ask_px 0.99"


def test_backwards_checks_against_last_accepted_row(tmp_path):
    path = tmp_path / "q.csv"
    # line 3 is skipped (bad price), so line 4 is compared with line 2 and is fine
    path.write_text(f"ts,bid,ask\n{t(1)},1.00,1.01\n{t(5)},x,1.01\n{t(2)},1.00,1.01\n")
    stats = FeedStats()
    ts = [int(x) for c in read_chunks(spec("quotes", path, "skip"), XYZ, 0, stats) for x in c.ts]
    assert len(ts) == 2 and stats.rows_skipped == 1


def test_backwards_across_parquet_batches_reports_row(tmp_path):
    path = tmp_path / "q.parquet"
    ts = [10, 20, 30, 25, 40]
    pq.write_table(pa.table({"ts": ts, "bid": [1.0] * 5, "ask": [1.01] * 5}), path)
    with pytest.raises(DataError) as info:
        list(read_chunks(spec("quotes", path, "error", chunk_rows=2), XYZ))
    assert info.value.row == 4
    assert str(info.value).startswith(f"{path} row 4: time going backwards")
    stats = FeedStats()
    got = [
        int(x)
        for c in read_chunks(spec("quotes", path, "skip", chunk_rows=2), XYZ, 0, stats)
        for x in c.ts
    ]
    assert got == [10_000_000_000, 20_000_000_000, 30_000_000_000, 40_000_000_000]
    assert stats.skipped == [(str(path), 4, stats.skipped[0][2])]


def test_parquet_bad_rows_name_the_row(tmp_path):
    path = tmp_path / "q.parquet"
    pq.write_table(
        pa.table({"ts": [1, 2, 3], "bid": [1.0, float("nan"), 1.0], "ask": [1.01, 1.01, 1.005]}),
        path,
    )
    stats = FeedStats()
    rows = sum(len(c) for c in read_chunks(spec("quotes", path, "skip"), XYZ, 0, stats))
    assert rows == 1
    assert stats.skipped == [
        (str(path), 2, "bid_px nan is not a finite number"),
        (str(path), 3, "off-tick price: ask_px 1.005 is not a multiple of the tick size 0.01"),
    ]


def test_skip_keeps_only_the_first_examples_but_counts_all(tmp_path):
    path = tmp_path / "q.csv"
    body = "".join(f"{1_610_064_000 + i},{'x' if i % 2 else '1.00'},1.01\n" for i in range(60))
    path.write_text("ts,bid,ask\n" + body)
    stats = FeedStats()
    rows = sum(
        len(c) for c in read_chunks(spec("quotes", path, "skip", chunk_rows=7), XYZ, 0, stats)
    )
    assert rows == 30 and stats.rows_skipped == 30 and stats.rows_read == 60
    assert len(stats.skipped) == 20
    assert [r for _, r, _ in stats.skipped] == list(range(3, 43, 2))
