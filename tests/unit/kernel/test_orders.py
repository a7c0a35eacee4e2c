"""Order validation at creation: every order type and time in force, each error typed with a code."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kernel.enums import Contingency, OrderStatus, OrderType, Side, TimeInForce
from kernel.orders import (
    ConflictingOptions,
    InvalidOrder,
    InvalidPrice,
    InvalidQuantity,
    MissingExpiry,
    MissingPrice,
    Order,
    UnexpectedExpiry,
    UnexpectedPrice,
    make_order,
)
from kernel.units import Instrument

T = OrderType
TIF = TimeInForce
AAPL = Instrument("AAPL", "0.01", "1", venue="XNAS")
BTC = Instrument("BTC-USD", "0.01", "0.00001")


def order(order_type: OrderType = T.LIMIT, quantity: int = 10, **kw: object) -> Order:
    return Order("S-1", "S", "AAPL", kw.pop("side", Side.BUY), order_type, quantity, **kw)  # type: ignore[arg-type]


# --- valid orders of every type -----------------------------------------------------------------
VALID = [
    (T.MARKET, {}),
    (T.LIMIT, {"limit_ticks": 10_000}),
    (T.STOP, {"stop_ticks": 9_900}),
    (T.STOP_LIMIT, {"stop_ticks": 9_900, "limit_ticks": 9_890}),
    (T.TRAILING_STOP, {"trail_ticks": 50}),
    (T.TRAILING_STOP, {"trail_ppm": 15_000}),
    (T.TRAILING_STOP, {"trail_ticks": 50, "stop_ticks": 9_950}),  # the venue set the stop
    (T.MIT, {"stop_ticks": 10_100}),
    (T.LIT, {"stop_ticks": 10_100, "limit_ticks": 10_105}),
]


@pytest.mark.parametrize(("otype", "prices"), VALID)
def test_order_valid_type_and_prices_is_initialized(otype, prices):
    o = order(otype, **prices)
    assert o.status == OrderStatus.INITIALIZED
    assert o.order_type is otype
    for name, value in prices.items():
        assert getattr(o, name) == value
    assert o.leaves_lots == 10
    assert not o.is_open
    assert not o.is_closed


@pytest.mark.parametrize(
    ("tif", "kw"),
    [
        (TIF.DAY, {}),
        (TIF.GTC, {}),
        (TIF.IOC, {}),
        (TIF.FOK, {}),
        (TIF.GTD, {"expire_ns": 1_700_000_000_000_000_000}),
        (TIF.OPG, {}),
        (TIF.CLS, {}),
    ],
)
def test_order_every_time_in_force_on_limit_is_accepted(tif, kw):
    o = order(T.LIMIT, limit_ticks=100, time_in_force=tif, **kw)
    assert o.time_in_force is tif
    assert o.expire_ns == kw.get("expire_ns")


@pytest.mark.parametrize("tif", [TIF.OPG, TIF.CLS])
def test_order_auction_tif_on_market_is_accepted(tif):
    assert order(T.MARKET, time_in_force=tif).time_in_force is tif


def test_order_int_enums_are_normalised_to_members():
    o = Order("S-1", "S", "AAPL", -1, 2, 5, limit_ticks=1, time_in_force=3)  # type: ignore[arg-type]
    assert o.side is Side.SELL
    assert o.order_type is T.LIMIT
    assert o.time_in_force is TIF.IOC
    assert o.signed_leaves == -5


# --- missing and extra prices -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("otype", "prices"),
    [
        (T.LIMIT, {}),
        (T.STOP, {}),
        (T.STOP_LIMIT, {"stop_ticks": 100}),
        (T.STOP_LIMIT, {"limit_ticks": 100}),
        (T.MIT, {}),
        (T.LIT, {"stop_ticks": 100}),
        (T.LIT, {"limit_ticks": 100}),
        (T.TRAILING_STOP, {}),
        (T.TRAILING_STOP, {"stop_ticks": 100}),
    ],
)
def test_order_missing_price_raises_missing_price(otype, prices):
    with pytest.raises(MissingPrice) as info:
        order(otype, **prices)
    assert info.value.reason == "MISSING_PRICE"


@pytest.mark.parametrize(
    ("otype", "prices"),
    [
        (T.MARKET, {"limit_ticks": 100}),
        (T.MARKET, {"stop_ticks": 100}),
        (T.LIMIT, {"limit_ticks": 100, "stop_ticks": 90}),
        (T.STOP, {"stop_ticks": 100, "limit_ticks": 100}),
        (T.MIT, {"stop_ticks": 100, "limit_ticks": 100}),
        (T.TRAILING_STOP, {"trail_ticks": 5, "limit_ticks": 100}),
        (T.MARKET, {"trail_ticks": 5}),
        (T.LIMIT, {"limit_ticks": 100, "trail_ppm": 10_000}),
        (T.TRAILING_STOP, {"trail_ticks": 5, "trail_ppm": 10_000}),
    ],
)
def test_order_extra_price_raises_unexpected_price(otype, prices):
    with pytest.raises(UnexpectedPrice) as info:
        order(otype, **prices)
    assert info.value.reason == "UNEXPECTED_PRICE"


@pytest.mark.parametrize(
    "prices",
    [
        {"trail_ticks": 0},
        {"trail_ticks": -5},
        {"trail_ppm": 0},
        {"trail_ppm": 1_000_000},
        {"trail_ppm": -1},
    ],
)
def test_order_trailing_offset_out_of_range_raises_invalid_price(prices):
    with pytest.raises(InvalidPrice) as info:
        order(T.TRAILING_STOP, **prices)
    assert info.value.reason == "INVALID_PRICE"


@pytest.mark.parametrize(
    "kw",
    [
        {"limit_ticks": 100.0},
        {"limit_ticks": "100"},
        {"limit_ticks": True},
        {"limit_ticks": 100, "expire_ns": 1.5, "time_in_force": TIF.GTD},
    ],
)
def test_order_non_int_price_field_raises_invalid_price(kw):
    with pytest.raises(InvalidPrice):
        order(T.LIMIT, **kw)


# --- quantities ---------------------------------------------------------------------------------
@pytest.mark.parametrize("qty", [0, -1, -100])
def test_order_non_positive_quantity_raises_invalid_quantity(qty):
    with pytest.raises(InvalidQuantity) as info:
        order(T.MARKET, qty)
    assert info.value.reason == "INVALID_QUANTITY"


@pytest.mark.parametrize("qty", [1.0, "1", True, None, Decimal(1)])
def test_order_non_int_quantity_raises_invalid_quantity(qty):
    with pytest.raises(InvalidQuantity):
        order(T.MARKET, qty)  # type: ignore[arg-type]


@pytest.mark.parametrize("display", [0, -1, 11, True, 2.0])
def test_order_bad_display_qty_raises_invalid_quantity(display):
    with pytest.raises(InvalidQuantity):
        order(T.LIMIT, limit_ticks=100, display_lots=display)


def test_order_display_qty_on_limit_is_accepted():
    o = order(T.LIMIT, limit_ticks=100, display_lots=3)
    assert o.display_lots == 3
    assert order(T.STOP_LIMIT, limit_ticks=1, stop_ticks=1, display_lots=10).display_lots == 10


# --- time in force and options ------------------------------------------------------------------
def test_order_gtd_without_expiry_raises_missing_expiry():
    with pytest.raises(MissingExpiry) as info:
        order(T.LIMIT, limit_ticks=100, time_in_force=TIF.GTD)
    assert info.value.reason == "GTD_WITHOUT_EXPIRY"


@pytest.mark.parametrize("tif", [TIF.DAY, TIF.GTC, TIF.IOC])
def test_order_expiry_without_gtd_raises_unexpected_expiry(tif):
    with pytest.raises(UnexpectedExpiry) as info:
        order(T.LIMIT, limit_ticks=100, time_in_force=tif, expire_ns=5)
    assert info.value.reason == "EXPIRY_WITHOUT_GTD"


@pytest.mark.parametrize(
    ("otype", "kw"),
    [
        (T.MARKET, {"post_only": True}),
        (T.STOP_LIMIT, {"post_only": True, "limit_ticks": 1, "stop_ticks": 1}),
        (T.LIMIT, {"post_only": True, "limit_ticks": 1, "time_in_force": TIF.IOC}),
        (T.LIMIT, {"post_only": True, "limit_ticks": 1, "time_in_force": TIF.FOK}),
        (T.LIMIT, {"post_only": True, "limit_ticks": 1, "time_in_force": TIF.OPG}),
        (T.LIMIT, {"post_only": True, "limit_ticks": 1, "time_in_force": TIF.CLS}),
        (T.MARKET, {"display_lots": 1}),
        (T.STOP, {"display_lots": 1, "stop_ticks": 1}),
        (T.LIMIT, {"display_lots": 1, "limit_ticks": 1, "time_in_force": TIF.IOC}),
        (T.LIMIT, {"display_lots": 1, "limit_ticks": 1, "time_in_force": TIF.FOK}),
        (T.STOP, {"stop_ticks": 1, "time_in_force": TIF.OPG}),
        (T.TRAILING_STOP, {"trail_ticks": 1, "time_in_force": TIF.CLS}),
    ],
)
def test_order_conflicting_options_raise_conflicting_options(otype, kw):
    with pytest.raises(ConflictingOptions) as info:
        order(otype, **kw)
    assert info.value.reason == "CONFLICTING_OPTIONS"


@pytest.mark.parametrize("tif", [TIF.DAY, TIF.GTC])
def test_order_post_only_resting_limit_is_accepted(tif):
    assert order(T.LIMIT, limit_ticks=100, post_only=True, time_in_force=tif).post_only


def test_order_bad_side_raises_invalid_side():
    with pytest.raises(InvalidOrder) as info:
        order(T.MARKET, side=0)
    assert info.value.reason == "INVALID_SIDE"


@pytest.mark.parametrize("oid", ["", None, 5])
def test_order_bad_client_order_id_raises_invalid_id(oid):
    with pytest.raises(InvalidOrder) as info:
        Order(oid, "S", "AAPL", Side.BUY, T.MARKET, 1)  # type: ignore[arg-type]
    assert info.value.reason == "INVALID_ID"


@pytest.mark.parametrize(("field", "value"), [("order_type", 99), ("time_in_force", 0)])
def test_order_unknown_enum_value_raises_invalid_order(field, value):
    kw = {"order_type": T.MARKET, "time_in_force": TIF.GTC, field: value}
    with pytest.raises(InvalidOrder) as info:
        Order("S-1", "S", "AAPL", Side.BUY, kw.pop("order_type"), 1, **kw)  # type: ignore[arg-type]
    assert info.value.reason == "UNKNOWN_VALUE"


def test_order_errors_are_value_errors_with_messages_naming_the_order():
    with pytest.raises(ValueError, match="S-1"):
        order(T.LIMIT)


# --- make_order: user-facing decimals -----------------------------------------------------------
def test_make_order_decimals_convert_to_ticks_and_lots():
    o = make_order(
        BTC, "S-1", "S", "buy", "stop_limit", "0.12345", limit_price="65432.10", stop_price=65432.0
    )
    assert (o.side, o.order_type) == (Side.BUY, T.STOP_LIMIT)
    assert (o.quantity, o.limit_ticks, o.stop_ticks) == (12345, 6543210, 6543200)
    assert o.symbol == "BTC-USD"


def test_make_order_names_are_case_insensitive_and_venue_is_left_to_the_kernels_routing():
    o = make_order(AAPL, "S-1", "S", "SELL", "LIMIT", 100, limit_price=1.5, time_in_force="IOC")
    # None: the kernel routes it when it is sent (the instrument's venue, or failover)
    assert (o.side, o.time_in_force, o.venue) == (Side.SELL, TIF.IOC, None)
    assert make_order(AAPL, "S-2", "S", Side.BUY, T.MARKET, 1, venue="ARCA").venue == "ARCA"


def test_make_order_trail_percent_converts_to_ppm():
    o = make_order(AAPL, "S-1", "S", "sell", "trailing_stop", 10, trail_percent="1.5")
    assert o.trail_ppm == 15_000
    assert o.trail_ticks is None
    o = make_order(AAPL, "S-2", "S", "sell", "trailing_stop", 10, trail_price="0.25")
    assert o.trail_ticks == 25


def test_make_order_display_and_links_pass_through():
    o = make_order(
        BTC,
        "S-1",
        "S",
        "buy",
        "limit",
        "1",
        limit_price="100",
        display_qty="0.1",
        parent_id="S-0",
        contingency=Contingency.OCO,
        linked_ids=("S-2",),
        time_in_force="gtd",
        expire_ns=99,
    )
    assert (o.display_lots, o.parent_id, o.linked_ids, o.expire_ns) == (10_000, "S-0", ("S-2",), 99)


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"limit_price": float("nan")}, "NOT_FINITE"),
        ({"limit_price": "inf"}, "NOT_FINITE"),
        ({"limit_price": Decimal("-Infinity")}, "NOT_FINITE"),
        ({"limit_price": "100.005"}, "OFF_TICK_PRICE"),
        ({"limit_price": 0.1 + 0.2}, "OFF_TICK_PRICE"),
        ({"limit_price": "abc"}, "UNIT_ERROR"),
    ],
)
def test_make_order_bad_price_raises_invalid_price_with_unit_reason(kw, reason):
    with pytest.raises(InvalidPrice) as info:
        make_order(AAPL, "S-1", "S", "buy", "limit", 10, **kw)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    ("qty", "display", "reason"),
    [
        (float("nan"), None, "NOT_FINITE"),
        (float("inf"), None, "NOT_FINITE"),
        ("0.000015", None, "OFF_LOT_QUANTITY"),
        ("1", float("nan"), "NOT_FINITE"),
        ("1", "0.000001", "OFF_LOT_QUANTITY"),
        (0, None, "INVALID_QUANTITY"),
        ("-0.5", None, "INVALID_QUANTITY"),
    ],
)
def test_make_order_bad_quantity_raises_invalid_quantity_with_reason(qty, display, reason):
    with pytest.raises(InvalidQuantity) as info:
        make_order(BTC, "S-1", "S", "buy", "limit", qty, limit_price=1, display_qty=display)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    "kw",
    [
        {"trail_percent": float("nan")},
        {"trail_percent": "0.00001"},  # 0.1 ppm: finer than the ppm grid
        {"trail_percent": "1.00000000000000000000000000001"},  # not rounded at 28 digits
        {"trail_price": "0.001"},
    ],
)
def test_make_order_bad_trailing_offset_raises_invalid_price(kw):
    with pytest.raises(InvalidPrice):
        make_order(AAPL, "S-1", "S", "sell", "trailing_stop", 10, **kw)


@pytest.mark.parametrize(
    "kw",
    [
        {"side": "long"},
        {"side": 2},
        {"order_type": "iceberg"},
        {"time_in_force": "forever"},
    ],
)
def test_make_order_unknown_name_raises_unknown_value(kw):
    args = {"side": "buy", "order_type": "market", **kw}
    with pytest.raises(InvalidOrder) as info:
        make_order(AAPL, "S-1", "S", args.pop("side"), args.pop("order_type"), 1, **args)
    assert info.value.reason == "UNKNOWN_VALUE"


def test_make_order_gtd_without_expiry_raises_missing_expiry():
    with pytest.raises(MissingExpiry):
        make_order(AAPL, "S-1", "S", "buy", "limit", 1, limit_price=1, time_in_force="gtd")


# --- queries ------------------------------------------------------------------------------------
def test_order_avg_price_none_before_fills_ratio_after():
    o = order(T.LIMIT, limit_ticks=100)
    assert o.avg_price_ticks() is None
    o.filled_lots, o.fill_cost = 4, 410  # white-box: the ratio, not the fill path
    assert o.avg_price_ticks() == 102.5


def test_order_repr_names_id_side_type_and_status():
    text = repr(order(T.LIMIT, limit_ticks=1))
    for word in ("S-1", "BUY", "LIMIT", "INITIALIZED", "AAPL"):
        assert word in text
