"""The dashboard's state document (``GET /api/state``, each server-sent event) with 10,000
orders in the session: ``snapshot()`` and its JSON encoding, after a quote moved the marks.

Run with ``.venv/bin/python -m pytest benches/test_dashboard_bench.py --benchmark-enable -q``.
The target is under 50 ms at the 99th percentile (tests/dashboard/test_dashboard_latency.py
checks it in the suite); ``extra_info`` has the document's size and its number of rows.
"""

from __future__ import annotations

import json

from dashboard_workload import busy_session, tick

from live.dashboard.state import snapshot

ROUNDS = 200


def _run(benchmark, **workload) -> None:
    kernel, _ = busy_session(**workload)
    state = {"i": 0}

    def one() -> int:
        state["i"] += 1
        tick(kernel, state["i"])
        return len(json.dumps(snapshot(kernel), separators=(",", ":")))

    size = benchmark.pedantic(one, rounds=ROUNDS, iterations=1, warmup_rounds=2)
    doc = snapshot(kernel)
    benchmark.extra_info["bytes"] = size
    benchmark.extra_info["orders_shown"] = len(doc["orders"])
    benchmark.extra_info["fills_shown"] = len(doc["fills"])
    assert len(doc["fills"]) == 1_000


def test_bench_snapshot_10k_orders(benchmark):
    """10,000 orders: 500 open, 950 canceled, 8,550 filled (the last 1,000 closed shown)."""
    _run(benchmark)


def test_bench_snapshot_10k_orders_2000_open(benchmark):
    """10,000 orders of which 2,000 are still open (a market maker's book of quotes)."""
    _run(benchmark, open_every=5)
