"""``type: ibkr`` brokers build the IBKR adapter: the seed's keys, defaults, contracts."""

from __future__ import annotations

import yaml
from seed_config import ibkr_only

from executioncore.config import load_config
from executioncore.live_cmd import adapters_available, build_adapter
from live.adapters.ibkr.client import IbkrAdapter
from live.adapters.ibkr.config import IbkrConfig


def test_the_seeds_ibkr_broker_builds_the_adapter_with_its_defaults(tmp_path):
    path = tmp_path / "executioncore.yaml"
    path.write_text(ibkr_only(7497))
    cfg = load_config(path)
    (b,) = cfg.brokers
    adapter = build_adapter(b, cfg, {})
    assert isinstance(adapter, IbkrAdapter) and adapter.kind == "ibkr"
    c = adapter.cfg
    assert (c.name, c.host, c.port, c.client_id, c.account, c.paper) == (
        "backup", "127.0.0.1", 7497, 1, "", True)  # fmt: skip
    assert adapter.url == "127.0.0.1:7497" and adapter.connect_timeout_s == 10.0
    assert "ibkr" in adapters_available()


def test_ibkr_keys_and_instrument_contracts_reach_the_adapter(tmp_path):
    doc = yaml.safe_load(ibkr_only(4002))
    doc["brokers"]["backup"].update(client_id=7, account="DU123", connect_timeout="3s")
    doc["instruments"] = [
        {"symbol": "USDJPY", "tick_size": 0.001, "lot_size": 1000, "sec_type": "CASH",
         "currency": "JPY"},
        {"symbol": "SAP", "tick_size": 0.01, "lot_size": 1, "exchange": "IBIS", "currency": "EUR"},
    ]  # fmt: skip
    path = tmp_path / "executioncore.yaml"
    path.write_text(yaml.safe_dump(doc))
    cfg = load_config(path)
    adapter = build_adapter(cfg.brokers[0], cfg, {i.symbol: i for i in cfg.instruments})
    c = adapter.cfg
    assert (c.port, c.client_id, c.account, c.connect_timeout_s) == (4002, 7, "DU123", 3.0)
    assert c.contracts == {
        "USDJPY": {"sec_type": "CASH", "currency": "JPY"},
        "SAP": {"exchange": "IBIS", "currency": "EUR"},
    }
    assert adapter._contract("USDJPY").secType == "CASH"
    assert (adapter._contract("SAP").exchange, adapter._contract("SAP").currency) == ("IBIS", "EUR")
    assert set(adapter.instruments) == {"USDJPY", "SAP"}


def test_ibkr_config_from_a_live_broker_defaults_to_the_live_port():
    cfg = IbkrConfig.from_mapping("live", {"paper": False})
    assert (cfg.port, cfg.paper, cfg.client_id) == (7496, False, 1)
