"""Run statistics against numbers computed by hand on tiny records, and their undefined cases."""

from __future__ import annotations

import json
import math

import pytest

from executioncore.analytics import (
    SECONDS_PER_YEAR,
    compute_stats,
    downside_deviation,
    exposure,
    hit_rate,
    max_drawdown,
    periods_per_year,
    profit_factor,
    realized_outcomes,
    round_trips,
    sharpe_ratio,
    simple_returns,
    sortino_ratio,
    total_return,
    turnover,
)
from executioncore.record import RunRecord

DAY = 86_400 * 1_000_000_000


def daily(*values: float) -> list[tuple[int, float]]:
    return [(i * DAY, v) for i, v in enumerate(values)]


def fill(side: str, qty: float, price: float = 100.0, realized: float = 0.0, symbol: str = "X"):
    return {"ts": 0, "symbol": symbol, "side": side, "qty": qty, "price": price,
            "commission": 0.25, "realized": realized}  # fmt: skip


# returns +10%, -10%, +10%: mean 1/30, sample sd 1/sqrt(75), downside sd 0.1/sqrt(3)
UP_DOWN_UP = daily(100.0, 110.0, 99.0, 108.9)


def test_simple_returns_consecutive_samples_are_relative_changes():
    assert simple_returns(daily(100.0, 110.0, 99.0)) == pytest.approx([0.1, -0.1])


def test_simple_returns_zero_equity_skips_the_period():
    assert simple_returns(daily(100.0, 0.0, 50.0)) == pytest.approx([-1.0])


def test_periods_per_year_minute_samples_is_525600():
    minutes = [(i * 60_000_000_000, 1.0) for i in range(3)]
    assert periods_per_year(minutes) == pytest.approx(SECONDS_PER_YEAR / 60) == 525_600


def test_periods_per_year_uneven_spacing_uses_the_mean():
    # spacings 1 day and 3 days: mean 2 days
    assert periods_per_year([(0, 1.0), (DAY, 1.0), (4 * DAY, 1.0)]) == pytest.approx(182.5)


def test_sharpe_daily_up_down_up_matches_hand_computation():
    assert sharpe_ratio(UP_DOWN_UP) == pytest.approx(math.sqrt(75) / 30 * math.sqrt(365))


def test_sortino_daily_up_down_up_matches_hand_computation():
    assert sortino_ratio(UP_DOWN_UP) == pytest.approx(math.sqrt(3) / 3 * math.sqrt(365))


def test_downside_deviation_counts_all_periods():
    assert downside_deviation([0.1, -0.1, 0.1, -0.3]) == pytest.approx(math.sqrt(0.1 / 4))


def test_sharpe_two_samples_is_none():
    assert sharpe_ratio(daily(100.0, 110.0)) is None
    assert sortino_ratio(daily(100.0, 110.0)) is None


def test_sharpe_flat_equity_is_none():
    assert sharpe_ratio(daily(100.0, 100.0, 100.0, 100.0)) is None


def test_sharpe_constant_compounding_is_none_not_huge():
    assert sharpe_ratio(daily(100.0, 110.0, 121.0, 133.1)) is None


def test_sortino_no_losing_period_is_none():
    assert sortino_ratio(daily(100.0, 101.0, 103.0)) is None
    assert sharpe_ratio(daily(100.0, 101.0, 103.0)) is not None


def test_sharpe_all_samples_at_one_time_is_none():
    assert sharpe_ratio([(5, 100.0), (5, 110.0), (5, 99.0)]) is None


def test_max_drawdown_two_dips_is_the_deeper_fraction_of_peak():
    assert max_drawdown(daily(100.0, 120.0, 90.0, 130.0, 117.0)) == pytest.approx(0.25)


def test_max_drawdown_no_samples_is_none_and_rising_is_zero():
    assert max_drawdown([]) is None
    assert max_drawdown(daily(1.0, 2.0, 3.0)) == 0.0


def test_total_return_end_over_start_minus_one():
    assert total_return(110.0, 100.0) == pytest.approx(0.1)
    assert total_return(110.0, 0.0) is None
    assert total_return(None, 100.0) is None


def test_turnover_notional_over_starting_cash():
    fills = [fill("buy", 10, 100.0), fill("sell", 5, 200.0)]
    assert turnover(fills, 10_000.0) == pytest.approx(0.2)
    assert turnover(fills, 0.0) is None


def test_hit_rate_among_realizing_fills():
    wins, losses = realized_outcomes([fill("buy", 1, realized=r) for r in (0.0, 10.0, -5.0, 20.0)])
    assert (wins, losses) == ([10.0, 20.0], [-5.0])
    assert hit_rate(wins, losses) == pytest.approx(2 / 3)
    assert hit_rate([], []) is None


def test_profit_factor_gross_profit_over_gross_loss_and_none_without_losses():
    assert profit_factor([10.0, 20.0], [-5.0]) == pytest.approx(6.0)
    assert profit_factor([10.0], []) is None


def test_round_trips_flat_and_flip_each_count_one():
    fills = [
        fill("buy", 10), fill("buy", 3, symbol="Y"), fill("sell", 10),  # X flat: 1
        fill("buy", 5), fill("sell", 10),  # X flips through zero: 2
        fill("buy", 5),  # X flat: 3
    ]  # fmt: skip
    assert round_trips(fills) == 3


def test_round_trips_float_lots_summing_to_zero_count_as_flat():
    assert round_trips([fill("buy", 0.1), fill("buy", 0.2), fill("sell", 0.3)]) == 1


def test_exposure_aligned_positions_any_symbol_open():
    eq = daily(1.0, 1.0, 1.0, 1.0)
    pos = {"X": daily(0, 0, 5, 0), "Y": daily(0, 1, 0, 0)}
    assert exposure(eq, pos) == pytest.approx(0.5)


def test_exposure_unaligned_series_uses_last_position_at_or_before():
    eq = daily(1.0, 1.0, 1.0, 1.0)
    assert exposure(eq, {"X": [(DAY, 10.0)]}) == pytest.approx(0.75)
    assert exposure([], {}) is None


def tiny_record() -> RunRecord:
    rec = RunRecord(scenario="t", starting_cash=100.0, equity=UP_DOWN_UP)
    rec.positions = {"X": daily(0, 10, 0, 0)}
    rec.fills = [fill("buy", 1, 100.0), fill("sell", 1, 110.0, realized=10.0)]
    rec.orders = [{"id": "o1"}, {"id": "o2"}, {"id": "o3"}]
    rec.risk_events = [{"ts": 0, "code": "x", "detail": ""}]
    return rec


def test_compute_stats_tiny_record_matches_hand_numbers():
    stats = compute_stats(tiny_record())
    assert stats["total_return"] == pytest.approx(0.089)
    assert stats["max_drawdown"] == pytest.approx(0.1)
    assert stats["turnover"] == pytest.approx(2.1)
    assert stats["commissions"] == pytest.approx(0.5)
    assert (stats["fills"], stats["orders"], stats["round_trips"]) == (2, 3, 1)
    assert (stats["hit_rate"], stats["avg_win"], stats["avg_loss"]) == (1.0, 10.0, None)
    assert stats["profit_factor"] is None
    assert stats["exposure"] == pytest.approx(0.25)
    assert stats["risk_events"] == 1
    # 3 daily returns: below MIN_RETURN_PERIODS, so the ratios are not annualised noise
    assert stats["sharpe"] is None and stats["return_periods"] == 3


@pytest.mark.parametrize(
    "record",
    [
        RunRecord(),
        RunRecord(starting_cash=100.0, equity=daily(100.0)),
        RunRecord(starting_cash=100.0, equity=daily(100.0, 0.0, 0.0, 0.0)),
        RunRecord(starting_cash=0.0, equity=[(0, 1.0), (0, 2.0), (0, 3.0)]),
    ],
)
def test_compute_stats_degenerate_records_are_strict_json(record):
    stats = compute_stats(record)
    text = json.dumps(stats, allow_nan=False)  # raises on NaN or inf
    assert "NaN" not in text and "Infinity" not in text
    assert stats["sharpe"] is None and stats["sortino"] is None
