"""Alpaca wire basics shared by the parse modules: names of sides, types and TIFs, RFC3339
timestamps to int ns, exact decimal text from ticks and lots and back (``MalformedMessage``
names a field that is off the instrument's grid: nothing is rounded). Pure.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from kernel.enums import OrderType, Side, TimeInForce
from kernel.units import DAY_NS as DAY_NS  # re-exported: one definition (kernel/units.py)
from kernel.units import Instrument, UnitError, to_decimal
from live.adapters.alpaca.errors import MalformedMessage

MINUTE_NS = 60_000_000_000
MAX_CLIENT_ORDER_ID = 128

InstrumentOf = Callable[[str], Instrument | None]
ClientIdOf = Callable[[str], str | None]

SIDE_NAMES = {Side.BUY: "buy", Side.SELL: "sell"}
SIDE_BY_NAME = {"buy": Side.BUY, "sell": Side.SELL}
TYPE_NAMES = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "stop",
    OrderType.STOP_LIMIT: "stop_limit",
    OrderType.TRAILING_STOP: "trailing_stop",
}
TIF_NAMES = {
    TimeInForce.DAY: "day",
    TimeInForce.GTC: "gtc",
    TimeInForce.OPG: "opg",
    TimeInForce.CLS: "cls",
    TimeInForce.IOC: "ioc",
    TimeInForce.FOK: "fok",
}

# --- time ---------------------------------------------------------------------------------------
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_timestamp(value: Any, field: str = "timestamp") -> int:
    """An RFC3339 string (any offset, up to 9 fraction digits) or a msgpack Timestamp -> int ns."""
    if isinstance(value, str):
        m = _RFC3339.match(value)
        if m is None:
            raise MalformedMessage(field, f"{value!r} is not an RFC3339 timestamp")
        y, mo, d, h, mi, s, frac, zone = m.groups()
        try:
            datetime(int(y), int(mo), int(d), int(h), int(mi), int(s))
        except ValueError:
            raise MalformedMessage(field, f"{value!r} is not a valid date and time") from None
        if frac and len(frac) > 9:
            if frac[9:].strip("0"):
                raise MalformedMessage(field, f"{value!r} is finer than a nanosecond")
            frac = frac[:9]
        secs = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s)))
        if zone not in ("Z", "z"):
            sign = 1 if zone[0] == "+" else -1
            secs -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
        return secs * 1_000_000_000 + (int(frac.ljust(9, "0")) if frac else 0)
    to_unix_nano = getattr(value, "to_unix_nano", None)  # why: msgpack.Timestamp, no import
    if callable(to_unix_nano):
        return int(to_unix_nano())
    raise MalformedMessage(field, f"{value!r} is not a timestamp")


def _ts_or_none(value: Any, field: str) -> int | None:
    return None if value is None else parse_timestamp(value, field)


# --- numbers ------------------------------------------------------------------------------------
def decimal_text(value: Decimal) -> str:
    """A Decimal as plain decimal text (never exponent notation: Alpaca reads "1E-7" badly)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def price_text(instrument: Instrument, ticks: int) -> str:
    """Int ticks as Alpaca's exact decimal price string."""
    return decimal_text(instrument.ticks_to_price(ticks))


def qty_text(instrument: Instrument, lots: int) -> str:
    """Int lots as Alpaca's exact decimal quantity string."""
    return decimal_text(instrument.lots_to_qty(lots))


def _ticks(instrument: Instrument, value: Any, field: str) -> int:
    try:
        return instrument.price_to_ticks(value, field)
    except UnitError as exc:
        raise MalformedMessage(field, str(exc)) from None


def _lots(instrument: Instrument, value: Any, field: str) -> int:
    try:
        return instrument.qty_to_lots(value, field)
    except UnitError as exc:
        raise MalformedMessage(field, str(exc)) from None


def _opt_ticks(instrument: Instrument, value: Any, field: str) -> int | None:
    return None if value is None else _ticks(instrument, value, field)


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return to_decimal(value, field)
    except UnitError as exc:
        raise MalformedMessage(field, str(exc)) from None


def _instrument(instrument_of: InstrumentOf, symbol: Any) -> Instrument:
    inst = instrument_of(str(symbol)) if symbol is not None else None
    if inst is None:
        raise MalformedMessage("symbol", f"unknown symbol {symbol!r}")
    return inst
