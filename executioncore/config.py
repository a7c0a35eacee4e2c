"""``executioncore.yaml``: the live configuration, validated, with ``${ENV}`` values and secrets.

CONTRACT.md's "Live configuration" is the schema; its seed file loads as written. Every section
is optional except ``brokers``::

    name: my-bot                     # run folder runs/live-<name>/ unless --out
    seed: 1
    id_prefix: bot1-                 # client order ids <prefix><strategy>-<n>; unique per account
    report_currency: USD             # equity across brokers is reported in it [USD]
    account: {currency: USD, cash: 100000}     # only with type: sim brokers (their cash)
    instruments:                     # optional: the brokers' instrument providers supply them;
      - {symbol: AAPL, tick_size: 0.01, lot_size: 1, broker: primary}   # an entry adds/overrides
      - {symbol: ES, tick_size: 0.25, lot_size: 1, multiplier: 50, sec_type: FUT, exchange: CME}
    brokers:                         # names are free; config order is routing order
      primary: {type: alpaca, api_key: ${APCA_API_KEY_ID}, api_secret: ${APCA_API_SECRET_KEY},
                paper: true, base_url: ..., stream_url: ..., data_url: ..., feed: iex,
                symbols: [AAPL], timeout_s: 10, stale_after_s: 15, reconcile_every_s: 30,
                connect_timeout: 10s}
      backup:  {type: ibkr, host: 127.0.0.1, port: 7497, client_id: 1, account: DU123,
                paper: true, connect_timeout: 10s}
      crypto:  {type: ccxt, exchange: binance, api_key: ..., api_secret: ..., sandbox: true,
                options: {...}, base_url: ..., stream_url: ..., urls: {...}, connect_timeout: 10s}
      bn:      {type: binance, ...}  # = type: ccxt, exchange: binance
      paper:   {type: sim, data: [{kind: quotes, symbol: AAPL, path: quotes.csv}], speed: 60,
                fees: {...}, latency: {...}, fill: {...}, session: {...}}
    routing: {failover_after: 10s, policy: hold, give_up_after: 5m}
    signals: {path: signals.csv, kind: target_position, algo: twap}
    strategy: {class: "package.module:Class", params: {}}
    execution: {default_algo: market, algos: {twap: {duration_minutes: 30, slice_count: 10}}}
    orders: {default_time_in_force: day, max_order_value: 50000, max_daily_orders: 100}
    monitoring: {log_all_orders: true, alert_on_rejection: true, heartbeat_interval: 60,
                 heartbeat_url: ..., alerts: [...], sinks: {...}, dashboard: {port, token},
                 metrics: {port}}
    failsafes: {max_position_pct: 0.2, daily_loss_limit: 0.05, emergency_flatten: true,
                max_consecutive_rejects: 5, cancel_on_exit: true}

Defaults: alpaca/ibkr ``paper: true``; ccxt ``sandbox: true`` (its ``paper``); ibkr ``host``
127.0.0.1, ``port`` 7497 (7496 with ``paper: false``), ``client_id`` 1; ``connect_timeout`` 10s.
Alpaca needs ``api_key`` and ``api_secret``; ccxt takes both or neither (public data only).
Durations (``connect_timeout``, ``timeout_s``, ``stale_after_s``, ``reconcile_every_s``,
``routing.*``, ``monitoring.heartbeat_interval``) are numbers of seconds or strings with units
(``executioncore.durations``); the loaded config holds them as float seconds.

``${VAR}`` anywhere in a string is replaced by the environment variable; a missing one is an
error naming the variable. ``api_key``/``api_secret`` values and ``monitoring.dashboard.token``
become ``Secret`` objects whose ``str``/``repr`` is ``***``: they never reach logs, journals,
reports or error messages (``BrokerConfig.raw`` and ``LiveConfig.raw`` do not hold them).
Every error names the file, the key path and what was expected; unknown keys list the allowed.

The ``brokers:`` section is checked in ``executioncore.config_brokers``, ``monitoring:`` in
``executioncore.config_monitoring``, with the value checks they share (durations, URLs, ports,
``Secret``) in ``executioncore.config_checks``; every public name is importable from here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from executioncore.config_brokers import (
    ALPACA_KEYS,
    BROKER_TYPES,
    CCXT_KEYS,
    DEFAULT_CONNECT_TIMEOUT_S,
    IBKR_KEYS,
    SECRET_KEYS,
    SIM_KEYS,
    BrokerConfig,
    _brokers,
)
from executioncore.config_checks import Secret, _config_error, _duration
from executioncore.config_monitoring import (
    ALERT_KEYS,
    ALERT_OPS,
    ALERT_QUANTITIES,
    MONITORING_KEYS,
    SEVERITIES,
    SINK_KEYS,
    TRADING_STATES,
    _monitoring,
)
from executioncore.scenario import (
    INSTRUMENT_KEYS,
    ScenarioError,
    _Checker,
    _instruments,
    _strategy,
    read_yaml,
    unknown_value,
)
from kernel.risk import ConfigError, RiskConfig
from kernel.units import Instrument

__all__ = [
    "ACCOUNT_ONLY_SIM",
    "ALERT_KEYS",
    "ALERT_OPS",
    "ALERT_QUANTITIES",
    "ALPACA_KEYS",
    "BROKER_TYPES",
    "CCXT_KEYS",
    "DEFAULT_CONNECT_TIMEOUT_S",
    "DEFAULT_FAILOVER_AFTER_S",
    "FAILSAFE_KEYS",
    "IBKR_KEYS",
    "LIVE_INSTRUMENT_KEYS",
    "LIVE_ONLY_INSTRUMENT_KEYS",
    "MONITORING_KEYS",
    "ORDER_KEYS",
    "ROUTING_KEYS",
    "ROUTING_POLICIES",
    "SECRET_KEYS",
    "SEVERITIES",
    "SIGNAL_KEYS",
    "SIGNAL_KINDS",
    "SIM_KEYS",
    "SINK_KEYS",
    "TIME_IN_FORCE",
    "TOP_KEYS",
    "TRADING_STATES",
    "BrokerConfig",
    "LiveConfig",
    "Secret",
    "interpolate",
    "load_config",
]

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
TOP_KEYS = {
    "name",
    "seed",
    "id_prefix",
    "account",
    "instruments",
    "brokers",
    "strategy",
    "execution",
    "orders",
    "monitoring",
    "failsafes",
    "routing",
    "report_currency",
    "signals",
    "description",
}
LIVE_ONLY_INSTRUMENT_KEYS = {"broker", "venue", "sec_type", "exchange"}
LIVE_INSTRUMENT_KEYS = INSTRUMENT_KEYS | LIVE_ONLY_INSTRUMENT_KEYS
ORDER_KEYS = {
    "default_time_in_force",
    "max_order_value",
    "max_daily_orders",
    "max_orders_per_second",
    "price_collar_pct",
}
FAILSAFE_KEYS = {
    "max_position_pct",
    "daily_loss_limit",
    "emergency_flatten",
    "max_consecutive_rejects",
    "cancel_on_exit",
    "reduce_on_disconnect",
}
TIME_IN_FORCE = ("day", "gtc", "ioc", "fok", "opg", "cls")
ROUTING_KEYS = {"failover_after", "policy", "give_up_after"}
ROUTING_POLICIES = ("hold", "flatten")
SIGNAL_KEYS = {"path", "kind", "algo"}
SIGNAL_KINDS = ("target_position", "target_weight")
DEFAULT_FAILOVER_AFTER_S = 10.0
ACCOUNT_ONLY_SIM = "only for sim brokers (alpaca, ibkr and ccxt brokers report their own account)"
_MIN_SCRUB = 4  # why: shorter "secrets" (test values) would mangle the message's own words


@dataclass
class LiveConfig:
    path: Path
    name: str
    seed: int
    id_prefix: str
    currency: str
    cash: str
    instruments: list[Instrument]
    brokers: list[BrokerConfig]
    strategy: dict[str, Any] | None
    risk: dict[str, Any]
    cancel_on_exit: bool
    default_tif: str
    execution: dict[str, Any]
    monitoring: dict[str, Any]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    routing: dict[str, Any] = field(
        default_factory=lambda: {
            "failover_after_s": DEFAULT_FAILOVER_AFTER_S,
            "policy": "hold",
            "give_up_after_s": None,
        }
    )
    report_currency: str = "USD"
    signals: dict[str, Any] | None = None
    instrument_options: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def real_money(self) -> bool:
        """True when any broker is configured for real money (``paper: false``)."""
        return any(not b.paper for b in self.brokers)


def interpolate(value: Any, where: str, path: Path) -> Any:
    """Replace ``${VAR}`` in every string; a missing variable is an error naming it."""
    if isinstance(value, dict):
        return {
            k: interpolate(v, f"{where}.{k}" if where else str(k), path) for k, v in value.items()
        }
    if isinstance(value, list):
        return [interpolate(v, f"{where}[{i}]", path) for i, v in enumerate(value)]
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in os.environ:
                raise ScenarioError(path, where, f"environment variable {name} is not set")
            return os.environ[name]

        return _VAR.sub(sub, value)
    return value


def load_config(path: str | Path) -> LiveConfig:
    """Read, interpolate and validate ``executioncore.yaml``."""
    path = Path(path)
    raw = read_yaml(path)
    c = _Checker(path)
    raw = c.mapping(raw, "", TOP_KEYS)
    raw = interpolate(raw, "", path)
    secrets = _secret_values(raw)
    try:
        return _build(c, raw)
    except ScenarioError as exc:
        # why: a secret pasted into the wrong key would otherwise be echoed back as the bad value
        text = str(exc)
        for value in secrets:
            text = text.replace(value, "***")
        exc.args = (text,)
        raise


def _build(c: _Checker, raw: dict[str, Any]) -> LiveConfig:
    path = c.path
    name = c.text(raw.get("name", path.stem), "name")
    seed = c.integer(raw.get("seed", 0), "seed", minimum=0)
    id_prefix = raw.get("id_prefix", "")
    if not isinstance(id_prefix, str):
        raise c.fail("id_prefix", "expected a string")
    report_currency = c.text(raw.get("report_currency", "USD"), "report_currency")
    brokers = _brokers(c, raw.get("brokers"))
    currency, cash = _account(c, raw, brokers, report_currency)
    instruments, options = _live_instruments(
        c, raw.get("instruments"), currency, [b.name for b in brokers]
    )
    orders = c.mapping(raw.get("orders") or {}, "orders", ORDER_KEYS)
    failsafes = c.mapping(raw.get("failsafes") or {}, "failsafes", FAILSAFE_KEYS)
    order_limits = {k: v for k, v in orders.items() if k != "default_time_in_force"}
    fail_limits = {k: v for k, v in failsafes.items() if k != "cancel_on_exit"}
    for part, where in ((order_limits, "orders"), (fail_limits, "failsafes")):
        try:
            RiskConfig.from_mapping(part, where)
        except ConfigError as exc:
            raise _config_error(c, exc) from None
    risk = {**order_limits, **fail_limits}
    cancel_on_exit = c.boolean(failsafes.get("cancel_on_exit", True), "failsafes.cancel_on_exit")
    tif = c.choice(
        orders.get("default_time_in_force", "day"), "orders.default_time_in_force", TIME_IN_FORCE
    )
    return LiveConfig(
        path,
        name,
        seed,
        id_prefix,
        currency,
        cash,
        instruments,
        brokers,
        _strategy(c, raw.get("strategy")),
        risk,
        cancel_on_exit,
        tif.lower(),
        _execution(c, raw.get("execution")),
        _monitoring(c, raw.get("monitoring")),
        _redacted(raw),
        _routing(c, raw.get("routing")),
        report_currency,
        _signals(c, raw.get("signals")),
        options,
    )


# --- account and instruments ----------------------------------------------------------------------
def _account(
    c: _Checker, raw: dict[str, Any], brokers: list[BrokerConfig], report_currency: str
) -> tuple[str, str]:
    """``(currency, cash)``: the sim brokers' account, else the report currency and no cash."""
    if raw.get("account") is None:
        return report_currency, "0"
    if not any(b.type == "sim" for b in brokers):
        raise c.fail("account", ACCOUNT_ONLY_SIM)
    account = c.mapping(raw["account"], "account", {"currency", "cash"})
    currency = c.text(account.get("currency", report_currency), "account.currency")
    cash = str(c.number(account.get("cash", 0), "account.cash", non_negative=True))
    return currency, cash


def _live_instruments(
    c: _Checker, value: Any, currency: str, brokers: list[str]
) -> tuple[list[Instrument], dict[str, dict[str, Any]]]:
    """Instrument entries as in scenarios, plus ``broker`` (pins the symbol to a broker;
    ``venue`` is its synonym) and ``sec_type``/``exchange`` (an IB contract's). An entry gives
    ``symbol``, ``tick_size`` and ``lot_size``; the brokers' providers supply the rest."""
    if value is None:
        return [], {}
    entries = c.listing(value, "instruments")
    if not entries:
        return [], {}
    plain: list[dict[str, Any]] = []
    extras: list[dict[str, Any]] = []
    for i, entry in enumerate(entries):
        where = f"instruments[{i}]"
        entry = c.mapping(entry, where, LIVE_INSTRUMENT_KEYS)
        if "broker" in entry and "venue" in entry:
            raise c.fail(f"{where}.venue", "give broker or venue (its synonym), not both")
        pin_key = "venue" if "venue" in entry else "broker"
        extra: dict[str, Any] = {}
        if entry.get(pin_key) is not None:
            pin = c.text(entry[pin_key], f"{where}.{pin_key}")
            if pin not in brokers:
                raise c.fail(
                    f"{where}.{pin_key}",
                    f"unknown broker {pin!r} (configured: {', '.join(brokers)})",
                )
            extra["broker"] = pin
        for key in ("sec_type", "exchange"):
            if key in entry:
                extra[key] = c.text(entry[key], f"{where}.{key}")
        item = {k: v for k, v in entry.items() if k not in LIVE_ONLY_INSTRUMENT_KEYS}
        if "broker" in extra:
            item["venue"] = extra["broker"]
        plain.append(item)
        extras.append(extra)
    instruments, _routes = _instruments(c, plain, currency)  # why: live pins are one broker
    options = {i.symbol: e for i, e in zip(instruments, extras, strict=True) if e}
    return instruments, options


# --- execution, routing, signals ------------------------------------------------------------------
def _execution(c: _Checker, value: Any) -> dict[str, Any]:
    """``execution:`` checked and in the scenario's keys: ``{"default_algo": None | NAME,
    "algos": {NAME: {key: value}}}`` (``{}`` when not given)."""
    from executioncore.algo_spec import algo_defaults

    if value is None:
        return {}
    value = c.mapping(value, "execution", {"default_algo", "algos"})
    try:
        defaults = algo_defaults(value)
    except ConfigError as exc:
        raise _config_error(c, exc) from None
    return {"default_algo": defaults.default_algo, "algos": defaults.algos}


def _routing(c: _Checker, value: Any) -> dict[str, Any]:
    value = c.mapping(value or {}, "routing", ROUTING_KEYS)
    policy = value.get("policy", "hold")
    if policy not in ROUTING_POLICIES:
        raise c.fail("routing.policy", unknown_value(policy, ROUTING_POLICIES))
    give_up = value.get("give_up_after")
    return {
        "failover_after_s": _duration(
            c,
            value.get("failover_after", DEFAULT_FAILOVER_AFTER_S),
            "routing.failover_after",
            positive=True,
        ),
        "policy": policy,
        "give_up_after_s": None
        if give_up is None
        else _duration(c, give_up, "routing.give_up_after", positive=True),
    }


def _signals(c: _Checker, value: Any) -> dict[str, Any] | None:
    """``{"path": str (resolved against the config's folder), "kind": str, "algo": str}``."""
    from executioncore.algo_spec import ALGO_NAMES, NO_ALGO

    if value is None:
        return None
    value = c.mapping(value, "signals", SIGNAL_KEYS)
    if "path" not in value:
        raise c.fail("signals.path", "missing: the signals file (ts, symbol, value)")
    file = Path(c.text(value["path"], "signals.path"))
    file = file if file.is_absolute() else c.path.parent / file
    if not file.is_file():
        raise c.fail("signals.path", f"no such file {file}")
    kind = value.get("kind")
    if kind not in SIGNAL_KINDS:
        raise c.fail("signals.kind", unknown_value(kind, SIGNAL_KINDS))
    algo = value.get("algo", NO_ALGO)
    if algo != NO_ALGO and algo not in ALGO_NAMES:
        raise c.fail("signals.algo", unknown_value(algo, (NO_ALGO, *ALGO_NAMES)))
    return {"path": str(file), "kind": kind, "algo": algo}


# --- credentials ----------------------------------------------------------------------------------
def _secret_values(raw: dict[str, Any]) -> list[str]:
    """The credential values in the (interpolated) document, longest first."""
    found: list[str] = []
    brokers = raw.get("brokers")
    if isinstance(brokers, dict):
        for entry in brokers.values():
            if isinstance(entry, dict):
                found += [str(entry[k]) for k in SECRET_KEYS if entry.get(k) is not None]
    monitoring = raw.get("monitoring")
    if isinstance(monitoring, dict) and isinstance(monitoring.get("dashboard"), dict):
        token = monitoring["dashboard"].get("token")
        if token is not None:
            found.append(str(token))
    return sorted({s for s in found if len(s) >= _MIN_SCRUB}, key=len, reverse=True)


def _redacted(raw: dict[str, Any]) -> dict[str, Any]:
    """The document with every credential value replaced by a ``Secret``."""
    out = dict(raw)
    brokers = raw.get("brokers")
    if isinstance(brokers, dict):
        out["brokers"] = {
            name: {k: Secret(str(v)) if k in SECRET_KEYS else v for k, v in entry.items()}
            if isinstance(entry, dict)
            else entry
            for name, entry in brokers.items()
        }
    monitoring = raw.get("monitoring")
    if isinstance(monitoring, dict) and isinstance(monitoring.get("dashboard"), dict):
        dash = monitoring["dashboard"]
        out["monitoring"] = {
            **monitoring,
            "dashboard": {k: Secret(str(v)) if k == "token" else v for k, v in dash.items()},
        }
    return out
