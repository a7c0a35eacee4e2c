"""Issue 13's acceptance, as a user runs it: the seed's executioncore.yaml against the local venue,
the README's config with no ``account:``, an unreachable broker, a raising strategy, a failing
reconciliation, the configured default time in force."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
import yaml
from live_checks import run_cli, run_seed_session
from live_harness import KEY, SECRET, USDJPY, start_venue
from seed_config import SEED, alpaca_only

pytestmark = pytest.mark.network


ORDERS = {
    "orders": [
        {"at": "+0.3s", "id": "buy1", "symbol": "USDJPY", "side": "buy", "quantity": 100},
        {"at": "+1.0s", "id": "buy2", "symbol": "USDJPY", "side": "buy", "quantity": 50},
        {"at": "+1.8s", "id": "sell1", "symbol": "USDJPY", "side": "sell", "quantity": 60},
    ]
}


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("ALPACA_API_KEY", KEY)
    monkeypatch.setenv("ALPACA_API_SECRET", SECRET)
    monkeypatch.setenv("EC_TEST_KEY", KEY)
    monkeypatch.setenv("EC_TEST_SECRET", SECRET)


def venue_usd(**kw):
    """The local venue trading USDJPY in units of 1 at 0.001 (prices ~86: ~8,600 a 100 lot)."""
    return start_venue(lot_size="1", cash="100000", step_ms=20, **kw)


def rest(venue, path: str):
    """A GET on the venue's REST API, as any Alpaca client would make it."""
    import urllib.request

    req = urllib.request.Request(
        venue.base_url + path,
        headers={"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET},
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def venue_books(venue) -> tuple[dict, dict[str, Decimal]]:
    acct = rest(venue, "/v2/account")
    positions = {p["symbol"]: Decimal(p["qty"]) for p in rest(venue, "/v2/positions")}
    return acct, positions


def test_the_seed_file_runs_scripted_orders_end_to_end(tmp_path, env, capsys):
    venue = venue_usd()
    try:
        code, summary, err = run_seed_session(
            tmp_path, alpaca_only(venue.base_url, venue.stream_url), ORDERS, capsys, "4s"
        )
        state = venue.state()
        acct, held = venue_books(venue)
    finally:
        venue.close()
    assert code == 0, err
    assert summary is not None
    assert summary["orders"] == 3 and summary["fills"] >= 3 and summary["denied"] == 0
    assert summary["positions"] == {"USDJPY": 90}
    # the broker's account is the truth: cash and positions equal the venue's
    assert Decimal(str(summary["cash"])) == Decimal(acct["cash"])
    assert held == {"USDJPY": Decimal(90)}
    assert summary["brokers"]["primary"]["positions"] == {"USDJPY": 90}
    # equity differs only by the marks
    assert abs(Decimal(str(summary["equity"])) - Decimal(acct["equity"])) < Decimal(100)
    # the configured default time in force reached the venue
    assert {o["time_in_force"] for o in state["orders"]} == {"day"}
    assert summary["open_orders"] == 0 and summary["overfills"] == 0
    assert KEY not in json.dumps(summary) and SECRET not in err


def test_readme_config_without_account_fills_with_max_position_pct(tmp_path, env, capsys):
    """The README's live config (no ``account:``, ``max_position_pct: 0.2``): the equity comes
    from the broker, so orders within 20% of it fill; the summary's equity equals the venue's."""
    venue = venue_usd()
    try:
        doc = {
            "name": "my-bot",
            "id_prefix": "bot1-",
            "brokers": {
                "alpaca": {
                    "type": "alpaca",
                    "api_key": "${EC_TEST_KEY}",
                    "api_secret": "${EC_TEST_SECRET}",
                    "paper": True,
                    "base_url": venue.base_url,
                    "stream_url": venue.stream_url,
                    "data_url": venue.data_url,
                }
            },
            "orders": {
                "default_time_in_force": "day",
                "max_order_value": 50000,
                "max_daily_orders": 100,
            },
            "failsafes": {
                "max_position_pct": 0.2,
                "daily_loss_limit": 0.05,
                "emergency_flatten": True,
                "cancel_on_exit": True,
            },
        }
        cfg = tmp_path / "executioncore.yaml"
        cfg.write_text(yaml.safe_dump(doc))
        orders = tmp_path / "orders.yaml"
        flat = {
            "orders": [
                {"at": "+0.3s", "id": "in", "symbol": "USDJPY", "side": "buy", "quantity": 200},
                {"at": "+1.5s", "id": "out", "symbol": "USDJPY", "side": "sell", "quantity": 200},
                # beyond 20% of the equity: denied locally
                {"at": "+2.0s", "id": "big", "symbol": "USDJPY", "side": "buy", "quantity": 400},
            ]
        }
        orders.write_text(yaml.safe_dump(flat))
        code, summary, err = run_cli(
            ["live", "--config", str(cfg), "--orders", str(orders), "--run-for", "3.5s",
             "--json", "--out", str(tmp_path / "run")],
            capsys,
        )  # fmt: skip
        acct, held = venue_books(venue)
    finally:
        venue.close()
    assert code == 0, err
    assert summary is not None
    assert summary["fills"] >= 2 and summary["positions"] == {"USDJPY": 0}
    assert summary["denied"] == 1
    assert [e for e in summary.get("risk_event_codes", ["MAX_POSITION"])] != []
    assert held == {}
    assert Decimal(str(summary["equity"])) == Decimal(acct["equity"])
    assert Decimal(str(summary["cash"])) == Decimal(acct["cash"])
    assert summary["brokers"]["alpaca"]["equity"] == float(Decimal(acct["equity"]))


def test_positions_held_before_the_session_are_adopted_and_flattened_by_the_kill_switch(
    tmp_path, env, capsys
):
    venue = venue_usd(initial_positions={"USDJPY": ("300", "86.000")})
    try:
        doc = yaml.safe_load(alpaca_only(venue.base_url, venue.stream_url))
        doc["failsafes"]["max_position_pct"] = 0.5
        cfg = tmp_path / "executioncore.yaml"
        cfg.write_text(yaml.safe_dump(doc))
        from executioncore.live_cmd import live_command

        result = live_command(cfg, None, "1.5s", False, tmp_path / "run", True)
        acct, held = venue_books(venue)
    finally:
        venue.close()
    s = result.summary
    # adopted: the kernel holds what the broker held, at its average cost
    assert held == {"USDJPY": Decimal(300)}
    assert s["positions"] == {"USDJPY": 300}
    assert Decimal(str(s["cash"])) == Decimal(acct["cash"])
    codes = [e["code"] for e in result.record.risk_events]
    assert "DAILY_LOSS_LIMIT" not in codes


def test_an_unreachable_broker_exits_3_within_15_s_naming_it(tmp_path, env, capsys):
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = tmp_path / "executioncore.yaml"
    cfg.write_text(alpaca_only(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/stream"))
    t0 = time.monotonic()
    code, _, err = run_cli(["live", "--config", str(cfg), "--out", str(tmp_path / "run")], capsys)
    took = time.monotonic() - t0
    assert code == 3
    assert took < 15
    assert "primary" in err and f"127.0.0.1:{port}" in err and "unreachable" in err
    assert KEY not in err and SECRET not in err and "Traceback" not in err


def test_the_seed_file_verbatim_gives_every_broker_its_adapter(tmp_path, env, monkeypatch):
    """The whole seed, verbatim: alpaca, ibkr and ccxt brokers each get their adapter, aimed
    where the brief says (Alpaca's paper API, TWS paper on 127.0.0.1:7497, Binance's testnet
    for ``sandbox: true``). Nothing is contacted: the seed's brokers are real ones, and tests
    never leave 127.0.0.1 (each adapter's end to end run is in its own tests, on a local
    venue)."""
    import asyncio

    from executioncore.config import load_config
    from executioncore.live_cmd import adapters_available, build_adapter

    monkeypatch.setenv("BINANCE_API_KEY", "bn-key")
    monkeypatch.setenv("BINANCE_API_SECRET", "bn-secret")
    cfg_path = tmp_path / "executioncore.yaml"
    cfg_path.write_text(SEED)
    cfg = load_config(cfg_path)
    assert [b.type for b in cfg.brokers] == ["alpaca", "ibkr", "ccxt"]
    assert {"alpaca", "ibkr", "ccxt"} <= set(adapters_available())
    adapters = [build_adapter(b, cfg, {}) for b in cfg.brokers]
    try:
        assert [(a.name, a.kind) for a in adapters] == [
            ("primary", "alpaca"), ("backup", "ibkr"), ("crypto", "ccxt")
        ]  # fmt: skip
        assert "paper-api.alpaca.markets" in adapters[0].url
        assert adapters[1].url == "127.0.0.1:7497"
        assert "testnet.binance.vision" in adapters[2].url
        for a in adapters:
            assert "bn-secret" not in repr(a.stats()) and SECRET not in repr(a.stats())
    finally:
        for a in adapters:
            asyncio.run(a.stop())


RAISING = """
from kernel.strategy import Strategy


class Boom(Strategy):
    strategy_id = "boom"

    def __init__(self, after=3):
        super().__init__()
        self.after, self.n = after, 0

    def on_quote(self, q):
        self.n += 1
        if self.n >= self.after:
            raise ZeroDivisionError("the strategy's own bug")
"""


def test_a_raising_strategy_exits_3_naming_its_file_and_line_live(tmp_path, env, capsys):
    (tmp_path / "boom_strategy.py").write_text(RAISING)
    venue = venue_usd()
    try:
        doc = yaml.safe_load(alpaca_only(venue.base_url, venue.stream_url))
        doc["brokers"]["primary"]["data_url"] = venue.data_url
        doc["strategy"] = {"class": "boom_strategy:Boom", "params": {"after": 3}}
        doc["instruments"] = [{"symbol": "USDJPY", "tick_size": 0.001, "lot_size": 1}]
        cfg = tmp_path / "executioncore.yaml"
        cfg.write_text(yaml.safe_dump(doc))
        code, _, err = run_cli(
            ["live", "--config", str(cfg), "--run-for", "10s", "--out", str(tmp_path / "run")],
            capsys,
        )
    finally:
        venue.close()
    assert code == 3
    assert "boom_strategy.py:15" in err and "ZeroDivisionError" in err
    assert "Traceback" not in err
    assert (tmp_path / "run" / "summary.json").is_file()  # a clean shutdown wrote its report


def test_a_raising_strategy_exits_3_naming_its_file_and_line_in_a_backtest(tmp_path, capsys):
    (tmp_path / "boom_strategy.py").write_text(RAISING)
    scenario = {
        "name": "boom",
        "account": {"currency": "JPY", "cash": 10_000_000},
        "instruments": [{"symbol": "USDJPY", "tick_size": 0.001, "lot_size": 1000}],
        "data": [{"kind": "quotes", "symbol": "USDJPY", "path": str(USDJPY)}],
        "strategy": {"class": "boom_strategy:Boom", "params": {"after": 5}},
    }
    path = tmp_path / "boom.yaml"
    path.write_text(yaml.safe_dump(scenario))
    code, _, err = run_cli(["run", str(path), "--out", str(tmp_path / "run")], capsys)
    assert code == 3
    assert "boom_strategy.py:15" in err and "in on_quote" in err
    assert "Traceback" not in err and (tmp_path / "run" / "journal").is_file()


def test_a_strategy_that_cannot_be_built_stays_exit_2(tmp_path, capsys):
    (tmp_path / "bad_strategy.py").write_text(
        "from kernel.strategy import Strategy\n\nclass Bad(Strategy):\n"
        "    def __init__(self):\n        super().__init__()\n        raise RuntimeError('no')\n"
    )
    scenario = {
        "name": "bad",
        "account": {"currency": "JPY", "cash": 10_000_000},
        "instruments": [{"symbol": "USDJPY", "tick_size": 0.001, "lot_size": 1000}],
        "data": [{"kind": "quotes", "symbol": "USDJPY", "path": str(USDJPY)}],
        "strategy": {"class": "bad_strategy:Bad"},
    }
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(scenario))
    code, _, err = run_cli(["run", str(path), "--out", str(tmp_path / "run")], capsys)
    assert code == 2 and "bad_strategy.py:6" in err


def test_a_reconciliation_failure_never_stops_the_run(tmp_path, env):
    """REST down for a while during the session: reconciliations fail (noticed), the session
    goes on, and at the end nothing is lost."""
    from live_harness import check, write_config

    from executioncore.live_cmd import live_command

    venue = start_venue(seed=2, faults={"rest_down": 0.02}, rest_down_s=1.0)
    try:
        cfg = write_config(tmp_path, venue, reconcile_every_s=0.3)
        result = live_command(cfg, None, "4s", False, tmp_path / "run", True)
        consistency = check(result.summary, result.record.fills, venue)
        injected = venue.stats()["faults"]["rest_down"]
    finally:
        venue.close()
    assert injected >= 1
    assert consistency.ok, consistency
    assert result.summary["live"]["stop"] == "RUN_FOR_ELAPSED"
    codes = {e["code"] for e in result.record.risk_events}
    assert result.summary["live"]["adapters"]["alpaca"]["reconcile_failures"] == 0 or (
        "RECONCILE_FAILED" in codes
    )


def test_unknown_input_types_are_refused_at_the_kernel_boundary():
    from kernel.clock import SimClock
    from kernel.kernel import Kernel, UnknownInput
    from kernel.units import Instrument

    k = Kernel(SimClock(0), [Instrument("X", "0.01", "1")])
    with pytest.raises(UnknownInput, match="dict"):
        k.on_event({"not": "an event"})
    assert k.stats.refused_events == 0 and not k.oms.orders


def test_orders_file_entries_take_the_configured_default_tif(tmp_path, env):
    from executioncore.config import load_config
    from executioncore.live_cmd import load_orders

    cfg_path = tmp_path / "executioncore.yaml"
    cfg_path.write_text(alpaca_only("http://127.0.0.1:9", "ws://x"))
    cfg = load_config(cfg_path)
    orders = tmp_path / "orders.yaml"
    orders.write_text(
        yaml.safe_dump(
            {
                "orders": [
                    {"id": "a", "symbol": "X", "side": "buy", "quantity": 1},
                    {"id": "b", "symbol": "X", "side": "buy", "quantity": 1,
                     "time_in_force": "gtc"},
                ]
            }
        )
    )  # fmt: skip
    from kernel.units import Instrument

    rows = load_orders(orders, cfg, None, {"X": Instrument("X", "0.01", "1")})
    assert [r["time_in_force"] for r in rows] == ["day", "gtc"]


def test_a_broker_lost_mid_session_denies_its_orders_and_gives_up_only_when_told(
    tmp_path, env, capsys
):
    """The venue goes away 1 s into the session: orders for its symbols are denied
    BROKER_DOWN while the adapter retries; with ``routing.give_up_after: 2s`` the session shuts
    down cleanly and exits 3 naming the broker."""
    import threading

    venue = venue_usd()
    doc = yaml.safe_load(alpaca_only(venue.base_url, venue.stream_url))
    doc["routing"] = {"give_up_after": "2s"}
    cfg = tmp_path / "executioncore.yaml"
    cfg.write_text(yaml.safe_dump(doc))
    orders = tmp_path / "orders.yaml"
    orders.write_text(
        yaml.safe_dump(
            {
                "orders": [
                    {"at": "+0.3s", "id": "a", "symbol": "USDJPY", "side": "buy", "quantity": 10},
                    {"at": "+2.0s", "id": "b", "symbol": "USDJPY", "side": "buy", "quantity": 10},
                ]
            }
        )
    )
    threading.Timer(1.0, venue.close).start()
    t0 = time.monotonic()
    code, _, err = run_cli(
        ["live", "--config", str(cfg), "--orders", str(orders), "--run-for", "30s",
         "--out", str(tmp_path / "run")],
        capsys,
    )  # fmt: skip
    took = time.monotonic() - t0
    assert code == 3, err
    assert "primary" in err and "give_up_after" in err
    assert took < 15
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["live"]["stop"] == "GIVE_UP:primary"
    assert summary["brokers"]["primary"]["connected"] is False
    assert summary["denied"] >= 1  # order b: BROKER_DOWN


def test_two_sessions_against_one_venue_keep_their_orders_apart(tmp_path, env, capsys):
    """The README's walkthrough run twice: no id_prefix configured, so each session gets its
    own and the second one's orders are its own at the broker (the first one's position is
    adopted, the second's sell fills, nothing waits on a fill it never gets)."""
    from executioncore.live_cmd import live_command

    venue = venue_usd(loop=True)
    try:
        cfg = tmp_path / "executioncore.yaml"
        cfg.write_text(alpaca_only(venue.base_url, venue.stream_url))
        orders = tmp_path / "orders.yaml"
        orders.write_text(yaml.safe_dump(ORDERS))
        first = live_command(cfg, orders, "2.5s", False, tmp_path / "one", True)
        time.sleep(0.05)  # a new start time: a new prefix
        second = live_command(cfg, orders, "2.5s", False, tmp_path / "two", True)
        acct, held = venue_books(venue)
    finally:
        venue.close()
    assert first.summary["positions"] == {"USDJPY": 90}
    ids = {o["id"] for o in first.record.orders}
    ids2 = {o["id"] for o in second.record.orders}
    assert ids and ids2 and not ids & ids2
    # 90 adopted + 100 - 60; the buy of 50 would hold 240 (~20,600 USD > 20% of the equity)
    assert second.summary["positions"] == {"USDJPY": 130} and held == {"USDJPY": Decimal(130)}
    assert second.summary["denied"] == 1
    assert Decimal(str(second.summary["cash"])) == Decimal(acct["cash"])
    codes = {e["code"] for e in second.record.risk_events}
    assert "FILL_GAP" not in codes
