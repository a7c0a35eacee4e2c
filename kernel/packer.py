# cython: boundscheck=False, wraparound=False, initializedcheck=False
"""The journal's record writer: MessagePack bytes of a record, written straight into a block.

``RecordWriter.put(record)`` appends the MessagePack bytes of one record (a tuple) to the block
being made, the very bytes ``msgpack.Packer(use_bin_type=True)`` gives for it, and counts it;
when the block is full (``max_records`` records or ``max_bytes`` bytes) it calls ``full`` (the
journal cuts the block, ``block``). It writes None, bools, ints of 64 bits, ASCII strings,
bytes and tuples itself; any other value (a float, a list, a dict, a non-ASCII string, an int
beyond 64 bits or an int subclass) is packed by ``pack`` (the journal's packer) and its bytes
copied, so the bytes are MessagePack's in every case, and a value ``pack`` refuses is refused
with its error, the record's partial bytes taken back (nothing is appended).

Why (issue 22, ``benches/journal_cost.py``): buffering the kernel's record tuples and packing
them 256 at a time with msgpack cost ~12% of the W2 backtest over 1M quotes (4.9% keeping and
freeing the tuples, 7.2% packing); the tuple written at once is freed while it is still in the
cache. Compiled (``executioncore accel``), the writes are C stores into the block's buffer; as
plain Python this module is correct but slow, and ``kernel.journal`` buffers and packs tuples
instead (``DIRECT``). tests/unit/kernel/test_packer.py holds the bytes to msgpack's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython

# the journal writes records through this writer when it is compiled (plain Python: msgpack on
# buffered tuples is faster)
DIRECT: bool = cython.compiled

# room beyond a full block, so the record that fills it rarely grows the buffer
_SLACK = 4096


class RecordWriter:
    """A block being made: a buffer of ``pos`` bytes holding ``count`` records (see the
    module's docstring)."""

    __slots__ = (
        "_buf",
        "_full",
        "_pack",
        "_view",
        "cap",
        "count",
        "max_bytes",
        "max_records",
        "pos",
    )

    def __init__(
        self,
        pack: Callable[[Any], bytes],
        full: Callable[[], None],
        max_records: int,
        max_bytes: int,
    ) -> None:
        self._pack = pack
        self._full = full
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.pos = 0
        self.count = 0
        # ``cap`` is ``len(_buf)`` and ``_view`` the same buffer, as C values when compiled
        self.cap = 0
        self._buf = bytearray()
        self._view = self._buf
        self._grow(max_bytes + _SLACK)

    def put(self, record: tuple) -> None:
        """Append one record; call ``full`` when the block is full."""
        start = self.pos
        try:
            if type(record) is tuple:
                self._tuple(record, 0)
            else:
                self._value(record, 0)
        except BaseException:
            self.pos = start  # why: a refused record leaves no bytes behind
            raise
        self._done()

    def block(self, head: bytes) -> bytes:
        """``head`` and the bytes written since the last block; start a new block."""
        body = b"".join((head, memoryview(self._buf)[: self.pos]))
        self.pos = 0
        self.count = 0
        if self.cap > 4 * (self.max_bytes + _SLACK):
            # why: one huge record grew the buffer; let the memory go
            self.cap = 0
            self._grow(self.max_bytes + _SLACK)
        return body

    # --- writing (C methods when compiled: kernel/packer.pxd) -------------------------------
    # ``_begin``, the value writers and ``_done`` are also what the generated record writers
    # (``kernel.codec_encoders.write_record``) call, field by field, with no tuple in between;
    # they take a record's partial bytes back themselves (``pos``) when a value is refused
    def _begin(self, n: int) -> int:
        """The array header of a record of ``n`` fields (room made for it)."""
        if self.pos + 9 > self.cap:
            self._grow(9)
        return self._head(n, 0x90, 16, 0xDC, 0xDD)

    def _done(self) -> int:
        """Count the record just written; call ``full`` when the block is full."""
        self.count += 1
        if self.count >= self.max_records or self.pos >= self.max_bytes:
            self._full()
        return 0

    # why: no bounds checks on the buffer's bytes: each method makes room for what it writes
    # first (``_grow``), so an index is always inside it
    def _grow(self, need: int) -> int:
        """Make room for ``need`` more bytes (keeping what is written)."""
        size = max(self.pos + need, 2 * self.cap)
        new = bytearray(size)
        new[: self.pos] = memoryview(self._buf)[: self.pos]
        self._view = new
        self._buf = new
        self.cap = size
        return 0

    @cython.boundscheck(False)
    @cython.wraparound(False)
    @cython.locals(v=cython.longlong, p=cython.Py_ssize_t, overflow=cython.int)
    def _value(self, obj: Any, depth: int) -> int:
        if self.pos + 9 > self.cap:
            self._grow(9)
        p = self.pos
        # why: ``type(obj) is int`` each time, not a local holding the type: compiled, that is
        # a pointer compare, where a local costs a reference count write on the type object
        if type(obj) is int:
            # beyond 64 bits signed is msgpack's (its uint64, or an extension value)
            if cython.compiled:
                overflow = 0
                v = PyLong_AsLongLongAndOverflow(obj, cython.address(overflow))  # type: ignore[name-defined]  # noqa: F821
                if overflow:
                    return self._other(obj)
                return self._int(v)
            if not -0x8000000000000000 <= obj <= 0x7FFFFFFFFFFFFFFF:
                return self._other(obj)
            return self._int(obj)
        if type(obj) is str:
            return self._str(obj)
        if obj is None:
            self._view[p] = 0xC0
            self.pos = p + 1
            return 0
        if obj is True:
            self._view[p] = 0xC3
            self.pos = p + 1
            return 0
        if obj is False:
            self._view[p] = 0xC2
            self.pos = p + 1
            return 0
        if type(obj) is tuple and depth < 64:  # why: deeper nesting is ``pack``'s (its limit: 511)
            return self._tuple(obj, depth)
        if type(obj) is bytes:
            return self._bytes(obj)
        if isinstance(obj, int):
            # why: an int subclass (an IntEnum: a fill's side), which msgpack writes as its int
            # value; handed to msgpack it cost a fill record ~160 ns more (compiled, its value
            # is read as the exact int's is: no int object made)
            if cython.compiled:
                overflow = 0
                v = PyLong_AsLongLongAndOverflow(obj, cython.address(overflow))  # type: ignore[name-defined]  # noqa: F821
                if overflow:
                    return self._other(int(obj))
                return self._int(v)
            return self._value(int(obj), depth)
        return self._other(obj)

    @cython.boundscheck(False)
    @cython.wraparound(False)
    @cython.locals(n=cython.Py_ssize_t, i=cython.Py_ssize_t)
    def _tuple(self, items: tuple, depth: int) -> int:
        n = len(items)
        # why: beyond MessagePack's 32-bit lengths: msgpack's error. The 32-bit bounds here are
        # shifts (``n >> 32``: n > 0xFFFFFFFF): compiled, Cython takes a literal beyond 32 bits
        # for a Python int, and comparing a C integer with one made a Python int each time
        if n >> 32:
            return self._other(items)
        self._head(n, 0x90, 16, 0xDC, 0xDD)
        for i in range(n):
            self._value(items[i], depth + 1)
        return 0

    @cython.boundscheck(False)
    @cython.wraparound(False)
    @cython.locals(p=cython.Py_ssize_t)
    def _int(self, v: int) -> int:
        # the shortest form, as msgpack's: positive fixint, then uint 8/16/32/64 at and above 0;
        # negative fixint, then int 8/16/32/64 below zero
        p = self.pos
        if v >= 0:
            if v < 0x80:
                self._view[p] = v
                self.pos = p + 1
            elif v < 0x100:
                self._view[p] = 0xCC
                self._view[p + 1] = v
                self.pos = p + 2
            elif v < 0x10000:
                self._view[p] = 0xCD
                self._be(v, 2)
            elif not v >> 32:  # v < 0x100000000 (a shift: see _tuple)
                self._view[p] = 0xCE
                self._be(v, 4)
            else:
                self._view[p] = 0xCF
                self._be(v, 8)
        elif v >= -32:
            self._view[p] = v & 0xFF
            self.pos = p + 1
        elif v >= -0x80:
            self._view[p] = 0xD0
            self._view[p + 1] = v & 0xFF
            self.pos = p + 2
        elif v >= -0x8000:
            self._view[p] = 0xD1
            self._be(v, 2)
        elif v >= -0x80000000:
            self._view[p] = 0xD2
            self._be(v, 4)
        else:
            self._view[p] = 0xD3
            self._be(v, 8)
        return 0

    @cython.boundscheck(False)
    @cython.wraparound(False)
    @cython.locals(p=cython.Py_ssize_t, i=cython.Py_ssize_t)
    def _be(self, v: int, n: int) -> int:
        """``v``'s low ``n`` bytes, big-endian, after the type byte at ``pos``."""
        p = self.pos + 1
        for i in range(n):
            self._view[p + i] = (v >> (8 * (n - 1 - i))) & 0xFF
        self.pos = p + n
        return 0

    @cython.boundscheck(False)
    @cython.wraparound(False)
    @cython.locals(n=cython.Py_ssize_t, start=cython.Py_ssize_t, p=cython.Py_ssize_t,
                   ch=cython.Py_UCS4, data=cython.p_char)  # fmt: skip
    def _str(self, s: str) -> int:
        if cython.compiled:
            # the string's own UTF-8 (an ASCII string's characters themselves: no copy made),
            # as msgpack takes it
            n = 0
            data = cython.cast(cython.p_char, PyUnicode_AsUTF8AndSize(s, cython.address(n)))  # type: ignore[name-defined]  # noqa: F821
            if n >> 32:  # n > 0xFFFFFFFF (see _tuple)
                return self._other(s)
            if self.pos + n + 5 > self.cap:
                self._grow(n + 5)
            self._head(n, 0xA0, 32, 0xDA, 0xDB, 0xD9)
            memcpy(cython.address(self._view[self.pos]), data, n)  # type: ignore[name-defined]  # noqa: F821
            self.pos += n
            return 0
        n = len(s)
        if n > 0xFFFFFFFF:
            return self._other(s)
        if self.pos + n + 5 > self.cap:
            self._grow(n + 5)
        start = self.pos
        self._head(n, 0xA0, 32, 0xDA, 0xDB, 0xD9)
        p = self.pos
        for ch in s:
            if ord(ch) > 0x7F:  # why: UTF-8 is msgpack's to write (its length differs)
                self.pos = start
                return self._other(s)
            self._view[p] = ord(ch)
            p += 1
        self.pos = p
        return 0

    @cython.locals(n=cython.Py_ssize_t)
    def _bytes(self, data: bytes) -> int:
        n = len(data)
        if n >> 32:  # n > 0xFFFFFFFF (see _tuple)
            return self._other(data)
        if self.pos + 5 > self.cap:
            self._grow(5)
        self._head(n, -1, 0, 0xC5, 0xC6, 0xC4)
        return self._raw(data)

    def _other(self, obj: Any) -> int:
        """A value this writer does not write itself: ``pack``'s bytes (or its error)."""
        return self._raw(self._pack(obj))

    @cython.locals(n=cython.Py_ssize_t)
    def _raw(self, data: bytes) -> int:
        n = len(data)
        if self.pos + n > self.cap:
            self._grow(n)
        self._buf[self.pos : self.pos + n] = data
        self.pos += n
        return 0

    @cython.boundscheck(False)
    @cython.wraparound(False)
    @cython.locals(p=cython.Py_ssize_t)
    def _head(self, n: int, fix: int, fix_below: int, b16: int, b32: int, b8: int = -1) -> int:
        """A length header: ``fix | n`` below ``fix_below`` (``fix`` < 0: none), ``b8`` and a
        byte below 256 (``b8`` < 0: none), ``b16`` and two bytes, else ``b32`` and four."""
        p = self.pos
        if fix >= 0 and n < fix_below:
            self._view[p] = fix | n
            self.pos = p + 1
        elif b8 >= 0 and n < 0x100:
            self._view[p] = b8
            self._view[p + 1] = n
            self.pos = p + 2
        elif n < 0x10000:
            self._view[p] = b16
            self._be(n, 2)
        else:
            self._view[p] = b32
            self._be(n, 4)
        return 0
