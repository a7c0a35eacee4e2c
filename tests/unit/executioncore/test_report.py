"""The HTML run report: sections, self-containment, well-formedness, escaping, size and speed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from run_records import SEC, T0, synthetic_record

from executioncore.analytics import compute_stats
from executioncore.report import MAX_ROWS, render_report, write_report

VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "source"}
SVG_SELF_CLOSING = {"rect", "line", "path", "circle", "polyline", "polygon"}
NASTY = "<b>x&y</b>"


class StrictParser(HTMLParser):
    """Checks that every element is closed in order (html.parser itself never complains)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag not in VOID | SVG_SELF_CLOSING:
            self.errors.append(f"unexpected self-closing <{tag}/>")

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def parse(html: str) -> StrictParser:
    p = StrictParser()
    p.feed(html)
    p.close()
    return p


@pytest.fixture(scope="module")
def record():
    return synthetic_record(samples=400)


@pytest.fixture(scope="module")
def html(record):
    return render_report(record, compute_stats(record))


def section(html: str, anchor: str) -> str:
    m = re.search(rf'<section id="{anchor}">(.*?)</section>', html, re.S)
    assert m, f"no section {anchor}"
    return m.group(1)


@pytest.mark.parametrize("anchor", ["stats", "equity", "symbols", "orders", "fills", "risk", "tca"])
def test_report_synthetic_record_has_section(html, anchor):
    assert section(html, anchor)


def test_report_header_shows_scenario_seed_digest_and_expectation(html, record):
    header = html[html.index("<header>") : html.index("</header>")]
    assert "synthetic" in header and record.summary["digest"] in header
    assert "seed <b>7</b>" in header and "USD" in header
    assert "expectations passed" in header


def test_report_expectation_failure_lists_the_failures(record):
    rec = synthetic_record(samples=50, with_tca=False)
    rec.summary["expectations"] = {"passed": False, "failures": ["fills: expected >= 99, got 2"]}
    html = render_report(rec, compute_stats(rec))
    assert "expectations failed" in html and "fills: expected &gt;= 99, got 2" in html


def test_report_charts_are_inline_svg(html, record):
    assert html.count("<svg") == 1 + 1 + 2 * len(record.prices) + 1  # equity, dd, per symbol, tca
    assert 'aria-label="Equity"' in html and 'aria-label="Drawdown"' in html


def test_report_headline_shows_summary_money_and_counts(html, record):
    stats = section(html, "stats")
    assert f"{record.summary['cash']:,.2f}" in stats
    for label in ("Realized P&amp;L", "Unrealized P&amp;L", "Cancels", "Expired", "Rejects"):
        assert label in stats
    assert "Sharpe (annualised)" in stats and "Round trips" in stats


def test_report_is_self_contained(html):
    low = html.lower()
    for banned in ("http://", "https://", "<script", "<link", "@import", "url(", "<img", "<iframe"):
        assert banned not in low, banned


def test_report_parses_with_every_tag_closed_in_order(html):
    p = parse(html)
    assert p.doctype
    assert p.errors == []
    assert p.stack == []


def test_report_fill_times_are_iso_utc(html, record):
    first = record.fills[0]["ts"]
    assert first == T0 + 24 * SEC
    assert "2013-01-01T22:00:24Z" in section(html, "fills")


def test_report_record_strings_are_escaped():
    rec = synthetic_record(samples=60, symbols=(NASTY,), with_tca=False)
    rec.orders[0]["id"] = NASTY
    rec.scenario = NASTY
    rec.risk_events[0]["detail"] = "<script>alert(1)</script> see http://evil.example/x"
    rec.summary["digest"] = NASTY
    html = render_report(rec, compute_stats(rec))
    assert NASTY not in html
    assert "&lt;b&gt;x&amp;y&lt;/b&gt;" in html
    low = html.lower()
    assert "<script" not in low and "http://" not in low
    assert parse(html).errors == []


def test_report_long_table_shows_first_rows_and_says_how_many_left_out():
    rec = synthetic_record(samples=30, with_tca=False)
    rec.orders = [{"id": f"o{i}", "symbol": "USDJPY", "qty": 1.0} for i in range(1200)]
    orders = section(render_report(rec, compute_stats(rec)), "orders")
    assert orders.count("<tr>") == MAX_ROWS + 1  # header row + shown rows
    assert "first 500 of 1,200 rows (700 not shown)" in orders
    assert ">o499<" in orders and ">o500<" not in orders


def test_report_orders_table_renders_the_keys_present():
    rec = synthetic_record(samples=30, with_tca=False)
    rec.orders = [{"id": "a", "extra_field": "zz"}, {"id": "b", "status": "filled"}]
    orders = section(render_report(rec, compute_stats(rec)), "orders")
    heads = re.findall(r"<th>(.*?)</th>", orders)
    assert heads == ["id", "status", "extra_field"]


def test_report_tca_renders_table_and_child_fill_chart(html):
    tca = section(html, "tca")
    for key in ("parent_id", "shortfall_bps", "slippage_vs_vwap_bps", "time_to_complete_s"):
        assert f"<th>{key}</th>" in tca
    assert "12.00%" in tca  # participation as a percentage
    assert "<svg" in tca and 'aria-label="p1 · twap buy USDJPY"' in tca
    assert "child fills (4)" in tca and ">arrival<" in tca


def test_report_without_tca_has_no_tca_section():
    rec = synthetic_record(samples=30, with_tca=False)
    assert 'id="tca"' not in render_report(rec, compute_stats(rec))


def test_report_empty_record_renders_notes_not_errors():
    from executioncore.record import RunRecord

    html = render_report(RunRecord(), compute_stats(RunRecord()))
    assert "No equity samples recorded." in html and "<svg" not in html
    assert parse(html).errors == []


def test_report_same_record_renders_identical_bytes(record):
    stats = compute_stats(record)
    assert render_report(record, stats) == render_report(record, stats)


def test_report_50k_samples_is_small_and_downsampled():
    # how fast: benches/test_report_bench.py (timings live in benches, not tests)
    rec = synthetic_record(samples=50_000, fill_every=20)
    html = render_report(rec, compute_stats(rec))
    assert len(html.encode()) < 2_000_000
    equity_svg = section(html, "equity").split("</svg>")[0]
    # one L (a line) or one H (a step) per drawn point after the first
    paths = re.findall(r'<path d="([^"]*)"', equity_svg)
    longest = max(p.count("L") + p.count("H") for p in paths)
    assert 1000 < longest <= 2000


def test_write_report_creates_parents_and_returns_path(tmp_path, record):
    out = write_report(record, compute_stats(record), tmp_path / "runs" / "x" / "report.html")
    assert out.exists() and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
