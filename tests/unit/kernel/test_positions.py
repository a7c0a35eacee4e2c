"""Positions: average cost through adds, reductions, closes and flips; marks; the account."""

from __future__ import annotations

from kernel.events import Bar, QuoteTick, TradeTick
from kernel.positions import MARK_BAR, MARK_MID, MARK_NONE, MARK_TRADE, Portfolio, Position
from kernel.units import Instrument

TLM = 10_000_000  # tick 0.01 x lot 1 = 0.01 of money = 1e7 money units


def test_position_add_then_reduce_realizes_against_average_cost():
    p = Position("X", TLM)
    assert p.apply_fill(1, 10_000, 10) == 0
    assert p.apply_fill(1, 10_200, 10) == 0
    assert (p.qty, p.cost) == (20, 202_000)  # average 101.00
    realized = p.apply_fill(-1, 10_300, 5)  # sell 5 at 103.00: +2.00 x 5
    assert realized == 1_000 * TLM
    assert (p.qty, p.cost) == (15, 151_500)


def test_position_close_exactly_realizes_everything_and_zeroes_cost():
    p = Position("X", TLM)
    p.apply_fill(1, 10_000, 3)
    p.apply_fill(1, 10_001, 3)
    p.apply_fill(1, 10_001, 1)
    realized = p.apply_fill(-1, 10_002, 7)
    assert p.qty == 0 and p.cost == 0
    assert realized == (7 * 10_002 - (3 * 10_000 + 4 * 10_001)) * TLM


def test_position_flip_long_to_short_in_one_fill_opens_rest_at_fill_price():
    p = Position("X", TLM)
    p.apply_fill(1, 10_000, 10)
    realized = p.apply_fill(-1, 9_900, 25)
    assert realized == -100 * 10 * TLM
    assert p.qty == -15 and p.cost == -15 * 9_900


def test_position_flip_short_to_long_in_one_fill_opens_rest_at_fill_price():
    p = Position("X", TLM)
    p.apply_fill(-1, 10_000, 4)
    realized = p.apply_fill(1, 9_950, 6)
    assert realized == 50 * 4 * TLM
    assert p.qty == 2 and p.cost == 2 * 9_950


def test_position_short_from_flat_profits_when_price_falls():
    p = Position("X", TLM)
    p.apply_fill(-1, 10_000, 10)
    assert p.unrealized(2 * 9_000) == 1_000 * 10 * TLM
    assert p.apply_fill(1, 9_000, 10) == 10_000 * TLM


def test_position_partial_reduction_keeps_cost_remainder_in_the_open_part():
    p = Position("X", TLM)
    p.apply_fill(1, 10, 3)
    p.apply_fill(1, 11, 1)  # cost 41 over 4 lots: average 10.25 ticks
    p.apply_fill(-1, 12, 3)  # removes floor(41 x 3 / 4) = 30
    assert p.cost == 11 and p.qty == 1
    assert p.realized == (36 - 30) * TLM
    p.apply_fill(-1, 12, 1)
    assert p.realized == (48 - 41) * TLM  # exact once flat


def test_position_commissions_are_booked_apart_from_realized():
    p = Position("X", TLM)
    p.apply_fill(1, 100, 1, commission=7)
    p.apply_fill(-1, 101, 1, commission=5)
    assert p.realized == TLM and p.commission == 12


def test_position_unrealized_at_half_tick_mid_is_exact():
    p = Position("X", TLM)
    p.apply_fill(1, 100, 3)
    assert p.unrealized(201) == 3 * TLM // 2  # mid 100.5 ticks, 3 lots


def _portfolio() -> Portfolio:
    inst = {"X": Instrument("X", "0.01", "1"), "Y": Instrument("Y", "0.5", "0.001", currency="EUR")}
    return Portfolio(inst, "USD", {"USD": 1_000 * 10**9})


def test_portfolio_mark_prefers_mid_then_trade_then_bar():
    pf = _portfolio()
    m = pf.markets["X"]
    assert m.mark2 is None and m.mark_source == MARK_NONE
    m.last_bar = Bar("X", 1, 3, 1, 2, 10, 60, 60, 60)
    assert m.mark2 == 4 and m.mark_source == MARK_BAR
    m.last_trade = TradeTick("X", 7, 1, 1, None, 1, 1)
    assert m.mark2 == 14 and m.mark_source == MARK_TRADE
    m.last_quote = QuoteTick("X", 10, 11, None, None, 1, 1)
    assert m.mark2 == 21 and m.mark_source == MARK_MID
    assert m.last_price() == 10


def test_portfolio_cash_and_equity_follow_realized_unrealized_and_commissions():
    pf = _portfolio()
    pf.apply_fill("X", "a", 1, 10_000, 10, commission=3)
    pf.markets["X"].last_quote = QuoteTick("X", 10_100, 10_102, None, None, 1, 1)
    unreal = pf.unrealized("X")
    assert unreal == (10 * 20_202 - 2 * 100_000) * TLM // 2
    assert pf.cash() == 1_000 * 10**9 - 3
    assert pf.equity() == pf.cash() + unreal
    assert pf.equity("EUR") == 0  # other currencies are kept apart


def test_portfolio_strategy_positions_sum_to_instrument_position():
    pf = _portfolio()
    pf.apply_fill("X", "a", 1, 100, 10, 0)
    pf.apply_fill("X", "b", -1, 101, 4, 0)
    pf.apply_fill("X", "a", -1, 102, 3, 0)
    assert pf.position_qty("X") == 3
    assert pf.position_qty("X", "a") == 7 and pf.position_qty("X", "b") == -4
    pf._check()
