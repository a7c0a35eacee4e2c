"""``executioncore sweep``: run a scenario over a grid of parameter values.

``--param KEY=V1,V2`` (repeatable) names a key of the scenario's YAML by its dotted path
(``strategy.params.fast``, ``venue.fees.taker_bps``, ``data[0].path``, or ``seed``) and the
values to try, each read as a YAML scalar; the grid is the product of every list, in the order
given (the last key varies fastest). Each point is a whole run of the scenario with those keys
set (``sweep_task.run_point``), in this process (``--workers 1``), on a local Dask cluster of
``--workers N`` processes (the default: one per core; in this process, with a note, when Dask
is not installed), or on a running cluster (``--scheduler tcp://HOST:8786``, whose workers need
this package and the scenario's files at the same paths). The rows are equal whichever executor
ran them.

Writes ``results.parquet``, ``results.csv`` and ``sweep.html`` into ``--out`` (default
``runs/sweep-<scenario>``) and prints a table, or with ``--json`` a list with one object per
run. Exit codes: 0 every point ran; 1 some failed (the rest are still written; the failed ones
are listed with their params and error); 2 bad input (an unreadable scenario, a key the
scenario does not have, a value that is not a YAML scalar), naming the key; 3 Dask is missing
(with ``--workers N`` or ``--scheduler``) or the scheduler cannot be reached.

A key need not be in the file when the schema takes it (``risk.max_position_pct`` on a scenario
without it); a key neither in the file nor taken by the schema or the strategy is bad input.
A run whose expectations fail still ran: its ``expectations_passed`` is false.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from executioncore.sweep_task import (
    METRICS,
    locate,
    parse_key,
    plain,
    point_scenario,
    show_path,
)

Grid = list[tuple[str, list[tuple[Any, str]]]]  # key -> [(value, its text)]
MAX_PRINTED = 50
COLUMN_TYPES = {
    "run": "int64",
    "status": "string",
    "digest": "string",
    "realized_pnl": "float64",
    "equity": "float64",
    "max_drawdown": "float64",
    "sharpe": "float64",
    "fills": "int64",
    "orders": "int64",
    "commissions": "float64",
    "expectations_passed": "bool_",
    "error": "string",
}


class SweepError(ValueError):
    """A mistake in the sweep's arguments: one message, exit code 2."""


def add_sweep_parser(sub: Any) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a scenario over a grid of parameter values (locally or on a Dask cluster)",
        description="Run a scenario for every combination of --param values; write "
        "results.parquet, results.csv and sweep.html.",
    )
    p.add_argument("scenario", type=Path)
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="a dotted key of the scenario (e.g. strategy.params.fast, or seed) and its values",
    )
    p.add_argument("--workers", type=int, help="local worker processes (1: in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, tcp://H:P")
    p.add_argument("--out", type=Path, help="output folder (default runs/sweep-<scenario>)")
    p.add_argument("--json", action="store_true", help="print one JSON object per run, only")
    p.add_argument("--heatmap", metavar="KEY1,KEY2", help="the heat map's two params")
    p.add_argument("--metric", choices=METRICS, default="realized_pnl", help="the heat map's")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    # why: tests force an executor; users choose with --workers / --scheduler
    p.add_argument(
        "--executor", choices=("auto", "local", "dask"), default="auto", help=argparse.SUPPRESS
    )


def sweep_cli(args: argparse.Namespace) -> int:
    try:
        return sweep_command(args)
    except SweepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def sweep_command(args: argparse.Namespace) -> int:
    from executioncore.scenario import parse_scenario, read_yaml

    if not args.param:
        raise SweepError("sweep: give at least one --param KEY=V1,V2")
    grid = parse_params(args.param)
    raw = read_yaml(args.scenario)
    path = args.scenario.resolve()
    base = parse_scenario(copy.deepcopy(raw), args.scenario)  # why: errors name the path as given
    check_keys(raw, path, grid)
    heatmap = heatmap_keys(args.heatmap, grid)
    points = plan(grid)
    mode, workers = executor(args, len(points))
    if mode == "cluster" and args.workers is None and args.executor == "auto" and not _has_dask():
        print(
            "note: Dask is not installed: running every point in this process "
            "(pip install 'executioncore[sweep]' to run them in parallel)",
            file=sys.stderr,
        )
        mode, workers = "local", 1
    from executioncore import sweep_exec as ex

    bar = (
        ex.Bar(len(points))
        if not args.json and not args.no_progress and sys.stderr.isatty()
        else None
    )
    t0 = time.perf_counter()
    cwd = str(Path.cwd())
    try:
        on_done = bar if bar is not None else (lambda row: None)
        if mode == "local":
            rows = ex.run_local(raw, str(path), points, on_done, cwd)
        else:
            cluster = (
                ex.remote_cluster(args.scheduler) if mode == "remote" else ex.local_cluster(workers)
            )
            with cluster as client:
                rows = ex.run_dask(client, raw, str(path), points, on_done, cwd)
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - t0
    rows.sort(key=lambda r: r["run"])
    out = args.out if args.out is not None else Path("runs") / f"sweep-{base.name}"
    shown_grid = [(k, [plain(v, t) for v, t in vs]) for k, vs in grid]
    written = write_outputs(
        out, base.name, str(args.scenario), shown_grid, rows, heatmap, args.metric
    )
    failed = [r for r in rows if r["status"] != "ok"]
    if args.json:
        print(json.dumps(rows))
        for r in failed:
            print(f"error: run {r['run']} ({_params(r)}): {r['error']}", file=sys.stderr)
    else:
        where = {"local": "in this process", "remote": f"on {args.scheduler}"}.get(
            mode, f"on {workers} local worker processes"
        )
        print(terminal_text(base.name, grid, rows, wall, where, written))
    return 1 if failed else 0


def _has_dask() -> bool:
    import importlib.util

    return importlib.util.find_spec("distributed") is not None


def parse_params(texts: list[str]) -> Grid:
    """``["a.b=1,2", "seed=3"]`` -> ``[("a.b", [(1, "1"), (2, "2")]), ("seed", [(3, "3")])]``."""
    grid: Grid = []
    seen: dict[tuple[Any, ...], str] = {}
    for text in texts:
        key, eq, values = text.partition("=")
        key = key.strip()
        if not eq or not key:
            raise SweepError(
                f"--param {text!r}: expected KEY=V1,V2 (e.g. strategy.params.fast=10,20)"
            )
        try:
            parts = parse_key(key)
        except ValueError as exc:
            raise SweepError(f"--param {key}: {exc}") from None
        for other, name in seen.items():
            if other == parts:
                raise SweepError(f"--param {key}: given twice (as {name})")
            short, long_ = sorted((other, parts), key=len)
            if long_[: len(short)] == short:
                raise SweepError(f"--param {key}: overlaps --param {name}: set one or the other")
        seen[parts] = key
        parsed: list[tuple[Any, str]] = []
        for item in values.split(","):
            item = item.strip()
            if not item:
                raise SweepError(f"--param {key}: an empty value in {values!r}")
            try:
                value = yaml.safe_load(item)
            except yaml.YAMLError as exc:
                problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
                raise SweepError(
                    f"--param {key}: {item!r} is not a YAML value ({problem})"
                ) from None
            if isinstance(value, dict | list):
                raise SweepError(
                    f"--param {key}: {item!r} is not a scalar (a number, a string, ...)"
                )
            if any(type(v) is type(value) and v == value for v, _ in parsed):
                raise SweepError(f"--param {key}: the value {item!r} is given twice")
            parsed.append((value, item))
        grid.append((key, parsed))
    return grid


def check_keys(raw: Any, path: Path, grid: Grid) -> None:
    """``SweepError`` for a key that names nothing the scenario has or takes."""
    from executioncore.build import load_strategy

    for key, values in grid:
        parts = parse_key(key)
        exists, problem = locate(raw, parts)
        if problem is not None:
            raise SweepError(f"--param {key}: {problem}")
        if exists:
            continue
        try:  # why: not in the file: the schema (or the strategy) must take it
            scenario = point_scenario(raw, path, {key: values[0][0]})
            if parts[0] == "strategy" and scenario.strategy:
                load_strategy(scenario.strategy, scenario.base_dir)
        except Exception as exc:
            if "unknown key" in str(exc):
                raise SweepError(
                    f"--param {key}: the scenario has no {show_path(parts)!r} and does not take "
                    f"it: {exc}"
                ) from None


def heatmap_keys(text: str | None, grid: Grid) -> tuple[str, str] | None:
    keys = [k for k, _ in grid]
    if text is None:
        return (keys[0], keys[1]) if len(keys) >= 2 else None
    names = [t.strip() for t in text.split(",")]
    if len(names) != 2 or names[0] == names[1]:
        raise SweepError(f"--heatmap {text!r}: expected two different keys, KEY1,KEY2")
    for name in names:
        if name not in keys:
            raise SweepError(
                f"--heatmap {text!r}: {name!r} is not a swept key (swept: {', '.join(keys)})"
            )
    return names[0], names[1]


def plan(grid: Grid) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
    """Every point of the grid, the last key varying fastest: (index, params, shown params)."""
    import itertools

    points = []
    for index, combo in enumerate(itertools.product(*(vs for _, vs in grid))):
        keys = [k for k, _ in grid]
        params = {k: v for k, (v, _) in zip(keys, combo)}
        shown = {k: plain(v, t) for k, (v, t) in zip(keys, combo)}
        points.append((index, params, shown))
    return points


def executor(args: argparse.Namespace, n_points: int) -> tuple[str, int]:
    """``("local" | "cluster" | "remote", workers)``."""
    if args.workers is not None and args.workers < 1:
        raise SweepError(f"--workers {args.workers}: must be at least 1")
    if args.scheduler:
        if args.workers is not None or args.executor == "local":
            raise SweepError("--scheduler runs on that cluster's workers: drop --workers")
        return "remote", 0
    workers = args.workers or min(os.cpu_count() or 1, n_points)
    if args.executor == "local" or (args.executor == "auto" and workers == 1):
        return "local", 1
    return "cluster", workers


def write_outputs(
    out: Path,
    name: str,
    scenario: str,
    grid: list[tuple[str, list[Any]]],
    rows: list[dict[str, Any]],
    heatmap: tuple[str, str] | None,
    metric: str,
) -> list[Path]:
    """``results.parquet``, ``results.csv`` and ``sweep.html`` in ``out``."""
    import csv

    import pyarrow as pa
    import pyarrow.parquet as pq

    from executioncore.sweep_html import flat_row, render_sweep

    out.mkdir(parents=True, exist_ok=True)
    flat = [flat_row(r) for r in rows]
    columns = list(flat[0]) if flat else []
    arrays = {c: _column([f.get(c) for f in flat], COLUMN_TYPES.get(c)) for c in columns}
    meta = {"executioncore.sweep": json.dumps({"scenario": scenario, "grid": dict(grid)})}
    tbl = pa.table(arrays).replace_schema_metadata(meta)
    pq.write_table(tbl, out / "results.parquet")
    with (out / "results.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for f in flat:
            writer.writerow([_csv(f.get(c)) for c in columns])
    html = render_sweep(name, scenario, grid, rows, heatmap, metric)
    (out / "sweep.html").write_text(html, encoding="utf-8")
    return [out / "results.parquet", out / "results.csv", out / "sweep.html"]


def _column(values: list[Any], kind: str | None = None) -> Any:
    """An Arrow array of one column: ``kind``, or for a param's: bool, int64, float64, or (mixed
    types, or nothing but nulls) their text."""
    import pyarrow as pa

    if kind is not None:
        if kind == "float64":
            values = [None if v is None else float(v) for v in values]
        return pa.array(values, getattr(pa, kind)())
    present = [v for v in values if v is not None]
    if not present:
        return pa.array(values, pa.string())
    if all(isinstance(v, bool) for v in present):
        return pa.array(values, pa.bool_())
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.array(values, pa.int64())
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    return pa.array([None if v is None else _csv(v) for v in values], pa.string())


def _csv(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else json.dumps(v)


def _params(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_csv(v)}" for k, v in row["params"].items())


def terminal_text(
    name: str, grid: Grid, rows: list[dict[str, Any]], wall: float, where: str, written: list[Path]
) -> str:
    """The table printed after a sweep (the first ``MAX_PRINTED`` runs), failures, files."""
    from executioncore.table import fmt_count, fmt_money, fmt_percent, fmt_ratio

    keys = [k for k, _ in grid]
    head = ["run", *keys, "realized_pnl", "equity", "max_dd", "sharpe", "fills", "digest"]
    lines = []
    for r in rows[:MAX_PRINTED]:
        p = [_csv(r["params"][k]) for k in keys]
        if r["status"] != "ok":
            lines.append([str(r["run"]), *p, "failed", "", "", "", "", ""])
            continue
        lines.append(
            [
                str(r["run"]),
                *p,
                fmt_money(r["realized_pnl"]),
                fmt_money(r["equity"]),
                fmt_percent(r["max_drawdown"]),
                fmt_ratio(r["sharpe"]),
                fmt_count(r["fills"]),
                (r["digest"] or "")[:12],
            ]
        )
    widths = [max(len(x) for x in col) for col in zip(head, *lines)]
    numeric = {0, *range(len(keys) + 1, len(head) - 1)}

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    failed = [r for r in rows if r["status"] != "ok"]
    shape = " x ".join(str(len(vs)) for _, vs in grid)
    out = [f"sweep of {name}: {len(rows)} runs ({shape}) {where}, {wall:.1f} s", fmt(head)]
    out += [fmt(line) for line in lines]
    if len(rows) > MAX_PRINTED:
        out.append(f"... {len(rows) - MAX_PRINTED} more runs in {written[-1]}")
    if failed:
        out.append(f"{len(failed)} failed:")
        out += [f"  run {r['run']} ({_params(r)}): {r['error']}" for r in failed]
    unmet = sum(r["status"] == "ok" and r["expectations_passed"] is False for r in rows)
    if unmet:
        out.append(f"{unmet} runs did not meet the scenario's expectations")
    out.append("wrote " + ", ".join(str(p) for p in written))
    return "\n".join(out)
