"""``Chunk``: a columnar slice of one market data source in kernel units, and its byte encoding.

A chunk holds rows of one source in file order: ``ts`` (event time, int ns UTC) and the kind's
columns, every one an int64 numpy array of the same length. Column order per kind is fixed by
``CHUNK_COLUMNS`` (never by dict order), so ``encode`` is the same bytes in every process.

Encoding (little-endian): a 16-byte header ``b"ECCK"``, version u8 (2), kind code u8, column
count u16, row count u64; then ``ts`` and each column of ``CHUNK_COLUMNS[kind]`` in order. Each
column is packed narrow, exactly: a 17-byte column header (width u8 in bytes: 1, 2, 4 or 8; the
first value u64; the minimum i64) and ``rows`` unsigned values of that width, each the value
minus the minimum. ``ts`` is stored as differences from the previous row (the first row's
difference is 0 and its value is in the header), all in wrap-around 64-bit arithmetic, so every
int64 round-trips. Market data is ~4x smaller than as plain int64 (prices within a chunk span
a few thousand ticks, sizes are small, timestamps advance by small steps), which is what the
journal writes and hashes. Version 1 (plain int64 columns) still decodes. The symbol and source
index are not encoded: the caller knows them (they come with the scenario), and ``decode``
takes them back as arguments.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython

CHUNK_COLUMNS: dict[str, tuple[str, ...]] = {
    "quotes": ("bid", "ask", "bid_sz", "ask_sz"),
    "trades": ("px", "sz", "side"),
    "bars": ("open", "high", "low", "close", "volume"),
    "book": ("side", "px", "sz", "snap"),
}
KIND_CODES = {"quotes": 1, "trades": 2, "bars": 3, "book": 4}
_HEADER = struct.Struct("<4sBBHQ")
_COLUMN = struct.Struct("<BQq")
_MAGIC = b"ECCK"
_VERSION = 2
_LE_INT64 = np.dtype("<i8")
_U64 = np.dtype("<u8")
_WIDTHS = {1: np.dtype("<u1"), 2: np.dtype("<u2"), 4: np.dtype("<u4"), 8: _U64}


def _pack_column(arr: np.ndarray, delta: bool) -> bytes:
    """One column, narrow (see the module docstring)."""
    u = np.ascontiguousarray(arr, dtype=_LE_INT64).view(_U64)
    first = 0
    if delta and len(u):
        first = int(u[0])
        x = np.empty_like(u)
        x[0] = 0
        np.subtract(u[1:], u[:-1], out=x[1:])
        u = x
    if not len(u):
        return _COLUMN.pack(1, first, 0)
    lo = int(u.view(_LE_INT64).min())
    off = u - np.uint64(lo & 0xFFFF_FFFF_FFFF_FFFF)
    top = int(off.max())
    width = 1 if top < 1 << 8 else 2 if top < 1 << 16 else 4 if top < 1 << 32 else 8
    return _COLUMN.pack(width, first, lo) + off.astype(_WIDTHS[width]).tobytes()


def _unpack_column(data: bytes, at: int, n: int, delta: bool) -> tuple[np.ndarray, int]:
    """The column starting at byte ``at``, and where the next one starts."""
    if len(data) < at + _COLUMN.size:
        raise ValueError("encoded chunk has the wrong length")
    width, first, lo = _COLUMN.unpack_from(data, at)
    dtype = _WIDTHS.get(width)
    if dtype is None:
        raise ValueError(f"encoded chunk has a bad column width {width}")
    at += _COLUMN.size
    end = at + width * n
    if len(data) < end:
        raise ValueError("encoded chunk has the wrong length")
    u = np.frombuffer(data, dtype=dtype, count=n, offset=at).astype(_U64)
    u += np.uint64(lo & 0xFFFF_FFFF_FFFF_FFFF)
    if delta and n:
        np.cumsum(u, out=u)
        u += np.uint64(first)
    return u.view(np.int64), end


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
        parts.append(_pack_column(self.ts, delta=True))
        for name in names:
            arr = self.cols[name]
            assert len(arr) == n, "chunk columns differ in length"
            parts.append(_pack_column(arr, delta=False))
        return b"".join(parts)

    @classmethod
    def decode(cls, kind: str, symbol: str, source: int, data: bytes) -> Chunk:
        """The exact inverse of ``encode`` (arrays are fresh, writable, native int64)."""
        if len(data) < _HEADER.size:
            raise ValueError("chunk bytes are shorter than the header")
        magic, version, code, ncols, n = _HEADER.unpack_from(data)
        names = CHUNK_COLUMNS.get(kind)
        if magic != _MAGIC or version not in (1, _VERSION):
            raise ValueError("not an encoded chunk (bad magic or version)")
        if names is None or code != KIND_CODES[kind] or ncols != len(names):
            raise ValueError(f"encoded chunk is not of kind {kind!r}")
        if version == _VERSION:
            at = _HEADER.size
            ts, at = _unpack_column(data, at, n, delta=True)
            cols = {}
            for name in names:
                cols[name], at = _unpack_column(data, at, n, delta=False)
            if at != len(data):
                raise ValueError("encoded chunk has the wrong length")
            return cls(kind, symbol, source, ts, cols)
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


# a column whose values span less than this is turned into Python ints from one pool (int_list)
_POOL_SPAN = 1 << 16


@cython.locals(idx=cython.longlong[:], i=cython.Py_ssize_t, n=cython.Py_ssize_t)
def int_list(col) -> list:  # type: ignore[no-untyped-def]
    """An integer column as a list of Python ints (a replay's rows, ``sim.driver``). Prices in
    ticks and sizes in lots span a narrow range: compiled, each row takes its int from one list
    of that range (~5 ns a value) instead of a new int per row (``tolist``, ~23 ns): every row of
    a replay has four to six."""
    n = len(col)
    if not cython.compiled or n < 1024 or col.dtype.kind != "i":
        return col.tolist()  # type: ignore[no-any-return]
    lo = int(col.min())
    hi = int(col.max())
    if hi - lo >= _POOL_SPAN:
        return col.tolist()  # type: ignore[no-any-return]
    pool = list(range(lo, hi + 1))
    idx = np.ascontiguousarray(col - lo, dtype=np.int64)
    return [pool[idx[i]] for i in range(n)]


def size_list(col) -> list:  # type: ignore[no-untyped-def]
    """Quote sizes as a list, None where the file has none (-1)."""
    values = int_list(col)
    if not values or (values[0] != -1 and min(values) >= 0):
        return values  # type: ignore[no-any-return]
    return [None if v < 0 else v for v in values]
