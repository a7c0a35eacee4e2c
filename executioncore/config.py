"""``executioncore.yaml``: the live configuration, validated, with ``${ENV}`` values and secrets.

Layout (CONTRACT.md's seed layout, all sections optional except ``brokers`` and
``instruments``)::

    name: my-bot                     # run folder runs/live-<name>/ unless --out
    seed: 1
    id_prefix: bot1-                 # client order ids <prefix><strategy>-<n>; unique per account
    account: {currency: USD, cash: 100000}       # sim brokers; Alpaca reads its account
    instruments: [{symbol: AAPL, tick_size: 0.01, lot_size: 1, venue: alpaca}]
    brokers:
      alpaca: {type: alpaca, key: ${APCA_API_KEY_ID}, secret: ${APCA_API_SECRET_KEY},
               paper: true, base_url: ..., stream_url: ..., data_url: ..., feed: iex}
      paper:  {type: sim, data: [{kind: quotes, symbol: AAPL, path: quotes.csv}], speed: 60,
               fees: {...}, latency: {...}, fill: {...}, session: {...}}
    strategy: {class: "package.module:Class", params: {}}
    execution: {default_algo: null, algos: {twap: {...}, ...}}
    orders: {default_time_in_force: day, max_order_value: 50000, max_daily_orders: 100}
    monitoring: {heartbeat_s: 30, stale_after_s: 30}
    failsafes: {max_position_pct: 0.2, daily_loss_limit: 0.05, emergency_flatten: true,
                max_consecutive_rejects: 5, cancel_on_exit: true}

``${VAR}`` anywhere in a string is replaced by the environment variable; a missing one is an
error naming the variable. Broker ``key``/``secret`` values become ``Secret`` objects whose
``str``/``repr`` is ``***``: they never reach logs, journals, reports or error messages.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from executioncore.scenario import VENUE_KEYS, ScenarioError, _Checker, _instruments, _strategy
from kernel.risk import ConfigError, RiskConfig
from kernel.units import Instrument

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
    "description",
}
ALPACA_KEYS = {
    "type",
    "key",
    "secret",
    "paper",
    "base_url",
    "stream_url",
    "data_url",
    "feed",
    "symbols",
    "timeout_s",
    "stale_after_s",
    "reconcile_every_s",
}
SIM_KEYS = {"type", "data", "speed", "paper"} | VENUE_KEYS - {"name"}
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


class Secret:
    """A credential: its value is only for the wire; it prints as ``***``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass
class BrokerConfig:
    name: str
    type: str
    paper: bool
    raw: dict[str, Any]
    key: Secret | None = None
    secret: Secret | None = None


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
    if not path.is_file():
        raise ScenarioError(path, "", "no such file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioError(
            path,
            f"line {mark.line + 1}" if mark else "",
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
        ) from None
    c = _Checker(path)
    raw = c.mapping(raw, "", TOP_KEYS)
    raw = interpolate(raw, "", path)
    name = c.text(raw.get("name", path.stem), "name")
    seed = c.integer(raw.get("seed", 0), "seed", minimum=0)
    id_prefix = raw.get("id_prefix", "")
    if not isinstance(id_prefix, str):
        raise c.fail("id_prefix", "expected a string")
    account = c.mapping(raw.get("account", {}), "account", {"currency", "cash"})
    currency = c.text(account.get("currency", "USD"), "account.currency")
    cash = str(c.number(account.get("cash", 0), "account.cash", non_negative=True))
    instruments = _instruments(c, raw.get("instruments"), currency)
    brokers = _brokers(c, raw.get("brokers"), {i.symbol for i in instruments})
    for inst in instruments:
        if inst.venue is not None and inst.venue not in {b.name for b in brokers}:
            raise c.fail("instruments", f"{inst.symbol}: unknown venue {inst.venue!r}")
    orders = c.mapping(raw.get("orders") or {}, "orders", ORDER_KEYS)
    failsafes = c.mapping(raw.get("failsafes") or {}, "failsafes", FAILSAFE_KEYS)
    risk = {k: v for k, v in orders.items() if k != "default_time_in_force"}
    risk.update({k: v for k, v in failsafes.items() if k != "cancel_on_exit"})
    try:
        RiskConfig.from_mapping(risk, "orders/failsafes")
    except ConfigError as exc:
        raise ScenarioError(path, "", str(exc)) from None
    cancel_on_exit = c.boolean(failsafes.get("cancel_on_exit", True), "failsafes.cancel_on_exit")
    from executioncore.algo_spec import algo_defaults

    try:
        algo_defaults(raw.get("execution"))
    except ConfigError as exc:
        raise ScenarioError(path, "", str(exc)) from None
    tif = str(orders.get("default_time_in_force", "day")).lower()
    if tif not in ("day", "gtc", "ioc", "fok", "opg", "cls"):
        raise c.fail(
            "orders.default_time_in_force", f"expected day, gtc, ioc, fok, opg or cls, got {tif!r}"
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
        tif,
        c.mapping(raw.get("execution") or {}, "execution"),
        c.mapping(raw.get("monitoring") or {}, "monitoring"),
        raw,
    )


def _brokers(c: _Checker, value: Any, symbols: set[str]) -> list[BrokerConfig]:
    if value is None:
        raise c.fail("brokers", "missing: configure at least one broker")
    out = []
    for name, entry in c.mapping(value, "brokers").items():
        where = f"brokers.{name}"
        entry = c.mapping(entry, where)
        kind = entry.get("type")
        if kind == "alpaca":
            c.mapping(entry, where, ALPACA_KEYS)
            for key in ("key", "secret"):
                if not entry.get(key):
                    raise c.fail(
                        f"{where}.{key}", "missing (use ${ENV_VAR}, never the value itself)"
                    )
            paper = c.boolean(entry.get("paper", True), f"{where}.paper")
            for key in ("base_url", "stream_url", "data_url"):
                if key in entry and not str(entry[key]).startswith(
                    ("http://", "https://", "ws://", "wss://")
                ):
                    raise c.fail(f"{where}.{key}", f"expected a URL, got {entry[key]!r}")
            for sym in entry.get("symbols") or []:
                if sym not in symbols:
                    raise c.fail(f"{where}.symbols", f"unknown symbol {sym!r}")
            safe = {k: v for k, v in entry.items() if k not in ("key", "secret")}
            out.append(
                BrokerConfig(
                    name,
                    "alpaca",
                    paper,
                    safe,
                    Secret(str(entry["key"])),
                    Secret(str(entry["secret"])),
                )
            )
        elif kind == "sim":
            c.mapping(entry, where, SIM_KEYS)
            if "data" not in entry:
                raise c.fail(f"{where}.data", "missing: the market data the simulator replays")
            speed = c.number(entry.get("speed", 1), f"{where}.speed", positive=True)
            out.append(BrokerConfig(name, "sim", True, dict(entry, speed=float(speed))))
        elif kind in ("ibkr", "ccxt"):
            raise c.fail(
                f"{where}.type",
                f"{kind} adapters are not available in this build (alpaca and sim are)",
            )
        else:
            raise c.fail(f"{where}.type", f"expected alpaca or sim, got {kind!r}")
    if not out:
        raise c.fail("brokers", "configure at least one broker")
    return out
