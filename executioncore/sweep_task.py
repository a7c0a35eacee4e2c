"""One point of a parameter sweep: the scenario's YAML with some keys set, run whole, summarized.

``run_point`` is what every executor runs (in this process, on a local Dask cluster, on a remote
one): it takes the scenario's raw mapping (as read from its file) and the file's absolute path
(relative data and strategy paths resolve against its folder), sets the point's keys, validates
and runs the scenario in a temporary run folder (removed afterwards) and returns one JSON-ready
row. It never raises for a point that cannot run: the row carries the error instead, so one bad
point never stops the others, and a Dask worker never retries it.

A row holds no wall-clock figure: equal inputs give equal rows, whichever executor ran them.

Key paths are dotted (``strategy.params.fast``, ``venue.fees.taker_bps``); a list element is
``data.0.path`` or ``data[0].path``.
"""

from __future__ import annotations

import copy
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

METRICS = ("realized_pnl", "equity", "max_drawdown", "sharpe", "fills")
# every row, in this order: the run's index, its params, then these
ROW_KEYS = (
    "status",
    "digest",
    "realized_pnl",
    "equity",
    "max_drawdown",
    "sharpe",
    "fills",
    "orders",
    "commissions",
    "expectations_passed",
    "error",
)
_INDEX = re.compile(r"\[(\d+)\]")

Part = str | int


def parse_key(key: str) -> tuple[Part, ...]:
    """``"data[0].path"`` / ``"data.0.path"`` -> ``("data", 0, "path")``; ``ValueError`` for an
    empty segment."""
    parts: list[Part] = []
    for segment in _INDEX.sub(r".\1", key).split("."):
        if not segment:
            raise ValueError(f"{key!r} is not a key path (expected e.g. strategy.params.fast)")
        parts.append(int(segment) if segment.isdigit() else segment)
    return tuple(parts)


def show_path(parts: tuple[Part, ...]) -> str:
    """``("data", 0, "path")`` -> ``"data[0].path"`` (how scenario errors name keys)."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def locate(raw: Any, parts: tuple[Part, ...]) -> tuple[bool, str | None]:
    """Whether ``parts`` names an existing value of ``raw``, and what makes it impossible to set
    (a scalar or missing element on the way; a missing mapping on the way is fine: it is made)."""
    node = raw
    for depth, part in enumerate(parts):
        here = show_path(parts[:depth]) or "the scenario"
        if isinstance(node, list):
            if not isinstance(part, int):
                return False, f"{here} is a list: name an element by its index, e.g. {here}[0]"
            if part >= len(node):
                return False, f"{here} has {len(node)} element(s): no index {part}"
            node = node[part]
        elif isinstance(node, dict):
            key = str(part)
            if key not in node:
                return False, None
            node = node[key]
        else:
            return False, f"{here} is {node!r}, not a mapping or a list"
    return True, None


def set_path(raw: Any, parts: tuple[Part, ...], value: Any) -> None:
    """Set ``raw[parts...] = value``, making the missing mappings on the way."""
    node = raw
    for part in parts[:-1]:
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node.setdefault(str(part), {})
            if node is None:  # why: ``risk:`` with nothing under it reads as null
                node = {}
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[str(last)] = value


def plain(value: Any, text: str) -> Any:
    """A param's value for the outputs: itself when JSON has the type, else its text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return text  # why: a date, a timestamp: shown as the user wrote it


def point_scenario(raw: dict[str, Any], path: Path, params: dict[str, Any]) -> Any:
    """The validated scenario of one point (``ScenarioError`` when it is not valid)."""
    from executioncore.scenario import parse_scenario

    point = copy.deepcopy(raw)
    for key, value in params.items():
        set_path(point, parse_key(key), value)
    return parse_scenario(point, path)


def failed_row(index: int, shown: dict[str, Any], error: str) -> dict[str, Any]:
    row: dict[str, Any] = {"run": index, "params": shown}
    row.update(dict.fromkeys(ROW_KEYS))
    row["status"], row["error"] = "failed", error
    return row


def run_point(
    raw: dict[str, Any],
    scenario_path: str,
    index: int,
    params: dict[str, Any],
    shown: dict[str, Any],
    cwd: str | None = None,
) -> dict[str, Any]:
    """Run one point; return its row (``status`` ``ok`` or ``failed`` with ``error``).

    ``params`` are the values to set (YAML-typed), ``shown`` the same for the outputs (JSON
    types); ``cwd`` is the sweep's working folder, searched for strategy modules after the
    worker's own (as ``executioncore run`` would from there)."""
    if cwd and cwd not in sys.path:
        sys.path.append(cwd)
    try:
        from executioncore.analytics import compute_stats
        from executioncore.runner import prepare

        scenario = point_scenario(raw, Path(scenario_path), params)
        with tempfile.TemporaryDirectory(
            prefix="executioncore-sweep-", ignore_cleanup_errors=True
        ) as tmp:
            result = prepare(scenario, None, Path(tmp) / "run").execute()
            stats = compute_stats(result.record)
    except Exception as exc:
        return failed_row(index, shown, error_text(exc))
    s = result.summary
    row: dict[str, Any] = {"run": index, "params": shown, "status": "ok"}
    row.update(
        digest=s.get("digest"),
        realized_pnl=s.get("realized_pnl"),
        equity=s.get("equity"),
        max_drawdown=s.get("max_drawdown"),
        sharpe=stats.get("sharpe"),
        fills=s.get("fills"),
        orders=s.get("orders"),
        commissions=s.get("commissions"),
        expectations_passed=bool((s.get("expectations") or {}).get("passed", True)),
        error=None,
    )
    return row


def error_text(exc: BaseException) -> str:
    """One line for a point that could not run: a user's mistake as its message, anything else
    with its type."""
    from executioncore.build import StrategyError
    from executioncore.scenario import ScenarioError
    from kernel.orders import InvalidOrder
    from kernel.risk import ConfigError
    from kernel.units import UnitError
    from sim.feeds import DataError

    known = (ScenarioError, StrategyError, DataError, ConfigError, UnitError, InvalidOrder)
    if isinstance(exc, known) or getattr(exc, "exit_code", None) == 3:
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
