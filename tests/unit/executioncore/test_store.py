"""The SQLite journal store: write blocks, read them back exactly, refuse what is not a journal."""

from __future__ import annotations

import sqlite3

import pytest

from executioncore.store import SqliteStore, StoreError
from kernel import events as ev
from kernel.codec import IN, OUT, encode
from kernel.commands import CancelOrder
from kernel.journal import Journal, JournalCorrupt, digest_of, read_records

T0 = 1_700_000_000_000_000_000


def records(n: int) -> list[tuple]:
    out = []
    for i in range(n):
        if i % 3 == 0:
            out.append(encode(IN, ev.QuoteTick("AAPL", 100 + i, 101 + i, i, None, T0 + i, T0 + i)))
        elif i % 3 == 1:
            out.append(encode(IN, ev.OrderAccepted(f"s-{i}", f"V{i}", T0 + i, T0 + i)))
        else:
            out.append(encode(OUT, CancelOrder(f"s-{i}", "AAPL", "SIM", T0 + i)))
    return out


BLOBS = {4: b"\x00columnar\xff", 11: b"", 17: bytes(range(256)) * 4}


def write_journal(path, n: int = 20, block_records: int = 6, meta=None):
    store = SqliteStore.create(path, meta=meta)
    journal = Journal(store, block_records=block_records)
    recs = records(n)
    for i, rec in enumerate(recs):
        if i in BLOBS:
            journal.append_blob(rec, BLOBS[i])
        else:
            journal.append(rec)
    digest = journal.close()
    want = [(*r, BLOBS[i]) if i in BLOBS else r for i, r in enumerate(recs)]
    return digest, want


def test_store_round_trip_reads_exactly_the_records_appended(tmp_path):
    path = tmp_path / "run" / "journal.sqlite"  # the parent directory is created
    digest, want = write_journal(path)
    store = SqliteStore.open(path)
    try:
        assert list(read_records(store.blocks())) == want
        assert store.record_count() == 20
        assert store.last_digest() == digest
        assert digest_of(store.blocks()) == digest
        assert [b.index for b in store.blocks()] == [0, 1, 2, 3]
    finally:
        store.close()


def test_store_meta_round_trips_json_values(tmp_path):
    meta = {"scenario": "twap_aapl", "seed": 42, "params": {"b": [1, 2], "a": None}}
    write_journal(tmp_path / "j.sqlite", meta=meta)
    store = SqliteStore.open(tmp_path / "j.sqlite")
    try:
        assert store.meta() == meta
        store.set_meta({"seed": 43, "digest": "ab"})
        assert store.meta() == {**meta, "seed": 43, "digest": "ab"}
    finally:
        store.close()


def test_store_empty_journal_has_no_records_and_no_digest(tmp_path):
    store = SqliteStore.create(tmp_path / "empty.sqlite")
    try:
        assert store.record_count() == 0
        assert store.last_digest() is None
        assert list(store.blocks()) == []
        assert store.meta() == {}
    finally:
        store.close()


def test_store_create_replaces_an_existing_journal(tmp_path):
    path = tmp_path / "j.sqlite"
    write_journal(path, n=20)
    write_journal(path, n=5, meta={"second": True})
    store = SqliteStore.open(path)
    try:
        assert store.record_count() == 5
        assert store.meta() == {"second": True}
    finally:
        store.close()


def test_store_each_block_is_readable_before_close(tmp_path):
    path = tmp_path / "live.sqlite"
    writer = SqliteStore.create(path)
    journal = Journal(writer, block_records=2)
    for rec in records(5):
        journal.append(rec)
    reader = SqliteStore.open(path)
    try:
        assert reader.record_count() == 4  # two full blocks committed, one record buffered
    finally:
        reader.close()
        journal.close()


def test_store_open_missing_file_raises_store_error(tmp_path):
    with pytest.raises(StoreError, match="no journal file"):
        SqliteStore.open(tmp_path / "nope.sqlite")
    with pytest.raises(StoreError):
        SqliteStore.open(tmp_path)  # a directory is not a journal file


@pytest.mark.parametrize("content", [b"this is not a database\n" * 10, b""])
def test_store_open_non_journal_file_raises_store_error(tmp_path, content):
    path = tmp_path / "junk.sqlite"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="not a journal"):
        SqliteStore.open(path)


def test_store_open_sqlite_without_blocks_table_raises_store_error(tmp_path):
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a journal"):
        SqliteStore.open(path)


@pytest.mark.parametrize("column", ["body", "digest"])
def test_store_edited_block_raises_journal_corrupt_naming_block(tmp_path, column):
    path = tmp_path / "j.sqlite"
    write_journal(path)
    conn = sqlite3.connect(path)
    idx = 2  # records 12..17: holds the blob of record 17
    (data,) = conn.execute(f"SELECT {column} FROM blocks WHERE idx = ?", (idx,)).fetchone()
    data = bytearray(data)
    data[len(data) // 2] ^= 0x20
    conn.execute(f"UPDATE blocks SET {column} = ? WHERE idx = ?", (bytes(data), idx))
    conn.commit()
    conn.close()
    store = SqliteStore.open(path)
    try:
        with pytest.raises(JournalCorrupt, match=r"^block 2 "):
            list(read_records(store.blocks()))
    finally:
        store.close()


@pytest.mark.parametrize(
    ("durable", "page", "mode"), [(True, 4096, "wal"), (False, 65536, "delete")]
)
def test_store_backtest_journals_use_large_pages_live_ones_small(tmp_path, durable, page, mode):
    """A backtest's blocks carry 1 MiB of data (large pages write them in half the time); a
    live journal commits small blocks one by one (write-ahead log, small pages). Either way the
    journal reads back exactly."""
    path = tmp_path / "journal"
    store = SqliteStore.create(path, durable=durable)
    journal = Journal(store, block_records=4)
    for rec in records(10):
        journal.append(rec)
    journal.append_blob((IN, 50, 0, 3), bytes(range(256)) * 8192)
    digest = journal.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == page
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == mode
    finally:
        conn.close()
    reread = SqliteStore.open(path)
    try:
        assert digest_of(reread.blocks()) == digest and reread.record_count() == 11
    finally:
        reread.close()


def test_store_backtest_keeps_its_rollback_journal_file_until_close_and_no_longer(tmp_path):
    """A backtest's store keeps SQLite's rollback journal file between its commits (cheaper
    than making and deleting it for each block) and deletes it at close; a file left by a run
    that died is removed when the journal is made again, so it can never be rolled back into
    the new one."""
    path = tmp_path / "journal"
    side = tmp_path / "journal-journal"
    side.write_bytes(b"left by a run that died")
    store = SqliteStore.create(path, durable=False)
    journal = Journal(store, block_records=2)
    for rec in records(5):
        journal.append(rec)
    assert side.exists() and side.read_bytes() != b"left by a run that died"
    digest = journal.close()
    assert not side.exists()
    reread = SqliteStore.open(path)
    try:
        assert digest_of(reread.blocks()) == digest and reread.record_count() == 5
    finally:
        reread.close()
