"""kill -9 of a live session trading at IB mid-run, then a restart: the kernel is rebuilt from
its journal, finds its orders at IB by ``orderRef``, recovers the executions it missed
(``reqExecutions``), and ends holding exactly what the venue holds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from live_checks import journal_fills, kill_9_and_resume, live_args
from test_adapter_ibkr_live import order_refs, start_venue, write_config

from executioncore.replay import replay

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]


def test_kill_9_then_restart_recovers_exactly_and_matches_the_venue(tmp_path):
    venue = start_venue(step_ms=12)
    run_dir = tmp_path / "run"
    env = dict(os.environ)
    try:
        cfg = write_config(tmp_path, venue)
        summary = kill_9_and_resume(
            cfg, run_dir, env, lambda: len(venue.state()["executions"]), 12, wait_s=30
        )
        state = venue.state()
        refs = order_refs(venue)
    finally:
        venue.close()
    assert summary["live"]["resumed"] is True
    venue_exec = [e["exec_id"] for e in state["executions"]]
    kernel_exec = journal_fills(run_dir / "journal")
    assert sorted(set(venue_exec) - set(kernel_exec)) == []  # nothing lost
    assert len(kernel_exec) == len(set(kernel_exec))  # nothing booked twice
    assert summary["fills"] == len(venue_exec)
    assert [r for r, n in Counter(refs).items() if n > 1] == []  # no order placed twice
    for sym, qty in state["positions"].items():
        assert Decimal(str(summary["positions"][sym])) == Decimal(qty)
    assert Decimal(str(summary["cash"])) == Decimal(state["cash"])
    assert summary["open_orders"] == 0
    report = replay(run_dir)  # and both sessions' journal still replays to the byte
    assert report.ok, report.as_dict()


def falling_quotes(path: Path, n: int = 200, drop_at: int = 80) -> Path:
    """Quotes at 100.00 / 100.02 that fall to 99.40 / 99.50 from row ``drop_at`` on."""
    rows = []
    for i in range(n):
        bid, ask = ("100.00", "100.02") if i < drop_at else ("99.40", "99.50")
        rows.append(f"2024-01-02T14:{30 + i // 60:02d}:{i % 60:02d}Z,{bid},{ask},500,700")
    path.write_text("ts,bid_px,ask_px,bid_sz,ask_sz\n" + "\n".join(rows) + "\n")
    return path


def test_a_fill_made_while_the_session_is_dead_is_recovered_on_restart(tmp_path):
    """A limit buy rests at 99.60; the session is killed; the market falls through the limit
    while nothing is connected; the restarted session finds the execution (reqExecutions) and
    books it once: the kernel's position is the venue's."""
    venue = start_venue(data=falling_quotes(tmp_path / "fall.csv"), tick_size="0.01",
                        cash="1000000", step_ms=20)  # fmt: skip
    run_dir = tmp_path / "run"
    try:
        cfg = write_config(tmp_path, venue, strategy=False)
        orders = tmp_path / "orders.yaml"
        rest = {"at": "+0.2s", "id": "dip", "symbol": "XYZ", "side": "buy", "quantity": 100,
                "type": "limit", "limit_price": 99.6, "time_in_force": "gtc"}  # fmt: skip
        orders.write_text(yaml.safe_dump({"orders": [rest]}))
        args = [*live_args(cfg, run_dir, "60s"), "--orders", str(orders)]
        first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not [
            o for o in venue.state()["orders"] if o["status"] == "Submitted"
        ]:
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert venue.state()["executions"] == []  # not filled yet: the market is above it
        while time.monotonic() < deadline and not venue.state()["executions"]:
            time.sleep(0.05)  # the market falls through the limit while no one is connected
        assert len(venue.state()["executions"]) == 1
        second = subprocess.run(
            [*live_args(cfg, run_dir, "1s"), "--orders", str(orders)], capture_output=True,
            text=True, cwd=tmp_path, timeout=40,
        )  # fmt: skip
        assert second.returncode == 0, second.stderr[-2000:]
        summary = json.loads(second.stdout)
        state = venue.state()
    finally:
        venue.close()
    assert summary["live"]["resumed"] is True
    assert summary["live"]["adapters"]["ib"]["recovered_events"] >= 1
    assert journal_fills(run_dir / "journal") == [state["executions"][0]["exec_id"]]
    assert summary["positions"] == {"XYZ": 100} and state["positions"] == {"XYZ": "100"}
    assert summary["fills"] == 1 and summary["open_orders"] == 0
    assert Decimal(str(summary["cash"])) == Decimal(state["cash"])
