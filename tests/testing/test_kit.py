"""The kit's acceptance, as a user runs it: the planted partial-fill bug of the worked example
(scenarios/examples/bracket.py, docs/TESTING.md) is found within the default example count and
shrunk; the written scenario reproduces it with `executioncore run` (exit 1); the fixed strategy
passes; the same seed gives the same first failure."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from executioncore.testing import check_strategy, fuzz

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "scenarios" / "examples"
CLI = [sys.executable, "-m", "executioncore"]


def _cli(*args: str, cwd: Path = EXAMPLES) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("fuzz") / "bug"
    p = _cli("fuzz", "bracket:BracketBuyer", "--params", '{"symbol": "XYZ"}', "--out", str(out),
             "--json")  # fmt: skip
    assert p.returncode == 1, p.stderr
    return json.loads(p.stdout), out


def test_the_planted_bug_is_found_and_shrunk(found: tuple[dict, Path]) -> None:
    result, out = found
    assert result["invariant"] == "BracketBuyer.exits_never_exceed_entries"
    assert "the exits sold" in result["failure"] and "step" in result["failure"]
    assert result["scenario"] == str(out / "scenario.yaml")
    # shrunk: a handful of market events, no venue faults, no operator actions
    rows = sum(sum(1 for _ in csv.reader(f.open())) - 1 for f in (out / "data").glob("*.csv"))
    assert rows <= 16, rows
    raw = yaml.safe_load((out / "scenario.yaml").read_text())
    assert "faults" not in raw and "orders" not in raw
    assert raw["expect"] == {"invariants": True}
    assert (out / "bracket.py").is_file() and (out / "run" / "journal").is_file()


def test_the_written_scenario_reproduces_it(found: tuple[dict, Path], tmp_path: Path) -> None:
    result, out = found
    p = _cli(
        "run", str(out / "scenario.yaml"), "--json", "--out", str(tmp_path / "r"), cwd=tmp_path
    )
    assert p.returncode == 1, p.stderr
    failures = json.loads(p.stdout)["expectations"]["failures"]
    assert failures == [result["failure"]]
    replay = _cli("replay", str(out / "run"), cwd=tmp_path)
    assert replay.returncode == 0, replay.stdout + replay.stderr


def test_same_seed_same_first_failure(found: tuple[dict, Path], tmp_path: Path) -> None:
    result, out = found
    p = _cli("fuzz", "bracket:BracketBuyer", "--params", '{"symbol": "XYZ"}', "--out",
             str(tmp_path / "again"), "--json")  # fmt: skip
    assert p.returncode == 1
    assert json.loads(p.stdout)["failure"] == result["failure"]
    for name in ("scenario.yaml", "data/XYZ-quotes.csv", "data/XYZ-trades.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes()


def test_the_fixed_strategy_passes(tmp_path: Path) -> None:
    p = _cli("fuzz", "bracket:FixedBracketBuyer", "--params", '{"symbol": "XYZ"}', "--json",
             "--out", str(tmp_path / "none"))  # fmt: skip
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(p.stdout)["examples"] == 200
    assert not (tmp_path / "none").exists()


def test_check_strategy_raises_naming_invariant_and_file(tmp_path: Path) -> None:
    with pytest.raises(AssertionError) as info:
        check_strategy(_bracket("BracketBuyer"), {"symbol": "XYZ"}, examples=200, seed=0,
                       out=tmp_path / "f")  # fmt: skip
    text = str(info.value)
    assert "invariant BracketBuyer.exits_never_exceed_entries failed at step" in text
    assert f"executioncore run {tmp_path / 'f' / 'scenario.yaml'}" in text


def test_a_user_function_invariant_counts(tmp_path: Path) -> None:
    def never_more_than_five_lots(view) -> None:  # type: ignore[no-untyped-def]
        assert abs(view.position("XYZ")) <= 5, f"holds {view.position('XYZ')} lots"

    result = fuzz(_bracket("FixedBracketBuyer"), {"symbol": "XYZ"}, examples=50, seed=0,
                  invariants=[never_more_than_five_lots], out=tmp_path / "u")  # fmt: skip
    assert not result.passed
    assert "never_more_than_five_lots" in result.failure


def test_fuzz_bad_input_is_exit_2(tmp_path: Path) -> None:
    for args, says in (
        (["nosuchmodule:X"], "cannot import"),
        (["bracket:entry_open"], "not a Strategy subclass"),
        (["bracket:BracketBuyer", "--params", '{"nope": 1}'], "--params"),
        (["bracket:BracketBuyer", "--params", "[1, 2]"], "--params"),
        (["bracket:BracketBuyer", "--kinds", "ticks"], "--kinds"),
        (["bracket:BracketBuyer", "--invariants", "no_such"], "--invariants"),
        (["bracket:BracketBuyer", "--instrument", "XYZ:0.01"], "--instrument"),
    ):
        p = _cli("fuzz", *args)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert says in p.stderr and "Traceback" not in p.stderr


def _bracket(name: str) -> type:
    sys.path.insert(0, str(EXAMPLES))
    import bracket

    return getattr(bracket, name)  # type: ignore[no-any-return]
