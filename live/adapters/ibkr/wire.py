"""IB numbers and times -> kernel units, shared by the translation modules. Pure.

TWS sends prices and sizes as decimal text, which ib_async and ib_insync parse into floats; a
float's shortest repr is that text again (``86.123``), so a price on the instrument's grid comes
back exactly. A value within a millionth of a tick (or lot) of the grid is taken as on it (IB
itself prints averages with more digits); anything further off raises ``MalformedMessage``
naming the field: nothing is rounded silently. IB's "unset" marker (``UNSET_DOUBLE``, 1.8e308)
and NaN read as None. Times are tz-aware datetimes (UTC) -> int ns.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from kernel.units import MONEY_DECIMALS, Instrument
from live.adapters.ibkr.errors import MalformedMessage

_NEAR = Fraction(1, 1_000_000)
_MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_DECIMALS)


def number(value: Any) -> Decimal | None:
    """A float, int, Decimal or text from IB as an exact Decimal; None when unset or empty."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or value >= 1e300:
            return None  # why: UNSET_DOUBLE (sys.float_info.max) and NaN mean "no value"
        return Decimal(float.__repr__(value))
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return None
    return d if d.is_finite() and abs(d) < Decimal("1e300") else None


def _grid(value: Any, step: Decimal, field: str, what: str) -> int:
    d = number(value)
    if d is None:
        raise MalformedMessage(field, f"{value!r} is not a number")
    exact = Fraction(d) / Fraction(step)
    near = round(exact)
    if abs(exact - near) > _NEAR:
        raise MalformedMessage(field, f"{d} is not a multiple of the {what} {step}")
    return int(near)


def ticks(inst: Instrument, price: Any, field: str = "price") -> int:
    """A price on the instrument's tick grid -> int ticks."""
    return _grid(price, inst.tick_size, field, "tick size")


def lots(inst: Instrument, size: Any, field: str = "size") -> int:
    """A quantity on the instrument's lot grid -> int lots."""
    return _grid(size, inst.lot_size, field, "lot size")


def opt_ticks(inst: Instrument, price: Any, field: str = "price") -> int | None:
    """``ticks`` or None for an unset price."""
    return None if number(price) is None else ticks(inst, price, field)


def money(value: Any, field: str = "amount") -> int:
    """A money amount -> int money units (1e-9), rounded half-even to the unit (IB prints
    commissions and balances as floats with more digits than a currency has)."""
    d = number(value)
    if d is None:
        raise MalformedMessage(field, f"{value!r} is not an amount")
    return int(d.quantize(_MONEY_QUANTUM).scaleb(MONEY_DECIMALS))


def time_ns(value: Any) -> int | None:
    """A datetime from ib_async (aware, or naive meaning UTC) -> int ns; None if not one."""
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def ib_utc(ts_ns: int) -> str:
    """Int ns -> TWS's UTC time text ``YYYYMMDD-HH:MM:SS`` (whole seconds, rounded down)."""
    return datetime.fromtimestamp(ts_ns // 1_000_000_000, UTC).strftime("%Y%m%d-%H:%M:%S")
