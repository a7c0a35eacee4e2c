"""kill -9 of a live process mid-run, then a restart that rebuilds the kernel from its journal,
reconciles with the venue, and ends holding exactly what the venue holds."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from live_checks import journal_fills, kill_9_and_resume
from live_harness import KEY, SECRET, start_venue, write_config

from executioncore.replay import replay

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]


def test_kill_9_then_restart_recovers_and_matches_the_venue(tmp_path):
    env = dict(os.environ, EC_TEST_KEY=KEY, EC_TEST_SECRET=SECRET)
    venue = start_venue(step_ms=10)
    run_dir = tmp_path / "run"
    try:
        cfg = write_config(tmp_path, venue, reconcile_every_s=0.5)
        summary = kill_9_and_resume(
            cfg, run_dir, env, lambda: len(venue.state()["fills"]), 12, wait_s=30
        )
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
