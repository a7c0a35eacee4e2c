"""The same strategy gives the same fills in a backtest and live on the local Alpaca venue fed
with the same data: the fill rules are one code (sim.recorded), only the timing differs."""

from __future__ import annotations

import pytest
import yaml
from live_harness import CHURN, KEY, SECRET, USDJPY, start_venue, write_config

from executioncore.live_cmd import live_command
from executioncore.runner import prepare
from executioncore.scenario import load_scenario

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]


def first_rows(tmp, n: int):
    lines = USDJPY.read_text().splitlines()
    path = tmp / "usdjpy_head.csv"
    path.write_text("\n".join(lines[: n + 1]) + "\n")
    return path


def fills(record_fills, prefix: str) -> list[tuple[int, str, float, float]]:
    out = []
    for f in record_fills:
        n = int(f["order_id"].removeprefix(prefix))
        out.append((n, f["side"], f["price"], f["qty"]))
    return out


def test_backtest_and_local_venue_give_the_same_fills(tmp_path, monkeypatch):
    monkeypatch.setenv("EC_TEST_KEY", KEY)
    monkeypatch.setenv("EC_TEST_SECRET", SECRET)
    data = first_rows(tmp_path, 80)
    (tmp_path / "churn_strategy.py").write_text(CHURN)
    scenario = tmp_path / "bt.yaml"
    scenario.write_text(
        yaml.safe_dump(
            {
                "name": "bt",
                "seed": 1,
                "account": {"currency": "JPY", "cash": 10_000_000},
                "instruments": [
                    {"symbol": "USDJPY", "tick_size": 0.001, "lot_size": 1000, "currency": "JPY"}
                ],
                "data": [{"kind": "quotes", "symbol": "USDJPY", "path": str(data)}],
                "strategy": {"class": "churn_strategy:Churn", "params": {"symbol": "USDJPY"}},
            }
        )
    )
    backtest = prepare(load_scenario(scenario), out_dir=tmp_path / "bt").execute()
    venue = start_venue(data=data, step_ms=60)  # each order reaches the venue before the next quote
    try:
        cfg = write_config(tmp_path, venue)
        live = live_command(cfg, None, "6s", False, tmp_path / "live", True)
    finally:
        venue.close()
    bt_fills = fills(backtest.record.fills, "churn-")
    live_fills = fills(live.record.fills, "t-churn-")
    assert len(bt_fills) >= 10
    assert live_fills == bt_fills
    assert live.summary["positions"] == backtest.summary["positions"]
