"""The Alpaca adapter and the live runner against the local Alpaca-compatible venue (loopback)."""

from __future__ import annotations

import pytest
import yaml
from live_harness import KEY, SECRET, check, start_venue, write_config

from executioncore.live_cmd import live_command
from executioncore.replay import replay

pytestmark = [pytest.mark.network, pytest.mark.timeout(90)]


@pytest.fixture
def creds(monkeypatch):
    monkeypatch.setenv("EC_TEST_KEY", KEY)
    monkeypatch.setenv("EC_TEST_SECRET", SECRET)


ORDERS = [
    {
        "at": "+0.3s",
        "id": "mkt",
        "symbol": "USDJPY",
        "side": "buy",
        "quantity": 3000,
        "type": "market",
    },
    {
        "at": "+0.5s",
        "id": "lmt",
        "symbol": "USDJPY",
        "side": "buy",
        "quantity": 1000,
        "type": "limit",
        "limit_price": 80.0,
    },
    {"at": "+0.7s", "modify": "lmt", "limit_price": 80.5},
    {"at": "+0.9s", "cancel": "lmt"},
    {
        "at": "+1.0s",
        "id": "stp",
        "symbol": "USDJPY",
        "side": "sell",
        "quantity": 1000,
        "type": "stop",
        "stop_price": 80.0,
    },
    {
        "at": "+1.1s",
        "id": "stl",
        "symbol": "USDJPY",
        "side": "sell",
        "quantity": 1000,
        "type": "stop_limit",
        "stop_price": 80.0,
        "limit_price": 79.9,
    },
    {
        "at": "+1.2s",
        "id": "trl",
        "symbol": "USDJPY",
        "side": "sell",
        "quantity": 1000,
        "type": "trailing_stop",
        "trail_price": 5.0,
    },
    {
        "at": "+1.3s",
        "id": "ioc",
        "symbol": "USDJPY",
        "side": "buy",
        "quantity": 1000,
        "type": "limit",
        "limit_price": 80.0,
        "time_in_force": "ioc",
    },
    {
        "at": "+1.4s",
        "id": "fok",
        "symbol": "USDJPY",
        "side": "sell",
        "quantity": 2000,
        "type": "limit",
        "limit_price": 80.0,
        "time_in_force": "fok",
    },
    {
        "at": "+1.5s",
        "id": "mit",
        "symbol": "USDJPY",
        "side": "buy",
        "quantity": 1000,
        "type": "mit",
        "stop_price": 80.0,
    },
]


def test_every_order_type_through_the_adapter_matches_the_venue(tmp_path, creds):
    venue = start_venue()
    try:
        cfg = write_config(tmp_path, venue, strategy=False)
        orders = tmp_path / "orders.yaml"
        orders.write_text(yaml.safe_dump({"orders": ORDERS}))
        result = live_command(cfg, orders, "3s", False, tmp_path / "run", True)
        consistency = check(result.summary, result.record.fills, venue)
        state = venue.state()
    finally:
        venue.close()
    assert consistency.ok, consistency
    by_id = {o["id"]: o for o in result.record.orders}
    status = {
        k: by_id[f"t-script-{i}"]["status"]
        for i, k in enumerate(["mkt", "lmt", "stp", "stl", "trl", "ioc", "fok", "mit"], start=1)
    }
    assert status["mkt"] == "filled" and status["lmt"] == "canceled"
    assert status["ioc"] == "canceled" and status["fok"] == "filled"
    assert status["mit"] == "rejected"  # Alpaca has no MIT: refused before it is sent
    # the resting stops are canceled at shutdown (cancel_on_exit)
    assert status["stp"] == status["stl"] == status["trl"] == "canceled"
    assert by_id["t-script-2"]["limit"] == 80.5  # the modify was confirmed
    assert result.summary["positions"] == {"USDJPY": 1000}
    assert {o["client_order_id"] for o in state["orders"]} >= {"t-script-1", "t-script-2"}
    assert replay(tmp_path / "run").ok


def test_strategy_session_is_consistent_and_replays(tmp_path, creds):
    venue = start_venue()
    try:
        cfg = write_config(tmp_path, venue)
        result = live_command(cfg, None, "3s", False, tmp_path / "run", True)
        consistency = check(result.summary, result.record.fills, venue)
    finally:
        venue.close()
    assert consistency.ok, consistency
    assert consistency.venue_fills >= 10
    report = replay(tmp_path / "run")
    assert report.ok, report.as_dict()
