"""The bundled execution-algo scenarios: every algo appears in one, each run's summary carries
its TCA rows and its report shows the TCA table (golden digests are in test_bundled.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from executioncore.analytics import compute_stats
from executioncore.report import render_report
from executioncore.runner import prepare
from executioncore.scenario import load_scenario
from kernel.algos import ALGOS, AlgoEngine

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
ALGO_SCENARIOS = {
    "usdjpy_twap": "twap",
    "btc_perp_vwap": "vwap",
    "btcusdt_pov": "pov",
    "usdjpy_iceberg": "iceberg",
    "btcusdt_sor": "sor",
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("algos")
    out = {}
    for name in ALGO_SCENARIOS:
        run = prepare(load_scenario(SCENARIOS / f"{name}.yaml"), out_dir=base / name)
        out[name] = (run, run.execute())
    return out


def test_every_algo_appears_in_a_bundled_scenario():
    assert sorted(ALGO_SCENARIOS.values()) == sorted(ALGOS)
    for name in ALGO_SCENARIOS:
        assert (SCENARIOS / f"{name}.yaml").is_file()


@pytest.mark.parametrize("name", sorted(ALGO_SCENARIOS))
def test_algo_scenario_summary_has_tca_rows_for_its_algo(runs, name):
    _run, result = runs[name]
    rows = result.summary["tca"]
    assert rows, "no TCA rows"
    assert {r["algo"] for r in rows} == {ALGO_SCENARIOS[name]}
    for row in rows:
        assert row["status"] == "filled" and row["fill_ratio"] == 1.0
        assert row["arrival_price"] is not None and row["avg_price"] is not None
        assert row["shortfall_bps"] is not None and row["market_twap"] is not None
        assert row["children"] >= 1 and row["time_to_complete_s"] is not None
    json.dumps(result.summary)  # the summary JSON stays plain JSON
    assert result.record.tca == rows


@pytest.mark.parametrize("name", sorted(ALGO_SCENARIOS))
def test_algo_scenario_report_shows_the_tca_table(runs, name):
    _run, result = runs[name]
    html = render_report(result.record, compute_stats(result.record))
    assert '<section id="tca"><h2>Transaction cost analysis</h2>' in html
    for row in result.summary["tca"]:
        assert row["parent_id"] in html


def test_algo_scenario_children_sum_to_their_parents(runs):
    for name, (run, _result) in runs.items():
        engine = AlgoEngine.find(run.kernel)
        assert engine is not None, name
        engine._check()
        run.kernel.oms._check()


def test_pov_scenario_participates_at_its_rate(runs):
    (row,) = runs["btcusdt_pov"][1].summary["tca"]
    assert 0.095 <= row["participation"] <= 0.1
    assert row["market_vwap"] is not None and row["slippage_vs_vwap_bps"] is not None


def test_vwap_scenario_uses_the_historical_profile(runs):
    run, _ = runs["btc_perp_vwap"]
    first, second = AlgoEngine.find(run.kernel).parents.values()
    assert (first.profile_source, second.profile_source) == ("historical", "given")
    sizes = [b - a for a, b in zip([0, *first.targets], first.targets)]
    assert max(sizes) > 1.5 * min(sizes)  # the US open trades more than the quiet slices


def test_sor_scenario_routes_by_net_price_splits_by_size_and_reroutes(runs):
    run, result = runs["btcusdt_sor"]
    (parent,) = AlgoEngine.find(run.kernel).parents.values()
    kids = [run.kernel.oms.orders[oid] for oid in parent.child_ids]
    # alt's better bids beat lit's cheaper fee: alt first, with all it displays to the limit
    assert [(k.venue, k.quantity) for k in kids[:2]] == [("alt", 40_863), ("lit", 1_137)]
    # lit rejects; the retry tries alt (nothing left there: the IOC comes back unfilled), then lit
    assert [(k.venue, k.status.name) for k in kids] == [
        ("alt", "FILLED"),
        ("lit", "REJECTED"),
        ("alt", "CANCELED"),
        ("lit", "FILLED"),
    ]
    assert result.summary["rejects"] == 1 and parent.filled_lots == parent.quantity


def test_twap_scenario_slices_fire_on_schedule(runs):
    run, _ = runs["usdjpy_twap"]
    first = next(iter(AlgoEngine.find(run.kernel).parents.values()))
    kids = [run.kernel.oms.orders[oid] for oid in first.child_ids]
    assert [k.ts_init for k in kids] == first.slice_times
