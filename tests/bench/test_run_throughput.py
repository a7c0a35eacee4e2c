"""``make bench``'s verdicts (``benches/run_throughput.py``): each target read off the medians,
a ratio off the interleaved runs' rounds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benches"))

from run_throughput import cost, verdicts  # noqa: E402


def row(seconds: float, events: int, **extra) -> dict:
    return {"seconds": seconds, "events_per_s": events / seconds, "peak_rss_mb": 100.0, **extra}


def test_the_journal_target_is_judged_over_1m_quotes_and_the_100k_share_only_shown():
    rows = {
        "W2-100k": row(0.40, 100_000),
        "W2-100k-nojournal": row(0.34, 100_000),  # 17.6%: shown, not judged
        "W2-1M": row(3.30, 1_000_000),
        "W2-1M-nojournal": row(3.05, 1_000_000),  # 8.2%
    }
    v = verdicts(rows)
    assert v["W2-100k-nojournal"] == "journal costs 17.6%"
    assert v["W2-1M-nojournal"] == "journal costs 8.2%: met"
    assert v["W2-1M"].startswith("met (rate)")
    rows["W2-1M-nojournal"] = row(2.90, 1_000_000)  # 13.8%
    assert verdicts(rows)["W2-1M-nojournal"] == "journal costs 13.8%: missed"


def test_w3_is_judged_on_rate_and_exact_result():
    w3 = row(0.21, 200_000, orders=7740, final_position=-100, pnl=340.0)
    assert verdicts({"W3": w3})["W3"] == "missed (rate); exact"
    w3 = row(0.19, 200_000, orders=7740, final_position=-100, pnl=340.5)
    assert verdicts({"W3": w3})["W3"] == "met (rate); NOT EXACT"


def test_every_case_runs_in_exactly_one_group_and_each_ratio_is_interleaved():
    from run_throughput import CASES, GROUPS

    keys = [k for group in GROUPS for k in group]
    assert sorted(keys) == sorted(c[0] for c in CASES)
    assert len(keys) == len(set(keys))
    # a ratio's two cases take turns (a slower minute falls on both)
    together = {k: group for group in GROUPS for k in group}
    for with_key, without in (
        ("W2-100k", "W2-100k-nojournal"),
        ("W2-100k", "W2-100k-monitor"),
        ("W2-1M", "W2-1M-nojournal"),
    ):
        assert without in together[with_key]


def test_a_ratio_of_interleaved_runs_is_the_median_of_each_round_s_own():
    """Each round's two runs met the same minute of the machine: a slow round (both runs 30%
    slower) moves the medians' ratio, not the rounds' own ratios."""
    on = row(3.3, 1_000_000, all_seconds=[3.30, 4.29, 3.31, 4.30, 3.29])
    off = row(3.1, 1_000_000, all_seconds=[3.00, 3.90, 3.01, 3.91, 2.99])
    paired, by_medians = cost(on, off)
    assert paired == pytest.approx(0.10, abs=0.001)  # each round: 10%
    assert by_medians == pytest.approx(3.3 / 3.1 - 1)
    v = verdicts({"W2-1M": on, "W2-1M-nojournal": off})["W2-1M-nojournal"]
    assert v == "journal costs 10.0% (paired runs; 6.5% by medians): met"
    assert cost(row(3.3, 1), row(3.0, 1)) == (pytest.approx(0.1), None)  # no rounds to pair
