"""kill -9 of a live session trading at the local Binance venue mid-run, then a restart: the
kernel is rebuilt from its journal, finds its orders by client order id, recovers the trades it
missed (``myTrades``), and ends holding exactly what the venue holds, asset by asset."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from decimal import Decimal

import pytest
from live_checks import journal_fills, live_args
from test_bn_live_session import (
    KEY,
    SECRET,
    start_venue,
    trade_ids,
    venue_balances,
    write_config,
)

from executioncore.replay import replay

pytestmark = [pytest.mark.network, pytest.mark.timeout(90)]


def test_kill_9_then_restart_recovers_exactly_and_matches_the_venue(tmp_path):
    venue = start_venue(step_ms=8)
    run_dir = tmp_path / "run"
    env = dict(os.environ, BINANCE_API_KEY=KEY, BINANCE_API_SECRET=SECRET)
    try:
        cfg = write_config(tmp_path, venue)
        first = subprocess.Popen(
            live_args(cfg, run_dir, "60s"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=tmp_path,
        )  # fmt: skip
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and len(venue.state()["trades"]) < 12:
            time.sleep(0.1)
        trades_before_kill = len(venue.state()["trades"])
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert first.returncode == -signal.SIGKILL
        assert trades_before_kill >= 12
        time.sleep(0.5)  # the venue goes on: resting orders may fill while the session is down
        second = subprocess.run(
            live_args(cfg, run_dir, "3s"), env=env, capture_output=True, text=True, cwd=tmp_path,
            timeout=60,
        )  # fmt: skip
        assert second.returncode == 0, second.stderr[-2000:]
        summary = json.loads(second.stdout)
        state = venue.state()
    finally:
        venue.close()
    assert summary["live"]["resumed"] is True
    venue_trades = trade_ids(state)
    kernel_trades = journal_fills(run_dir / "journal")
    assert sorted(set(venue_trades) - set(kernel_trades)) == []  # nothing lost
    assert len(kernel_trades) == len(set(kernel_trades))  # nothing booked twice
    assert summary["fills"] == len(venue_trades)
    coids = [o["clientOrderId"] for o in state["orders"]]
    assert [c for c, n in Counter(coids).items() if n > 1] == []  # no order placed twice
    got = {a: Decimal(str(v)).normalize() for a, v in summary["balances"].items() if v}
    assert got == venue_balances(state)
    assert summary["open_orders"] == 0
    assert KEY not in second.stderr and SECRET not in second.stderr
    report = replay(run_dir)  # and both sessions' journal still replays to the byte
    assert report.ok, report.as_dict()
