"""sim.feeds.ahead.read_ahead: a thread decodes a few items ahead; the reader sees exactly the
items in order, the iterator's error where its item would be, and an early stop ends the thread.
A Parquet file read through it (``read_chunks(..., ahead=True)``, backtests) gives the same
chunks and counts as without it, also when stopped."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.units import Instrument
from sim.feeds import DataSpec, FeedStats, read_chunks
from sim.feeds.ahead import read_ahead


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("test-ahead")}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(), max_size=50), st.integers(1, 4))
def test_items_come_in_order_and_whole(items, depth):
    assert list(read_ahead(iter(items), depth, name="test-ahead")) == items
    assert not _threads()


def test_the_error_comes_where_its_item_would_have():
    def items():
        yield 1
        yield 2
        raise ValueError("bad row 3")

    got = []
    with pytest.raises(ValueError, match="bad row 3"):
        for x in read_ahead(items(), name="test-ahead"):
            got.append(x)
    assert got == [1, 2]
    assert not _threads()


def test_it_reads_no_more_than_depth_ahead_and_an_early_stop_ends_the_thread():
    made = []
    closed = threading.Event()

    def items():
        try:
            for i in range(1000):
                made.append(i)
                yield i
        finally:
            closed.set()  # why: the thread that ran the generator closed it

    reader = read_ahead(items(), depth=2, name="test-ahead")
    assert next(reader) == 0
    time.sleep(0.2)
    # one taken, two waiting, one made and blocked on the full hand-off
    assert len(made) <= 4
    reader.close()
    assert closed.is_set()
    assert not _threads()


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match="depth"):
        list(read_ahead(iter([1]), depth=0))


def _quotes_file(path: Path, n: int) -> Path:
    ts = 1_700_000_000_000_000_000 + np.arange(n, dtype=np.int64) * 1_000_000
    bid = 100 + (np.arange(n) % 50) / 100
    table = pa.table(
        {
            "ts_ns": ts,
            "bid_px": bid,
            "ask_px": bid + 0.01,
            "bid_sz": np.full(n, 5, dtype=np.int64),
            "ask_sz": np.full(n, 7, dtype=np.int64),
        }
    )
    pq.write_table(table, path, row_group_size=1000)
    return path


@pytest.mark.parametrize("ahead", [False, True])
def test_a_parquet_file_reads_the_same_chunks_and_counts(tmp_path, ahead):
    path = _quotes_file(tmp_path / "q.parquet", 10_000)
    inst = Instrument("XYZ", "0.01", "1")
    spec = DataSpec("quotes", "XYZ", path, chunk_rows=700)
    stats = FeedStats()
    chunks = list(read_chunks(spec, inst, 0, stats, ahead=ahead))
    assert sum(len(c) for c in chunks) == 10_000 == stats.rows_read
    assert all(len(c) <= 700 for c in chunks)
    ts = np.concatenate([c.ts for c in chunks])
    assert (np.diff(ts) == 1_000_000).all()
    bids = np.concatenate([c.cols["bid"] for c in chunks])
    assert bids.tolist() == [10_000 + i % 50 for i in range(10_000)]


def test_a_run_stopped_early_counts_only_what_it_took(tmp_path):
    # why: only raw batches are read ahead; rows are counted as the run takes them, so an
    # early stop reports the same counts however far the thread had read
    path = _quotes_file(tmp_path / "q.parquet", 10_000)
    inst = Instrument("XYZ", "0.01", "1")
    spec = DataSpec("quotes", "XYZ", path, chunk_rows=1000)
    stats = FeedStats()
    reader = read_chunks(spec, inst, 0, stats, ahead=True)
    first = next(reader)
    time.sleep(0.2)  # the thread has read ahead by now
    assert len(first) == 1000 and stats.rows_read == 1000
    reader.close()  # type: ignore[attr-defined]
    assert not [t for t in threading.enumerate() if t.name.startswith("read-ahead")]
