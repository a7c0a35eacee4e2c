"""Benchmarks of a TWAP parent order end to end (pytest-benchmark).

    .venv/bin/python -m pytest benches/test_algo_bench.py --benchmark-enable

``test_bench_twap_parent_over_quotes``: a kernel, a simulated venue and the driver replay
20,000 quotes with sizes (one every 100 ms, 33 minutes) while a TWAP parent buys 50,000 lots in
200 slices (children re-priced at every slice: a limit at the bid + 1 tick, cancels and
replacements included); the parent, its children and the journal are rebuilt every round.
``test_bench_twap_market_slices``: the same with market slices. ``test_bench_twap_scenario``:
the bundled ``usdjpy_twap`` scenario through the runner (parsing, CSV, journal on disk, TCA).
``test_bench_quotes_without_a_parent`` is the baseline: the algo's cost is the difference.
``extra_info`` reports the children sent and the time per child (quote replay included).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kernel.algos import AlgoEngine, AlgoStatus
from kernel.clock import SimClock
from kernel.journal import Journal, NullSink
from kernel.kernel import Kernel
from kernel.strategy import Strategy
from kernel.units import Instrument
from sim.broker import SimBroker
from sim.driver import Driver, Source
from sim.feeds import CHUNK_COLUMNS, Chunk, merge
from sim.models import ConstantLatency

S = 1_000_000_000
T0 = 1_700_000_000 * S
N_QUOTES = 20_000
ROOT = Path(__file__).resolve().parents[1]


def _quotes() -> Chunk:
    rng = np.random.default_rng(5)
    mid = 10_000 + np.cumsum(rng.integers(-1, 2, N_QUOTES))
    ts = T0 + np.arange(N_QUOTES, dtype=np.int64) * (S // 10)
    size = rng.integers(50, 500, N_QUOTES)
    cols = dict(zip(CHUNK_COLUMNS["quotes"], (mid - 1, mid + 1, size, size), strict=True))
    return Chunk("quotes", "X", 0, ts, {k: np.asarray(v, dtype=np.int64) for k, v in cols.items()})


class Trader(Strategy):
    strategy_id = "bench"

    def __init__(self, params: dict) -> None:
        super().__init__()
        self.params = params
        self.pid = ""

    def on_start(self) -> None:
        self.ctx.set_timer(T0 + S, "go")

    def on_timer(self, timer) -> None:
        if self.params:
            self.pid = self.ctx.execute("X", 1, 50_000, "twap", **self.params)


def _run(chunk: Chunk, params: dict) -> tuple[Kernel, Trader]:
    inst = Instrument("X", "0.01", "1")
    clock = SimClock(T0 - S)
    venue = SimBroker(
        "sim", [inst], {"X": "quotes"}, clock, latency=ConstantLatency(1_000_000, 1_000_000)
    )
    journal = Journal(NullSink())
    kernel = Kernel(clock, [inst], {"sim": venue}, journal, journal_market_data=False)
    trader = Trader(params)
    kernel.add_strategy(trader)
    Driver(kernel, clock, [venue], [Source("quotes", "X")], journal).run(merge([[chunk]]))
    return kernel, trader


def _report(benchmark, kernel: Kernel, trader: Trader) -> None:
    parent = AlgoEngine.of(kernel).parents[trader.pid]
    assert parent.status == AlgoStatus.FILLED and parent.filled_lots == 50_000
    AlgoEngine.of(kernel)._check()
    benchmark.extra_info["children"] = parent.child_count
    stats = benchmark.stats
    if stats is not None:
        benchmark.extra_info["us_per_child"] = round(
            stats.stats.median / parent.child_count * 1e6, 1
        )


def test_bench_twap_parent_over_quotes(benchmark) -> None:
    chunk = _quotes()
    params = {
        "duration_ns": 1800 * S,
        "slices": 200,
        "limit_offset_ticks": 1,
        "at_end": "market",
    }
    kernel, trader = benchmark.pedantic(_run, args=(chunk, params), rounds=5, iterations=1)
    _report(benchmark, kernel, trader)


def test_bench_twap_market_slices(benchmark) -> None:
    chunk = _quotes()
    params = {"duration_ns": 1800 * S, "slices": 200, "time_jitter": "0.5"}
    kernel, trader = benchmark.pedantic(_run, args=(chunk, params), rounds=5, iterations=1)
    _report(benchmark, kernel, trader)


def test_bench_quotes_without_a_parent(benchmark) -> None:
    """The baseline: the same replay with no parent (the algo's cost is the difference)."""
    chunk = _quotes()
    kernel, _ = benchmark.pedantic(_run, args=(chunk, {}), rounds=5, iterations=1)
    assert kernel.stats.orders == 0 and kernel.stats.md_events == N_QUOTES


def test_bench_twap_scenario(benchmark, tmp_path) -> None:
    from executioncore.runner import prepare
    from executioncore.scenario import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "usdjpy_twap.yaml")
    counter = iter(range(1_000))

    def run():  # type: ignore[no-untyped-def]
        return prepare(scenario, out_dir=tmp_path / str(next(counter))).execute()

    result = benchmark.pedantic(run, rounds=5, iterations=1)
    assert result.exit_code == 0 and len(result.summary["tca"]) == 2
