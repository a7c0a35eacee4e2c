"""What the live tests of every venue share: the consistency of the kernel's books with a local
venue's (``Consistency``), the ``executioncore`` CLI run in process (``run_cli``) or as a process
(``EXE``, ``live_args``; ``kill_9_and_resume``), and the fills a journal holds
(``journal_fills``)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from executioncore.cli import main
from executioncore.store import SqliteStore
from kernel.codec import IN, TAGS, decode
from kernel.events import OrderFilled
from kernel.journal import read_records

EXE = Path(sys.executable).with_name("executioncore")


@dataclass
class Consistency:
    """The kernel's books against a venue's: every fill once (none lost, none twice), every
    order once, the same positions / cash / balances (``mismatches`` says how they differ)."""

    venue_fills: int
    kernel_fills: int
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    duplicate_orders: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.duplicate_orders or self.mismatches)


def run_cli(args: list[str], capsys: Any) -> tuple[int, dict[str, Any] | None, str]:
    """``executioncore ARGS`` in this process: the exit code, the summary (the last stdout line
    with ``--json``) and stderr."""
    code = main(args)
    out = capsys.readouterr()
    summary = None
    if "--json" in args and out.out.strip():
        summary = json.loads(out.out.strip().splitlines()[-1])
    return code, summary, out.err


def live_args(cfg: Path, run_dir: Path, run_for: str) -> list[str]:
    """The command line of a live session run as its own process (to ``kill -9`` it)."""
    return [str(EXE), "live", "--config", str(cfg), "--run-for", run_for, "--out", str(run_dir),
            "--json"]  # fmt: skip


def journal_fills(path: Path) -> list[str]:
    """The trade ids of every fill a journal holds, in order."""
    store = SqliteStore.open(path)
    try:
        tag = TAGS[OrderFilled]
        return [
            decode(r)[1].trade_id
            for r in read_records(store.blocks())
            if r[0] == IN and r[1] == tag
        ]
    finally:
        store.close()


def kill_9_and_resume(
    cfg: Path,
    run_dir: Path,
    env: dict[str, str],
    done: Callable[[], int],
    at_least: int,
    run_for_after: str = "3s",
    wait_s: float = 40.0,
) -> dict[str, Any]:
    """Run a live session as a process, ``kill -9`` it once ``done()`` (fills or trades at the
    venue) reaches ``at_least``, let the venue go on half a second, run the same command again
    for ``run_for_after``: the resumed session's summary (exit 0 asserted)."""
    first = subprocess.Popen(
        live_args(cfg, run_dir, "60s"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=cfg.parent,
    )  # fmt: skip
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and done() < at_least:
        time.sleep(0.1)
    before = done()
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert first.returncode == -signal.SIGKILL
    assert before >= at_least, f"only {before} at the venue before the kill"
    time.sleep(0.5)  # the venue goes on: resting orders may fill while the session is down
    second = subprocess.run(
        live_args(cfg, run_dir, run_for_after), env=env, capture_output=True, text=True,
        cwd=cfg.parent, timeout=60,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr[-2000:]
    summary: dict[str, Any] = json.loads(second.stdout)
    summary["_stderr"] = second.stderr
    return summary


def run_seed_session(
    tmp: Path, config_text: str, script: dict[str, Any], capsys: Any, run_for: str = "4s"
) -> tuple[int, dict[str, Any] | None, str]:
    """``executioncore live`` as a user runs it: the config's text and the scripted orders
    written beside each other, ``--json`` on; the exit code, the summary and stderr."""
    import yaml

    cfg = tmp / "executioncore.yaml"
    cfg.write_text(config_text)
    orders = tmp / "orders.yaml"
    orders.write_text(yaml.safe_dump(script))
    args = ["live", "--config", str(cfg), "--orders", str(orders), "--run-for", run_for,
            "--json", "--out", str(tmp / "run")]  # fmt: skip
    return run_cli(args, capsys)
