"""The reference workloads (``benches/throughput.py``) give the reference results on the
100k-quote / 20k-bar prefix of the generator's stream: the benchmark measures the right thing.

W3 must match ``ref_sma.py --fill next-open`` exactly (739 orders, final +100, P&L +5,578.00);
W2 must match NautilusTrader's order flow on the same quotes (31,092 orders, 19,072 cancels,
final +24,653, P&L 37,671.60: the fill rules agree on position and cash); the journal being on
or off changes nothing but the time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kernel import packer

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benches"))

import throughput  # noqa: E402
from workloads import reference_data  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return reference_data(tmp_path_factory.mktemp("workload"), 100_000, 20_000)


def run(data, workload, journal=True, max_events=None):
    return throughput.run(
        workload, data, max_events, journal, "quotes_100k.parquet", "bars_20k.parquet"
    )


def test_w3_is_the_exact_integer_reference_with_next_open_fills(data):
    r = run(data, "W3")
    assert r["events"] == 20_000
    assert (r["orders"], r["fills"], r["final_position"], r["pnl"]) == (739, 739, 100, 5578.0)


def test_w2_matches_the_reference_order_flow(data):
    r = run(data, "W2")
    assert r["events"] == 100_000
    assert (r["orders"], r["cancels"], r["final_position"], r["pnl"]) == (
        31_092,
        19_072,
        24_653,
        37_671.6,
    )


def test_w2_gives_the_same_result_without_the_journal(data):
    a = run(data, "W2", journal=True, max_events=20_000)
    b = run(data, "W2", journal=False, max_events=20_000)
    keys = ("events", "orders", "cancels", "fills", "final_position", "pnl")
    assert [a[k] for k in keys] == [b[k] for k in keys]
    assert a["journal"] and not b["journal"]


def test_w2_gives_the_same_result_with_its_oms_bounded_by_retention(data):
    kept = throughput.run(
        "W2", data, 20_000, True, "quotes_100k.parquet", "bars_20k.parquet", retain_closed=None
    )
    bounded = throughput.run(
        "W2", data, 20_000, True, "quotes_100k.parquet", "bars_20k.parquet", retain_closed=100
    )
    keys = ("events", "orders", "cancels", "fills", "final_position", "pnl")
    assert [kept[k] for k in keys] == [bounded[k] for k in keys]
    assert kept["orders_held"] == kept["orders"] > 5_000
    assert bounded["orders_held"] <= 100 + 4  # the newest closed, the quotes working


def test_w1_sees_every_quote_and_trades_nothing(data):
    r = run(data, "W1")
    assert r["events"] == 100_000
    assert (r["orders"], r["fills"], r["final_position"]) == (0, 0, 0)


def test_throughput_cli_prints_one_json_object(data):
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benches" / "throughput.py"),
            "W3",
            "--data",
            str(data),
            "--bars",
            "bars_20k.parquet",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    result = json.loads(out.stdout)
    for key in (
        "workload",
        "events",
        "seconds",
        "events_per_s",
        "orders",
        "cancels",
        "fills",
        "final_position",
        "pnl",
        "peak_rss_mb",
    ):
        assert key in result, key
    assert result["workload"] == "W3-bars-sma" and result["orders"] == 739
    libs, anon = result["rss_libs_mb"], result["rss_anon_mb"]
    if libs is not None:  # Linux: the two parts of what is resident, each below the peak
        assert 0 < libs < result["peak_rss_mb"] and 0 < anon < result["peak_rss_mb"]


def test_journal_cost_bench_measures_every_part_with_the_same_result(data):
    """``benches/journal_cost.py``: each mode leaves out part of the journal, none changes what
    the workload does (the bench stops if one did); the parts add up to the whole journal."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "benches" / "journal_cost.py"), "W3", "--data", str(data),
         "--bars", "bars_20k.parquet", "--runs", "1", "--json"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    res = json.loads(out)
    # compiled, the kernel builds no record tuples: no ``records`` mode
    records = [] if packer.DIRECT else ["records"]
    assert list(res["seconds"]) == ["off", *records, "packed", "hashed", "stored"]
    assert res["result"] == [739, 739, 100, 5578.0]
    total = res["seconds"]["stored"] - res["seconds"]["off"]
    assert sum(res["parts"].values()) == pytest.approx(total)
    assert res["journal_share"] == pytest.approx(total / res["seconds"]["off"])
