"""Kernel orders -> IB ``Order`` objects (placeOrder) and a modify's new terms."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kernel.enums import OrderType, Side, TimeInForce
from kernel.orders import Order
from kernel.units import Instrument
from live.adapters.ibkr import ib_api
from live.adapters.ibkr.errors import Unsupported
from live.adapters.ibkr.order_requests import apply_modify, ib_order

XYZ = Instrument("XYZ", Decimal("0.01"), Decimal("1"))
T0 = 1_704_205_800_000_000_000  # 2024-01-02 14:30:00 UTC


def order(otype: OrderType = OrderType.LIMIT, **kw) -> Order:  # type: ignore[no-untyped-def]
    kw.setdefault(
        "limit_ticks",
        9950 if otype in (OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.LIT) else None,
    )
    kw.setdefault("time_in_force", TimeInForce.DAY)
    side = kw.pop("side", Side.BUY)
    return Order("t-s-1", "s", "XYZ", side, otype, kw.pop("quantity", 10), **kw)


class RthOrder(Order):
    """A kernel order that carries an ``outside_rth`` flag (the kernel's has none yet)."""

    outside_rth = True


def test_ib_order_limit_day_carries_the_kernel_id_as_order_ref_and_transmits():
    o = ib_order(order(), XYZ)
    assert isinstance(o, ib_api.Order)
    assert (o.action, o.totalQuantity, o.orderType, o.lmtPrice, o.tif) == (
        "BUY",
        10.0,
        "LMT",
        99.5,
        "DAY",
    )
    assert o.orderRef == "t-s-1" and o.transmit is True and o.outsideRth is False
    assert o.auxPrice == ib_api.UNSET_DOUBLE and o.orderId == 0 and o.account == ""


@pytest.mark.parametrize(
    ("otype", "kw", "expected"),
    [
        (OrderType.MARKET, {}, ("MKT", ib_api.UNSET_DOUBLE, ib_api.UNSET_DOUBLE)),
        (OrderType.STOP, {"stop_ticks": 9900}, ("STP", ib_api.UNSET_DOUBLE, 99.0)),
        (OrderType.STOP_LIMIT, {"stop_ticks": 9900, "limit_ticks": 9890}, ("STP LMT", 98.9, 99.0)),
        (OrderType.MIT, {"stop_ticks": 9900}, ("MIT", ib_api.UNSET_DOUBLE, 99.0)),
        (OrderType.LIT, {"stop_ticks": 9900, "limit_ticks": 9905}, ("LIT", 99.05, 99.0)),
        (OrderType.TRAILING_STOP, {"trail_ticks": 25}, ("TRAIL", ib_api.UNSET_DOUBLE, 0.25)),
    ],
)
def test_ib_order_maps_each_type_to_ib_prices(otype, kw, expected):
    o = ib_order(order(otype, side=Side.SELL, **kw), XYZ)
    assert (o.orderType, o.lmtPrice, o.auxPrice) == expected
    assert o.action == "SELL"


def test_ib_order_trailing_percent_and_initial_stop():
    o = ib_order(
        order(OrderType.TRAILING_STOP, side=Side.SELL, trail_ppm=12_500, stop_ticks=9800), XYZ
    )
    assert (o.orderType, o.trailingPercent, o.trailStopPrice) == ("TRAIL", 1.25, 98.0)
    assert o.auxPrice == ib_api.UNSET_DOUBLE


@pytest.mark.parametrize(
    ("tif", "ib_tif"),
    [(TimeInForce.DAY, "DAY"), (TimeInForce.GTC, "GTC"), (TimeInForce.IOC, "IOC"),
     (TimeInForce.FOK, "FOK"), (TimeInForce.OPG, "OPG")],
)  # fmt: skip
def test_ib_order_time_in_force(tif, ib_tif):
    assert ib_order(order(time_in_force=tif), XYZ).tif == ib_tif


def test_ib_order_gtd_sends_good_till_date_in_utc_rounded_down_to_the_second():
    o = ib_order(order(time_in_force=TimeInForce.GTD, expire_ns=T0 + 3_600_999_999_999), XYZ)
    assert (o.tif, o.goodTillDate) == ("GTD", "20240102-15:30:00")


def test_ib_order_at_the_close_is_moc_or_loc():
    assert ib_order(order(OrderType.MARKET, time_in_force=TimeInForce.CLS), XYZ).orderType == "MOC"
    loc = ib_order(order(time_in_force=TimeInForce.CLS), XYZ)
    assert (loc.orderType, loc.tif, loc.lmtPrice) == ("LOC", "DAY", 99.5)


def test_ib_order_outside_rth_from_the_kernel_flag_and_account_when_configured():
    o = ib_order(RthOrder("t-s-2", "s", "XYZ", Side.BUY, OrderType.MARKET, 5), XYZ, "DU1")
    assert o.outsideRth is True and o.account == "DU1"


def test_ib_order_display_quantity_is_ib_display_size():
    assert ib_order(order(display_lots=3), XYZ).displaySize == 3


@pytest.mark.parametrize(
    ("kw", "field"), [({"post_only": True}, "post_only"), ({"reduce_only": True}, "reduce_only")]
)
def test_ib_order_refuses_what_ib_lacks_naming_it(kw, field):
    with pytest.raises(Unsupported) as exc:
        ib_order(order(**kw), XYZ)
    assert exc.value.field == field


def test_ib_order_fractional_lots_become_exact_quantities():
    btc = Instrument("BTC/USD", Decimal("0.25"), Decimal("0.0001"))
    o = ib_order(
        Order("t-s-3", "s", "BTC/USD", Side.BUY, OrderType.LIMIT, 12_345, limit_ticks=170_001), btc
    )
    assert (o.totalQuantity, o.lmtPrice) == (1.2345, 42500.25)


def test_apply_modify_sets_new_terms_on_a_copy_and_returns_them_as_ib_numbers():
    o = ib_order(order(OrderType.STOP_LIMIT, stop_ticks=9900, limit_ticks=9890), XYZ)
    assert apply_modify(o, XYZ, 20, 9880, 9895) == (20.0, 98.8, 98.95)
    assert (o.totalQuantity, o.lmtPrice, o.auxPrice) == (20.0, 98.8, 98.95)


def test_apply_modify_moves_a_trailing_stop_level_not_its_offset():
    o = ib_order(order(OrderType.TRAILING_STOP, side=Side.SELL, trail_ticks=25), XYZ)
    assert apply_modify(o, XYZ, None, None, 9800) == (None, None, 98.0)
    assert (o.trailStopPrice, o.auxPrice) == (98.0, 0.25)


def test_apply_modify_refuses_a_stop_on_a_limit_and_an_empty_change():
    o = ib_order(order(), XYZ)
    with pytest.raises(Unsupported):
        apply_modify(o, XYZ, None, None, 9900)
    with pytest.raises(ValueError):
        apply_modify(o, XYZ, None, None, None)
