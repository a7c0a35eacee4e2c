"""executioncore.yaml (CONTRACT.md "Live configuration"): the seed's file as written, broker keys per
type, ${ENV} values, errors naming the key path, secrets that never print."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from seed_config import SEED, alpaca_only

from executioncore.config import ACCOUNT_ONLY_SIM, Secret, load_config
from executioncore.scenario import ScenarioError

ROOT = Path(__file__).resolve().parents[3]
USDJPY = ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv"


KEY = "AKIDSECRETKEY123"
SECRET = "sEcReTvAlUe987"
BINANCE_KEY = "bnKEYvalue4567"
BINANCE_SECRET = "bnSECRETvalue8910"
SECRETS = (KEY, SECRET, BINANCE_KEY, BINANCE_SECRET)

BASE = {
    "name": "bot",
    "instruments": [{"symbol": "AAPL", "tick_size": 0.01, "lot_size": 1}],
    "brokers": {
        "alpaca": {
            "type": "alpaca",
            "api_key": "${EC_K}",
            "api_secret": "${EC_S}",
            "paper": True,
            "base_url": "http://127.0.0.1:1",
        }
    },
    "orders": {"max_order_value": 50000, "default_time_in_force": "day"},
    "failsafes": {"daily_loss_limit": 0.05, "emergency_flatten": True},
}
SIM = {
    "type": "sim",
    "data": {"kind": "quotes", "symbol": "USDJPY", "path": str(USDJPY)},
    "speed": 10,
}


def write(tmp_path, doc) -> Path:
    path = tmp_path / "executioncore.yaml"
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False))
    return path


def with_broker(**entry) -> dict:
    return {**BASE, "brokers": {"alpaca": {**BASE["brokers"]["alpaca"], **entry}}}


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("EC_K", KEY)
    monkeypatch.setenv("EC_S", SECRET)
    monkeypatch.setenv("ALPACA_API_KEY", KEY)
    monkeypatch.setenv("ALPACA_API_SECRET", SECRET)
    monkeypatch.setenv("BINANCE_API_KEY", BINANCE_KEY)
    monkeypatch.setenv("BINANCE_API_SECRET", BINANCE_SECRET)


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for value in SECRETS:
            assert value not in text


# --- the seed's file -----------------------------------------------------------------------------
def test_seed_file_verbatim_loads(tmp_path, env):
    cfg = load_config(write(tmp_path, SEED))
    assert [(b.name, b.type) for b in cfg.brokers] == [
        ("primary", "alpaca"),
        ("backup", "ibkr"),
        ("crypto", "ccxt"),
    ]
    primary, backup, crypto = cfg.brokers
    assert primary.key.reveal() == KEY and primary.secret.reveal() == SECRET and primary.paper
    assert backup.raw["host"] == "127.0.0.1" and backup.raw["port"] == 7497
    assert backup.raw["client_id"] == 1 and backup.paper and backup.key is None
    assert crypto.raw["exchange"] == "binance" and crypto.raw["sandbox"] is True and crypto.paper
    assert crypto.key.reveal() == BINANCE_KEY and crypto.secret.reveal() == BINANCE_SECRET
    assert all(b.connect_timeout_s == 10.0 for b in cfg.brokers)
    assert cfg.execution == {
        "default_algo": None,
        "algos": {
            "twap": {"duration": "30m", "slices": 10},
            "vwap": {"duration": "60m"},
            "iceberg": {"display_qty": 100},
        },
    }
    from executioncore.algo_spec import algo_defaults, parse_duration

    defaults = algo_defaults(cfg.execution)  # what the live command does with it
    assert defaults.default_algo is None
    assert parse_duration(defaults.algos["twap"]["duration"]) == 30 * 60 * 10**9
    assert parse_duration(defaults.algos["vwap"]["duration"]) == 60 * 60 * 10**9
    assert cfg.default_tif == "day"
    assert cfg.risk == {
        "max_order_value": 50000,
        "max_daily_orders": 100,
        "max_position_pct": 0.20,
        "daily_loss_limit": 0.05,
        "emergency_flatten": True,
    }
    assert cfg.monitoring == {
        "log_all_orders": True,
        "alert_on_rejection": True,
        "heartbeat_interval": 60.0,
    }
    assert cfg.instruments == [] and cfg.currency == "USD" and cfg.cash == "0"
    assert cfg.report_currency == "USD" and cfg.signals is None
    assert cfg.routing == {"failover_after_s": 10.0, "policy": "hold", "give_up_after_s": None}
    assert not cfg.real_money
    assert_no_secret(repr(cfg), str(cfg), *(repr(b) for b in cfg.brokers), repr(cfg.raw))
    assert_no_secret(*(str(b.raw) for b in cfg.brokers))


def test_seed_file_with_only_alpaca_and_local_urls_loads(tmp_path, env):
    text = alpaca_only("http://127.0.0.1:18080", "ws://127.0.0.1:18080/stream")
    assert "ibkr" not in text and "ccxt" not in text and "heartbeat_interval: 60" in text
    cfg = load_config(write(tmp_path, text))
    (broker,) = cfg.brokers
    assert broker.name == "primary" and broker.type == "alpaca" and broker.paper
    assert broker.raw["base_url"] == "http://127.0.0.1:18080"
    assert broker.raw["stream_url"] == "ws://127.0.0.1:18080/stream"
    assert cfg.execution["algos"]["twap"] == {"duration": "30m", "slices": 10}
    assert cfg.monitoring["heartbeat_interval"] == 60.0


def test_seed_file_missing_env_var_is_an_error_naming_it(tmp_path, env, monkeypatch):
    monkeypatch.delenv("BINANCE_API_SECRET")
    with pytest.raises(ScenarioError) as err:
        load_config(write(tmp_path, SEED))
    assert err.value.where == "brokers.crypto.api_secret"
    assert "environment variable BINANCE_API_SECRET is not set" in str(err.value)


# --- brokers -------------------------------------------------------------------------------------
def test_config_interpolates_env_and_hides_secrets(tmp_path, env):
    cfg = load_config(write(tmp_path, BASE))
    broker = cfg.brokers[0]
    assert isinstance(broker.key, Secret) and broker.key.reveal() == KEY
    assert "api_key" not in broker.raw and "api_secret" not in broker.raw
    assert_no_secret(repr(cfg), str(cfg), repr(broker), str(broker.raw), repr(cfg.raw))
    assert cfg.risk["max_order_value"] == 50000 and cfg.risk["emergency_flatten"] is True
    assert cfg.default_tif == "day" and not cfg.real_money


def test_config_ibkr_and_ccxt_keys_and_defaults(tmp_path, env):
    doc = {
        **BASE,
        "brokers": {
            "ib": {
                "type": "ibkr",
                "host": "10.0.0.2",
                "port": 4002,
                "client_id": 7,
                "account": "DU123",
                "paper": False,
                "connect_timeout": "30s",
            },
            "kr": {
                "type": "ccxt",
                "exchange": "kraken",
                "options": {"defaultType": "spot"},
                "base_url": "http://127.0.0.1:9000",
                "stream_url": "ws://127.0.0.1:9001",
                "urls": {"public": "http://127.0.0.1:9000"},
            },
            "bn": {"type": "binance", "api_key": "${EC_K}", "api_secret": "${EC_S}"},
        },
    }
    cfg = load_config(write(tmp_path, doc))
    ib, kr, bn = cfg.brokers
    assert (ib.type, ib.paper, ib.connect_timeout_s) == ("ibkr", False, 30.0)
    assert ib.raw["client_id"] == 7 and ib.raw["account"] == "DU123" and ib.raw["port"] == 4002
    assert kr.type == "ccxt" and kr.key is None and kr.secret is None and kr.paper
    assert kr.raw["options"] == {"defaultType": "spot"} and kr.raw["urls"]["public"]
    assert bn.type == "ccxt" and bn.raw["exchange"] == "binance" and bn.raw["type"] == "ccxt"
    assert bn.key.reveal() == KEY and "api_key" not in bn.raw
    assert cfg.real_money  # the ibkr broker has paper: false


def test_config_sandbox_false_is_real_money(tmp_path, env):
    doc = {**BASE, "brokers": {"c": {"type": "ccxt", "exchange": "binance", "sandbox": False}}}
    cfg = load_config(write(tmp_path, doc))
    assert cfg.brokers[0].paper is False and cfg.real_money


def test_config_real_money_needs_paper_false(tmp_path, env):
    assert load_config(write(tmp_path, with_broker(paper=False))).real_money


ALPACA = "alpaca, ibkr, ccxt, binance, sim"


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ({"bogus": 1}, "bogus", "unknown key (expected one of: account, brokers"),
        ({"brokers": {"x": {"type": "nope"}}}, "brokers.x.type", f"unknown value 'nope' (accepted: {ALPACA})"),
        ({"brokers": {"x": {"paper": True}}}, "brokers.x.type", "missing"),
        ({"brokers": {}}, "brokers", "at least one broker"),
        ({"brokers": None}, "brokers", "missing"),
        (
            {"brokers": {"x": {"type": "alpaca", "key": "k", "secret": "s"}}},
            "brokers.x.key",
            "unknown key (expected one of: api_key, api_secret, base_url, connect_timeout",
        ),
        ({"brokers": {"x": {"type": "alpaca", "api_key": "k"}}}, "brokers.x.api_secret", "missing"),
        ({"brokers": {"x": {"type": "alpaca", "api_secret": "s"}}}, "brokers.x.api_key", "missing"),
        ({"brokers": {"x": {"type": "alpaca", "api_key": "k", "api_secret": "s", "base_url": "ftp://x"}}}, "brokers.x.base_url", "expected a URL"),
        ({"brokers": {"x": {"type": "alpaca", "api_key": "k", "api_secret": "s", "paper": "yes"}}}, "brokers.x.paper", "expected true or false"),
        ({"brokers": {"x": {"type": "alpaca", "api_key": "k", "api_secret": "s", "timeout_s": "soon"}}}, "brokers.x.timeout_s", "like 10s"),
        ({"brokers": {"x": {"type": "alpaca", "api_key": "k", "api_secret": "s", "connect_timeout": 0}}}, "brokers.x.connect_timeout", "must be positive"),
        ({"brokers": {"x": {"type": "alpaca", "api_key": "k", "api_secret": "s", "symbols": "AAPL"}}}, "brokers.x.symbols", "expected a list"),
        ({"brokers": {"x": {"type": "ibkr", "api_key": "k"}}}, "brokers.x.api_key", "unknown key (expected one of: account, client_id, connect_timeout, host, paper, port, type)"),
        ({"brokers": {"x": {"type": "ibkr", "port": 70000}}}, "brokers.x.port", "0-65535"),
        ({"brokers": {"x": {"type": "ibkr", "port": "7497"}}}, "brokers.x.port", "whole number"),
        ({"brokers": {"x": {"type": "ibkr", "client_id": -1}}}, "brokers.x.client_id", "at least 0"),
        ({"brokers": {"x": {"type": "ibkr", "host": ""}}}, "brokers.x.host", "non-empty string"),
        ({"brokers": {"x": {"type": "ccxt"}}}, "brokers.x.exchange", "missing"),
        ({"brokers": {"x": {"type": "ccxt", "exchange": "binance", "paper": True}}}, "brokers.x.paper", "unknown key (expected one of: api_key, api_secret, base_url, connect_timeout, exchange, options, sandbox, stream_url, type, urls)"),
        ({"brokers": {"x": {"type": "ccxt", "exchange": "binance", "api_key": "k"}}}, "brokers.x.api_secret", "together"),
        ({"brokers": {"x": {"type": "ccxt", "exchange": "binance", "options": [1]}}}, "brokers.x.options", "expected a mapping"),
        ({"brokers": {"x": {"type": "ccxt", "exchange": "binance", "stream_url": "http://x"}}}, "brokers.x.stream_url", "expected a URL (ws, wss)"),
        ({"brokers": {"x": {"type": "ccxt", "exchange": "binance", "sandbox": 1}}}, "brokers.x.sandbox", "true or false"),
        ({"brokers": {"x": {"type": "binance", "exchange": "kraken"}}}, "brokers.x.exchange", "type binance is exchange binance"),
        ({"brokers": {"x": {"type": "sim"}}}, "brokers.x.data", "missing"),
        ({"brokers": {"x": {**SIM, "api_key": "k"}}}, "brokers.x.api_key", "unknown key"),
        ({"instruments": [{"symbol": "AAPL", "tick_size": 0.01, "lot_size": 1, "broker": "nope"}]}, "instruments[0].broker", "unknown broker 'nope' (configured: alpaca)"),
        ({"instruments": [{"symbol": "AAPL", "tick_size": 0.01}]}, "instruments[0].lot_size", "missing"),
        ({"instruments": [{"symbol": "AAPL", "tick_size": 0.01, "lot_size": 1, "expiry": 1}]}, "instruments[0].expiry", "unknown key (expected one of: broker, currency, exchange, lot_size, multiplier, sec_type, symbol, tick_size, venue)"),
        ({"instruments": [{"symbol": "AAPL", "tick_size": 0.01, "lot_size": 1, "broker": "alpaca", "venue": "alpaca"}]}, "instruments[0].venue", "not both"),
        ({"instruments": [{"symbol": "AAPL", "tick_size": 0.01, "lot_size": 1, "sec_type": 5}]}, "instruments[0].sec_type", "string"),
        ({"failsafes": {"daily_loss_limit": -1}}, "failsafes.daily_loss_limit", "must not be negative"),
        ({"failsafes": {"cancel_on_exit": "no"}}, "failsafes.cancel_on_exit", "true or false"),
        ({"failsafes": {"panic": True}}, "failsafes.panic", "unknown key (expected one of: cancel_on_exit"),
        ({"orders": {"max_order_value": "lots"}}, "orders.max_order_value", "not a number"),
        ({"orders": {"default_time_in_force": "forever"}}, "orders.default_time_in_force", "unknown value 'forever' (accepted: day, gtc, ioc, fok, opg, cls)"),
        ({"execution": {"default_algo": "best"}}, "execution.default_algo", "unknown value 'best' (accepted: market, twap, vwap, pov, iceberg, sor)"),
        ({"execution": {"style": "fast"}}, "execution.style", "unknown key (expected one of: algos, default_algo)"),
        ({"execution": {"algos": {"twap": {"slice_count": 0}}}}, "execution.algos.twap.slice_count", "at least 1"),
        ({"execution": {"algos": {"twap": {"duration_minutes": "x"}}}}, "execution.algos.twap.duration_minutes", "number of minutes"),
        ({"execution": {"algos": {"twap": {"duration": "1m", "duration_minutes": 1}}}}, "execution.algos.twap.duration_minutes", "not both"),
        ({"execution": {"algos": {"pov": {"visible_qty": 3, "rate": 0.1}}}}, "execution.algos.pov.visible_qty", "not a key of pov"),
        ({"routing": {"policy": "panic"}}, "routing.policy", "unknown value 'panic' (accepted: hold, flatten)"),
        ({"routing": {"failover_after": "soon"}}, "routing.failover_after", "like 10s"),
        ({"routing": {"give_up_after": -3}}, "routing.give_up_after", "must not be negative"),
        ({"routing": {"retry": 1}}, "routing.retry", "unknown key (expected one of: failover_after, give_up_after, policy)"),
        ({"report_currency": ""}, "report_currency", "non-empty string"),
        ({"signals": {"kind": "target_position"}}, "signals.path", "missing"),
        ({"signals": {"path": "nope.csv", "kind": "target_position"}}, "signals.path", "no such file"),
        ({"signals": {"path": "executioncore.yaml"}}, "signals.kind", "missing (accepted: target_position, target_weight)"),
        ({"signals": {"path": "executioncore.yaml", "kind": "vibes"}}, "signals.kind", "unknown value 'vibes' (accepted: target_position, target_weight)"),
        ({"signals": {"path": "executioncore.yaml", "kind": "target_weight", "algo": "magic"}}, "signals.algo", "unknown value 'magic' (accepted: market, twap, "),
        ({"signals": {"path": "executioncore.yaml", "kind": "target_weight", "every": 1}}, "signals.every", "unknown key (expected one of: algo, kind, path)"),
        ({"monitoring": {"heartbeat_s": 30}}, "monitoring.heartbeat_s", "unknown key (expected one of: alert_on_rejection, alerts, dashboard, heartbeat_interval, heartbeat_url, log_all_orders, metrics, sinks)"),
        ({"monitoring": {"log_all_orders": "yes"}}, "monitoring.log_all_orders", "true or false"),
        ({"monitoring": {"alert_on_rejection": 1}}, "monitoring.alert_on_rejection", "true or false"),
        ({"monitoring": {"heartbeat_interval": "often"}}, "monitoring.heartbeat_interval", "like 10s"),
        ({"monitoring": {"heartbeat_interval": 0}}, "monitoring.heartbeat_interval", "must be positive"),
        ({"monitoring": {"heartbeat_url": "example.com"}}, "monitoring.heartbeat_url", "expected a URL (http, https)"),
        ({"monitoring": {"alerts": [{"name": "a", "when": "pnl > 3"}]}}, "monitoring.alerts[0].when", "unknown quantity 'pnl' (expected one of: drawdown, daily_loss_used"),
        ({"monitoring": {"alerts": [{"name": "a", "when": "drawdown >> 3"}]}}, "monitoring.alerts[0].when", "QUANTITY OP NUMBER"),
        ({"monitoring": {"alerts": [{"name": "a", "when": "drawdown > lots"}]}}, "monitoring.alerts[0].when", "expected a number"),
        ({"monitoring": {"alerts": [{"name": "a", "when": "trading_state == sleepy"}]}}, "monitoring.alerts[0].when", "halted or reducing"),
        ({"monitoring": {"alerts": [{"name": "a", "when": "trading_state > halted"}]}}, "monitoring.alerts[0].when", "halted or reducing"),
        ({"monitoring": {"alerts": [{"when": "drawdown > 0.1"}]}}, "monitoring.alerts[0].name", "missing"),
        ({"monitoring": {"alerts": [{"name": "a", "when": "drawdown > 0.1", "level": 1}]}}, "monitoring.alerts[0].level", "unknown key (expected one of: name, severity, sinks, when)"),
        ({"monitoring": {"alerts": [{"name": "a", "when": "drawdown > 0.1", "severity": "meh"}]}}, "monitoring.alerts[0].severity", "unknown value 'meh' (accepted: info, warning, error, critical)"),
        ({"monitoring": {"alerts": [{"name": "a", "when": "drawdown > 0.1", "sinks": ["pager"]}]}}, "monitoring.alerts[0].sinks[0]", "unknown value 'pager' (accepted: log, file, webhook, email)"),
        ({"monitoring": {"alerts": [{"name": "a", "when": "drawdown > 0.1", "sinks": ["webhook"]}]}}, "monitoring.alerts[0].sinks[0]", "not configured"),
        ({"monitoring": {"alerts": [{"name": "a", "when": "drawdown > 0.1"}, {"name": "a", "when": "overfills > 0"}]}}, "monitoring.alerts[1].name", "listed twice"),
        ({"monitoring": {"sinks": {"sms": {}}}}, "monitoring.sinks.sms", "unknown key (expected one of: email, file, log, webhook)"),
        ({"monitoring": {"sinks": {"file": {}}}}, "monitoring.sinks.file.path", "missing"),
        ({"monitoring": {"sinks": {"webhook": {"url": "nope"}}}}, "monitoring.sinks.webhook.url", "expected a URL"),
        ({"monitoring": {"sinks": {"email": {"host": "h", "port": 25, "from": "a@b"}}}}, "monitoring.sinks.email.to", "missing"),
        ({"monitoring": {"sinks": {"email": {"host": "h", "port": "smtp", "from": "a", "to": "b"}}}}, "monitoring.sinks.email.port", "whole number"),
        ({"monitoring": {"sinks": {"log": {"level": "x"}}}}, "monitoring.sinks.log.level", "unknown key"),
        ({"monitoring": {"dashboard": {"port": 8080}}}, "monitoring.dashboard.token", "missing"),
        ({"monitoring": {"dashboard": {"token": "t0ken"}}}, "monitoring.dashboard.port", "missing"),
        ({"monitoring": {"dashboard": {"port": 1, "token": "t", "host": "x"}}}, "monitoring.dashboard.host", "unknown key (expected one of: port, token)"),
        ({"monitoring": {"metrics": {"port": 99999}}}, "monitoring.metrics.port", "0-65535"),
        ({"monitoring": {"metrics": {}}}, "monitoring.metrics.port", "missing"),
    ],
)  # fmt: skip
def test_config_bad_values_name_the_key(tmp_path, env, change, where, words):
    path = write(tmp_path, {**BASE, **change})
    with pytest.raises(ScenarioError) as err:
        load_config(path)
    assert err.value.where == where
    assert str(err.value).startswith(f"{path}: {where}: ")
    assert words in str(err.value)


def test_config_error_messages_never_contain_a_secret(tmp_path, env):
    # a secret pasted into the wrong key is not echoed back
    with pytest.raises(ScenarioError) as err:
        load_config(write(tmp_path, with_broker(base_url="${EC_S}")))
    assert err.value.where == "brokers.alpaca.base_url"
    assert_no_secret(str(err.value), repr(err.value))
    # a credential of the wrong shape is not shown either
    with pytest.raises(ScenarioError) as err:
        load_config(write(tmp_path, with_broker(api_key=["${EC_K}"])))
    assert err.value.where == "brokers.alpaca.api_key" and "not shown" in str(err.value)
    assert_no_secret(str(err.value))
    # an error elsewhere in a file holding secrets
    with pytest.raises(ScenarioError) as err:
        load_config(write(tmp_path, {**BASE, "routing": {"policy": "${EC_K}"}}))
    assert err.value.where == "routing.policy"
    assert_no_secret(str(err.value))


def test_config_dashboard_token_is_a_secret(tmp_path, env):
    doc = {**BASE, "monitoring": {"dashboard": {"port": 0, "token": "${EC_S}"}}}
    cfg = load_config(write(tmp_path, doc))
    token = cfg.monitoring["dashboard"]["token"]
    assert isinstance(token, Secret) and token.reveal() == SECRET
    assert cfg.monitoring["dashboard"]["port"] == 0
    assert_no_secret(repr(cfg), str(cfg.monitoring), repr(cfg.raw))


# --- account, instruments, routing, signals, monitoring ------------------------------------------
def test_config_account_is_only_for_sim_brokers(tmp_path, env):
    doc = {**BASE, "account": {"currency": "USD", "cash": 100000}}
    with pytest.raises(ScenarioError) as err:
        load_config(write(tmp_path, doc))
    assert err.value.where == "account"
    assert str(err.value).endswith(
        "account: only for sim brokers (alpaca, ibkr and ccxt brokers report their own account)"
    )
    assert ACCOUNT_ONLY_SIM in str(err.value)


def test_config_account_with_a_sim_broker(tmp_path, env):
    doc = {
        **BASE,
        "account": {"currency": "JPY", "cash": 10_000_000},
        "instruments": [{"symbol": "USDJPY", "tick_size": 0.001, "lot_size": 1000}],
        "brokers": {"paper": SIM, **BASE["brokers"]},
    }
    cfg = load_config(write(tmp_path, doc))
    assert cfg.currency == "JPY" and cfg.cash == "10000000"
    assert [b.type for b in cfg.brokers] == ["sim", "alpaca"]
    assert cfg.brokers[0].raw["speed"] == 10.0 and cfg.brokers[0].paper
    assert cfg.instruments[0].currency == "JPY"


def test_config_without_account_uses_report_currency(tmp_path, env):
    cfg = load_config(write(tmp_path, {**BASE, "report_currency": "EUR"}))
    assert cfg.currency == "EUR" and cfg.report_currency == "EUR" and cfg.cash == "0"
    assert cfg.instruments[0].currency == "EUR"


def test_config_instruments_optional_with_broker_pins_and_ib_keys(tmp_path, env):
    doc = {k: v for k, v in BASE.items() if k != "instruments"}
    assert load_config(write(tmp_path, doc)).instruments == []
    assert load_config(write(tmp_path, {**doc, "instruments": []})).instruments == []
    doc["brokers"] = {**BASE["brokers"], "ib": {"type": "ibkr", "port": 4002}}
    doc["instruments"] = [
        {"symbol": "AAPL", "tick_size": 0.01, "lot_size": 1, "broker": "ib", "sec_type": "STK",
         "exchange": "SMART", "currency": "USD"},
        {"symbol": "MSFT", "tick_size": 0.01, "lot_size": 1, "venue": "alpaca"},
        {"symbol": "SPY", "tick_size": 0.01, "lot_size": 1},
    ]  # fmt: skip
    cfg = load_config(write(tmp_path, doc))
    assert [(i.symbol, i.venue) for i in cfg.instruments] == [
        ("AAPL", "ib"),
        ("MSFT", "alpaca"),
        ("SPY", None),
    ]
    assert cfg.instrument_options == {
        "AAPL": {"broker": "ib", "sec_type": "STK", "exchange": "SMART"},
        "MSFT": {"broker": "alpaca"},
    }


def test_config_routing_signals_and_durations(tmp_path, env):
    (tmp_path / "signals.csv").write_text("ts,symbol,value\n")
    doc = {
        **BASE,
        "routing": {"failover_after": "1h30m", "policy": "flatten", "give_up_after": "33m30s"},
        "signals": {"path": "signals.csv", "kind": "target_weight", "algo": "twap"},
    }
    cfg = load_config(write(tmp_path, doc))
    assert cfg.routing == {
        "failover_after_s": 5400.0,
        "policy": "flatten",
        "give_up_after_s": 2010.0,
    }
    assert cfg.signals == {
        "path": str(tmp_path / "signals.csv"),
        "kind": "target_weight",
        "algo": "twap",
    }
    doc["signals"] = {"path": "signals.csv", "kind": "target_position"}
    assert load_config(write(tmp_path, doc)).signals["algo"] == "market"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("1h30m", 5400.0), ("33m30s", 2010.0), ("+5s", 5.0), ("500ms", 0.5), (60, 60.0), ("10s", 10.0), (1.5, 1.5)],
)  # fmt: skip
def test_config_duration_values(tmp_path, env, value, seconds):
    doc = with_broker(connect_timeout=value, reconcile_every_s=value)
    doc["monitoring"] = {"heartbeat_interval": value}
    cfg = load_config(write(tmp_path, doc))
    assert cfg.brokers[0].connect_timeout_s == seconds
    assert cfg.brokers[0].raw["reconcile_every_s"] == seconds
    assert cfg.monitoring["heartbeat_interval"] == seconds


@pytest.mark.parametrize("value", ["5 minutes", "1h1h", "30s1m", "-5s", "fast", True, [5]])
def test_config_bad_duration_names_the_key(tmp_path, env, value):
    doc = {**BASE, "monitoring": {"heartbeat_interval": value}}
    with pytest.raises(ScenarioError) as err:
        load_config(write(tmp_path, doc))
    assert err.value.where == "monitoring.heartbeat_interval"
    assert "1h30m" in str(err.value) or "must not be negative" in str(err.value)


def test_config_monitoring_full(tmp_path, env):
    doc = {
        **BASE,
        "monitoring": {
            "log_all_orders": False,
            "alert_on_rejection": True,
            "heartbeat_interval": "30s",
            "heartbeat_url": "https://hc.example/ping",
            "alerts": [
                {"name": "deep_dd", "when": "drawdown > 0.03", "severity": "warning",
                 "sinks": ["log", "webhook"]},
                {"name": "halted", "when": "trading_state == halted"},
                {"name": "rejects", "when": "rejects_1m>=5", "severity": "critical"},
            ],
            "sinks": {
                "log": {},
                "file": {"path": "alerts.jsonl"},
                "webhook": {"url": "http://127.0.0.1:9/hook"},
                "email": {"host": "smtp.local", "port": 25, "from": "bot@x", "to": "me@x"},
            },
            "dashboard": {"port": 8080, "token": "${EC_S}"},
            "metrics": {"port": 9100},
        },
    }  # fmt: skip
    m = load_config(write(tmp_path, doc)).monitoring
    assert m["heartbeat_interval"] == 30.0 and m["log_all_orders"] is False
    assert m["heartbeat_url"] == "https://hc.example/ping"
    assert m["alerts"][0] == {
        "name": "deep_dd",
        "when": "drawdown > 0.03",
        "quantity": "drawdown",
        "op": ">",
        "value": 0.03,
        "severity": "warning",
        "sinks": ["log", "webhook"],
    }
    assert (m["alerts"][1]["quantity"], m["alerts"][1]["value"]) == ("trading_state", "halted")
    assert m["alerts"][1]["severity"] == "warning" and "sinks" not in m["alerts"][1]
    assert (m["alerts"][2]["op"], m["alerts"][2]["value"]) == (">=", 5.0)
    assert m["sinks"]["file"] == {"path": str(tmp_path / "alerts.jsonl")}
    assert m["sinks"]["email"]["to"] == ["me@x"] and m["sinks"]["log"] == {}
    assert m["metrics"] == {"port": 9100} and m["dashboard"]["port"] == 8080
