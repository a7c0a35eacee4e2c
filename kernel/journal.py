"""The journal: every input and output of the kernel, in order, with a running digest.

Records (see ``kernel.codec``) are buffered and written in blocks to a *sink* (storage lives
outside the kernel: ``MemorySink`` here, SQLite in ``executioncore.store``). A block's canonical
form is the MessagePack array of its records: ints, strings, None, bools, nested arrays, and
``bytes`` (a columnar batch of market data travels as one blob inside its record). MessagePack is
used because it is exact for every one of those types, canonical (an int always takes its
shortest form), and encodes a record in about a third of the time JSON needs, which matters when
journaling is on by default on every order event.

The digest does not depend on how records were cut into blocks: one SHA-256 runs over the
encoded records themselves (each block's array header left out), and the digest is SHA-256 of a
version tag and that. Each block stores the digest as of its end, so a reader re-computes the
chain and names the first block that was edited (``JournalCorrupt``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import msgpack

from kernel.codec import encode
from kernel.packer import DIRECT, RecordWriter

VERSION_TAG = b"executioncore-journal-v2-msgpack"
EXT_BIGINT = 1  # an int outside 64 bits, as its decimal text
# records packed at once onto the block being made (measured on the W2 backtest: 64 to 1024 all
# within noise of each other; a whole 8192-record block kept in tuples was ~5% slower)
PACK_RECORDS = 256


def _wide(value: Any) -> Any:
    # msgpack calls this for what it cannot pack itself, ints beyond 64 bits included
    if isinstance(value, int):
        return msgpack.ExtType(EXT_BIGINT, str(value).encode("ascii"))
    raise TypeError(f"cannot journal a value of type {type(value).__name__}: {value!r}")


pack_record = msgpack.Packer(use_bin_type=True, autoreset=True, default=_wide).pack
"""The MessagePack bytes of one record; ints beyond 64 bits (rare) become exact extension
values."""


def _array_header(count: int) -> bytes:
    """The MessagePack array header for ``count`` items."""
    if count < 16:
        return bytes((0x90 | count,))
    if count < 65536:
        return b"\xdc" + count.to_bytes(2, "big")
    return b"\xdd" + count.to_bytes(4, "big")


def _ext_hook(code: int, data: bytes) -> Any:
    if code == EXT_BIGINT:
        return int(data.decode("ascii"))
    return msgpack.ExtType(code, data)


class JournalCorrupt(ValueError):
    """A journal whose content does not match its recorded digests."""


@dataclass(slots=True)
class JournalBlock:
    index: int
    first_seq: int
    count: int
    body: bytes  # the MessagePack array of the block's records
    digest: bytes  # the journal digest as of the end of this block


class JournalSink(Protocol):
    def write_block(self, block: JournalBlock) -> None: ...

    def close(self) -> None: ...


class MemorySink:
    """Keeps blocks in a list; for tests and for runs that only need the digest."""

    def __init__(self) -> None:
        self.blocks: list[JournalBlock] = []
        self.closed = False

    def write_block(self, block: JournalBlock) -> None:
        self.blocks.append(block)

    def close(self) -> None:
        self.closed = True


class NullSink:
    """Keeps nothing: the digest is still computed."""

    def write_block(self, block: JournalBlock) -> None:
        pass

    def close(self) -> None:
        pass


class _Digest:
    __slots__ = ("records",)

    def __init__(self) -> None:
        self.records = hashlib.sha256()

    def update(self, body: bytes, count: int) -> None:
        # why: hashing the items without the array header makes the stream independent of
        # where blocks were cut
        self.records.update(memoryview(body)[len(_array_header(count)) :])

    def digest(self) -> bytes:
        return hashlib.sha256(VERSION_TAG + self.records.digest()).digest()


class Journal:
    """Append records; every ``block_records`` records a block goes to the sink.

    Compiled (``executioncore accel``; ``kernel.packer.DIRECT``), every record is written at
    once into the block being made by a ``RecordWriter`` (MessagePack's very bytes, without
    msgpack), and the block is cut as soon as it is full: ``raw_append`` and ``tap`` are the
    writer's own ``put``, and a kernel writes its records straight into the ``writer``, field
    by field, with no tuple made (``kernel.codec_encoders.write_record``). Measured on W2 over
    1M quotes (``benches/journal_cost.py``), the journal went from 13.7% of the run to 9.8%:
    buffering the tuples had cost 4.9% and packing them 7.2%, where writing them costs 5.2%.

    As plain Python, ``append`` keeps the record tuple itself (its fields are ints, strings,
    bytes and tuples: immutable, so nothing can change it later). Every ``PACK_RECORDS``
    buffered records are packed in one MessagePack call onto the block being made (the very
    bytes packing each record and joining them would give, at a third of the cost), and the
    tuples are let go. ``raw_append(record)`` is then the buffer's own ``list.append``; records
    appended that way are packed by the next ``append``, ``tap``, ``maybe_flush`` or
    ``flush``, so a host that uses it calls one of those regularly. Either way, the blocks'
    bytes are the same, and where blocks are cut never changes the digest.
    """

    __slots__ = (
        "_block_bytes",
        "_block_records",
        "_buf",
        "_digest",
        "_next_index",
        "_pack_at",
        "_packed",
        "_packed_n",
        "_sink",
        "_writer",
        "count",
        "raw_append",
    )

    def __init__(
        self, sink: JournalSink | None = None, block_records: int = 8192, block_bytes: int = 1 << 20
    ) -> None:
        self._sink: JournalSink = sink if sink is not None else NullSink()
        self._block_records = max(1, block_records)
        # a block is also cut once its bytes pass block_bytes (1 MiB: a block is copied whole
        # when it is joined and stored, so its size adds to the peak; 4 MiB cost 12 MB of peak
        # RSS on a 1M-quote replay, and smaller blocks cost no measurable time)
        self._block_bytes = block_bytes
        # why: one list for the journal's life (``_pack`` empties it), so ``raw_append`` stays
        # bound to it
        self._buf: list[tuple] = []
        self._writer: RecordWriter | None = None
        self.raw_append: Callable[[tuple], None]
        if DIRECT:
            self._writer = RecordWriter(pack_record, self._cut, self._block_records, block_bytes)
            self.raw_append = self._writer.put
        else:
            self.raw_append = self._buf.append
        self._pack_at = min(PACK_RECORDS, self._block_records)
        # the block being made: its records' MessagePack bytes (no array header yet), how many
        self._packed = bytearray()
        self._packed_n = 0
        self._digest = _Digest()
        self._next_index = 0
        self.count = 0  # records written to blocks so far

    @classmethod
    def resume(
        cls, sink: JournalSink, blocks: Iterable[JournalBlock], block_records: int = 8192
    ) -> Journal:
        """Continue a stored journal: re-hash its blocks; new records follow them."""
        journal = cls(sink, block_records)
        for block in blocks:
            journal._digest.update(block.body, block.count)
            journal._next_index = block.index + 1
            journal.count = block.first_seq + block.count
        return journal

    def append(self, record: tuple) -> None:
        """Append one record (a tuple of ints, str, None, bool, bytes and nested tuples); a value
        MessagePack cannot hold is refused here, with its type, and nothing is appended."""
        pack_record(record)  # why: the hosts' path: refuse a bad value where it was made
        self.tap(record)

    def tap(self, record: tuple) -> None:
        """Append one record the kernel encoded; pack the buffer when ``PACK_RECORDS`` are
        buffered (and cut a block when it is full): the kernel's tap for venue events, so a
        kernel with no host flushing still keeps at most a block in memory."""
        if self._writer is not None:
            self._writer.put(record)
            return
        buf = self._buf
        buf.append(record)
        if len(buf) >= self._pack_at:
            self._pack()

    def append_blob(self, head: tuple, blob: bytes) -> None:
        """Append a record whose last field is the raw bytes ``blob``, packed at once (memory
        stays bounded: the block is written once it passes ``block_bytes``)."""
        # why: not ``append``: checking would pack (copy) the whole blob once more; the head is
        # the host's ints and strings, the blob bytes
        if self._writer is not None:
            self._writer.put((*head, blob))
            return
        self._buf.append((*head, blob))
        self._pack()

    def maybe_flush(self) -> None:
        """Pack the buffer if ``PACK_RECORDS`` records are buffered (after ``raw_append``;
        compiled, nothing is ever buffered)."""
        if len(self._buf) >= self._pack_at:
            self._pack()

    @property
    def direct(self) -> bool:
        """True when ``raw_append`` writes each record at once and cuts full blocks itself
        (compiled), so it serves as ``tap`` too."""
        return self._writer is not None

    @property
    def writer(self) -> RecordWriter | None:
        """The ``RecordWriter`` making the current block when compiled (``direct``), else None:
        a compiled kernel writes its records straight into it
        (``kernel.codec_encoders.write_record``), which cuts full blocks as ``raw_append``
        does."""
        return self._writer

    @property
    def block_records(self) -> int:
        return self._block_records

    @property
    def buffer(self) -> list[tuple]:
        """The list ``raw_append`` appends to (the records not packed yet); read-only by
        contract."""
        return self._buf

    def record(self, direction: int, obj: Any) -> None:
        """Encode an event or command and append it."""
        self.append(encode(direction, obj))

    @property
    def pending(self) -> int:
        """Records appended and not yet written in a block."""
        if self._writer is not None:
            return self._writer.count
        return len(self._buf) + self._packed_n

    def _pack(self) -> None:
        """Pack the buffered records onto the block being made (one MessagePack array, its
        header left out); write the block when it is full."""
        buf = self._buf
        n = len(buf)
        if n:
            try:
                body = pack_record(buf)
            except TypeError:
                self._drop_unpackable()
                self._pack()
                raise
            self._packed += memoryview(body)[len(_array_header(n)) :]
            self._packed_n += n
            del buf[:]
        room = self._block_records - self._packed_n
        if room <= 0 or len(self._packed) >= self._block_bytes:
            self._cut()
        else:
            # why: the next pack comes when the block is full, if that is sooner
            self._pack_at = min(PACK_RECORDS, room)

    def _cut(self) -> None:
        """Hash the block being made and hand it to the sink."""
        if self._writer is not None:
            n = self._writer.count
            body = self._writer.block(_array_header(n))
        else:
            n = self._packed_n
            body = b"".join((_array_header(n), self._packed))
            self._packed = bytearray()
            self._packed_n = 0
            self._pack_at = min(PACK_RECORDS, self._block_records)
        self._digest.update(body, n)
        block = JournalBlock(self._next_index, self.count, n, body, self._digest.digest())
        self._next_index += 1
        self.count += n
        self._sink.write_block(block)

    def flush(self) -> None:
        """Pack what is buffered and write the block being made to the sink."""
        if self._writer is not None:
            if self._writer.count:
                self._cut()
            return
        if self._buf:
            self._pack()
        if self._packed_n:
            self._cut()

    def _drop_unpackable(self) -> None:
        """Only a raw-appended or tapped record can hold a value MessagePack refuses: drop such
        records so the others still make blocks (the caller raises the error)."""
        good = []
        for record in self._buf:
            try:
                pack_record(record)
            except TypeError:
                continue
            good.append(record)
        self._buf[:] = good

    def digest(self) -> str:
        """The hex digest of everything appended so far (flushes the buffer)."""
        self.flush()
        return self._digest.digest().hex()

    def close(self) -> str:
        """Flush, close the sink, and return the final digest."""
        d = self.digest()
        self._sink.close()
        return d


def _records(block: JournalBlock) -> tuple:
    try:
        records = msgpack.unpackb(
            block.body, use_list=False, raw=False, strict_map_key=False, ext_hook=_ext_hook
        )
    except (ValueError, msgpack.UnpackException, TypeError):
        raise JournalCorrupt(f"block {block.index} cannot be decoded") from None
    if not isinstance(records, tuple) or len(records) != block.count:
        raise JournalCorrupt(f"block {block.index} does not hold {block.count} records")
    if not block.body.startswith(_array_header(block.count)):
        raise JournalCorrupt(f"block {block.index} has a malformed header")
    return records


def read_records(blocks: Iterable[JournalBlock], verify: bool = True) -> Iterator[tuple]:
    """Yield the records of ``blocks`` in order, checking every digest on the way."""
    digest = _Digest()
    expected_seq = 0
    for block in blocks:
        records = _records(block)
        if verify:
            if block.first_seq != expected_seq:
                raise JournalCorrupt(
                    f"block {block.index} starts at record {block.first_seq}, "
                    f"expected {expected_seq}"
                )
            digest.update(block.body, block.count)
            if digest.digest() != block.digest:
                raise JournalCorrupt(
                    f"block {block.index} (records {block.first_seq}.."
                    f"{block.first_seq + block.count - 1}) does not match its digest"
                )
        expected_seq += block.count
        yield from records


def digest_of(blocks: Iterable[JournalBlock]) -> str:
    """Recompute the digest of stored blocks (verifying the chain on the way)."""
    digest = _Digest()
    for block in blocks:
        _records(block)
        digest.update(block.body, block.count)
        if digest.digest() != block.digest:
            raise JournalCorrupt(f"block {block.index} does not match its digest")
    return digest.digest().hex()
