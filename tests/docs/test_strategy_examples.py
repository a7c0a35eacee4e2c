"""The strategy examples run the way docs/STRATEGY.md says a user runs them: the console script
``executioncore run`` on the scenario files, from the project's root or from anywhere else.

Each run's summary JSON and journal are checked against what the page promises: the signal
strategy trades both ways and ends flat; the market maker buys and sells, re-prices its quotes
with modifies, never holds more than its ``max_inventory`` (recomputed here from the journal's
fills, not taken from the strategy) and ends flat; a run replays exactly. The page's first
strategy runs as printed, from a folder laid out as the page says.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from executioncore.store import SqliteStore
from kernel import codec
from kernel.commands import ModifyOrder, SubmitOrder
from kernel.enums import OrderType
from kernel.events import OrderFilled
from kernel.journal import read_records
from kernel.units import Instrument

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "STRATEGY.md"
SIGNAL = "scenarios/examples/signal.yaml"
MAKER = "scenarios/examples/market_maker.yaml"
SUBMIT_TAGS = (codec.TAG_SUBMIT, codec.TAG_SUBMIT_PLAIN)


def executioncore_command() -> list[str]:
    """The console script a user types (beside this Python), else ``python -m executioncore``."""
    script = Path(sys.executable).with_name("executioncore")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "executioncore"]


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*executioncore_command(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def run_json(scenario: str, out: Path, cwd: Path = ROOT) -> dict[str, Any]:
    """Run a scenario with ``--json``; assert exit 0 and that stdout is the summary only."""
    proc = run_cli(["run", scenario, "--out", str(out), "--json"], cwd)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def journal_objects(run_dir: Path) -> list[tuple[int, Any]]:
    """The journal's order events and commands, decoded, in order (data chunks left out)."""
    wanted = {codec.TAGS[OrderFilled], codec.TAGS[ModifyOrder], *SUBMIT_TAGS}
    records = read_records(SqliteStore.open(run_dir / "journal").blocks())
    return [codec.decode(r) for r in records if r[1] in wanted]


def fills(run_dir: Path) -> list[OrderFilled]:
    return [obj for _, obj in journal_objects(run_dir) if isinstance(obj, OrderFilled)]


def instrument_and_params(scenario: str) -> tuple[Instrument, dict[str, Any]]:
    raw = yaml.safe_load((ROOT / scenario).read_text())
    row = raw["instruments"][0]
    inst = Instrument(row["symbol"], str(row["tick_size"]), str(row["lot_size"]), row["currency"])
    return inst, raw["strategy"]["params"]


@pytest.fixture(scope="module")
def signal_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("signal") / "run"
    return run_json(SIGNAL, out), out


@pytest.fixture(scope="module")
def maker_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("maker") / "run"
    return run_json(MAKER, out), out


# --- the signal strategy ----------------------------------------------------------------------
def test_signal_example_run_from_root_trades_and_ends_flat(signal_run):
    summary, _ = signal_run
    assert summary["expectations"] == {"passed": True, "failures": []}
    assert summary["fills"] >= 4
    assert summary["positions"] == {"USDJPY": 0}
    assert summary["rejects"] == 0


def test_signal_example_journal_fills_go_long_and_short_and_sum_to_flat(signal_run):
    _, run_dir = signal_run
    found = fills(run_dir)
    inst, params = instrument_and_params(SIGNAL)
    lots = inst.qty_to_lots(params["quantity"])
    position, seen = 0, set()
    for f in found:
        position += f.side * f.qty_lots
        seen.add(position)
        assert abs(position) <= lots, f"held {position} lots, more than one quantity ({lots})"
    assert position == 0
    assert {lots, -lots} <= seen, f"positions held: {sorted(seen)}"


def test_signal_example_run_from_another_folder_gives_the_same_digest(signal_run, tmp_path):
    summary, _ = signal_run
    elsewhere = run_json(str(ROOT / SIGNAL), tmp_path / "run", cwd=tmp_path)
    assert elsewhere["digest"] == summary["digest"]


def test_signal_example_replay_reproduces_the_run(signal_run):
    _, run_dir = signal_run
    proc = run_cli(["replay", str(run_dir), "--json"], ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True
    assert report["replayed_digest"] == report["recorded_digest"]


# --- the market maker -------------------------------------------------------------------------
def test_market_maker_example_run_trades_and_ends_flat(maker_run):
    summary, _ = maker_run
    assert summary["expectations"] == {"passed": True, "failures": []}
    assert summary["fills"] >= 4
    assert summary["cancels"] > 0
    assert summary["positions"] == {"USDJPY": 0}


def test_market_maker_example_inventory_never_exceeds_max_inventory(maker_run):
    _, run_dir = maker_run
    inst, params = instrument_and_params(MAKER)
    max_lots = inst.qty_to_lots(params["max_inventory"])
    position, peak, sides = 0, 0, set()
    for f in fills(run_dir):
        position += f.side * f.qty_lots
        peak = max(peak, abs(position))
        sides.add(f.side)
    assert sides == {1, -1}, "the maker should both buy and sell"
    assert 0 < peak <= max_lots, f"inventory peaked at {peak} lots, limit {max_lots}"
    assert position == 0


def test_market_maker_example_quotes_post_only_and_reprices_with_modifies(maker_run):
    _, run_dir = maker_run
    commands = [obj for _, obj in journal_objects(run_dir) if not isinstance(obj, OrderFilled)]
    submits = [c.order for c in commands if isinstance(c, SubmitOrder)]
    limits = [o for o in submits if o.order_type == OrderType.LIMIT]
    assert limits and all(o.post_only for o in limits)
    assert {o.side for o in limits} == {1, -1}
    assert any(isinstance(c, ModifyOrder) and c.limit_ticks is not None for c in commands)
    # the one market order is the flattening at the end of the quoting window
    assert [o.order_type for o in submits if o.order_type != OrderType.LIMIT] == [OrderType.MARKET]


# --- the page's first strategy, and what the page says does not work ------------------------------
def doc_examples() -> dict[str, str]:
    """The blocks of docs/STRATEGY.md marked ``<!-- doc-example: PATH -->``, by path."""
    pattern = re.compile(r"<!-- doc-example: (\S+) -->\n```\w+\n(.*?)```\n", re.S)
    return dict(pattern.findall(DOC.read_text(encoding="utf-8")))


def test_doc_first_strategy_runs_as_printed_from_its_own_folder(tmp_path):
    blocks = doc_examples()
    assert set(blocks) == {"my_scenarios/first.py", "my_scenarios/first.yaml"}
    for rel, text in blocks.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    data = yaml.safe_load(blocks["my_scenarios/first.yaml"])["data"][0]["path"]
    target = (tmp_path / "my_scenarios" / data).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "scenarios" / "data" / target.name, target)
    proc = run_cli(["run", "my_scenarios/first.yaml", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["fills"] > 0
    assert (tmp_path / "runs" / "first-1" / "summary.json").is_file()  # where the page says


def test_strategy_class_given_as_a_file_path_exits_2_saying_it_cannot_import(tmp_path):
    raw = yaml.safe_load((ROOT / SIGNAL).read_text())
    raw["strategy"]["class"] = "signal_strategy.py:MovingAverageCross"
    raw["data"][0]["path"] = str(ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv")
    # why: the module sits beside the scenario, so only the form of ``class`` can be what fails
    shutil.copy(ROOT / "scenarios" / "examples" / "signal_strategy.py", tmp_path)
    (tmp_path / "file_path.yaml").write_text(yaml.safe_dump(raw))
    proc = run_cli(["run", "file_path.yaml", "--out", str(tmp_path / "run")], tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "cannot import 'signal_strategy.py'" in proc.stderr
    assert "Traceback" not in proc.stderr
