"""Journal properties: exact read-back, a digest independent of block cuts, every edit detected."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.journal import Journal, JournalCorrupt, MemorySink, digest_of, read_records

# what a record may hold: ints (any size), str (any unicode), None, bools and nested tuples
scalars = st.one_of(
    st.integers(),
    st.text(max_size=12),
    st.none(),
    st.booleans(),
)
values = st.recursive(
    scalars, lambda inner: st.tuples(inner, inner) | st.tuples(inner), max_leaves=6
)
records = st.lists(
    st.tuples(st.integers(0, 1), st.integers(1, 50)).flatmap(
        lambda head: st.lists(values, max_size=5).map(lambda rest: (*head, *rest))
    ),
    min_size=1,
    max_size=30,
)
# (record index, blob) pairs: which records carry a binary payload
blob_maps = st.dictionaries(st.integers(0, 29), st.binary(max_size=40), max_size=6)


def write(recs, blobs, block_records: int, flush_at=frozenset()):
    sink = MemorySink()
    journal = Journal(sink, block_records=block_records)
    for i, rec in enumerate(recs):
        if i in blobs:
            journal.append_blob(rec, blobs[i])
        else:
            journal.append(rec)
        if i in flush_at:
            journal.flush()
    return journal.close(), sink.blocks


@given(
    recs=records,
    blobs=blob_maps,
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=4),
    flush_at=st.frozensets(st.integers(0, 29), max_size=5),
)
def test_journal_digest_is_independent_of_block_size(recs, blobs, sizes, flush_at):
    blobs = {i: b for i, b in blobs.items() if i < len(recs)}
    reference, _ = write(recs, blobs, block_records=10**6)
    for size in sizes:
        digest, blocks = write(recs, blobs, size, flush_at)
        assert digest == reference
        assert digest_of(blocks) == reference
        assert blocks[-1].digest.hex() == reference
        assert sum(b.count for b in blocks) == len(recs)


@given(recs=records, blobs=blob_maps, size=st.integers(1, 8))
def test_journal_read_back_equals_appended(recs, blobs, size):
    blobs = {i: b for i, b in blobs.items() if i < len(recs)}
    _, blocks = write(recs, blobs, size)
    want = [(*r, blobs[i]) if i in blobs else r for i, r in enumerate(recs)]
    assert list(read_records(blocks)) == want


@given(
    recs=records,
    blobs=blob_maps,
    size=st.integers(1, 8),
    data=st.data(),
)
def test_journal_any_flipped_byte_raises_journal_corrupt_naming_block(recs, blobs, size, data):
    blobs = {i: b for i, b in blobs.items() if i < len(recs)}
    _, blocks = write(recs, blobs, size)
    candidates = [(i, f) for i, b in enumerate(blocks) for f in ("body",) if getattr(b, f)]
    idx, field = data.draw(st.sampled_from(candidates))
    raw = bytearray(getattr(blocks[idx], field))
    pos = data.draw(st.integers(0, len(raw) - 1))
    raw[pos] ^= data.draw(st.integers(1, 255))
    blocks[idx] = dataclasses.replace(blocks[idx], **{field: bytes(raw)})
    with pytest.raises(JournalCorrupt, match=rf"^block {idx} "):
        list(read_records(blocks))
