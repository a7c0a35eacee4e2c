"""The risk guard: each pure check, config parsing, and the breakers through a real kernel."""

from __future__ import annotations

import pytest
from kernel_helpers import Harness

from kernel.enums import OrderStatus, OrderType, Side, TradingState
from kernel.events import OrderDenied, VenueStatus
from kernel.risk import (
    R_DAILY_LOSS,
    R_HALTED,
    R_MAX_DAILY_ORDERS,
    R_MAX_ORDER_VALUE,
    R_MAX_POSITION,
    R_PRICE_COLLAR,
    R_RATE,
    R_REDUCING,
    ConfigError,
    RiskConfig,
    check_daily_loss,
    check_daily_orders,
    check_order_value,
    check_position_pct,
    check_price_collar,
    check_rate,
    check_reduce_only,
    check_state,
)
from kernel.strategy import Strategy
from kernel.units import MONEY_SCALE


def test_check_state_halted_refuses_everything_and_reducing_only_growth():
    assert check_state(TradingState.HALTED, reduces=True) == R_HALTED
    assert check_state(TradingState.REDUCING, reduces=False) == R_REDUCING
    assert check_state(TradingState.REDUCING, reduces=True) is None
    assert check_state(TradingState.ACTIVE, reduces=False) is None


def test_check_order_value_at_limit_passes_above_refuses():
    assert check_order_value(100, 100) is None
    assert check_order_value(101, 100) == R_MAX_ORDER_VALUE


def test_check_daily_orders_counts_before_the_order():
    assert check_daily_orders(2, 3) is None
    assert check_daily_orders(3, 3) == R_MAX_DAILY_ORDERS


def test_check_position_pct_compares_exactly_and_refuses_without_equity():
    assert check_position_pct(200, 1_000, 200_000) is None  # exactly 20%
    assert check_position_pct(201, 1_000, 200_000) == R_MAX_POSITION
    assert check_position_pct(1, 0, 200_000) == R_MAX_POSITION


def test_check_daily_loss_trips_at_the_limit():
    assert check_daily_loss(951, 1_000, 50_000) is None
    assert check_daily_loss(950, 1_000, 50_000) == R_DAILY_LOSS
    assert check_daily_loss(1_200, 1_000, 50_000) is None


def test_check_price_collar_symmetric_around_reference():
    assert check_price_collar(110, 100, 100_000) is None
    assert check_price_collar(111, 100, 100_000) == R_PRICE_COLLAR
    assert check_price_collar(89, 100, 100_000) == R_PRICE_COLLAR


def test_check_rate_and_reduce_only():
    assert check_rate(4, 5) is None and check_rate(5, 5) == R_RATE
    assert check_reduce_only(10, -1, 10, 0) is None
    assert check_reduce_only(10, -1, 6, 5) is not None  # with open sells it would flip
    assert check_reduce_only(0, 1, 1, 0) is not None
    assert check_reduce_only(-5, -1, 1, 0) is not None


def test_risk_config_parses_user_units():
    cfg = RiskConfig.from_mapping(
        {
            "max_order_value": 50000,
            "max_daily_orders": 100,
            "max_position_pct": 0.2,
            "daily_loss_limit": "0.05",
            "emergency_flatten": True,
        }
    )
    assert cfg.max_order_value == 50_000 * MONEY_SCALE
    assert cfg.max_position_pct == 200_000 and cfg.daily_loss_limit == 50_000
    assert cfg.max_daily_orders == 100 and cfg.emergency_flatten is True
    assert RiskConfig.from_mapping(None) == RiskConfig()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"max_order_valu": 1}, "risk.max_order_valu: unknown key"),
        ({"max_order_value": -1}, "risk.max_order_value: must not be negative"),
        ({"daily_loss_limit": -0.1}, "risk.daily_loss_limit: must not be negative"),
        ({"max_daily_orders": 1.5}, "risk.max_daily_orders: expected a whole number"),
        ({"max_daily_orders": "x"}, "risk.max_daily_orders"),
        ({"emergency_flatten": "yes"}, "risk.emergency_flatten: expected true or false"),
        ({"max_position_pct": True}, "risk.max_position_pct: expected a number"),
        ([1, 2], "risk: expected a mapping"),
    ],
)
def test_risk_config_bad_input_names_the_key(data, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        RiskConfig.from_mapping(data)


class Recorder(Strategy):
    strategy_id = "s"

    def __init__(self):
        super().__init__()
        self.events = []

    def on_order_event(self, event):
        self.events.append(event)


def _harness(risk):
    h = Harness(risk)
    strat = Recorder()
    h.kernel.add_strategy(strat)
    h.quote(10_000, 10_002)
    return h, strat


def test_guard_max_order_value_denies_with_event_journaled_and_delivered():
    h, strat = _harness({"max_order_value": 1000})
    ok = strat.ctx.limit("X", Side.BUY, 10, 10_000)  # 1,000.00
    big = strat.ctx.limit("X", Side.BUY, 11, 10_000)  # 1,100.00
    assert ok.status == OrderStatus.SUBMITTED
    assert big.status == OrderStatus.DENIED and big.reason == R_MAX_ORDER_VALUE
    assert (
        isinstance(strat.events[-1], OrderDenied) and strat.events[-1].reason == R_MAX_ORDER_VALUE
    )
    assert len(h.venue.submits()) == 1
    h.journal.flush()
    body = b"".join(b.body for b in h.sink.blocks)
    assert b"MAX_ORDER_VALUE" in body


def test_guard_market_order_value_uses_opposite_touch():
    _h, strat = _harness({"max_order_value": 1000})
    o = strat.ctx.market("X", Side.BUY, 10)  # 10 x 100.02 > 1,000
    assert o.reason == R_MAX_ORDER_VALUE


def test_guard_max_daily_orders_resets_next_utc_day():
    h, strat = _harness({"max_daily_orders": 2})
    strat.ctx.limit("X", Side.BUY, 1, 9_000)
    strat.ctx.limit("X", Side.BUY, 1, 9_000)
    assert strat.ctx.limit("X", Side.BUY, 1, 9_000).reason == R_MAX_DAILY_ORDERS
    h.clock.advance_to(86_400_000_000_000 + 5)
    assert strat.ctx.limit("X", Side.BUY, 1, 9_000).status == OrderStatus.SUBMITTED


def test_guard_max_position_pct_counts_open_orders_and_allows_reductions():
    h, strat = _harness({"max_position_pct": 0.1})  # 10% of 100,000 = 10,000
    a = strat.ctx.limit("X", Side.BUY, 60, 10_000)  # 6,000
    b = strat.ctx.limit("X", Side.BUY, 50, 10_000)  # with a: 11,000
    assert a.status == OrderStatus.SUBMITTED and b.reason == R_MAX_POSITION
    h.accept(a.client_order_id)
    h.fill(a.client_order_id, 10_000, 60)
    sell = strat.ctx.limit("X", Side.SELL, 60, 10_000)
    assert sell.status == OrderStatus.SUBMITTED  # reducing is always allowed


def test_guard_price_collar_refuses_fat_finger_limit():
    _h, strat = _harness({"price_collar_pct": 0.05})
    assert strat.ctx.limit("X", Side.BUY, 1, 9_600).status == OrderStatus.SUBMITTED
    assert strat.ctx.limit("X", Side.BUY, 1, 9_400).reason == R_PRICE_COLLAR


def test_guard_rate_throttle_counts_a_one_second_window():
    h, strat = _harness({"max_orders_per_second": 2})
    strat.ctx.limit("X", Side.BUY, 1, 9_000)
    strat.ctx.limit("X", Side.BUY, 1, 9_000)
    assert strat.ctx.limit("X", Side.BUY, 1, 9_000).reason == R_RATE
    h.tick(1_000_000_000)
    assert strat.ctx.limit("X", Side.BUY, 1, 9_000).status == OrderStatus.SUBMITTED


def _long(h, strat, qty=100, price=10_000):
    o = strat.ctx.limit("X", Side.BUY, qty, price)
    h.accept(o.client_order_id)
    h.fill(o.client_order_id, price, qty)
    return o


def test_breaker_daily_loss_halts_cancels_and_flattens_when_configured():
    h, strat = _harness({"daily_loss_limit": 0.01, "emergency_flatten": True})
    _long(h, strat, qty=1_000)
    resting = strat.ctx.limit("X", Side.BUY, 1, 9_000)
    h.quote(9_950, 9_952)  # -0.49 x 1,000 = -490.00: fine
    assert h.kernel.risk.state == TradingState.ACTIVE
    h.quote(9_890, 9_892)  # -1.09 x 1,000 = -1,090.00 on 100,000: over 1%
    k = h.kernel
    assert k.risk.state == TradingState.HALTED
    assert [c.client_order_id for c in h.venue.cancels()] == [resting.client_order_id]
    flatten = h.venue.submits()[-1].order
    assert flatten.algo_id == "risk" and flatten.side == Side.SELL and flatten.quantity == 1_000
    assert flatten.strategy_id == "s"  # booked to the strategy whose position it closes
    assert strat.ctx.limit("X", Side.BUY, 1, 9_000).reason == R_HALTED
    assert [code for _, code, _ in k.risk_events][:2] == ["DAILY_LOSS_LIMIT", "STATE_HALTED"]


def test_breaker_daily_loss_without_flatten_leaves_position():
    h, strat = _harness({"daily_loss_limit": 0.01})
    _long(h, strat, qty=1_000)
    n = len(h.venue.submits())
    h.quote(9_800, 9_802)
    assert h.kernel.risk.state == TradingState.HALTED
    assert len(h.venue.submits()) == n


def test_breaker_consecutive_rejects_halts():
    h, strat = _harness({"max_consecutive_rejects": 3})
    for i in range(3):
        o = strat.ctx.limit("X", Side.BUY, 1, 9_000)
        h.reject(o.client_order_id)
        expected = TradingState.HALTED if i == 2 else TradingState.ACTIVE
        assert h.kernel.risk.state == expected


def test_breaker_consecutive_rejects_reset_by_an_accept():
    h, strat = _harness({"max_consecutive_rejects": 2})
    h.reject(strat.ctx.limit("X", Side.BUY, 1, 9_000).client_order_id)
    h.accept(strat.ctx.limit("X", Side.BUY, 1, 9_000).client_order_id)
    h.reject(strat.ctx.limit("X", Side.BUY, 1, 9_000).client_order_id)
    assert h.kernel.risk.state == TradingState.ACTIVE


def test_breaker_disconnect_reduces_until_reconciled():
    h, strat = _harness({})
    _long(h, strat, qty=10)
    k = h.kernel
    now = h.tick()
    k.on_venue_status(VenueStatus("sim", False, False, now, now))
    assert k.risk.state == TradingState.REDUCING
    assert strat.ctx.limit("X", Side.BUY, 1, 9_000).reason == R_REDUCING
    assert strat.ctx.limit("X", Side.SELL, 5, 10_100).status == OrderStatus.SUBMITTED
    now = h.tick()
    k.on_venue_status(VenueStatus("sim", True, False, now, now))
    assert k.risk.state == TradingState.REDUCING  # connected but not reconciled yet
    k.on_venue_status(VenueStatus("sim", True, True, now, now))
    assert k.risk.state == TradingState.ACTIVE


def test_breaker_disconnect_does_not_lift_a_halt():
    h, _strat = _harness({})
    k = h.kernel
    k.kill_switch()
    now = h.tick()
    k.on_venue_status(VenueStatus("sim", False, False, now, now))
    k.on_venue_status(VenueStatus("sim", True, True, now, now))
    assert k.risk.state == TradingState.HALTED


def test_kill_switch_cancels_flattens_halts_and_is_idempotent():
    h, strat = _harness({})
    _long(h, strat, qty=30)
    resting = strat.ctx.limit("X", Side.BUY, 5, 9_000)
    k = h.kernel
    k.kill_switch()
    k.kill_switch()
    assert k.risk.state == TradingState.HALTED
    assert [c.client_order_id for c in h.venue.cancels()] == [resting.client_order_id]
    flats = [s.order for s in h.venue.submits() if s.order.algo_id == "risk"]
    assert len(flats) == 1 and flats[0].quantity == 30 and flats[0].order_type == OrderType.MARKET
    # a fill that lands after the cancel request grows the position: flatten follows it
    h.fill(resting.client_order_id, 9_000, 5)
    flats = [s.order for s in h.venue.submits() if s.order.algo_id == "risk"]
    assert [f.quantity for f in flats] == [30, 5]
    h.accept(flats[0].client_order_id)
    h.fill(flats[0].client_order_id, 9_990, 30)
    h.fill(flats[1].client_order_id, 9_990, 5)
    assert k.portfolio.positions["X"].qty == 0
    k.kill_switch()
    assert len([s for s in h.venue.submits() if s.order.algo_id == "risk"]) == 2


def test_flatten_closes_each_strategy_position_in_its_own_name():
    h, strat = _harness({"daily_loss_limit": 0.01, "emergency_flatten": True})
    other = Recorder()
    other.strategy_id = "o"
    h.kernel.add_strategy(other)
    _long(h, strat, qty=1_000)
    o = other.ctx.limit("X", Side.SELL, 300, 10_000)
    h.accept(o.client_order_id)
    h.fill(o.client_order_id, 10_000, 300)
    h.quote(9_850, 9_852)  # 1,000 long and 300 short: net 700 x -1.49 = -1,043: over 1%
    flats = {s.order.strategy_id: s.order for s in h.venue.submits() if s.order.algo_id == "risk"}
    assert flats["s"].side == Side.SELL and flats["s"].quantity == 1_000
    assert flats["o"].side == Side.BUY and flats["o"].quantity == 300
    for order in flats.values():
        h.accept(order.client_order_id)
        h.fill(order.client_order_id, 9_851, order.quantity)
    pf = h.kernel.portfolio
    assert pf.position_qty("X", "s") == pf.position_qty("X", "o") == pf.positions["X"].qty == 0
    with pytest.raises(PermissionError, match="risk guard"):
        strat.ctx.cancel(flats["s"])


def test_daily_loss_halt_lifts_at_the_next_trading_day():
    h, strat = _harness({"daily_loss_limit": 0.01})
    _long(h, strat, qty=1_000)
    h.quote(9_800, 9_802)
    assert h.kernel.risk.state == TradingState.HALTED
    h.clock.advance_to(86_400_000_000_000 + 1)
    h.quote(9_800, 9_802)
    assert h.kernel.risk.state == TradingState.ACTIVE
    assert h.kernel.risk_events[-1][2] == "NEW_TRADING_DAY"


def test_kill_switch_halt_does_not_lift_at_the_next_day():
    h, _ = _harness({"daily_loss_limit": 0.01})
    h.kernel.kill_switch()
    h.clock.advance_to(86_400_000_000_000 + 1)
    h.quote(9_800, 9_802)
    assert h.kernel.risk.state == TradingState.HALTED
