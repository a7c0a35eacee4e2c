"""The ``monitoring:`` section of ``executioncore.yaml`` (see ``executioncore.config``):
heartbeat, alert rules (``"QUANTITY OP NUMBER"``), their sinks, the dashboard and metrics."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from executioncore.config_checks import _HTTP, _duration, _port, _secret, _url
from executioncore.scenario import _Checker, unknown_value

MONITORING_KEYS = {
    "log_all_orders",
    "alert_on_rejection",
    "heartbeat_interval",
    "heartbeat_url",
    "alerts",
    "sinks",
    "dashboard",
    "metrics",
}
ALERT_KEYS = {"name", "when", "severity", "sinks"}
ALERT_QUANTITIES = (
    "drawdown",
    "daily_loss_used",
    "rejects_1m",
    "disconnected_s",
    "no_data_s",
    "overfills",
    "failovers",
    "heartbeat_missed",
)
ALERT_OPS = (">=", "<=", "==", ">", "<")
TRADING_STATES = ("halted", "reducing")
SEVERITIES = ("info", "warning", "error", "critical")
SINK_KEYS = {
    "log": set(),
    "file": {"path"},
    "webhook": {"url"},
    "email": {"host", "port", "from", "to"},
}
_WHEN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|==|>|<)\s*(\S+)\s*$")


def _monitoring(c: _Checker, value: Any) -> dict[str, Any]:
    """The checked ``monitoring:`` mapping: the keys given, ``heartbeat_interval`` in float
    seconds, each alert with its parsed rule (``quantity``, ``op``, ``value``), sink paths
    resolved against the config's folder, ``dashboard.token`` a ``Secret``."""
    value = c.mapping(value or {}, "monitoring", MONITORING_KEYS)
    out: dict[str, Any] = {}
    for key in ("log_all_orders", "alert_on_rejection"):
        if key in value:
            out[key] = c.boolean(value[key], f"monitoring.{key}")
    if "heartbeat_interval" in value:
        out["heartbeat_interval"] = _duration(
            c, value["heartbeat_interval"], "monitoring.heartbeat_interval", positive=True
        )
    if "heartbeat_url" in value:
        out["heartbeat_url"] = _url(c, value["heartbeat_url"], "monitoring.heartbeat_url", _HTTP)
    sinks = _sinks(c, value.get("sinks"))
    if "sinks" in value:
        out["sinks"] = sinks
    if "alerts" in value:
        out["alerts"] = _alerts(c, value["alerts"], set(sinks) | {"log"})
    if "dashboard" in value:
        dash = c.mapping(value["dashboard"], "monitoring.dashboard", {"port", "token"})
        if "port" not in dash:
            raise c.fail("monitoring.dashboard.port", "missing: the port to serve on")
        if "token" not in dash:
            raise c.fail(
                "monitoring.dashboard.token", "missing: every request needs it (use ${ENV_VAR})"
            )
        token = _secret(c, dash, "monitoring.dashboard", "token", required=True)
        out["dashboard"] = {
            "port": _port(c, dash["port"], "monitoring.dashboard.port"),
            "token": token,
        }
    if "metrics" in value:
        metrics = c.mapping(value["metrics"], "monitoring.metrics", {"port"})
        if "port" not in metrics:
            raise c.fail("monitoring.metrics.port", "missing: the port to serve on")
        out["metrics"] = {"port": _port(c, metrics["port"], "monitoring.metrics.port")}
    return out


def _sinks(c: _Checker, value: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if value is None:
        return out
    for kind, entry in c.mapping(value, "monitoring.sinks", set(SINK_KEYS)).items():
        where = f"monitoring.sinks.{kind}"
        entry = c.mapping(entry or {}, where, SINK_KEYS[kind])
        for key in sorted(SINK_KEYS[kind]):
            if key not in entry:
                raise c.fail(f"{where}.{key}", "missing")
        if kind == "file":
            file = Path(c.text(entry["path"], f"{where}.path"))
            entry = {"path": str(file if file.is_absolute() else c.path.parent / file)}
        elif kind == "webhook":
            entry = {"url": _url(c, entry["url"], f"{where}.url", _HTTP)}
        elif kind == "email":
            to = entry["to"]
            recipients = (
                [c.text(to, f"{where}.to")]
                if isinstance(to, str)
                else [
                    c.text(t, f"{where}.to[{i}]")
                    for i, t in enumerate(c.listing(to, f"{where}.to"))
                ]
            )
            if not recipients:
                raise c.fail(f"{where}.to", "expected at least one address")
            entry = {
                "host": c.text(entry["host"], f"{where}.host"),
                "port": _port(c, entry["port"], f"{where}.port"),
                "from": c.text(entry["from"], f"{where}.from"),
                "to": recipients,
            }
        out[kind] = dict(entry)
    return out


def _alerts(c: _Checker, value: Any, sinks: set[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, entry in enumerate(c.listing(value, "monitoring.alerts")):
        where = f"monitoring.alerts[{i}]"
        entry = c.mapping(entry, where, ALERT_KEYS)
        for key in ("name", "when"):
            if key not in entry:
                raise c.fail(f"{where}.{key}", "missing")
        name = c.text(entry["name"], f"{where}.name")
        if any(a["name"] == name for a in out):
            raise c.fail(f"{where}.name", f"{name!r} is listed twice")
        rule = _when(c, entry["when"], f"{where}.when")
        severity = entry.get("severity", "warning")
        if severity not in SEVERITIES:
            raise c.fail(f"{where}.severity", unknown_value(severity, SEVERITIES))
        alert: dict[str, Any] = {"name": name, "when": entry["when"], **rule, "severity": severity}
        if "sinks" in entry:
            names = [
                c.text(s, f"{where}.sinks[{j}]")
                for j, s in enumerate(c.listing(entry["sinks"], f"{where}.sinks"))
            ]
            for j, s in enumerate(names):
                if s not in SINK_KEYS:
                    raise c.fail(f"{where}.sinks[{j}]", unknown_value(s, tuple(SINK_KEYS)))
                if s not in sinks:
                    raise c.fail(
                        f"{where}.sinks[{j}]", f"sink {s!r} is not configured in monitoring.sinks"
                    )
            alert["sinks"] = names
        out.append(alert)
    return out


def _when(c: _Checker, value: Any, where: str) -> dict[str, Any]:
    """``"QUANTITY OP NUMBER"`` or ``"trading_state == halted|reducing"`` -> its parts."""
    example = 'like "drawdown > 0.03" or "trading_state == halted"'
    m = _WHEN.match(value) if isinstance(value, str) else None
    if m is None:
        raise c.fail(where, f"expected QUANTITY OP NUMBER, {example}, got {value!r}")
    quantity, op, operand = m.groups()
    if quantity == "trading_state":
        if op != "==" or operand.lower() not in TRADING_STATES:
            raise c.fail(where, f"expected trading_state == halted or reducing, got {value!r}")
        return {"quantity": quantity, "op": op, "value": operand.lower()}
    if quantity not in ALERT_QUANTITIES:
        raise c.fail(
            where,
            f"unknown quantity {quantity!r} (expected one of: "
            f"{', '.join((*ALERT_QUANTITIES, 'trading_state'))})",
        )
    try:
        number = float(operand)
    except ValueError:
        number = float("nan")
    if number != number or number in (float("inf"), float("-inf")):
        raise c.fail(where, f"expected a number after {op}, {example}, got {value!r}")
    return {"quantity": quantity, "op": op, "value": number}
