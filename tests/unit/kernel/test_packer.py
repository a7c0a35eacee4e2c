"""The journal's record writer (``kernel.packer``) writes msgpack's very bytes, or nothing.

The journal's digest and every stored journal depend on these bytes: whatever the writer writes
itself (None, bools, 64-bit ints, strings, bytes, nested tuples) must be exactly what
``msgpack.Packer(use_bin_type=True)`` gives, at every length boundary of every format; what it
hands to the packer (floats, lists, dicts, ints beyond 64 bits, int subclasses) too. A record
the packer refuses leaves no bytes behind. Run compiled (the C writer) and as plain Python.
"""

from __future__ import annotations

import enum

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel import packer
from kernel.journal import Journal, MemorySink, pack_record, read_records
from kernel.packer import RecordWriter

EDGES = [
    0, 1, 31, 32, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63,
    2**64 - 1, 2**64, 10**30, -1, -31, -32, -33, -127, -128, -129, -32768, -32769,
    -(2**31), -(2**31) - 1, -(2**63), -(2**63) - 1, -(10**30),
]  # fmt: skip


class Kind(enum.IntEnum):
    A = 3
    BIG = 2**40
    HUGE = 2**64
    LOW = -(2**63) - 1


def writer(max_records: int = 10**9, max_bytes: int = 1 << 20) -> tuple[RecordWriter, list]:
    blocks: list[bytes] = []
    w = RecordWriter(pack_record, lambda: blocks.append(w.block(b"")), max_records, max_bytes)
    return w, blocks


def written(records: list[tuple], max_bytes: int = 1 << 20) -> bytes:
    w, blocks = writer(max_bytes=max_bytes)
    for r in records:
        w.put(r)
    return b"".join(blocks) + w.block(b"")


def test_every_format_boundary_is_msgpacks():
    values = [
        *EDGES, None, True, False, *Kind, 1.5, -0.0, [1, [2]], {"k": (1,)},
        *("x" * n for n in (0, 1, 31, 32, 255, 256, 65535, 65536)),
        "é", "aé", "\U0001f600", "\x7f\x80",
        *(b"y" * n for n in (0, 1, 255, 256, 65535, 65536)),
        (), tuple(range(15)), tuple(range(16)), tuple(range(65535)), tuple(range(65536)),
        ((((),),),), tuple(range(3)) * 2,
    ]  # fmt: skip
    for v in values:
        record = (0, 12, v, "tail")
        assert written([record]) == pack_record(record), repr(v)[:60]


def test_nesting_beyond_the_writers_depth_is_the_packers():
    deep: tuple = (1,)
    for _ in range(100):
        deep = (deep, "x")
    assert written([(1, 2, deep)]) == pack_record((1, 2, deep))


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(EDGES)
    | st.text(max_size=40)
    | st.text(alphabet="abc-XYZ019", max_size=300)
    | st.binary(max_size=300)
    | st.floats(allow_nan=False)
)
_values = st.recursive(_scalars, lambda inner: st.tuples(inner, inner) | st.lists(inner).map(tuple))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_values, min_size=1, max_size=10).map(tuple), min_size=1, max_size=12))
def test_any_records_are_written_as_msgpack_packs_them(records):
    assert written(records, max_bytes=512) == b"".join(pack_record(r) for r in records)


def test_a_refused_record_leaves_nothing_and_the_writer_goes_on():
    w, _ = writer()
    w.put((0, 1, "a"))
    before = (w.pos, w.count)
    with pytest.raises(TypeError, match="cannot journal a value of type set"):
        w.put((0, 2, "x" * 40, (1, 2, {3})))
    assert (w.pos, w.count) == before
    w.put((0, 3, "b"))
    assert w.block(b"") == pack_record((0, 1, "a")) + pack_record((0, 3, "b"))


def test_full_is_called_at_max_records_and_at_max_bytes():
    w, blocks = writer(max_records=3)
    for i in range(7):
        w.put((0, i))
    assert [len(b) for b in blocks] == [len(pack_record((0, 0))) * 3] * 2 and w.count == 1
    w, blocks = writer(max_bytes=100)
    w.put((0, "x" * 60))
    assert not blocks
    w.put((0, "y" * 60))  # past 100 bytes: the block is full with it
    assert len(blocks) == 1 and w.count == 0 and w.pos == 0


def test_a_huge_record_grows_the_buffer_and_the_memory_goes_back_after():
    w, _ = writer(max_bytes=1000)
    start_cap = w.cap
    big = (0, 50, b"z" * 100_000)
    w.put(big)  # full at once: the block was handed over, and the buffer shrank back
    assert w.cap == start_cap and w.pos == 0
    w, _ = writer(max_records=10, max_bytes=1 << 20)
    w.put(big)
    assert w.cap >= 100_000 and w.block(b"") == pack_record(big)


def test_the_journal_writes_the_same_blocks_either_way():
    """A journal whose records go through the writer (compiled) and one that packs tuples (as
    plain Python) give the same blocks and digest."""
    records = [(0, 12, f"c-{i}", f"V{i}", 10**18 + i, 10**18 + i) for i in range(50)]
    made = []
    for direct in (True, False):
        sink = MemorySink()
        journal = Journal(sink, block_records=16)
        if not direct and journal.direct:
            journal._writer = None  # type: ignore[attr-defined]  # the plain Python path
        for r in records:
            journal.tap(r)
        made.append((journal.close(), sink.blocks))
    assert made[0] == made[1]
    assert [b.count for b in made[0][1]] == [16, 16, 16, 2]
    assert list(read_records(made[0][1])) == records


def test_the_writer_is_what_a_compiled_journal_uses():
    assert Journal().direct is packer.DIRECT
