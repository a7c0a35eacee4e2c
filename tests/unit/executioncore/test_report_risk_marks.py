"""Risk halts and kill switches are marked on the equity and price charts (issue 15, point 6)."""

from __future__ import annotations

import re

from report_runs import charts, ran
from run_records import SEC, T0, synthetic_record

from executioncore.analytics import compute_stats
from executioncore.report import render_report, risk_marks


def marks(svg: str) -> list[str]:
    return re.findall(r'data-risk-event="([^"]+)"', svg)


def test_report_demo_halts_are_marked_on_equity_drawdown_and_price_charts():
    demo = ran("demo")
    halts = [e for e in demo.result.record.risk_events if e["code"] == "STATE_HALTED"]
    assert len(halts) == 4
    by_label = charts(demo.html)
    for label in ("Equity", "Drawdown", "BTC-PERP · price and fills"):
        svg = by_label[label]
        assert marks(svg) == ["HALT"] * len(halts), label
        # the halted period is shaded until trading resumed (the next UTC day)
        assert len(re.findall(r"data-risk-band=", svg)) == len(halts)
        assert "halt (4)" in svg  # legend
    tips = re.findall(r'data-risk-event="HALT"[^>]*><title>(.*?)</title>', by_label["Equity"])
    assert all("DAILY_LOSS_LIMIT" in t for t in tips)


def kill_record():
    rec = synthetic_record(samples=120, with_tca=False)
    rec.risk_events = [
        {"ts": T0 + 30 * SEC, "code": "STATE_REDUCING", "detail": "VENUE_DISCONNECTED:sim"},
        {"ts": T0 + 40 * SEC, "code": "STATE_ACTIVE", "detail": "VENUE_RECONCILED:sim"},
        {"ts": T0 + 60 * SEC, "code": "KILL_SWITCH", "detail": "kill switch: cancel all"},
        {"ts": T0 + 60 * SEC, "code": "STATE_HALTED", "detail": "KILL_SWITCH"},
        {"ts": T0 + 90 * SEC, "code": "STATE_ACTIVE", "detail": "OPERATOR"},
        {"ts": T0 + 95 * SEC, "code": "CANCEL_FAILED", "detail": "o3: refused"},
    ]
    return rec


def test_report_kill_switch_and_reducing_are_marked_once_each():
    rec = kill_record()
    html = render_report(rec, compute_stats(rec))
    by_label = charts(html)
    for label in ("Equity", "USDJPY · price and fills", "EURUSD · price and fills"):
        assert marks(by_label[label]) == ["REDUCING", "KILL_SWITCH"], label
    bands = re.findall(r'data-risk-band="([^"]+)"', by_label["Equity"])
    assert bands == [
        "reducing 2013-01-01T22:00:30Z → 2013-01-01T22:00:40Z",
        "halted 2013-01-01T22:01:00Z → 2013-01-01T22:01:30Z",
    ]


def test_risk_marks_halt_open_at_the_end_is_shaded_to_the_end():
    rec = kill_record()
    rec.risk_events = rec.risk_events[:4]
    events, bands = risk_marks(rec, T0 + 119 * SEC)
    assert [e.code for e in events] == ["REDUCING", "KILL_SWITCH"]
    assert (bands[-1].t0, bands[-1].t1) == (T0 + 60 * SEC, T0 + 119 * SEC)
    assert bands[-1].label.endswith("end of run")
