"""Raw Arrow columns of one batch to kernel units (int ticks, int lots, codes), with bad-row checks.

Prices become ticks and sizes lots by ``rint(value / step)``; a value is off the grid when it is
more than 1e-6 of a step away from it (plus a few float ulps of the value, so a float64 cannot
fail a value that is on the grid in decimal): such a row is bad, never rounded. Integer columns
convert exactly. Bar volume alone is rounded half-even, because volume is informational.

Every check marks rows in a ``BadRows`` with the first reason that applies to each row (checks
run in column order, so a row is reported for its first fault); the text of a reason is built
only for the rows that are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kernel.units import Instrument
from sim.feeds.timestamps import FLOAT_RE, INT64_MAX, cast_lenient, to_numpy

_EPS4 = 4 * np.finfo(np.float64).eps
_MAX_TICKS = float(2**62)

Reason = Callable[[int], str]


class BadRows:
    """The bad rows of one batch: ``code[i]`` is 0 for a good row, else the index of its reason."""

    __slots__ = ("code", "why")

    def __init__(self, n: int) -> None:
        self.code = np.zeros(n, dtype=np.int16)
        self.why: list[tuple[str | None, Reason]] = [(None, lambda i: "")]

    def flag(self, mask: np.ndarray, column: str | None, reason: Reason) -> None:
        """Mark the rows of ``mask`` bad with ``reason(row)`` unless they already have a reason."""
        if not mask.any():
            return
        self.why.append((column, reason))
        self.code[mask & (self.code == 0)] = len(self.why) - 1

    def good(self) -> np.ndarray:
        return self.code == 0

    def describe(self, i: int) -> tuple[str | None, str]:
        """``(column, reason text)`` of bad row ``i``."""
        column, reason = self.why[int(self.code[i])]
        return column, reason(i)


def show(arr: pa.Array, i: int, quote: bool = True) -> str:
    """A raw cell for a message: ``missing`` for null/empty, text quoted unless ``quote`` is off."""
    value = arr[i].as_py()
    if value is None or (isinstance(value, str) and not value.strip()):
        return "missing"
    if isinstance(value, str):
        return repr(value) if quote else value.strip()
    return str(value)


def num(arr: pa.Array, i: int) -> str:
    """A cell that parsed as a number, as written in the file."""
    return show(arr, i, quote=False)


def _bad_number(col: str, arr: pa.Array) -> Reason:
    def reason(i: int) -> str:
        shown = show(arr, i)
        return f"{col} is missing" if shown == "missing" else f"{col} {shown} is not a number"

    return reason


def numbers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Any Arrow column as numbers: ``(int64 or float64 values, ok mask)``; text is parsed."""
    t = arr.type
    if pa.types.is_integer(t):
        return to_numpy(cast_lenient(arr, lambda a: a.cast(pa.int64()), pa.int64()))
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        values, ok = to_numpy(arr.cast(pa.float64()))
        return values.astype(np.float64, copy=False), ok
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        floats = cast_lenient(arr, lambda a: a.cast(pa.float64()), pa.float64(), FLOAT_RE)
        return to_numpy(floats)
    n = len(arr)
    return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)


class Grid:
    """A step (tick or lot size) and the exact conversion of values onto it."""

    __slots__ = ("den", "exact_ints", "num", "step_f", "text")

    def __init__(self, step: Decimal) -> None:
        frac = Fraction(step)
        self.num, self.den = frac.numerator, frac.denominator
        self.step_f = float(step)
        self.text = str(step)
        # why: integer columns convert in int64 arithmetic, which needs a step of modest terms
        self.exact_ints = max(self.num, self.den) < 2**31

    def to_steps(
        self, values: np.ndarray, ok: np.ndarray, round_half_even: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(steps int64, off_grid, out_of_range)`` for values that are ``ok``."""
        if values.dtype.kind in "iu":
            if self.exact_ints:
                return self._int_steps(values.astype(np.int64, copy=False), ok)
            values = values.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            x = values / self.step_f
            r = np.rint(x)
            big = ~(np.abs(r) < _MAX_TICKS) & ok
            if round_half_even:
                off = np.zeros(len(x), dtype=bool)
            else:
                top = float(np.max(np.abs(np.where(ok & ~big, x, 0.0)), initial=0.0))
                off = (np.abs(x - r) > 1e-6 + _EPS4 * top) & ok & ~big
        steps = np.where(ok & ~big, r, 0.0).astype(np.int64)
        return steps, off, big

    def _int_steps(
        self, values: np.ndarray, ok: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # exact: value / (num/den) = value * den / num, an int only if num divides value * den
        no = np.zeros(len(values), dtype=bool)
        if self.num == 1 and self.den == 1:
            return values, no, no
        limit = INT64_MAX // self.den
        big = ((values > limit) | (values < -limit)) & ok
        scaled = np.where(big, 0, values) * self.den
        if self.num == 1:
            return scaled, no, big
        off = (scaled % self.num != 0) & ok
        return scaled // self.num, off, big


class KindConverter:
    """Converts the raw contract columns of one batch of a given kind to kernel-unit columns.

    Output columns, all int64 (see ``Chunk``): quotes ``bid, ask, bid_sz, ask_sz`` (sizes -1 when
    the file has none); trades ``px, sz, side``; bars ``open, high, low, close, volume`` (volume
    -1 when the file has none); book ``side, px, sz, snap``.
    """

    __slots__ = ("_convert", "kind", "lot", "tick")

    def __init__(self, kind: str, instrument: Instrument) -> None:
        self.kind = kind
        self.tick = Grid(instrument.tick_size)
        self.lot = Grid(instrument.lot_size)
        self._convert = {
            "quotes": self._quotes,
            "trades": self._trades,
            "bars": self._bars,
            "book": self._book,
        }[kind]

    def convert(self, raw: dict[str, pa.Array], n: int, bad: BadRows) -> dict[str, np.ndarray]:
        """Return the kind's columns for the ``n`` rows of ``raw``, flagging bad rows in ``bad``."""
        return self._convert(raw, n, bad)

    # --- columns --------------------------------------------------------------------------
    def _value(
        self, raw: dict[str, pa.Array], col: str, bad: BadRows, grid: Grid, what: str
    ) -> np.ndarray:
        arr = raw[col]
        values, ok = numbers(arr)
        bad.flag(~ok, col, _bad_number(col, arr))
        if values.dtype.kind == "f":
            finite = np.isfinite(values)
            bad.flag(ok & ~finite, col, lambda i: f"{col} {show(arr, i)} is not a finite number")
            ok &= finite
        steps, off, big = grid.to_steps(values, ok)
        unit = "tick" if what == "price" else "lot"
        bad.flag(
            off,
            col,
            lambda i: (
                f"off-{unit} {what}: {col} {num(arr, i)} is not a multiple of the "
                f"{unit} size {grid.text}"
            ),
        )
        bad.flag(big, col, lambda i: f"{col} {num(arr, i)} is out of range")
        return steps

    def _price(self, raw: dict[str, pa.Array], col: str, bad: BadRows) -> np.ndarray:
        return self._value(raw, col, bad, self.tick, "price")

    def _size(self, raw: dict[str, pa.Array], col: str, bad: BadRows, positive: bool) -> np.ndarray:
        lots = self._value(raw, col, bad, self.lot, "size")
        arr = raw[col]
        if positive:
            bad.flag(lots <= 0, col, lambda i: f"{col} {num(arr, i)} must be positive")
        else:
            bad.flag(lots < 0, col, lambda i: f"{col} {num(arr, i)} must not be negative")
        return lots

    # --- kinds ----------------------------------------------------------------------------
    def _quotes(self, raw: dict[str, pa.Array], n: int, bad: BadRows) -> dict[str, np.ndarray]:
        bid = self._price(raw, "bid_px", bad)
        ask = self._price(raw, "ask_px", bad)
        none = np.full(n, -1, dtype=np.int64)
        bid_sz = self._size(raw, "bid_sz", bad, False) if "bid_sz" in raw else none
        ask_sz = self._size(raw, "ask_sz", bad, False) if "ask_sz" in raw else none
        b, a = raw["bid_px"], raw["ask_px"]
        bad.flag(
            bid > ask,
            "bid_px",
            lambda i: f"crossed quote: bid_px {num(b, i)} > ask_px {num(a, i)}",
        )
        return {"bid": bid, "ask": ask, "bid_sz": bid_sz, "ask_sz": ask_sz}

    def _trades(self, raw: dict[str, pa.Array], n: int, bad: BadRows) -> dict[str, np.ndarray]:
        px = self._price(raw, "px", bad)
        sz = self._size(raw, "sz", bad, True)
        if "side" in raw:
            side = self._codes(raw, "side", bad, TRADE_SIDES, "is not buy or sell")
        elif "buyer_maker" in raw:
            side = self._codes(raw, "buyer_maker", bad, BUYER_MAKER, "is not true or false")
        else:
            side = np.zeros(n, dtype=np.int64)
        return {"px": px, "sz": sz, "side": side}

    def _bars(self, raw: dict[str, pa.Array], n: int, bad: BadRows) -> dict[str, np.ndarray]:
        o = self._price(raw, "open", bad)
        h = self._price(raw, "high", bad)
        lo = self._price(raw, "low", bad)
        c = self._price(raw, "close", bad)
        if "volume" in raw:
            arr = raw["volume"]
            values, ok = numbers(arr)
            bad.flag(~ok, "volume", _bad_number("volume", arr))
            if values.dtype.kind == "f":
                finite = np.isfinite(values)
                bad.flag(
                    ok & ~finite,
                    "volume",
                    lambda i: f"volume {show(arr, i)} is not a finite number",
                )
                ok &= finite
            bad.flag(
                ok & (values < 0), "volume", lambda i: f"volume {num(arr, i)} must not be negative"
            )
            volume, _, big = self.lot.to_steps(values, ok, round_half_even=True)
            bad.flag(big, "volume", lambda i: f"volume {num(arr, i)} is out of range")
        else:
            volume = np.full(n, -1, dtype=np.int64)

        def bar_reason(col: str, rel: str, ref_high: bool) -> Reason:
            def reason(i: int) -> str:
                ref = "open" if (o[i] >= c[i]) == ref_high else "close"
                return f"bad bar: {col} {num(raw[col], i)} is {rel} the {ref} {num(raw[ref], i)}"

            return reason

        bad.flag(h < np.maximum(o, c), "high", bar_reason("high", "below", True))
        bad.flag(lo > np.minimum(o, c), "low", bar_reason("low", "above", False))
        return {"open": o, "high": h, "low": lo, "close": c, "volume": volume}

    def _book(self, raw: dict[str, pa.Array], n: int, bad: BadRows) -> dict[str, np.ndarray]:
        side = self._codes(raw, "side", bad, BOOK_SIDES, "is not a book side (b/a or bid/ask)")
        px = self._price(raw, "px", bad)
        sz = self._size(raw, "sz", bad, False)
        if "update_type" in raw:
            snap = self._codes(raw, "update_type", bad, UPDATE_TYPES, "is not snap or set")
        else:
            snap = np.zeros(n, dtype=np.int64)
        return {"side": side, "px": px, "sz": sz, "snap": snap}

    def _codes(
        self, raw: dict[str, pa.Array], col: str, bad: BadRows, table: CodeTable, expected: str
    ) -> np.ndarray:
        arr = raw[col]
        codes, ok = table.lookup(arr)
        bad.flag(~ok, col, lambda i: f"{col} {show(arr, i)} {expected}")
        return codes


class CodeTable:
    """Case-insensitive text (or bool/int) values to int codes, vectorized with ``index_in``."""

    __slots__ = ("_keys", "codes", "mapping", "null_is_empty")

    def __init__(self, mapping: dict[str, int], null_is_empty: bool) -> None:
        self.mapping = mapping
        self._keys: pa.Array | None = None
        self.codes = np.array([*mapping.values(), 0], dtype=np.int64)
        self.null_is_empty = null_is_empty

    @property
    def keys(self) -> pa.Array:
        # why: built on first use: any pa.array() call makes pyarrow import pandas (~50 MB)
        # when it is installed, which a run that never reads this column should not pay
        if self._keys is None:
            self._keys = pa.array(list(self.mapping), pa.string())
        return self._keys

    def lookup(self, arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(codes, ok)``; a value not in the table is not ok (nor null, unless empty)."""
        text = cast_lenient(arr, lambda a: a.cast(pa.string()), pa.string())
        text = pc.utf8_lower(pc.utf8_trim_whitespace(text))
        if self.null_is_empty:
            text = text.fill_null("")
        index = pc.index_in(text, value_set=self.keys)
        idx, ok = to_numpy(index, fill=len(self.keys))
        return self.codes[idx], ok


TRADE_SIDES = CodeTable(
    {"buy": 1, "b": 1, "1": 1, "+1": 1, "sell": -1, "s": -1, "-1": -1, "": 0, "0": 0, "unknown": 0},
    null_is_empty=True,
)
# why: buyer_maker true means the buyer's order rested, so the seller was the aggressor
BUYER_MAKER = CodeTable(
    {"true": -1, "t": -1, "1": -1, "yes": -1, "false": 1, "f": 1, "0": 1, "no": 1, "": 0},
    null_is_empty=True,
)
BOOK_SIDES = CodeTable({"b": 1, "bid": 1, "a": -1, "ask": -1}, null_is_empty=False)
UPDATE_TYPES = CodeTable(
    {"snap": 1, "snapshot": 1, "set": 0, "update": 0, "": 0}, null_is_empty=True
)
