"""The journal: every input and output of the kernel, in order, with a running digest.

Records (see ``kernel.codec``) are buffered and written in blocks to a *sink* (storage lives
outside the kernel: ``MemorySink`` here, SQLite in ``executioncore.store``). A block's canonical
form is the compact JSON of its records; a record may end in a ``bytes`` blob (a columnar batch
of market data), which the JSON holds as ``{"b": length}`` and the block carries beside it.

The digest does not depend on how records were cut into blocks: one SHA-256 runs over the JSON
of every record (joined by commas) and another over every blob; the digest is SHA-256 of a
version tag and both. Each block stores the digest as of its end, so a reader re-computes the
chain and finds the first block that was edited (``JournalCorrupt``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from kernel.codec import encode, normalize

VERSION_TAG = b"executioncore-journal-v1"
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode


class JournalCorrupt(ValueError):
    """A journal whose content does not match its recorded digests."""


@dataclass(slots=True)
class JournalBlock:
    index: int
    first_seq: int
    count: int
    body: bytes  # the JSON list of the block's records
    blobs: bytes  # the blobs of the block's records, concatenated in order
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
    __slots__ = ("blobs", "records")

    def __init__(self) -> None:
        self.records = hashlib.sha256()
        self.blobs = hashlib.sha256()

    def update(self, body: bytes, blobs: bytes) -> None:
        # why: feeding "r1,r2," per block makes the stream independent of block boundaries
        self.records.update(body[1:-1])
        self.records.update(b",")
        if blobs:
            self.blobs.update(blobs)

    def digest(self) -> bytes:
        return hashlib.sha256(VERSION_TAG + self.records.digest() + self.blobs.digest()).digest()


class Journal:
    """Append records; every ``block_records`` records a block goes to the sink.

    ``append`` is O(1) (a list append); encoding and hashing happen per block in ``flush``.
    """

    __slots__ = ("_blobs", "_block_records", "_buf", "_digest", "_next_index", "_sink", "count")

    def __init__(self, sink: JournalSink | None = None, block_records: int = 8192) -> None:
        self._sink: JournalSink = sink if sink is not None else NullSink()
        self._block_records = max(1, block_records)
        self._buf: list[tuple] = []
        self._blobs: list[bytes] = []
        self._digest = _Digest()
        self._next_index = 0
        self.count = 0  # records written to blocks so far

    def append(self, record: tuple) -> None:
        """Append one record (a tuple of ints, str, None, bool and nested tuples)."""
        buf = self._buf
        buf.append(record)
        if len(buf) >= self._block_records:
            self.flush()

    def append_blob(self, head: tuple, blob: bytes) -> None:
        """Append a record whose payload is ``blob`` (kept as raw bytes, hashed as such)."""
        self._blobs.append(blob)
        self.append((*head, {"b": len(blob)}))

    def record(self, direction: int, obj: Any) -> None:
        """Encode an event or command and append it."""
        self.append(encode(direction, obj))

    @property
    def pending(self) -> int:
        return len(self._buf)

    def flush(self) -> None:
        """Encode, hash and hand the buffered records to the sink as one block."""
        buf = self._buf
        if not buf:
            return
        body = _dumps(buf).encode("ascii")
        blobs = b"".join(self._blobs) if self._blobs else b""
        self._digest.update(body, blobs)
        block = JournalBlock(
            self._next_index, self.count, len(buf), body, blobs, self._digest.digest()
        )
        self._next_index += 1
        self.count += len(buf)
        self._buf = []
        self._blobs = []
        self._sink.write_block(block)

    def digest(self) -> str:
        """The hex digest of everything appended so far (flushes the buffer)."""
        self.flush()
        return self._digest.digest().hex()

    def close(self) -> str:
        """Flush, close the sink, and return the final digest."""
        d = self.digest()
        self._sink.close()
        return d


def read_records(blocks: Iterable[JournalBlock], verify: bool = True) -> Iterator[tuple]:
    """Yield the records of ``blocks`` in order (blobs as ``bytes``), checking every digest."""
    digest = _Digest()
    expected_seq = 0
    for block in blocks:
        if verify:
            if block.first_seq != expected_seq:
                raise JournalCorrupt(
                    f"block {block.index} starts at record {block.first_seq}, "
                    f"expected {expected_seq}"
                )
            digest.update(block.body, block.blobs)
            if digest.digest() != block.digest:
                raise JournalCorrupt(
                    f"block {block.index} (records {block.first_seq}.."
                    f"{block.first_seq + block.count - 1}) does not match its digest"
                )
        records = json.loads(block.body)
        if len(records) != block.count:
            raise JournalCorrupt(
                f"block {block.index} holds {len(records)} records, not {block.count}"
            )
        expected_seq += block.count
        offset = 0
        blobs = block.blobs
        for rec in records:
            last = rec[-1] if rec else None
            if isinstance(last, dict):
                n = last["b"]
                rec[-1] = blobs[offset : offset + n]
                offset += n
            yield normalize(rec)


def digest_of(blocks: Iterable[JournalBlock]) -> str:
    """Recompute the digest of stored blocks (verifying the chain on the way)."""
    digest = _Digest()
    for block in blocks:
        digest.update(block.body, block.blobs)
        if digest.digest() != block.digest:
            raise JournalCorrupt(f"block {block.index} does not match its digest")
    return digest.digest().hex()
