"""Timestamps in any supported encoding to int nanoseconds since the epoch (UTC), vectorized.

Supported: Arrow timestamp and date columns (Parquet); epoch numbers, whose unit is decided once
per file from the magnitude of its first valid value (< 1e11 seconds, < 1e14 milliseconds,
< 1e17 microseconds, else nanoseconds; integers stay exact, floats are rounded to the ns); and
ISO-8601 strings: ``2013-01-01 22:00:00.295000+00:00``, ``2021-12-31 23:01:00.000000``,
``2021-01-08T00:00:00Z``, ``1995-01-03`` (midnight). A string with an offset is exact; a naive one
is UTC unless the data entry gives ``tz`` (an IANA zone; a wall time that does not exist there is
a bad value, an ambiguous one takes the earlier instant). Whether a text column holds integers,
decimals or ISO strings is decided from its first non-empty value, like the unit. Decimal (float)
epochs are rounded to the microsecond: a float64 cannot hold a nanosecond epoch exactly.

Conversions run as Arrow casts over a whole batch. Only when a batch holds a value that does not
convert does ``cast_lenient`` narrow it down (trim spaces, a syntax pre-filter, then bisection),
so one bad row costs a few extra casts, not a Python loop over the batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

INT64_MAX = np.iinfo(np.int64).max
TS_NS = pa.timestamp("ns")
TS_NS_UTC = pa.timestamp("ns", tz="UTC")
INT_RE = r"^[+-]?\d+$"
FLOAT_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(?i:nan|inf|infinity)$"
_AWARE_RE = r"\d:?\d\d(:?\d\d(\.\d*)?)?\s*(Z|z|[+-]\d\d(:?\d\d)?)$"
_ISO_RE = r"^\d{4}-\d\d-\d\d([T ]\d\d(:?\d\d(:?\d\d(\.\d+)?)?)?\s*(Z|z|[+-]\d\d(:?\d\d)?)?)?$"
_INT_PY = re.compile(INT_RE)
_FLOAT_PY = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")

Convert = Callable[[pa.Array], pa.Array]


def epoch_scale(magnitude: float) -> int:
    """Nanoseconds per unit of an epoch number of this magnitude (s, ms, us or ns)."""
    m = abs(magnitude)
    if m < 1e11:
        return 1_000_000_000
    if m < 1e14:
        return 1_000_000
    if m < 1e17:
        return 1_000
    return 1


def format_ns(ts_ns: int) -> str:
    """An int-ns timestamp as ISO-8601 UTC, for messages (``2013-01-01T22:00:00.295Z``)."""
    text = str(np.datetime64(int(ts_ns), "ns"))
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "Z"


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _bisect(arr: pa.Array, convert: Convert, out_type: pa.DataType) -> pa.Array:
    # why: halve until the failing values are isolated; cost O(bad * log n) casts
    n = len(arr)
    if n == 1:
        try:
            return convert(arr)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return pa.nulls(1, out_type)
    mid = n // 2
    parts = []
    for part in (arr.slice(0, mid), arr.slice(mid)):
        try:
            parts.append(convert(part))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parts.append(_bisect(part, convert, out_type))
    return pa.concat_arrays(parts)


def cast_lenient(
    arr: pa.Array, convert: Convert, out_type: pa.DataType, syntax: str | None = None
) -> pa.Array:
    """Apply ``convert`` to ``arr``; values it cannot convert become null, not a failed batch.

    ``syntax`` (an RE2 pattern) pre-filters text on the slow path: values that do not match it
    become null without a cast. Nulls in ``arr`` stay null.
    """
    try:
        return convert(arr)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    if _is_text(arr.type):
        arr = pc.utf8_trim_whitespace(arr)
        if syntax is not None:
            match = pc.match_substring_regex(arr, syntax)
            arr = pc.if_else(match, arr, pa.scalar(None, arr.type))
        try:
            return convert(arr)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    return _bisect(arr, convert, out_type)


_NUMPY_TYPES = {
    pa.int8(): np.int8,
    pa.int16(): np.int16,
    pa.int32(): np.int32,
    pa.int64(): np.int64,
    pa.uint8(): np.uint8,
    pa.uint16(): np.uint16,
    pa.uint32(): np.uint32,
    pa.uint64(): np.uint64,
    pa.float32(): np.float32,
    pa.float64(): np.float64,
}


def arrow_values(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A null-free fixed-width or boolean Arrow array as numpy, read from its buffers.

    why: pyarrow's own ``to_numpy``/``__array__`` import pandas when it is installed (~50 MB of
    memory for a run that never uses it); reading the value buffer directly does not.
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    n, off = len(arr), arr.offset
    if n == 0:
        return np.zeros(0, dtype=_NUMPY_TYPES.get(arr.type, np.bool_))
    buf = arr.buffers()[1]
    if pa.types.is_boolean(arr.type):
        bits = np.unpackbits(np.frombuffer(buf, dtype=np.uint8), bitorder="little")
        return bits[off : off + n].astype(bool)
    dtype = _NUMPY_TYPES.get(arr.type)
    if dtype is None:
        return np.asarray(arr.to_numpy(zero_copy_only=False))
    return np.frombuffer(buf, dtype=dtype, count=n, offset=off * np.dtype(dtype).itemsize)


def to_numpy(
    arr: pa.Array | pa.ChunkedArray, fill: int | float = 0
) -> tuple[np.ndarray, np.ndarray]:
    """An Arrow numeric array as ``(values, ok)`` numpy arrays; nulls become ``fill``, not ok."""
    if arr.null_count:
        ok = arrow_values(arr.is_valid())
        arr = arr.fill_null(fill)
    else:
        ok = np.ones(len(arr), dtype=bool)
    return arrow_values(arr), ok


class TimestampParser:
    """Converts one file's timestamp column, batch by batch, to int ns UTC with an ok mask.

    The encoding of a file (epoch unit, text kind) is decided at its first valid value and kept,
    so every batch of a file is read the same way. ``tz`` is the zone of naive date-times.
    """

    __slots__ = ("_aware_first", "scale", "text_mode", "tz")

    def __init__(self, tz: str | None = None) -> None:
        self.tz = None if tz in (None, "UTC", "Etc/UTC") else tz
        self.scale: int | None = None
        self.text_mode: str | None = None
        self._aware_first = False

    def parse(self, arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(ts_ns, ok)``: int64 nanoseconds and a bool mask of the values that parsed."""
        t = arr.type
        if pa.types.is_timestamp(t):
            if t.tz is None:
                return self._localize(arr.cast(pa.timestamp(t.unit)))
            ints = cast_lenient(arr, lambda a: a.cast(TS_NS_UTC).cast(pa.int64()), pa.int64())
            return to_numpy(ints)
        if pa.types.is_date(t):
            return self._localize(arr.cast(pa.timestamp("ms")))
        if pa.types.is_integer(t):
            values, ok = to_numpy(cast_lenient(arr, lambda a: a.cast(pa.int64()), pa.int64()))
            return self._from_epoch_int(values, ok)
        if pa.types.is_floating(t) or pa.types.is_decimal(t):
            values, ok = to_numpy(arr.cast(pa.float64()))
            return self._from_epoch_float(values, ok)
        if _is_text(t):
            return self._from_text(arr)
        return np.zeros(len(arr), dtype=np.int64), np.zeros(len(arr), dtype=bool)

    # --- epoch numbers ---------------------------------------------------------------------
    def _decide_scale(self, values: np.ndarray, ok: np.ndarray) -> int | None:
        if self.scale is None and ok.any():
            self.scale = epoch_scale(float(values[np.argmax(ok)]))
        return self.scale

    def _from_epoch_int(self, values: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scale = self._decide_scale(values, ok)
        if scale is None or scale == 1:
            return values.astype(np.int64, copy=False), ok
        limit = INT64_MAX // scale
        fits = (values <= limit) & (values >= -limit)
        if not fits.all():
            ok = ok & fits
            values = np.where(fits, values, 0)
        return values * scale, ok

    def _from_epoch_float(
        self, values: np.ndarray, ok: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        ok = ok & np.isfinite(values)
        scale = self._decide_scale(values, ok)
        if scale is None:
            return np.zeros(len(values), dtype=np.int64), ok
        # why: a float64 epoch carries ~16 digits, so round to the microsecond (exact for text
        # with up to 6 decimals of a second), then scale to ns in integers
        step = 1000 if scale >= 1000 else 1
        with np.errstate(invalid="ignore", over="ignore"):
            units = np.rint(values * (scale // step))
            ok &= np.abs(units) < 9.2e18 / step
        return np.where(ok, units, 0).astype(np.int64) * step, ok

    # --- text --------------------------------------------------------------------------------
    def _decide_text_mode(self, arr: pa.Array) -> None:
        for value in arr.drop_null().to_pylist():
            text = value.strip()
            if not text:
                continue
            if _INT_PY.match(text):
                self.text_mode = "int"
            elif _FLOAT_PY.match(text):
                self.text_mode = "float"
            else:
                self.text_mode = "iso"
            return

    def _from_text(self, arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        if self.text_mode is None:
            # why: the first non-empty value is near the start; stop scanning a batch early
            self._decide_text_mode(arr.slice(0, 64))
            if self.text_mode is None:
                self._decide_text_mode(arr)
        if self.text_mode == "int":
            ints = cast_lenient(arr, lambda a: a.cast(pa.int64()), pa.int64(), INT_RE)
            return self._from_epoch_int(*to_numpy(ints))
        if self.text_mode == "float":
            floats = cast_lenient(arr, lambda a: a.cast(pa.float64()), pa.float64(), FLOAT_RE)
            return self._from_epoch_float(*to_numpy(floats))
        if self.text_mode == "iso":
            return self._from_iso(arr)
        return np.zeros(len(arr), dtype=np.int64), np.zeros(len(arr), dtype=bool)

    def _from_iso(self, arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        # fast path: the whole batch is one flavour (with offsets, or naive)
        for aware in (self._aware_first, not self._aware_first):
            try:
                stamps = arr.cast(TS_NS_UTC if aware else TS_NS)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
            self._aware_first = aware
            if aware:
                return to_numpy(stamps.cast(pa.int64()))
            return self._localize(stamps)
        # slow path: split by flavour, each part converted leniently
        text = pc.utf8_trim_whitespace(arr)
        text = pc.if_else(pc.match_substring_regex(text, _ISO_RE), text, pa.scalar(None, text.type))
        aware_mask = np.asarray(pc.fill_null(pc.match_substring_regex(text, _AWARE_RE), False))
        ts = np.zeros(len(arr), dtype=np.int64)
        ok = np.zeros(len(arr), dtype=bool)
        if aware_mask.any():
            part = text.filter(pa.array(aware_mask))
            ints = cast_lenient(part, lambda a: a.cast(TS_NS_UTC).cast(pa.int64()), pa.int64())
            ts[aware_mask], ok[aware_mask] = to_numpy(ints)
        naive_mask = ~aware_mask
        if naive_mask.any():
            part = text.filter(pa.array(naive_mask))
            stamps = cast_lenient(part, lambda a: a.cast(TS_NS), TS_NS)
            ts[naive_mask], ok[naive_mask] = self._localize(stamps)
        return ts, ok

    def _localize(self, stamps: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        # naive wall times -> UTC instants in the file's zone (UTC when none is given)
        if self.tz is None:
            convert: Convert = lambda a: a.cast(TS_NS).cast(pa.int64())  # noqa: E731
        else:
            tz = self.tz

            def convert(a: pa.Array) -> pa.Array:
                local = pc.assume_timezone(
                    a.cast(TS_NS), timezone=tz, ambiguous="earliest", nonexistent="raise"
                )
                return local.cast(pa.int64())

        return to_numpy(cast_lenient(stamps, convert, pa.int64()))
