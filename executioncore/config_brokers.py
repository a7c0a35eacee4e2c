"""The ``brokers:`` section of ``executioncore.yaml`` (see ``executioncore.config``): one
``BrokerConfig`` per entry, alpaca, ibkr, ccxt / binance or sim, defaults filled, durations in
float seconds, credentials as ``Secret`` and never in ``raw``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from executioncore.config_checks import _HTTP, _WS, Secret, _duration, _port, _secret, _url
from executioncore.scenario import VENUE_KEYS, _Checker, unknown_value

BROKER_TYPES = ("alpaca", "ibkr", "ccxt", "binance", "sim")
SECRET_KEYS = ("api_key", "api_secret")
ALPACA_KEYS = {
    "type",
    "api_key",
    "api_secret",
    "paper",
    "base_url",
    "stream_url",
    "data_url",
    "feed",
    "symbols",
    "timeout_s",
    "stale_after_s",
    "reconcile_every_s",
    "connect_timeout",
}
IBKR_KEYS = {"type", "host", "port", "client_id", "account", "paper", "connect_timeout"}
CCXT_KEYS = {
    "type",
    "exchange",
    "api_key",
    "api_secret",
    "sandbox",
    "options",
    "base_url",
    "stream_url",
    "urls",
    "connect_timeout",
}
SIM_KEYS = {"type", "data", "speed", "paper"} | VENUE_KEYS - {"name"}
DEFAULT_CONNECT_TIMEOUT_S = 10.0


@dataclass
class BrokerConfig:
    """One configured broker. ``type`` is alpaca, ibkr, ccxt (also for ``type: binance``, with
    ``raw["exchange"] == "binance"``) or sim; ``raw`` is the validated entry with defaults filled
    and durations in float seconds, never the credentials (``key``/``secret``)."""

    name: str
    type: str
    paper: bool
    raw: dict[str, Any]
    key: Secret | None = None
    secret: Secret | None = None
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S


def _brokers(c: _Checker, value: Any) -> list[BrokerConfig]:
    if value is None:
        raise c.fail("brokers", "missing: configure at least one broker")
    out = []
    for name, entry in c.mapping(value, "brokers").items():
        where = f"brokers.{name}"
        entry = c.mapping(entry, where)
        kind = entry.get("type")
        if kind == "alpaca":
            out.append(_alpaca(c, str(name), entry, where))
        elif kind == "ibkr":
            out.append(_ibkr(c, str(name), entry, where))
        elif kind in ("ccxt", "binance"):
            out.append(_ccxt(c, str(name), entry, where, kind))
        elif kind == "sim":
            c.mapping(entry, where, SIM_KEYS)
            if "data" not in entry:
                raise c.fail(f"{where}.data", "missing: the market data the simulator replays")
            speed = c.number(entry.get("speed", 1), f"{where}.speed", positive=True)
            out.append(BrokerConfig(str(name), "sim", True, dict(entry, speed=float(speed))))
        else:
            # why: a long value may be a credential pasted into the wrong key: not echoed
            shown = kind if kind is None or (isinstance(kind, str) and len(kind) <= 40) else "..."
            raise c.fail(f"{where}.type", unknown_value(shown, BROKER_TYPES))
    if not out:
        raise c.fail("brokers", "configure at least one broker")
    return out


def _alpaca(c: _Checker, name: str, entry: dict[str, Any], where: str) -> BrokerConfig:
    c.mapping(entry, where, ALPACA_KEYS)
    key = _secret(c, entry, where, "api_key", required=True)
    secret = _secret(c, entry, where, "api_secret", required=True)
    raw = _public(entry)
    raw["paper"] = c.boolean(entry.get("paper", True), f"{where}.paper")
    for k in ("base_url", "stream_url", "data_url"):
        if k in entry:
            raw[k] = _url(c, entry[k], f"{where}.{k}", _HTTP + _WS)
    if "feed" in entry:
        raw["feed"] = c.text(entry["feed"], f"{where}.feed")
    if "symbols" in entry:
        raw["symbols"] = [
            c.text(s, f"{where}.symbols[{i}]")
            for i, s in enumerate(c.listing(entry["symbols"], f"{where}.symbols"))
        ]
    for k in ("timeout_s", "stale_after_s", "reconcile_every_s"):
        if k in entry:
            raw[k] = _duration(c, entry[k], f"{where}.{k}", positive=True)
    timeout = _connect_timeout(c, entry, where)
    raw["connect_timeout"] = timeout
    return BrokerConfig(name, "alpaca", raw["paper"], raw, key, secret, timeout)


def _ibkr(c: _Checker, name: str, entry: dict[str, Any], where: str) -> BrokerConfig:
    c.mapping(entry, where, IBKR_KEYS)
    raw = _public(entry)
    paper = c.boolean(entry.get("paper", True), f"{where}.paper")
    raw["paper"] = paper
    raw["host"] = c.text(entry.get("host", "127.0.0.1"), f"{where}.host")
    raw["port"] = _port(c, entry.get("port", 7497 if paper else 7496), f"{where}.port")
    raw["client_id"] = c.integer(entry.get("client_id", 1), f"{where}.client_id", minimum=0)
    if "account" in entry:
        raw["account"] = c.text(entry["account"], f"{where}.account")
    timeout = _connect_timeout(c, entry, where)
    raw["connect_timeout"] = timeout
    return BrokerConfig(name, "ibkr", paper, raw, None, None, timeout)


def _ccxt(c: _Checker, name: str, entry: dict[str, Any], where: str, kind: str) -> BrokerConfig:
    c.mapping(entry, where, CCXT_KEYS)
    if kind == "binance":
        exchange = entry.get("exchange", "binance")
        if exchange != "binance":
            raise c.fail(f"{where}.exchange", f"type binance is exchange binance, got {exchange!r}")
    elif "exchange" not in entry:
        raise c.fail(f"{where}.exchange", "missing: the ccxt exchange id (like binance, kraken)")
    exchange = c.text(entry.get("exchange", "binance"), f"{where}.exchange")
    key = _secret(c, entry, where, "api_key", required=False)
    secret = _secret(c, entry, where, "api_secret", required=False)
    if (key is None) != (secret is None):
        missing = "api_secret" if secret is None else "api_key"
        raise c.fail(
            f"{where}.{missing}",
            "missing: give api_key and api_secret together (or neither, for public data only)",
        )
    raw = _public(entry)
    raw["type"] = "ccxt"
    raw["exchange"] = exchange
    sandbox = c.boolean(entry.get("sandbox", True), f"{where}.sandbox")
    raw["sandbox"] = sandbox
    raw["options"] = dict(c.mapping(entry.get("options") or {}, f"{where}.options"))
    if "urls" in entry:
        raw["urls"] = dict(c.mapping(entry["urls"], f"{where}.urls"))
    if "base_url" in entry:
        raw["base_url"] = _url(c, entry["base_url"], f"{where}.base_url", _HTTP)
    if "stream_url" in entry:
        raw["stream_url"] = _url(c, entry["stream_url"], f"{where}.stream_url", _WS)
    timeout = _connect_timeout(c, entry, where)
    raw["connect_timeout"] = timeout
    return BrokerConfig(name, "ccxt", sandbox, raw, key, secret, timeout)


def _public(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry without its credentials."""
    return {k: v for k, v in entry.items() if k not in SECRET_KEYS}


def _connect_timeout(c: _Checker, entry: dict[str, Any], where: str) -> float:
    if "connect_timeout" not in entry:
        return DEFAULT_CONNECT_TIMEOUT_S
    return _duration(c, entry["connect_timeout"], f"{where}.connect_timeout", positive=True)
