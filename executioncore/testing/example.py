"""One generated example as a scenario on disk, and its run through the real kernel.

An ``Example`` is markets (one per symbol), a venue behaviour and a seed. ``write`` makes it a
scenario folder: ``scenario.yaml`` (instruments, data entries, venue, faults, risk, operator
actions, the strategy, and ``expect: {invariants: ...}``) beside its data files, the very thing
``executioncore run`` takes. ``run_example`` runs it with the run's own code path
(``executioncore.runner``), so what the kit checks is what a user's run does.
"""

from __future__ import annotations

import csv
import shutil
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from executioncore.testing.markets import BAR_NS, T0_NS, Market, rows
from executioncore.testing.venue import Behaviour


@dataclass(frozen=True)
class Grid:
    """An instrument's grid for generated data: tick and lot size (decimal text), currency."""

    tick_size: str = "0.01"
    lot_size: str = "1"
    currency: str = "USD"
    start_ticks: int = 10_000


@dataclass(frozen=True)
class Example:
    markets: tuple[Market, ...]
    behaviour: Behaviour
    seed: int


@dataclass
class Target:
    """What is tested: ``module:Class`` with its params, and where its module lives."""

    class_path: str
    params: dict[str, Any]
    module_file: Path | None  # a top-level module's file, copied beside a written scenario
    kinds: tuple[str, ...]
    grids: dict[str, Grid]
    cash: int = 1_000_000
    venues: int = 1
    invariants: list[str] | None = None  # None: ``true`` (every built-in)
    function_names: tuple[str, ...] = ()  # importable user functions (``module:function``)


def write(example: Example, target: Target, folder: Path, name: str = "fuzz") -> Path:
    """Write ``example`` as ``folder/scenario.yaml`` with its data; return the scenario's path."""
    folder.mkdir(parents=True, exist_ok=True)
    data_dir = folder / "data"
    data_dir.mkdir(exist_ok=True)
    venues = [f"v{i + 1}" for i in range(target.venues)]
    data = []
    first, last = None, 0
    for m in example.markets:
        grid = target.grids[m.symbol]
        for kind in target.kinds:
            header, body = rows(m, kind, Decimal(grid.tick_size), Decimal(grid.lot_size))
            path = data_dir / f"{m.symbol.replace('/', '_')}-{kind}.csv"
            with path.open("w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(header)
                w.writerows(body)
            if body:
                last = max(last, int(body[-1][0]) + (BAR_NS if kind == "bars" else 0))
                first = int(body[0][0]) if first is None else min(first, int(body[0][0]))
            entry: dict[str, Any] = {"kind": kind, "symbol": m.symbol, "path": f"data/{path.name}"}
            if kind == "quotes":
                entry["on_bad_row"] = "skip"  # the crossed quotes: rejected, counted
            if kind == "bars":
                entry["interval"] = "1m"
            data.append(entry)
    b = example.behaviour
    t0 = first if first is not None else T0_NS
    span = max(last - t0, 1)
    venue: dict[str, Any] = {
        "latency": dict(b.latency),
        "fill": {"queue_position": b.queue_position},
    }
    if b.fees:
        venue["fees"] = dict(b.fees)
    raw: dict[str, Any] = {
        "name": name,
        "seed": example.seed,
        "description": "written by executioncore.testing: a generated market and venue "
        "behaviour on which an invariant failed (see expect.invariants)",
        "account": {"currency": "USD", "cash": target.cash},
        "instruments": [
            {"symbol": s, "tick_size": g.tick_size, "lot_size": g.lot_size, "currency": g.currency}
            for s, g in target.grids.items()
        ],
        "data": data,
        "end": last + 2 * 10**9,
    }
    if len(venues) == 1:
        raw["venue"] = venue
    else:
        raw["venues"] = [{"name": v, **venue} for v in venues]
        for inst in raw["instruments"]:
            inst["venue"] = venues
    if b.risk:
        raw["risk"] = dict(b.risk)
    raw["strategy"] = {"class": target.class_path, "params": target.params}
    operator = b.operator_entries(t0, span)
    if operator:
        raw["orders"] = operator
    faults = b.faults(t0, span)
    if faults:
        raw["faults"] = faults
    spec: Any = True if target.invariants is None else list(target.invariants)
    if target.function_names:
        spec = (["all"] if spec is True else spec) + list(target.function_names)
    raw["expect"] = {"invariants": spec}
    if target.module_file is not None:
        shutil.copyfile(target.module_file, folder / target.module_file.name)
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, width=100))
    return path


@dataclass
class Outcome:
    failures: list[Any]  # executioncore.invariants.Failure
    error: str | None  # the strategy raised (its message names file and line)
    summary: dict[str, Any]
    run_dir: Path


def run_example(
    scenario_path: Path, run_dir: Path, functions: Iterable[Callable[..., Any]] = ()
) -> Outcome:
    """Run a written example with the run's own code; the invariants' first failures."""
    from executioncore.runner import StrategyFailed, prepare
    from executioncore.scenario import load_scenario

    scenario = load_scenario(scenario_path)
    run = prepare(scenario, out_dir=run_dir, invariants=functions)
    try:
        result = run.execute()
    except StrategyFailed as exc:
        return Outcome([], str(exc), {}, run_dir)
    checker = run.invariants
    return Outcome(list(checker.failures), None, result.summary, run_dir)


def target_for(
    cls: type,
    params: dict[str, Any],
    *,
    kinds: Iterable[str] | None = None,
    grids: dict[str, Grid] | None = None,
    venues: int = 1,
    invariants: Iterable[str] | None = None,
    functions: Iterable[Callable[..., Any]] = (),
) -> Target:
    """What to test for a strategy class: its symbols (from an instance built with ``params``),
    the data kinds its callbacks take, the module to copy beside a written scenario."""
    from kernel.strategy import overrides

    probe = cls(**params)
    symbols = tuple(probe.symbols or ("XYZ",))
    if kinds is None:
        kinds = [k for k, cb in (("bars", "on_bar"), ("book", "on_book")) if overrides(probe, cb)]
        if not kinds or overrides(probe, "on_quote") or overrides(probe, "on_trade"):
            kinds = ["quotes", "trades", *kinds]
    module = sys.modules[cls.__module__]
    module_file = getattr(module, "__file__", None)
    top_level = "." not in cls.__module__ and module_file is not None
    names = []
    for fn in functions:
        mod = getattr(fn, "__module__", None)
        qual = getattr(fn, "__qualname__", "")
        if mod and "<" not in qual and mod != "__main__":
            names.append(f"{mod}:{qual}")
    return Target(
        class_path=f"{cls.__module__}:{cls.__qualname__}",
        params=dict(params),
        module_file=Path(module_file) if top_level else None,
        kinds=tuple(dict.fromkeys(kinds)),
        grids={s: (grids or {}).get(s, Grid()) for s in symbols},
        venues=venues,
        invariants=None if invariants is None else list(invariants),
        function_names=tuple(names),
    )
