"""``strategy:`` as a user meets it (scenario and live): a parameter the class does not take, a
class the module does not define, a module that does not import — exit 2, one line naming it."""

from __future__ import annotations

from cli_scenarios import run_bad, run_cli, write_live_config, write_module, write_scenario

CROSS = """
from kernel.strategy import Strategy


class Cross(Strategy):
    def __init__(self, fast=3, slow=5, qty=1):
        super().__init__()
        self.fast, self.slow, self.qty = fast, slow, qty


class Anything(Strategy):
    def __init__(self, fast=3, **more):
        super().__init__(**more)


class NotAStrategy:
    pass
"""


def _run(tmp_path, capsys, cls, **strategy):
    name = write_module(tmp_path, CROSS)
    path = write_scenario(tmp_path, strategy={"class": f"{name}:{cls}", **strategy})
    return run_cli(capsys, "run", path, "--out", tmp_path / "run", "--json"), path, name


def test_strategy_params_unknown_key_exits_2_naming_it_and_the_accepted_ones(tmp_path, capsys):
    name = write_module(tmp_path, CROSS)
    path = write_scenario(tmp_path, strategy={"class": f"{name}:Cross", "params": {"fsat": 2}})
    err = run_bad(capsys, "run", path, "--out", tmp_path / "run")
    assert err == (
        f"error: {path}: strategy.params: unknown key 'fsat' (accepted: fast, slow, qty)"
    )
    assert not (tmp_path / "run").exists()  # refused before anything ran


def test_strategy_params_missing_required_key_exits_2_naming_it(tmp_path, capsys):
    path = write_scenario(
        tmp_path,
        strategy={"class": "executioncore.strategies.trend:TrendFollower", "params": {}},
    )
    err = run_bad(capsys, "run", path, "--out", tmp_path / "run")
    assert err.endswith(
        "strategy.params: missing key 'symbol' "
        "(accepted: symbol, fast, slow, quantity, allow_short, strategy_id)"
    )


def test_bundled_strategy_params_typo_exits_2(tmp_path, capsys):
    path = write_scenario(
        tmp_path,
        strategy={
            "class": "executioncore.strategies.trend:TrendFollower",
            "params": {"symbol": "X", "fsat": 30},
        },
    )
    err = run_bad(capsys, "run", path, "--out", tmp_path / "run")
    assert err.endswith("strategy.params: unknown key 'fsat' " + ACCEPTED)


ACCEPTED = "(accepted: symbol, fast, slow, quantity, allow_short, strategy_id)"


def test_strategy_symbol_not_in_the_scenario_exits_2_before_the_run(tmp_path, capsys):
    path = write_scenario(
        tmp_path,
        strategy={
            "class": "executioncore.strategies.trend:TrendFollower",
            "params": {"symbol": "EURUSD"},
        },
    )
    err = run_bad(capsys, "run", path, "--out", tmp_path / "run")
    assert err.endswith(
        "strategy.params: symbol 'EURUSD' is not an instrument here (instruments: X)"
    )
    assert not (tmp_path / "run").exists()


def test_strategy_params_of_a_class_taking_kwargs_any_key_runs(tmp_path, capsys):
    (code, _out, err), _, _ = _run(tmp_path, capsys, "Anything", params={"whatever": 1})
    assert code == 0, err


def test_strategy_params_known_keys_run(tmp_path, capsys):
    (code, _out, err), _, _ = _run(tmp_path, capsys, "Cross", params={"fast": 2, "qty": 3})
    assert code == 0, err


def test_strategy_class_misspelled_exits_2_listing_the_module_strategies(tmp_path, capsys):
    name = write_module(tmp_path, CROSS)
    path = write_scenario(tmp_path, strategy={"class": f"{name}:Cros"})
    err = run_bad(capsys, "run", path, "--out", tmp_path / "run")
    assert err == (
        f"error: {path}: strategy.class: 'Cros' does not exist in module {name!r} "
        "(the Strategy subclasses it defines: Anything, Cross)"
    )


def test_strategy_class_not_a_strategy_exits_2_saying_so(tmp_path, capsys):
    name = write_module(tmp_path, CROSS)
    path = write_scenario(tmp_path, strategy={"class": f"{name}:NotAStrategy"})
    err = run_bad(capsys, "run", path, "--out", tmp_path / "run")
    assert err.endswith(f"strategy.class: '{name}:NotAStrategy' is not a Strategy subclass")


def test_strategy_module_that_raises_on_import_exits_2_naming_file_and_line(tmp_path, capsys):
    name = write_module(tmp_path, "x = 1\nraise RuntimeError('boom')\n")
    path = write_scenario(tmp_path, strategy={"class": f"{name}:Cross"})
    err = run_bad(capsys, "run", path, "--out", tmp_path / "run")
    assert f"strategy.class: cannot import {name!r}: RuntimeError: boom at " in err
    assert err.endswith(f"{name}.py:2")


def test_strategy_module_with_a_syntax_error_exits_2_naming_file_and_line(tmp_path, capsys):
    name = write_module(tmp_path, "def broken(:\n    pass\n")
    path = write_scenario(tmp_path, strategy={"class": f"{name}:Cross"})
    err = run_bad(capsys, "run", path, "--out", tmp_path / "run")
    assert f"strategy.class: cannot import {name!r}: SyntaxError" in err
    assert err.endswith(f"{name}.py:1")


def test_strategy_module_missing_exits_2_saying_it_cannot_import(tmp_path, capsys):
    path = write_scenario(tmp_path, strategy={"class": "no_such_pkg.mod:Cross"})
    err = run_bad(capsys, "run", path, "--out", tmp_path / "run")
    assert "strategy.class: cannot import 'no_such_pkg.mod'" in err


def test_live_strategy_params_unknown_key_exits_2_before_connecting(tmp_path, capsys):
    name = write_module(tmp_path, CROSS)
    cfg = write_live_config(tmp_path, strategy={"class": f"{name}:Cross", "params": {"fsat": 2}})
    err = run_bad(capsys, "live", "--config", cfg, "--run-for", "1s", "--out", tmp_path / "run")
    assert err == f"error: {cfg}: strategy.params: unknown key 'fsat' (accepted: fast, slow, qty)"
    assert not (tmp_path / "run").exists()


def test_live_strategy_class_misspelled_exits_2_listing_the_module_strategies(tmp_path, capsys):
    name = write_module(tmp_path, CROSS)
    cfg = write_live_config(tmp_path, strategy={"class": f"{name}:Crosss"})
    err = run_bad(capsys, "live", "--config", cfg, "--run-for", "1s", "--out", tmp_path / "run")
    assert "'Crosss' does not exist in module" in err and "defines: Anything, Cross" in err


def test_two_scenarios_with_same_named_modules_each_load_their_own(tmp_path):
    from executioncore.build import load_strategy

    for i, fast in enumerate((3, 7)):
        folder = tmp_path / f"s{i}"
        folder.mkdir()
        (folder / "same_name_strategy.py").write_text(
            f"from kernel.strategy import Strategy\n\n\nclass S(Strategy):\n    FAST = {fast}\n"
        )
        strategy = load_strategy({"class": "same_name_strategy:S"}, folder)
        assert fast == type(strategy).FAST
