"""executioncore.yaml: ${ENV} values, validation naming the key, secrets that never print."""

from __future__ import annotations

import pytest
import yaml

from executioncore.config import Secret, load_config
from executioncore.scenario import ScenarioError

BASE = {
    "name": "bot",
    "instruments": [{"symbol": "AAPL", "tick_size": 0.01, "lot_size": 1}],
    "brokers": {
        "alpaca": {
            "type": "alpaca",
            "key": "${EC_K}",
            "secret": "${EC_S}",
            "paper": True,
            "base_url": "http://127.0.0.1:1",
        }
    },
    "orders": {"max_order_value": 50000, "default_time_in_force": "day"},
    "failsafes": {"daily_loss_limit": 0.05, "emergency_flatten": True},
}


def write(tmp_path, doc) -> object:
    path = tmp_path / "executioncore.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("EC_K", "AKIDSECRETKEY123")
    monkeypatch.setenv("EC_S", "sEcReTvAlUe987")


def test_config_interpolates_env_and_hides_secrets(tmp_path, env):
    cfg = load_config(write(tmp_path, BASE))
    broker = cfg.brokers[0]
    assert isinstance(broker.key, Secret) and broker.key.reveal() == "AKIDSECRETKEY123"
    for text in (repr(cfg), str(cfg), repr(broker), str(broker.raw)):
        assert "AKIDSECRETKEY123" not in text and "sEcReTvAlUe987" not in text
    assert cfg.risk["max_order_value"] == 50000 and cfg.risk["emergency_flatten"] is True
    assert cfg.default_tif == "day" and not cfg.real_money


def test_config_missing_env_var_is_an_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.delenv("EC_K", raising=False)
    monkeypatch.setenv("EC_S", "x")
    with pytest.raises(
        ScenarioError, match=r"brokers\.alpaca\.key: environment variable EC_K is not set"
    ):
        load_config(write(tmp_path, BASE))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bogus": 1}, "bogus: unknown key"),
        ({"brokers": {"x": {"type": "nope"}}}, "brokers.x.type: expected alpaca or sim"),
        ({"brokers": {"x": {"type": "alpaca", "key": "k"}}}, "brokers.x.secret: missing"),
        (
            {
                "brokers": {
                    "x": {"type": "alpaca", "key": "k", "secret": "s", "base_url": "ftp://x"}
                }
            },
            "brokers.x.base_url: expected a URL",
        ),
        ({"failsafes": {"daily_loss_limit": -1}}, "daily_loss_limit: must not be negative"),
        ({"orders": {"default_time_in_force": "forever"}}, "orders.default_time_in_force"),
        ({"brokers": {"x": {"type": "ibkr"}}}, "ibkr adapters are not available"),
    ],
)
def test_config_bad_values_name_the_key(tmp_path, env, change, message):
    with pytest.raises(ScenarioError, match=message):
        load_config(write(tmp_path, {**BASE, **change}))


def test_config_error_messages_never_contain_a_secret(tmp_path, env):
    doc = {**BASE, "brokers": {"alpaca": {**BASE["brokers"]["alpaca"], "base_url": "nonsense"}}}
    with pytest.raises(ScenarioError) as err:
        load_config(write(tmp_path, doc))
    assert "AKIDSECRETKEY123" not in str(err.value) and "sEcReTvAlUe987" not in str(err.value)


def test_config_real_money_needs_paper_false(tmp_path, env):
    doc = {**BASE, "brokers": {"alpaca": {**BASE["brokers"]["alpaca"], "paper": False}}}
    assert load_config(write(tmp_path, doc)).real_money
