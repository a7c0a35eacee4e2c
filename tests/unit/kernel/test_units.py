"""Exact unit conversion: decimals <-> int ticks / lots / money units, never rounding."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.units import (
    MONEY_SCALE,
    Instrument,
    InvalidInstrument,
    NonFiniteValue,
    OffLotQuantity,
    OffTickPrice,
    UnitError,
    money_to_units,
    to_decimal,
    units_to_float,
    units_to_money,
)

AAPL = Instrument("AAPL", "0.01", "1")
BTC = Instrument("BTC-USD", "0.01", "0.00001", venue="coinbase")
MILLI = Instrument("XYZ", "0.001", "1")
ES = Instrument("ES", "0.25", "1", multiplier="50")

NON_FINITE = [
    float("nan"),
    float("inf"),
    float("-inf"),
    "NaN",
    "inf",
    "-Infinity",
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
]


# --- price -> ticks -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("inst", "price", "ticks"),
    [
        (AAPL, "187.25", 18725),
        (AAPL, Decimal("187.25"), 18725),
        (AAPL, 187, 18700),
        (AAPL, "-0.05", -5),
        (MILLI, 86.655, 86655),  # why: read by shortest repr, not the binary value 86.65499...
        (MILLI, "86.655", 86655),
        (AAPL, 0.29, 29),
        (ES, "4512.75", 18051),
        (BTC, "65432.10", 6543210),
        (Instrument("ONE", "1", "1"), 42, 42),
        (Instrument("FIVE", "5", "1"), "15", 3),
    ],
)
def test_price_to_ticks_on_grid_value_converts_exactly(inst, price, ticks):
    assert inst.price_to_ticks(price) == ticks
    assert type(inst.price_to_ticks(price)) is int


@pytest.mark.parametrize(
    ("inst", "price"),
    [
        (AAPL, "187.255"),
        (AAPL, 0.1 + 0.2),  # 0.30000000000000004: not rounded to 30 ticks
        (MILLI, "86.6555"),
        (ES, "4512.10"),
        (Instrument("FIVE", "5", "1"), 12),
        (Instrument("FIVE", "5", "1"), "12.5"),
    ],
)
def test_price_to_ticks_off_tick_raises_off_tick_price(inst, price):
    with pytest.raises(OffTickPrice) as info:
        inst.price_to_ticks(price)
    assert info.value.reason == "OFF_TICK_PRICE"
    assert inst.symbol in str(info.value)


@pytest.mark.parametrize("value", NON_FINITE)
def test_price_to_ticks_non_finite_raises_non_finite_value(value):
    with pytest.raises(NonFiniteValue) as info:
        AAPL.price_to_ticks(value)
    assert info.value.reason == "NOT_FINITE"


@pytest.mark.parametrize("value", ["abc", "", "1,5", None, True, [1], b"1"])
def test_price_to_ticks_not_a_number_raises_unit_error(value):
    with pytest.raises(UnitError) as info:
        AAPL.price_to_ticks(value)
    assert not isinstance(info.value, (NonFiniteValue, OffTickPrice))
    assert info.value.reason == "UNIT_ERROR"


# --- quantity -> lots ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("inst", "qty", "lots"),
    [
        (BTC, "0.12345", 12345),
        (BTC, "0.00001", 1),
        (BTC, 0.00003, 3),
        (BTC, 1, 100000),
        (BTC, "2.5", 250000),
        (AAPL, 100, 100),
        (AAPL, "100.000", 100),
        (Instrument("ETH", "0.01", "0.0001"), 0.0123, 123),
    ],
)
def test_qty_to_lots_on_grid_value_converts_exactly(inst, qty, lots):
    assert inst.qty_to_lots(qty) == lots


@pytest.mark.parametrize(
    ("inst", "qty"),
    [(BTC, "0.000015"), (BTC, 0.123456), (AAPL, "1.5"), (AAPL, 0.5)],
)
def test_qty_to_lots_off_lot_raises_off_lot_quantity(inst, qty):
    with pytest.raises(OffLotQuantity) as info:
        inst.qty_to_lots(qty)
    assert info.value.reason == "OFF_LOT_QUANTITY"


@pytest.mark.parametrize("value", NON_FINITE)
def test_qty_to_lots_non_finite_raises_non_finite_value(value):
    with pytest.raises(NonFiniteValue):
        BTC.qty_to_lots(value)


# --- ticks/lots -> decimals ---------------------------------------------------------------------
class FloatSubclass(float):
    def __repr__(self) -> str:  # numpy.float64 under numpy 2 reprs as "np.float64(86.655)"
        return f"np.float64({float.__repr__(self)})"


def test_price_to_ticks_float_subclass_read_by_its_float_value():
    assert MILLI.price_to_ticks(FloatSubclass(86.655)) == 86655
    assert BTC.qty_to_lots(FloatSubclass(0.00003)) == 3
    with pytest.raises(NonFiniteValue):
        AAPL.price_to_ticks(FloatSubclass("nan"))


def test_ticks_to_price_exact_decimal_matches_grid():
    assert AAPL.ticks_to_price(18725) == Decimal("187.25")
    assert MILLI.ticks_to_price(86655) == Decimal("86.655")
    assert ES.ticks_to_price(-3) == Decimal("-0.75")
    assert AAPL.ticks_to_price(0) == 0


def test_ticks_to_price_round_number_prints_without_exponent():
    # why: reports print these; "1E+2" is not a price a user can read back in a spreadsheet
    assert str(AAPL.ticks_to_price(10000)) == "100"
    assert str(BTC.lots_to_qty(100000)) == "1"
    assert str(units_to_money(5 * MONEY_SCALE)) == "5"
    assert str(AAPL.ticks_to_price(10010)) == "100.1"


def test_lots_to_qty_fractional_lot_exact_decimal():
    assert BTC.lots_to_qty(12345) == Decimal("0.12345")
    assert BTC.lots_to_qty(1) == Decimal("0.00001")
    assert BTC.lots_to_qty(0) == 0


def test_ticks_and_lots_to_float_nearest_float():
    assert MILLI.ticks_to_float(86655) == 86.655
    assert BTC.lots_to_float(3) == 0.00003


def test_ticks_to_price_huge_tick_count_stays_exact():
    # why: the default decimal context keeps 28 digits; a conversion must never round
    inst = Instrument("FINE", "0.123456789", "1")
    ticks = 10**20 + 1
    price = inst.ticks_to_price(ticks)
    assert Fraction(price) == Fraction(ticks) * Fraction("0.123456789")
    assert inst.price_to_ticks(price) == ticks


# --- instruments --------------------------------------------------------------------------------
def test_instrument_finer_than_money_resolution_is_refused():
    with pytest.raises(InvalidInstrument, match="finer than the money resolution"):
        Instrument("DUST", "0.0001", "0.000001")  # tick x lot = 1e-10


def test_instrument_at_money_resolution_is_accepted():
    inst = Instrument("DUST", "0.0001", "0.00001")  # tick x lot = 1e-9, one money unit
    assert inst.ticklot_money == 1


def test_instrument_float_sizes_read_by_shortest_repr():
    inst = Instrument("F", 0.001, 0.1)
    assert inst.tick_size == Decimal("0.001")
    assert inst.lot_size == Decimal("0.1")
    assert inst.ticklot_money == 100_000


@pytest.mark.parametrize(
    "kwargs",
    [
        {"symbol": "X", "tick_size": "0", "lot_size": "1"},
        {"symbol": "X", "tick_size": "-0.01", "lot_size": "1"},
        {"symbol": "X", "tick_size": "0.01", "lot_size": "0"},
        {"symbol": "X", "tick_size": "0.01", "lot_size": "1", "multiplier": "-1"},
        {"symbol": "X", "tick_size": float("nan"), "lot_size": "1"},
        {"symbol": "X", "tick_size": "abc", "lot_size": "1"},
        {"symbol": "", "tick_size": "0.01", "lot_size": "1"},
        {"symbol": "X", "tick_size": "0.01", "lot_size": "1", "currency": ""},
    ],
)
def test_instrument_bad_definition_raises_invalid_instrument(kwargs):
    with pytest.raises(InvalidInstrument):
        Instrument(**kwargs)


def test_instrument_multiplier_scales_ticklot_money():
    # ES: 0.25 x 1 x 50 = 12.5 USD a tick
    assert ES.ticklot_money == 12_500_000_000


# --- notional and money -------------------------------------------------------------------------
def test_notional_money_crypto_fraction_is_exact():
    price, qty = BTC.price_to_ticks("65432.10"), BTC.qty_to_lots("0.12345")
    expected = Fraction("65432.10") * Fraction("0.12345") * MONEY_SCALE
    assert expected.denominator == 1
    assert BTC.notional_money(price, qty) == expected.numerator


def test_notional_money_split_fills_sum_to_total_exactly():
    price = BTC.price_to_ticks("65432.17")
    parts = [BTC.qty_to_lots(q) for q in ("0.00001", "0.00333", "0.1", "0.04666")]
    total = sum(BTC.notional_money(price, q) for q in parts)
    assert total == BTC.notional_money(price, sum(parts))
    assert units_to_money(total) == Decimal("65432.17") * Decimal("0.15")


def test_notional_money_with_multiplier_is_exact():
    assert ES.notional_money(ES.price_to_ticks("4512.75"), 2) == 451_275 * MONEY_SCALE


@pytest.mark.parametrize(
    ("value", "units"),
    [("1.23", 1_230_000_000), (0.1, 100_000_000), ("0.000000001", 1), (-2, -2 * MONEY_SCALE)],
)
def test_money_to_units_exact_value_converts(value, units):
    assert money_to_units(value) == units
    assert units_to_money(units) == to_decimal(value)


@pytest.mark.parametrize(
    "value",
    ["0.0000000001", "1.0000000001", "12345678901234567890.1234567891"],
)
def test_money_to_units_finer_than_resolution_raises_unit_error(value):
    # the last one rounds to an int at 28 digits: it must still be refused, not rounded
    with pytest.raises(UnitError):
        money_to_units(value)


def test_units_to_money_large_value_stays_exact():
    assert units_to_money(10**40 + 1) == Decimal("10000000000000000000000000000000.000000001")


def test_units_to_float_divides_by_scale():
    assert units_to_float(1_500_000_000) == 1.5


def test_to_decimal_bool_raises_unit_error():
    with pytest.raises(UnitError, match="bool"):
        to_decimal(True)


# --- properties ---------------------------------------------------------------------------------
INSTRUMENTS = [
    AAPL,
    BTC,
    MILLI,
    ES,
    Instrument("ONE", "1", "1"),
    Instrument("FIVE", "5", "100"),
    Instrument("BOND", "0.0078125", "1000"),
    Instrument("FX", "0.00001", "1000"),
]


@given(inst=st.sampled_from(INSTRUMENTS), ticks=st.integers(-(10**18), 10**18))
def test_ticks_price_ticks_round_trip_is_identity(inst, ticks):
    price = inst.ticks_to_price(ticks)
    assert inst.price_to_ticks(price) == ticks
    assert inst.price_to_ticks(str(price)) == ticks


@given(inst=st.sampled_from(INSTRUMENTS), lots=st.integers(0, 10**18))
def test_lots_qty_lots_round_trip_is_identity(inst, lots):
    assert inst.qty_to_lots(inst.lots_to_qty(lots)) == lots


@given(ticks=st.integers(-(10**13), 10**13))
def test_ticks_float_ticks_round_trip_by_shortest_repr(ticks):
    # 15 significant digits survive a float; shortest repr reads them back exactly
    price = MILLI.ticks_to_float(ticks)
    assert MILLI.price_to_ticks(price) == ticks


@given(
    inst=st.sampled_from(INSTRUMENTS),
    ticks=st.integers(-(10**12), 10**12),
    places=st.integers(1, 6),
    data=st.data(),
)
def test_price_between_ticks_always_raises_off_tick_price(inst, ticks, places, data):
    k = data.draw(st.integers(1, 10**places - 1))  # a fraction k / 10**places of a tick, in (0, 1)
    price = (Decimal(ticks * 10**places + k) * inst.tick_size).scaleb(-places)
    assert Fraction(price) == (Fraction(ticks) + Fraction(k, 10**places)) * Fraction(inst.tick_size)
    with pytest.raises(OffTickPrice):
        inst.price_to_ticks(price)
