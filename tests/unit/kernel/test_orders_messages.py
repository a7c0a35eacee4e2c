"""``make_order`` and ``validate`` messages speak the user's terms: the key and the accepted
names of an unknown value, and numbers in instrument units (not lots or ticks)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kernel.enums import OrderType, Side
from kernel.orders import InvalidOrder, InvalidPrice, InvalidQuantity, Order, make_order
from kernel.units import Instrument

EURUSD = Instrument("EURUSD", Decimal("0.00001"), Decimal("1000"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"side": "long"}, "o1: side: unknown value 'long' (accepted: buy, sell)"),
        ({"order_type": "limt"}, "o1: type: unknown value 'limt' (accepted: market, limit, "),
        ({"time_in_force": "dya"}, "o1: time_in_force: unknown value 'dya' (accepted: day, gtc, "),
    ],
)
def test_make_order_unknown_value_names_key_and_accepted_names(fields, message):
    args = {"side": "buy", "order_type": "market", **fields}
    with pytest.raises(InvalidOrder) as err:
        make_order(EURUSD, "o1", "s", args.pop("side"), args.pop("order_type"), 1000, **args)
    assert err.value.reason == "UNKNOWN_VALUE"
    assert str(err.value).startswith(message)


def test_validate_unknown_type_number_names_key_and_accepted_names():
    with pytest.raises(InvalidOrder) as err:
        Order("o1", "s", "EURUSD", Side.BUY, 99, 1)  # type: ignore[arg-type]
    assert str(err.value) == (
        "o1: type: unknown value 99 (accepted: market, limit, stop, stop_limit, trailing_stop, "
        "mit, lit)"
    )


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"quantity": -10000}, InvalidQuantity, "o1: quantity must be positive, got -10000"),
        ({"quantity": 0}, InvalidQuantity, "o1: quantity must be positive, got 0"),
        (
            {"order_type": "limit", "limit_price": "1.1", "display_qty": 3000},
            InvalidQuantity,
            "o1: display_qty must be positive and at most the quantity 2000, got 3000",
        ),
        (
            {"order_type": "trailing_stop", "trail_price": "-0.0005"},
            InvalidPrice,
            "o1: trail_price must be positive, got -0.0005",
        ),
        (
            {"order_type": "trailing_stop", "trail_percent": 0},
            InvalidPrice,
            "o1: trail_percent must be between 0 and 100, got 0",
        ),
    ],
)
def test_make_order_bad_number_shows_the_users_number(fields, error, message):
    args = {"order_type": "market", "quantity": 2000, **fields}
    with pytest.raises(error) as err:
        make_order(EURUSD, "o1", "s", "sell", args.pop("order_type"), args.pop("quantity"), **args)
    assert str(err.value) == message


def test_make_order_good_order_still_builds_in_kernel_units():
    o = make_order(EURUSD, "o1", "s", "SELL", OrderType.LIMIT, 2000, limit_price="1.10001")
    assert (o.side, o.quantity, o.limit_ticks) == (Side.SELL, 2, 110001)
