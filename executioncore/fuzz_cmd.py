"""``executioncore fuzz``: property-test a strategy's order logic from the shell.

    executioncore fuzz "module:Class" [--params YAML_OR_JSON] [--examples N] [--seed N]
        [--out DIR] [--json] [--instrument SYMBOL:TICK:LOT] [--kinds K,K] [--venues N]
        [--invariants NAME,...] [--max-steps N] [--no-faults]

Runs ``executioncore.testing.fuzz`` (docs/TESTING.md): ``--examples`` generated markets and
venue behaviours (default 200) through the real kernel, with every built-in invariant, the
strategy's ``@invariant`` methods and ``--invariants`` (built-in names, ``module:function``).
Exit 0 when every invariant held; 1 when one failed, printing the invariant, the step and the
path of the scenario that reproduces it (``executioncore run`` on it exits 1); 2 bad input.
The module is found like a scenario's strategy: the current folder is on the import path.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from executioncore.testing.markets import KINDS


class FuzzInputError(ValueError):
    """A bad argument: the message names it."""


def add_fuzz_parser(sub: Any) -> None:
    p = sub.add_parser(
        "fuzz",
        help="property-test a strategy's order logic on generated markets and venue behaviour",
        description="Run a strategy on generated markets and venue behaviours through the real "
        "kernel, checking every invariant; a failure is shrunk and written as a scenario that "
        "reproduces it (docs/TESTING.md).",
    )
    p.add_argument("strategy", help='the strategy class, "module:Class"')
    p.add_argument("--params", default=None, help="its parameters: YAML or JSON text, or a file")
    p.add_argument("--examples", type=int, default=200, help="examples to try (default 200)")
    p.add_argument("--seed", type=int, default=0, help="the search's seed (default 0)")
    p.add_argument("--out", type=Path, default=None,
                   help="where a failure is written (default runs/fuzz/CLASS-SEED)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--instrument", action="append", default=[], metavar="SYMBOL:TICK:LOT",
                   help="an instrument's grid (default tick 0.01, lot 1)")  # fmt: skip
    p.add_argument("--kinds", default=None, help=f"data kinds ({', '.join(KINDS)}); default: "
                   "what the strategy's callbacks take")  # fmt: skip
    p.add_argument("--venues", type=int, default=1, help="simulated venues (2+: routing, SOR)")
    p.add_argument("--invariants", default=None,
                   help="built-in names to check (default all), and module:function names")  # fmt: skip
    p.add_argument("--max-steps", type=int, default=60, help="market events per example")
    p.add_argument("--no-faults", action="store_true", help="no rejects, duplicates, outages")


def fuzz_cli(args: Any) -> int:
    try:
        cls = _strategy_class(args.strategy)
        params = _params(args.params)
        options = _options(args)
        cls(**params)  # why: a parameter the class does not take is bad input, said once
    except FuzzInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except TypeError as exc:
        print(f"error: --params: {exc}", file=sys.stderr)
        return 2
    from executioncore.testing.check import fuzz

    progress = _progress(args.examples) if sys.stderr.isatty() and not args.json else None
    result = fuzz(cls, params, examples=args.examples, seed=args.seed, out=args.out,
                  progress=progress, **options)  # fmt: skip
    if progress is not None:
        print(file=sys.stderr)
    if args.json:
        print(json.dumps({
            "passed": result.passed, "examples": result.examples, "seed": result.seed,
            "seconds": round(result.seconds, 3),
            "examples_per_second": round(result.examples_per_second, 2),
            "invariant": result.invariant, "failure": result.failure,
            "failures": result.failures,
            "scenario": str(result.scenario) if result.scenario else None,
        }))  # fmt: skip
    else:
        print(result.message())
    return 0 if result.passed else 1


def _strategy_class(path: str) -> type:
    from kernel.strategy import Strategy

    module_name, _, name = path.partition(":")
    if not module_name or not name:
        raise FuzzInputError(f"strategy: expected 'module:Class', got {path!r}")
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # why: the user's module failed to import: say which and why
        raise FuzzInputError(f"strategy: cannot import {module_name!r}: {exc}") from None
    cls = getattr(module, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise FuzzInputError(f"strategy: {path!r} is not a Strategy subclass")
    return cls


def _params(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    source = Path(text)
    if len(text) < 300 and source.is_file():
        text = source.read_text()
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FuzzInputError(f"--params: not YAML or JSON: {exc}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FuzzInputError(f"--params: expected a mapping of parameters, got {value!r}")
    return value


def _options(args: Any) -> dict[str, Any]:
    from executioncore.invariants import BUILTINS

    if args.examples < 1:
        raise FuzzInputError(f"--examples: must be at least 1, got {args.examples}")
    if args.venues < 1:
        raise FuzzInputError(f"--venues: must be at least 1, got {args.venues}")
    if args.max_steps < 2:
        raise FuzzInputError(f"--max-steps: must be at least 2, got {args.max_steps}")
    out: dict[str, Any] = {"venues": args.venues, "max_steps": args.max_steps,
                           "faults": not args.no_faults}  # fmt: skip
    grids = {}
    for spec in args.instrument:
        parts = spec.split(":")
        if len(parts) != 3:
            raise FuzzInputError(f"--instrument: expected SYMBOL:TICK:LOT, got {spec!r}")
        grids[parts[0]] = {"tick_size": parts[1], "lot_size": parts[2]}
    if grids:
        out["instruments"] = grids
    if args.kinds:
        kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise FuzzInputError(f"--kinds: unknown {bad[0]!r} (known: {', '.join(KINDS)})")
        out["kinds"] = kinds
    if args.invariants:
        names, funcs = [], []
        for item in (x.strip() for x in args.invariants.split(",")):
            if ":" in item:
                funcs.append(item)
            elif item in BUILTINS:
                names.append(item)
            elif item:
                raise FuzzInputError(f"--invariants: unknown {item!r} (built-in: "
                                     f"{', '.join(sorted(BUILTINS))}; or module:function)")  # fmt: skip
        out["builtins"] = names or None
        out["invariants"] = funcs
    return out


def _progress(total: int) -> Any:
    def show(n: int) -> None:
        print(f"\rexamples run: {n} (of {total} to generate, plus shrinking)", end="",
              file=sys.stderr, flush=True)  # fmt: skip

    return show
