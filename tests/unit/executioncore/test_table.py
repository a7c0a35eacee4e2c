"""The terminal summary table: grouped rows, number formats, alignment, colour only on request."""

from __future__ import annotations

from executioncore.table import summary_table

SUMMARY = {
    "scenario": "usdjpy_limit_fill", "seed": 7, "events": 1_000_000, "currency": "USD",
    "orders": 12, "fills": 30, "cancels": 4, "expired": 0, "rejects": 1,
    "positions": {"USDJPY": 0, "AAPL": -1500, "BTC": 0.25},
    "realized_pnl": 1234.5, "unrealized_pnl": -17.25, "commissions": 6.2,
    "cash": 100117.25, "equity": 1_100_117.25, "max_drawdown": 0.012,
    "digest": "ab" * 32, "expectations": {"passed": True, "failures": []},
    "report": "runs/usdjpy_limit_fill-7/report.html",
}  # fmt: skip
STATS = {"total_return": 0.0012, "sharpe": 1.2345, "risk_events": 3, "max_drawdown": 0.5}


def row(text: str, label: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(label))


def test_summary_table_headline_numbers_are_formatted():
    text = summary_table(SUMMARY, STATS)
    assert row(text, "realized P&L").endswith("1,234.50")
    assert row(text, "unrealized P&L").endswith("-17.25")
    assert row(text, "equity").endswith("1,100,117.25")
    assert row(text, "total return").endswith("0.12%")
    assert row(text, "max drawdown").endswith("1.20%")  # the summary's, not the stats'
    assert row(text, "Sharpe").endswith("1.23")
    assert row(text, "events").endswith("1,000,000")
    assert row(text, "risk events").endswith("3")
    assert row(text, "report").endswith("runs/usdjpy_limit_fill-7/report.html")
    assert row(text, "expectations").endswith("passed")


def test_summary_table_groups_appear_in_order():
    lines = summary_table(SUMMARY, STATS).splitlines()
    groups = [line for line in lines if line and not line.startswith(" ")]
    assert groups == ["run", "P&L (USD)", "activity", "risk", "positions"]


def test_summary_table_positions_sorted_with_separators():
    text = summary_table(SUMMARY, STATS)
    pos = text[text.index("positions\n") :].splitlines()[1:]
    assert [p.split()[0] for p in pos] == ["AAPL", "BTC", "USDJPY"]
    assert pos[0].endswith("-1,500") and pos[1].endswith("0.25")


def test_summary_table_numbers_right_aligned_in_one_column():
    text = summary_table(SUMMARY, STATS)
    ends = {len(row(text, label)) for label in ("seed", "cash", "orders", "Sharpe", "AAPL")}
    assert len(ends) == 1


def test_summary_table_default_has_no_ansi_codes():
    assert "\x1b" not in summary_table(SUMMARY, STATS)


def test_summary_table_color_marks_gains_green_and_failures_red():
    failed = dict(SUMMARY, expectations={"passed": False, "failures": ["fills: expected 1"]})
    text = summary_table(failed, STATS, color=True)
    assert "\x1b[32m" in row(text, "realized P&L") and "\x1b[31m" in row(text, "unrealized P&L")
    assert "\x1b[31mFAILED" in text
    assert "fills: expected 1" in row(text, "failure")


def test_summary_table_missing_values_show_na():
    text = summary_table({"scenario": "x", "seed": 1}, {"sharpe": None})
    assert row(text, "Sharpe").endswith("n/a")
    assert row(text, "cash").endswith("n/a")
    assert "(none)" in text and "expectations" not in text
