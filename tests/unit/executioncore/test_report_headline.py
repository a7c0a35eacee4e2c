"""The report's headline: net P&L after fees beside realized P&L and commissions, one max
drawdown everywhere, and Sharpe / Sortino only where they mean something (issue 15, points 1-3)."""

from __future__ import annotations

import math
import re

import pytest
from report_runs import BUNDLED, card, ran, section
from run_records import synthetic_record

from executioncore.analytics import (
    DAY_NS,
    MIN_RETURN_PERIODS,
    compute_stats,
    daily_equity,
    daily_ratios,
)
from executioncore.record import RunRecord
from executioncore.report import render_report


def card_order(html: str) -> list[str]:
    return re.findall(r'data-card="([^"]+)"', section(html, "stats"))


# --- 1. net P&L after fees ------------------------------------------------------------------------
def test_report_demo_cards_show_net_pnl_realized_and_commissions_side_by_side():
    demo = ran("demo")
    s = demo.result.summary
    order = card_order(demo.html)
    for key in ("net_pnl", "realized_pnl", "commissions"):
        assert key in order
    # net, realized and commissions are neighbours (total return may sit between net and realized)
    assert order.index("commissions") - order.index("net_pnl") <= 3
    value, text = card(demo.html, "net_pnl")
    assert float(value) == pytest.approx(s["equity"] - s["starting_cash"])
    assert float(value) == pytest.approx(
        s["realized_pnl"] + s["unrealized_pnl"] - s["commissions"], abs=0.02
    )
    assert text == f"{s['equity'] - s['starting_cash']:,.2f}"
    assert card(demo.html, "commissions")[1] == f"{s['commissions']:,.2f}"
    assert card(demo.html, "realized_pnl")[1] == f"{s['realized_pnl']:,.2f}"


def test_report_net_pnl_without_starting_cash_is_realized_plus_unrealized_minus_fees():
    rec = synthetic_record(samples=40, with_tca=False)
    rec.starting_cash = 0.0
    rec.summary.update(realized_pnl=100.0, unrealized_pnl=-30.0, commissions=20.0)
    rec.summary.pop("starting_cash", None)
    html = render_report(rec, compute_stats(rec))
    assert card(html, "net_pnl") == ("50.0", "50.00")


# --- 2. one max drawdown ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", BUNDLED)
def test_report_bundled_summary_max_drawdown_equals_stats_max_drawdown(name):
    r = ran(name)
    assert r.result.summary["max_drawdown"] == r.stats["max_drawdown"]
    assert r.result.record.max_drawdown is not None


def test_report_demo_max_drawdown_card_and_drawdown_chart_reach_the_summary_value():
    demo = ran("demo")
    mdd = demo.result.summary["max_drawdown"]
    assert card(demo.html, "max_drawdown")[1] == f"{mdd * 100:.2f}%"
    # the recorder keeps the peak and the trough, so the thinned samples reach the same depth
    peak, deepest = -math.inf, 0.0
    for _, e in demo.result.record.equity:
        peak = max(peak, e)
        deepest = max(deepest, (peak - e) / peak)
    assert round(deepest, 6) == mdd


def test_report_hand_built_record_without_recorder_drawdown_uses_its_samples():
    rec = RunRecord(starting_cash=100.0, equity=[(0, 100.0), (1, 120.0), (2, 90.0)])
    assert compute_stats(rec)["max_drawdown"] == pytest.approx(0.25)
    rec.max_drawdown = 0.3000004
    assert compute_stats(rec)["max_drawdown"] == 0.3


# --- 3. Sharpe / Sortino only over enough daily returns ------------------------------------------
def test_report_short_run_sharpe_and_sortino_are_null_and_shown_as_na():
    short = ran("usdjpy_orders")  # 35 minutes of quotes
    assert short.stats["sharpe"] is None and short.stats["sortino"] is None
    assert short.stats["return_periods"] < MIN_RETURN_PERIODS
    assert card(short.html, "sharpe") == ("", "n/a")
    risk = section(short.html, "stats")
    assert re.search(r'data-key="sharpe"><td>[^<]*</td><td class="n">n/a</td>', risk)
    assert re.search(r'data-key="sortino"><td>[^<]*</td><td class="n">n/a</td>', risk)


def test_report_ratio_note_says_the_period_and_the_minimum():
    demo = ran("demo")
    note = re.search(r'data-note="ratios">(.*?)</p>', demo.html).group(1)
    assert "daily returns" in note and "UTC midnight" in note
    assert f"fewer than {MIN_RETURN_PERIODS} daily returns" in note
    assert f"{demo.stats['return_periods']} daily returns" in note


def test_report_month_long_demo_has_a_daily_sharpe():
    demo = ran("demo")
    assert demo.stats["return_periods"] >= MIN_RETURN_PERIODS
    assert isinstance(demo.stats["sharpe"], float) and abs(demo.stats["sharpe"]) < 50
    assert card(demo.html, "sharpe")[1] == f"{demo.stats['sharpe']:.2f}"


def test_daily_equity_takes_the_last_sample_at_or_before_each_midnight():
    hour = DAY_NS // 24
    eq = [(10 * hour, 100.0), (20 * hour, 90.0), (DAY_NS + hour, 95.0), (DAY_NS + 5 * hour, 97.0)]
    assert daily_equity(eq) == [(0, 100.0), (DAY_NS, 90.0), (2 * DAY_NS, 97.0)]


def test_daily_ratios_below_the_minimum_are_none_at_the_minimum_defined():
    up_down = [(d * DAY_NS, 100.0 + (d % 2)) for d in range(MIN_RETURN_PERIODS + 1)]
    sharpe, sortino, n = daily_ratios(up_down[:-1])
    assert (sharpe, sortino, n) == (None, None, MIN_RETURN_PERIODS - 1)
    sharpe, sortino, n = daily_ratios(up_down)
    assert n == MIN_RETURN_PERIODS and sharpe is not None and sortino is not None


def test_summary_table_shows_net_pnl_after_fees_under_commissions():
    from executioncore.table import summary_table

    s = ran("demo").result.summary
    lines = summary_table(s, ran("demo").stats).splitlines()
    labels = [line.split("  ")[1].strip() if line.startswith("  ") else line for line in lines]
    i = labels.index("commissions")
    assert labels[i + 1] == "net P&L after fees"
    assert lines[i + 1].endswith(f"{s['equity'] - s['starting_cash']:,.2f}")
