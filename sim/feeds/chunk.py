"""``Chunk``: a columnar slice of one market data source in kernel units, and its byte encoding.

A chunk holds rows of one source in file order: ``ts`` (event time, int ns UTC) and the kind's
columns, every one an int64 numpy array of the same length. Column order per kind is fixed by
``CHUNK_COLUMNS`` (never by dict order), so ``encode`` is the same bytes in every process.

Encoding (little-endian): a 16-byte header ``b"ECCK"``, version u8 (1), kind code u8, column
count u16, row count u64; then ``ts`` and each column of ``CHUNK_COLUMNS[kind]`` in order, as
int64 arrays of ``rows`` values. The symbol and source index are not encoded: the caller knows
them (they come with the scenario), and ``decode`` takes them back as arguments.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

CHUNK_COLUMNS: dict[str, tuple[str, ...]] = {
    "quotes": ("bid", "ask", "bid_sz", "ask_sz"),
    "trades": ("px", "sz", "side"),
    "bars": ("open", "high", "low", "close", "volume"),
    "book": ("side", "px", "sz", "snap"),
}
KIND_CODES = {"quotes": 1, "trades": 2, "bars": 3, "book": 4}
_HEADER = struct.Struct("<4sBBHQ")
_MAGIC = b"ECCK"
_VERSION = 1
_LE_INT64 = np.dtype("<i8")


@dataclass(slots=True)
class Chunk:
    """Rows of one source in file order; every array is int64 and of the same length.

    ``ts`` is the event time in ns (for bars the bar's open + interval: when it is known).
    ``cols`` by kind — quotes: ``bid``, ``ask`` (ticks), ``bid_sz``, ``ask_sz`` (lots, -1 when the
    file has no sizes); trades: ``px`` (ticks), ``sz`` (lots), ``side`` (+1 buyer aggressor,
    -1 seller aggressor, 0 unknown); bars: ``open``, ``high``, ``low``, ``close`` (ticks),
    ``volume`` (lots rounded half-even, -1 when the file has none); book: ``side`` (+1 bid,
    -1 ask), ``px`` (ticks), ``sz`` (lots, 0 deletes the level), ``snap`` (1 for a snapshot row).
    """

    kind: str
    symbol: str
    source: int
    ts: np.ndarray
    cols: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.ts)

    def slice(self, start: int, stop: int) -> Chunk:
        """Rows ``start:stop`` as a new chunk of views (no copy)."""
        return Chunk(
            self.kind,
            self.symbol,
            self.source,
            self.ts[start:stop],
            {name: col[start:stop] for name, col in self.cols.items()},
        )

    def encode(self) -> bytes:
        """Deterministic bytes: a header, then ``ts`` and the kind's columns in fixed order."""
        names = CHUNK_COLUMNS[self.kind]
        n = len(self.ts)
        parts = [_HEADER.pack(_MAGIC, _VERSION, KIND_CODES[self.kind], len(names), n)]
        for arr in (self.ts, *(self.cols[name] for name in names)):
            assert len(arr) == n, "chunk columns differ in length"
            parts.append(np.ascontiguousarray(arr, dtype=_LE_INT64).tobytes())
        return b"".join(parts)

    @classmethod
    def decode(cls, kind: str, symbol: str, source: int, data: bytes) -> Chunk:
        """The exact inverse of ``encode`` (arrays are fresh, writable, native int64)."""
        if len(data) < _HEADER.size:
            raise ValueError("chunk bytes are shorter than the header")
        magic, version, code, ncols, n = _HEADER.unpack_from(data)
        names = CHUNK_COLUMNS.get(kind)
        if magic != _MAGIC or version != _VERSION:
            raise ValueError("not an encoded chunk (bad magic or version)")
        if names is None or code != KIND_CODES[kind] or ncols != len(names):
            raise ValueError(f"encoded chunk is not of kind {kind!r}")
        if len(data) != _HEADER.size + 8 * n * (ncols + 1):
            raise ValueError("encoded chunk has the wrong length")
        block = np.frombuffer(data, dtype=_LE_INT64, offset=_HEADER.size).reshape(ncols + 1, n)
        block = block.astype(np.int64)  # why: a copy, native order and writable
        return cls(
            kind, symbol, source, block[0], {name: block[i + 1] for i, name in enumerate(names)}
        )

    def _check(self) -> None:
        """Assert the invariants: known kind, its columns exactly, int64, equal lengths."""
        assert self.kind in CHUNK_COLUMNS, self.kind
        assert tuple(self.cols) == CHUNK_COLUMNS[self.kind], tuple(self.cols)
        assert self.ts.dtype == np.int64
        for arr in self.cols.values():
            assert arr.dtype == np.int64 and len(arr) == len(self.ts)
