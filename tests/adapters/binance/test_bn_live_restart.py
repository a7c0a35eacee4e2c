"""kill -9 of a live session trading at the local Binance venue mid-run, then a restart: the
kernel is rebuilt from its journal, finds its orders by client order id, recovers the trades it
missed (``myTrades``), and ends holding exactly what the venue holds, asset by asset."""

from __future__ import annotations

import os
from collections import Counter
from decimal import Decimal

import pytest
from live_checks import journal_fills, kill_9_and_resume
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
        summary = kill_9_and_resume(cfg, run_dir, env, lambda: len(venue.state()["trades"]), 12)
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
    assert KEY not in summary["_stderr"] and SECRET not in summary["_stderr"]
    report = replay(run_dir)  # and both sessions' journal still replays to the byte
    assert report.ok, report.as_dict()
