"""Compiled hot modules (``executioncore accel``): the same ``.py`` source, built with Cython.

- ``executioncore accel build [--jobs N]`` compiles ``kernel/``, ``kernel/algos/``, ``sim/`` and
  ``sim/feeds/`` into the venv (``make demo`` and ``make test`` run it; only changed modules
  are rebuilt) and installs an import hook that uses a compiled module only while its source is
  unchanged since the build.
- ``executioncore accel`` (``status``) says which modules run compiled, which run as Python
  because their source changed, and whether ``EXECUTIONCORE_PURE=1`` turned the hook off.
- ``executioncore accel generate`` rewrites the generated sources (the journal's encoders,
  ``kernel/codec_encoders.py`` and its ``.pxd``, from ``kernel.codec``'s record layout) after
  the layout changed; a test says when it is due.

Plain Python is always a working fallback with identical results (the tests check the journal
digests both ways): without Cython, outside a venv, or with ``EXECUTIONCORE_PURE=1``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any

from executioncore.accel import build as _build
from executioncore.accel import finder


def add_accel_parser(sub: Any) -> None:
    p = sub.add_parser(
        "accel",
        help="compiled hot modules: status, or build them (make does)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", nargs="?", choices=["status", "build", "generate"], default="status")
    p.add_argument("--jobs", type=int, help="parallel compiler jobs (default: the CPU count)")
    p.add_argument("--json", action="store_true", help="status as JSON")


def status() -> dict[str, Any]:
    """Which of the compilable modules run compiled in this process (importing each)."""
    compiled, python = [], []
    for name in _build.modules():
        module = importlib.import_module(name)
        path = getattr(module, "__file__", "") or ""
        (python if path.endswith(".py") else compiled).append(name)
    hook = sys.modules.get(_build.HOOK_MODULE)
    found = getattr(hook, "FINDER", None)
    return {
        "pure_requested": finder.pure_requested(),
        "hook_installed": hook is not None,
        "build_dir": str(found.root) if found is not None else None,
        "compiled": compiled,
        "python": python,
        "stale": sorted(set(found.stale)) if found is not None else [],
    }


def accel_cli(args: argparse.Namespace) -> int:
    if args.action == "build":
        return _build.build(jobs=args.jobs)
    if args.action == "generate":
        from executioncore.accel import generated

        return generated.main()
    info = status()
    if args.json:
        print(json.dumps(info, indent=1))
        return 0
    total = len(info["compiled"]) + len(info["python"])
    print(f"compiled: {len(info['compiled'])} of {total} modules")
    if info["pure_requested"]:
        print(f"plain Python: {finder.ENV_PURE} is set")
    elif not info["hook_installed"]:
        print("plain Python: no build in this environment (executioncore accel build)")
    if info["stale"]:
        print(f"running as Python (source changed since the build): {', '.join(info['stale'])}")
    return 0
