"""The offline report on a long run: 50,000 equity samples and 2,500 fills rendered to one HTML
file (target: well under 2 s; it was a timed assertion in the tests before).

    .venv/bin/python -m pytest benches/test_report_bench.py --benchmark-enable
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit" / "executioncore"))

from run_records import synthetic_record

from executioncore.analytics import compute_stats
from executioncore.report import render_report


def test_bench_report_50k_samples(benchmark):  # type: ignore[no-untyped-def]
    rec = synthetic_record(samples=50_000, fill_every=20)
    html = benchmark(lambda: render_report(rec, compute_stats(rec)))
    assert len(html.encode()) < 2_000_000
