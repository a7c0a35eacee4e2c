"""Benchmarks of the exchange matching engine (pytest-benchmark).

    .venv/bin/python -m pytest benches/test_matching_bench.py --benchmark-enable

Each benchmark builds its input outside the timed part; every round replays it on a fresh engine.
The throughput script ``benches/matching_throughput.py`` runs the 1,000,000-operation flow.
"""

from __future__ import annotations

import pytest
from matching_throughput import generate, run

from sim.exchange import MatchingEngine

N = 20_000


@pytest.fixture(scope="module")
def flow() -> list[tuple]:
    return generate(50_000, seed=11)[0]


def test_bench_mixed_l3_flow(benchmark, flow: list[tuple]) -> None:
    eng = benchmark.pedantic(run, args=(flow,), rounds=5, iterations=1)[0]
    eng._check()
    assert eng.trades > 0


def _rest_then_cancel() -> MatchingEngine:
    eng = MatchingEngine("B")
    lim, cxl = eng.submit_limit, eng.cancel
    for i in range(N):
        lim(
            f"o{i}", i % 50, 1 if i % 2 else -1, 5, 1000 - 1 - i % 20 if i % 2 else 1000 + i % 20, i
        )
    for i in range(N):
        cxl(f"o{i}", N + i)
    return eng


def test_bench_rest_then_cancel(benchmark) -> None:
    eng = benchmark.pedantic(_rest_then_cancel, rounds=5, iterations=1)
    eng._check()
    assert eng.best_bid is None and eng.best_ask is None


def _book_then_sweep() -> MatchingEngine:
    eng = MatchingEngine("B")
    for i in range(N):
        eng.submit_limit(f"a{i}", i % 50, -1, 3, 1000 + i % 100, i)
    mkt = eng.submit_market
    for i in range(N // 5):
        mkt(f"m{i}", 99, 1, 15, N + i)
    return eng


def test_bench_market_sweeps(benchmark) -> None:
    eng = benchmark.pedantic(_book_then_sweep, rounds=5, iterations=1)
    eng._check()
    assert eng.trades >= N // 5
