"""``executioncore sweep`` in this process: the grid, its rows, the files, failures, bad input."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from sweep_helpers import DEMO, FAST, ROOT, SLOW, sweep, sweep_json

from executioncore.runner import prepare
from executioncore.scenario import load_scenario
from executioncore.sweep import parse_params, plan
from executioncore.sweep_exec import Bar
from executioncore.sweep_html import heat_cells
from executioncore.sweep_task import locate, parse_key, set_path

KEYS = ["run", "params", "status", "digest", "realized_pnl", "equity", "max_drawdown", "sharpe"]


def test_the_grid_is_the_product_of_the_params_last_key_fastest(local_sweep):
    rows, _ = local_sweep
    assert [r["run"] for r in rows] == list(range(9))
    assert [(r["params"][FAST], r["params"][SLOW]) for r in rows] == [
        (f, s) for f in (10, 20, 30) for s in (60, 120, 240)
    ]
    for r in rows:
        assert set(KEYS) <= set(r) and r["status"] == "ok" and r["error"] is None
        assert isinstance(r["realized_pnl"], float) and isinstance(r["fills"], int)
        assert isinstance(r["sharpe"], float)  # a month of data: the Sharpe is defined
    assert len({r["digest"] for r in rows}) == 9  # every point is a different run


def test_a_point_is_the_same_run_as_executioncore_run(local_sweep, tmp_path):
    rows, _ = local_sweep
    result = prepare(load_scenario(DEMO), None, tmp_path / "run").execute()  # fast 30, slow 120
    (row,) = [r for r in rows if r["params"] == {FAST: 30, SLOW: 120}]
    assert row["digest"] == result.summary["digest"]
    assert row["realized_pnl"] == result.summary["realized_pnl"]
    assert row["fills"] == result.summary["fills"]


def test_parquet_csv_and_html_hold_every_run_and_the_heat_map(local_sweep):
    rows, out = local_sweep
    table = pd.read_parquet(out / "results.parquet")
    assert list(table.columns[:3]) == ["run", FAST, SLOW]
    assert table[FAST].dtype == "int64"
    assert table["digest"].tolist() == [r["digest"] for r in rows]
    assert table["realized_pnl"].tolist() == [r["realized_pnl"] for r in rows]
    assert table["error"].isna().all()
    with (out / "results.csv").open() as fh:
        lines = list(csv.DictReader(fh))
    assert [line["digest"] for line in lines] == [r["digest"] for r in rows]
    assert [float(line["sharpe"]) for line in lines] == [r["sharpe"] for r in rows]
    html = (out / "sweep.html").read_text()
    assert f'data-heatmap="{FAST},{SLOW}"' in html and 'data-metric="realized_pnl"' in html
    cells = dict(re.findall(r'data-cell="(\d,\d)" data-value="([^"]*)"', html))
    assert len(cells) == 9
    for r in rows:  # column: fast (the first key), row: slow
        i, j = (10, 20, 30).index(r["params"][FAST]), (60, 120, 240).index(r["params"][SLOW])
        assert float(cells[f"{i},{j}"]) == r["realized_pnl"]
    assert "http://" not in html and "https://" not in html  # self-contained
    for r in rows:
        assert r["digest"][:16] in html


def test_a_failing_point_is_reported_and_the_others_complete(tmp_path):
    code, rows, err = sweep_json(
        DEMO, "--param", f"{FAST}=10,200", "--param", f"{SLOW}=120", "--workers", 1,
        "--out", tmp_path,
    )  # fmt: skip
    assert code == 1
    ok, bad = rows
    assert ok["status"] == "ok" and ok["digest"]
    assert bad["status"] == "failed" and bad["params"] == {FAST: 200, SLOW: 120}
    assert "need 0 < fast < slow" in bad["error"] and bad["digest"] is None
    assert "run 1" in err and f"{FAST}=200" in err and "Traceback" not in err
    table = pd.read_parquet(tmp_path / "results.parquet")
    assert table["status"].tolist() == ["ok", "failed"]
    assert "fast < slow" in table["error"][1]
    html = (tmp_path / "sweep.html").read_text()
    assert 'data-failed-run="1"' in html and "fast &lt; slow" in html


def test_the_terminal_table_lists_runs_failures_and_files(tmp_path):
    code, out, err = sweep(
        DEMO, "--param", f"{FAST}=10,200", "--param", f"{SLOW}=120", "--workers", 1,
        "--out", tmp_path, "--heatmap", f"{SLOW},{FAST}", "--metric", "fills",
    )  # fmt: skip
    assert code == 1 and err == ""  # not a terminal: no progress bar
    assert out.startswith("sweep of demo_btc_trend: 2 runs (2 x 1) in this process")
    assert "1 failed:" in out and "need 0 < fast < slow" in out
    assert "results.parquet" in out and "sweep.html" in out
    html = (tmp_path / "sweep.html").read_text()
    assert f'data-heatmap="{SLOW},{FAST}"' in html and 'data-metric="fills"' in html


def test_a_key_the_schema_takes_need_not_be_in_the_file(tmp_path):
    code, rows, err = sweep_json(
        DEMO, "--param", "risk.price_collar_pct=0.5", "--workers", 1, "--out", tmp_path
    )
    assert code == 0, err
    assert rows[0]["params"] == {"risk.price_collar_pct": 0.5} and rows[0]["status"] == "ok"
    html = (tmp_path / "sweep.html").read_text()
    assert "A heat map needs two parameters" in html


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("strategy.params.fsat=1,2", "--param strategy.params.fsat: the scenario has no"),
        ("strategy.parms.fast=1", "--param strategy.parms.fast: the scenario has no"),
        ("risk.max_position_pctt=1", "risk.max_position_pctt: unknown key"),
        ("venue.fees.taker_bpss=1", "venue.fees.taker_bpss: unknown key"),
        ("seed.x=1", "--param seed.x: seed is 42, not a mapping or a list"),
        ("data[3].path=x", "--param data[3].path: data has 1 element(s): no index 3"),
        ("data.path=x", "data is a list"),
        (f"{FAST}=[1", f"--param {FAST}: '[1' is not a YAML value"),
        (f"{FAST}=10,,20", "an empty value"),
        (f"{FAST}=10,10", "the value '10' is given twice"),
        (f"{FAST}={{a: 1}}", "is not a scalar"),
        (FAST, "expected KEY=V1,V2"),
        ("a..b=1", "is not a key path"),
    ],
)
def test_bad_input_exits_2_naming_the_key(param, message, tmp_path):
    code, out, err = sweep(DEMO, "--param", param, "--workers", 1, "--out", tmp_path / "o")
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()  # nothing ran


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([DEMO, "--param", f"{FAST}=1", "--param", f"{FAST}=2"], "given twice"),
        ([DEMO, "--param", "strategy.params=1", "--param", f"{FAST}=2"], "overlaps"),
        ([DEMO, "--param", f"{FAST}=1", "--heatmap", f"{FAST},seed"], "'seed' is not a swept"),
        ([DEMO, "--param", f"{FAST}=1", "--heatmap", FAST], "expected two different keys"),
        ([DEMO, "--param", f"{FAST}=1", "--workers", "0"], "--workers 0: must be at least 1"),
        ([DEMO], "give at least one --param"),
        (
            [DEMO, "--param", "seed=1", "--workers", 2, "--scheduler", "tcp://127.0.0.1:1"],
            "drop --workers",
        ),
        ([ROOT / "scenarios" / "nope.yaml", "--param", "seed=1"], "nope.yaml: no such file"),
    ],
)
def test_bad_arguments_exit_2(args, message, tmp_path):
    code, out, err = sweep(*args, "--out", tmp_path / "o")
    assert code == 2 and out == "" and message in err, err


def test_the_command_line_is_quiet_when_piped(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "executioncore", "sweep", str(DEMO), "--param", "seed=1,2",
         "--param", "strategy.params.bogus=1", "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: --param strategy.params.bogus:"), proc.stderr
    assert "\r" not in proc.stderr and "Traceback" not in proc.stderr


def test_without_dask_the_default_runs_here_with_a_note(monkeypatch, tmp_path):
    import executioncore.sweep as sweep_module

    monkeypatch.setattr(sweep_module, "_has_dask", lambda: False)
    monkeypatch.setattr(sweep_module.os, "cpu_count", lambda: 4)  # why: the default is a cluster
    code, rows, err = sweep_json(DEMO, "--param", "seed=1,2", "--out", tmp_path)
    assert code == 0 and [r["status"] for r in rows] == ["ok", "ok"]
    assert "Dask is not installed: running every point in this process" in err


# --- the pieces -----------------------------------------------------------------------------
def test_params_are_yaml_scalars_and_the_plan_keeps_their_text():
    grid = parse_params(["a.b=1,2.5,x", "end=2013-01-01T22:20:00Z,null,true"])
    assert [v for v, _ in grid[0][1]] == [1, 2.5, "x"]
    points = plan(grid)
    assert len(points) == 9
    index, params, shown = points[3]
    assert index == 3 and params["a.b"] == 2.5 and shown["a.b"] == 2.5
    assert shown["end"] == "2013-01-01T22:20:00Z"  # a timestamp is shown as written
    assert not isinstance(params["end"], str)  # but set as YAML reads it
    assert points[4][2]["end"] is None and points[5][2]["end"] is True


def test_key_paths_set_nested_values_and_make_missing_mappings():
    raw = {"data": [{"path": "a"}], "risk": None, "seed": 1}
    assert parse_key("data[0].path") == parse_key("data.0.path") == ("data", 0, "path")
    assert locate(raw, ("data", 0, "path")) == (True, None)
    assert locate(raw, ("venue", "fees", "taker_bps")) == (False, None)
    set_path(raw, ("data", 0, "path"), "b")
    set_path(raw, ("venue", "fees", "taker_bps"), 2)
    assert raw["data"][0]["path"] == "b" and raw["venue"] == {"fees": {"taker_bps": 2}}


def test_heat_cells_average_over_other_params_and_count_failures():
    def row(a, b, c, v, ok=True):
        status = "ok" if ok else "failed"
        return {"params": {"a": a, "b": b, "c": c}, "status": status, "x": v if ok else None}

    rows = [row(1, 1, 1, 2.0), row(1, 1, 2, 4.0), row(2, 1, 1, 1.0), row(2, 1, 2, 0, ok=False)]
    cells = heat_cells(rows, ("a", "b"), "x", {"a": [1, 2], "b": [1], "c": [1, 2]})
    assert cells == [[(3.0, 2, 0), (1.0, 1, 1)]]


def test_the_progress_bar_counts_runs_and_failures():
    stream = io.StringIO()
    bar = Bar(2, stream)
    bar({"status": "ok"})
    bar({"status": "failed"})
    bar.close()
    text = stream.getvalue()
    assert "1/2 runs" in text and "2/2 runs  1 failed" in text and text.endswith("\r")


def test_json_rows_round_trip(local_sweep):
    rows, _ = local_sweep
    assert json.loads(json.dumps(rows)) == rows
