"""An empty input file (nothing, or only comments) is named as such: exit 2,
``<path>: the file is empty`` — the scenario, the live config and the ``--orders`` file."""

from __future__ import annotations

import pytest
import yaml
from cli_scenarios import run_bad, write_live_config


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here yet\n", "---\n"])
def test_scenario_file_empty_exits_2_saying_the_file_is_empty(tmp_path, capsys, text):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    err = run_bad(capsys, "run", path, "--out", tmp_path / "run")
    assert err == f"error: {path}: the file is empty"


def test_scenario_file_null_document_exits_2_expecting_a_mapping(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("null\n")
    err = run_bad(capsys, "run", path, "--out", tmp_path / "run")
    assert err == f"error: {path}: expected a mapping, got None"


def test_live_config_empty_exits_2_saying_the_file_is_empty(tmp_path, capsys):
    cfg = tmp_path / "executioncore.yaml"
    cfg.write_text("# brokers: to come\n")
    err = run_bad(capsys, "live", "--config", cfg, "--run-for", "1s", "--out", tmp_path / "run")
    assert err == f"error: {cfg}: the file is empty"


@pytest.mark.timeout(60)
def test_live_orders_file_empty_exits_2_saying_the_file_is_empty(tmp_path, capsys):
    cfg = write_live_config(tmp_path)
    orders = tmp_path / "orders.yaml"
    orders.write_text("")
    err = run_bad(
        capsys,
        "live",
        "--config",
        cfg,
        "--orders",
        orders,
        "--run-for",
        "1s",
        "--out",
        tmp_path / "run",
    )
    assert err == f"error: {orders}: the file is empty"
    assert not (tmp_path / "run").exists()  # refused before the session started


def test_live_orders_file_with_orders_is_not_empty(tmp_path):
    from executioncore.config import load_config
    from executioncore.live_cmd import _read_orders, load_orders

    cfg = load_config(write_live_config(tmp_path))
    orders = tmp_path / "orders.yaml"
    entry = {"id": "a", "symbol": "USDJPY", "side": "buy", "quantity": 1000}
    orders.write_text("# one order\n" + yaml.safe_dump({"orders": [entry]}))
    assert [o["id"] for o in load_orders(orders, cfg, _read_orders(orders))] == ["a"]
