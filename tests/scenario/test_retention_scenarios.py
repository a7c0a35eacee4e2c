"""``kernel: {retain_closed_orders: N}`` in scenarios: the kernel lets old closed orders go and
nothing a run writes changes. Every bundled scenario keeps its golden digest with N = 0; a quote
maker under the venue's ``duplicate`` fault (fill reports delivered again 1-500 ms later, after
the order has left the OMS) gives the journal, fills and positions of the run that keeps every
order; a replay rebuilds the run's retention from the journal's meta."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from executioncore.cli import main
from executioncore.replay import replay
from executioncore.runner import prepare
from executioncore.scenario import ScenarioError, parse_scenario, read_yaml
from executioncore.store import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
GOLDEN = json.loads((Path(__file__).with_name("golden_digests.json")).read_text())
SUMMARY_KEYS = ("orders", "fills", "cancels", "positions", "cash", "realized_pnl", "digest")

QUOTE_MAKER = '''
from kernel.enums import OrderType, Side
from kernel.strategy import Strategy


class QuoteMaker(Strategy):
    """W2's rules: a bid at the bid and an ask at the ask; every 10th quote both canceled."""

    strategy_id = "qm"

    def __init__(self, symbol: str = "XYZ", qty: int = 10) -> None:
        super().__init__()
        self.symbol, self.qty, self.k = symbol, qty, 0
        self.buy = self.sell = None

    def on_quote(self, q) -> None:
        self.k += 1
        buy = self.buy if self.buy is not None and not self.buy.is_closed else None
        sell = self.sell if self.sell is not None and not self.sell.is_closed else None
        if self.k % 10 == 0:
            for o in (buy, sell):
                if o is not None:
                    self.ctx.cancel(o)
            buy = sell = None
        if buy is None:
            buy = self.ctx.submit(self.symbol, Side.BUY, self.qty, OrderType.LIMIT,
                                  limit_ticks=q.bid_ticks)
        if sell is None:
            sell = self.ctx.submit(self.symbol, Side.SELL, self.qty, OrderType.LIMIT,
                                   limit_ticks=q.ask_ticks)
        self.buy, self.sell = buy, sell
'''


def _bundled(name: str, retain: int | None, out: Path):  # type: ignore[no-untyped-def]
    path = SCENARIOS / f"{name}.yaml"
    raw = read_yaml(path)
    if retain is not None:
        raw["kernel"] = {"retain_closed_orders": retain}
    run = prepare(parse_scenario(raw, path), out_dir=out)
    return run, run.execute()


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_retention_zero_keeps_every_bundled_scenarios_golden_digest(tmp_path, name):
    run, result = _bundled(name, 0, tmp_path / name)
    assert run.kernel.oms.evicted > 0  # orders did leave the OMS
    assert result.summary["digest"] == GOLDEN[name]
    assert result.summary["expectations"] == {"passed": True, "failures": []}


def _quote_maker_scenario(tmp: Path, retain: int | None, rows: int = 3000) -> Path:
    """A quote maker on quotes every 10 ms (a seeded random walk), 5 ms latency each way,
    every fill report delivered twice, invariants checked all along."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "retention_qm.py").write_text(QUOTE_MAKER)
    rng = np.random.default_rng(7)
    mid = 10_000 + np.cumsum(rng.integers(-1, 2, rows))
    ask = mid + rng.integers(1, 3, rows)
    t0 = 1_700_000_000_000_000_000
    lines = ["ts,bid_px,ask_px"] + [
        f"{t0 + i * 10_000_000},{mid[i] / 100:.2f},{ask[i] / 100:.2f}" for i in range(rows)
    ]
    (tmp / "quotes.csv").write_text("\n".join(lines) + "\n")
    doc = {
        "name": "retention_qm",
        "seed": 3,
        "account": {"currency": "USD", "cash": 1_000_000},
        "instruments": [{"symbol": "XYZ", "tick_size": 0.01, "lot_size": 1}],
        "data": [{"kind": "quotes", "symbol": "XYZ", "path": "quotes.csv"}],
        "venue": {"latency": {"order_ms": 5, "response_ms": 5}},
        "strategy": {"class": "retention_qm:QuoteMaker", "params": {}},
        "faults": [{"kind": "duplicate", "probability": 1.0}],
        "expect": {"invariants": True},
    }
    if retain is not None:
        doc["kernel"] = {"retain_closed_orders": retain}
    path = tmp / "s.yaml"
    path.write_text(json.dumps(doc))  # JSON is YAML
    return path


def test_retention_duplicate_fault_late_copies_of_evicted_orders_change_nothing(tmp_path):
    results = {}
    for retain in (None, 5, 0):
        path = _quote_maker_scenario(tmp_path / f"s{retain}", retain)
        run = prepare(parse_scenario(read_yaml(path), path), out_dir=tmp_path / f"r{retain}")
        summary = run.execute().summary
        oms = run.kernel.oms
        assert summary["expectations"] == {"passed": True, "failures": []}
        assert summary["fills"] > 100
        assert oms.duplicate_fills > 0.9 * summary["fills"]  # nearly every report came twice
        assert run.kernel.stats.unknown_events == 0
        # a duplicate recognised by a tombstone: its order had left the OMS
        results[retain] = (summary, oms.duplicate_fills, oms.tombstone_duplicates, len(oms.orders))
    base, dups, tomb_dups, held = results[None]
    assert tomb_dups == 0 and held == base["orders"]
    for retain in (5, 0):
        summary, n_dups, n_tomb, n_held = results[retain]
        assert {k: summary[k] for k in SUMMARY_KEYS} == {k: base[k] for k in SUMMARY_KEYS}
        assert n_dups == dups
        assert n_tomb > 0  # copies that came after their order had left the OMS
        # the newest closed, the few orders still working and those closed since the last
        # order was sent: nothing that grows with the run
        assert n_held <= retain + 8 < base["orders"] / 50


def test_retention_is_in_the_meta_and_a_replay_keeps_it(tmp_path, monkeypatch):
    path = _quote_maker_scenario(tmp_path / "s", 0, rows=600)
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out), "--json", "--no-progress"]) == 0
    store = SqliteStore.open(out / "journal")
    try:
        assert store.meta()["retain_closed_orders"] == 0
    finally:
        store.close()
    import executioncore.replay as replay_mod

    built = []
    build = replay_mod.build_kernel

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        kernel, clock = build(*args, **kwargs)
        built.append(kernel.oms.retain_closed)
        return kernel, clock

    monkeypatch.setattr(replay_mod, "build_kernel", spy)
    report = replay(out)
    assert report.ok, report.as_dict()
    assert report.replayed_digest == report.recorded_digest
    assert built == [0]


@pytest.mark.parametrize(
    ("kernel", "where"),
    [
        ({"retain_closed_orders": -1}, "kernel.retain_closed_orders"),
        ({"retain_closed_orders": 1.5}, "kernel.retain_closed_orders"),
        ({"retain_closed_orders": True}, "kernel.retain_closed_orders"),
        ({"retain_closed": 10}, "kernel.retain_closed"),
        ([10], "kernel"),
    ],
)
def test_retention_bad_scenario_key_names_it(tmp_path, kernel, where):
    path = SCENARIOS / "usdjpy_orders.yaml"
    raw = read_yaml(path)
    raw["kernel"] = kernel
    with pytest.raises(ScenarioError, match=where.replace(".", r"\.")):
        parse_scenario(raw, path)


def test_retention_absent_or_null_keeps_every_order():
    path = SCENARIOS / "usdjpy_orders.yaml"
    raw = read_yaml(path)
    assert parse_scenario(raw, path).retain_closed_orders is None
    raw["kernel"] = {"retain_closed_orders": None}
    assert parse_scenario(raw, path).retain_closed_orders is None
    raw["kernel"] = {"retain_closed_orders": 250}
    assert parse_scenario(raw, path).retain_closed_orders == 250
