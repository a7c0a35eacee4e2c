"""kill -9 of a live process mid-run, then a restart that rebuilds the kernel from its journal,
reconciles with the venue, and ends holding exactly what the venue holds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from decimal import Decimal

import pytest
from live_checks import EXE, journal_fills
from live_harness import KEY, SECRET, start_venue, write_config

from executioncore.replay import replay

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]


def test_kill_9_then_restart_recovers_and_matches_the_venue(tmp_path):
    env = dict(os.environ, EC_TEST_KEY=KEY, EC_TEST_SECRET=SECRET)
    venue = start_venue(step_ms=10)
    run_dir = tmp_path / "run"
    try:
        cfg = write_config(tmp_path, venue, reconcile_every_s=0.5)
        first = subprocess.Popen(
            [
                str(EXE),
                "live",
                "--config",
                str(cfg),
                "--run-for",
                "60s",
                "--out",
                str(run_dir),
                "--json",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(venue.state()["fills"]) < 12:
            time.sleep(0.1)
        fills_before_kill = len(venue.state()["fills"])
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert first.returncode == -signal.SIGKILL
        assert fills_before_kill >= 12
        time.sleep(0.5)  # the venue goes on: resting orders may fill while we are down
        second = subprocess.run(
            [
                str(EXE),
                "live",
                "--config",
                str(cfg),
                "--run-for",
                "3s",
                "--out",
                str(run_dir),
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )
        assert second.returncode == 0, second.stderr[-2000:]
        summary = json.loads(second.stdout)
        state = venue.state()
    finally:
        venue.close()
    assert summary["live"]["resumed"] is True
    # the venue's exact state: every fill once, no order placed twice, the same position
    venue_exec = [f["execution_id"] for f in state["fills"]]
    kernel_exec = journal_fills(run_dir / "journal")
    assert sorted(set(venue_exec) - set(kernel_exec)) == []
    assert len(kernel_exec) == len(set(kernel_exec))  # the restart did not send known fills again
    assert summary["fills"] == len(venue_exec)  # and the kernel counted each one once
    coids = [o["client_order_id"] for o in state["orders"]]
    assert len(coids) == len(set(coids))
    for sym, qty in state["positions"].items():
        assert Decimal(str(summary["positions"][sym])) == Decimal(qty)
    # and the whole journal, both sessions, still replays to the byte
    report = replay(run_dir)
    assert report.ok, report.as_dict()
