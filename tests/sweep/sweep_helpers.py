"""Shared by the sweep tests: the bundled demo scenario, a 3 x 3 grid over its moving-average
windows, and ``sweep(...)``, which runs the command in this process and captures its output."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from executioncore.cli import main

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scenarios" / "demo.yaml"  # a month of 1-minute bars: ~0.2 s a run, has a Sharpe
FAST, SLOW = "strategy.params.fast", "strategy.params.slow"
GRID = ["--param", f"{FAST}=10,20,30", "--param", f"{SLOW}=60,120,240"]


def sweep(*args: Any) -> tuple[int, str, str]:
    """``executioncore sweep ARGS`` here: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["sweep", *(str(a) for a in args)])
    return code, out.getvalue(), err.getvalue()


def sweep_json(*args: Any) -> tuple[int, list[dict[str, Any]], str]:
    code, out, err = sweep(*args, "--json")
    return code, (json.loads(out) if out.strip() else []), err
