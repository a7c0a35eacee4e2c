"""Instruments and exact unit conversion: prices in int ticks, quantities in int lots, money in int.

Design: every number inside the kernel is an int. An instrument says what one tick of price and
one lot of quantity are worth (``tick_size``, ``lot_size``, both exact decimals); user-facing
decimals are converted at the edge and must land exactly on the grid, otherwise the conversion
raises (``OffTickPrice`` / ``OffLotQuantity``): nothing is rounded silently.

Money is an int in units of ``1 / MONEY_SCALE`` of the instrument's currency. The value of one
tick on one lot (``tick_size * lot_size * multiplier``) must be a whole number of money units, so
``price_ticks * qty_lots * ticklot_money`` is exact. With ``MONEY_SCALE = 10**9`` that admits
every instrument whose tick x lot is at least 1e-9 (a BTC contract of 0.00001 at a 0.01 tick is
1e-7), and an instrument finer than that is refused with a clear error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation
from fractions import Fraction

MONEY_SCALE = 10**9
MONEY_DECIMALS = 9

# why: the default decimal context rounds every result to 28 digits; these conversions only
# multiply, scale and strip zeros, which are exact at unlimited precision, so nothing rounds
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
_ONE = Decimal(1)

DAY_NS = 86_400_000_000_000  # one day in nanoseconds: the one definition


def _plain(d: Decimal) -> Decimal:
    # why: normalize() alone turns 100 into 1E+2, which reports would print as "1E+2"
    d = _EXACT.normalize(d)
    exponent = d.as_tuple().exponent
    return d.quantize(_ONE, context=_EXACT) if isinstance(exponent, int) and exponent > 0 else d


class UnitError(ValueError):
    """A user-facing number that does not convert exactly to kernel units."""

    reason = "UNIT_ERROR"


class NonFiniteValue(UnitError):
    reason = "NOT_FINITE"


class OffTickPrice(UnitError):
    reason = "OFF_TICK_PRICE"


class OffLotQuantity(UnitError):
    reason = "OFF_LOT_QUANTITY"


class InvalidInstrument(ValueError):
    """An instrument definition that cannot be used (bad tick size, lot size, currency)."""


def to_decimal(value: object, what: str = "value") -> Decimal:
    """Convert an int, str, Decimal or float to an exact Decimal (floats by their shortest repr)."""
    if isinstance(value, bool):
        raise UnitError(f"{what} must be a number, got a bool")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise NonFiniteValue(f"{what} is {value!r}: must be finite")
        # why: repr gives the shortest decimal that round-trips, so 86.655 stays 86.655; float's
        # own repr, because a subclass's (numpy.float64: "np.float64(86.655)") is not a number
        d = Decimal(float.__repr__(value))
    elif isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            raise UnitError(f"{what} {value!r} is not a number") from None
    else:
        raise UnitError(f"{what} must be a number, got {type(value).__name__}")
    if not d.is_finite():
        raise NonFiniteValue(f"{what} is {value!r}: must be finite")
    return d


def money_to_units(value: object, what: str = "amount") -> int:
    """Convert a money amount to int money units, exactly; finer than 1e-9 raises."""
    d = to_decimal(value, what)
    scaled = d.scaleb(MONEY_DECIMALS, _EXACT)
    if scaled != scaled.to_integral_value():
        raise UnitError(f"{what} {value!r} has more than {MONEY_DECIMALS} decimal places")
    return int(scaled)


def units_to_money(units: int) -> Decimal:
    """Money units as an exact Decimal in the currency."""
    return _plain(Decimal(units).scaleb(-MONEY_DECIMALS, _EXACT)) if units else Decimal(0)


def units_to_float(units: int) -> float:
    """Money units as a float, for reports and JSON."""
    return units / MONEY_SCALE


@dataclass(slots=True)
class Instrument:
    """A tradable instrument and its unit grid.

    Parameters: ``symbol``; ``tick_size`` and ``lot_size`` as exact decimals (str or Decimal; a
    float is read by its shortest repr); ``currency`` of prices and P&L; ``multiplier`` (contract
    size, default 1); ``venue`` (default venue name, optional); ``base``: for a spot pair
    (``BTC/USDT``), the asset a position holds (its balance moves with the fills, a fee charged
    in it included), None otherwise.
    """

    symbol: str
    tick_size: Decimal
    lot_size: Decimal
    currency: str = "USD"
    multiplier: Decimal = Decimal(1)
    venue: str | None = None
    base: str | None = None
    ticklot_money: int = field(init=False)
    _tick_frac: Fraction = field(init=False, repr=False)
    _lot_frac: Fraction = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.symbol or not isinstance(self.symbol, str):
            raise InvalidInstrument("instrument symbol must be a non-empty string")
        try:
            self.tick_size = to_decimal(self.tick_size, f"{self.symbol} tick_size")
            self.lot_size = to_decimal(self.lot_size, f"{self.symbol} lot_size")
            self.multiplier = to_decimal(self.multiplier, f"{self.symbol} multiplier")
        except UnitError as exc:
            raise InvalidInstrument(str(exc)) from None
        for name in ("tick_size", "lot_size", "multiplier"):
            if getattr(self, name) <= 0:
                raise InvalidInstrument(f"{self.symbol}: {name} must be positive")
        ticklot = _EXACT.multiply(_EXACT.multiply(self.tick_size, self.lot_size), self.multiplier)
        value = ticklot.scaleb(MONEY_DECIMALS, _EXACT)
        if value != value.to_integral_value():
            raise InvalidInstrument(
                f"{self.symbol}: tick_size x lot_size x multiplier = "
                f"{ticklot} is finer than the money resolution 1e-{MONEY_DECIMALS}"
            )
        if not isinstance(self.currency, str) or not self.currency:
            raise InvalidInstrument(f"{self.symbol}: currency must be a non-empty string")
        self.ticklot_money = int(value)
        self._tick_frac = Fraction(self.tick_size)
        self._lot_frac = Fraction(self.lot_size)

    # --- edge conversions (user decimals <-> kernel ints) ---------------------------------
    def price_to_ticks(self, price: object, what: str = "price") -> int:
        """Convert a price to int ticks; raise ``OffTickPrice`` unless it is on the grid."""
        if isinstance(price, int) and not isinstance(price, bool) and self.tick_size == 1:
            return price
        d = to_decimal(price, what)
        q = Fraction(d) / self._tick_frac
        if q.denominator != 1:
            raise OffTickPrice(
                f"{what} {d} for {self.symbol} is not a multiple of the tick size {self.tick_size}"
            )
        return int(q)

    def qty_to_lots(self, qty: object, what: str = "quantity") -> int:
        """Convert a quantity to int lots; raise ``OffLotQuantity`` unless it is on the grid."""
        d = to_decimal(qty, what)
        q = Fraction(d) / self._lot_frac
        if q.denominator != 1:
            raise OffLotQuantity(
                f"{what} {d} for {self.symbol} is not a multiple of the lot size {self.lot_size}"
            )
        return int(q)

    def ticks_to_price(self, ticks: int) -> Decimal:
        """Int ticks back to an exact Decimal price."""
        return _plain(_EXACT.multiply(self.tick_size, ticks)) if ticks else Decimal(0)

    def lots_to_qty(self, lots: int) -> Decimal:
        """Int lots back to an exact Decimal quantity."""
        return _plain(_EXACT.multiply(self.lot_size, lots)) if lots else Decimal(0)

    def ticks_to_float(self, ticks: int) -> float:
        """Int ticks as a float price, for reports."""
        return float(_EXACT.multiply(self.tick_size, ticks))

    def lots_to_float(self, lots: int) -> float:
        """Int lots as a float quantity, for reports."""
        return float(_EXACT.multiply(self.lot_size, lots))

    def notional_money(self, price_ticks: int, qty_lots: int) -> int:
        """Exact notional of ``qty_lots`` at ``price_ticks`` in money units."""
        return price_ticks * qty_lots * self.ticklot_money
