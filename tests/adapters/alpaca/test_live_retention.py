"""``kernel: {retain_closed_orders: N}`` in a live config, as a user runs it against the local
Alpaca venue: closed orders leave the kernel's OMS while the session goes on, the summary still
counts the whole session, and the journal (with the setting in its meta) replays exactly."""

from __future__ import annotations

import pytest
from live_checks import run_seed_session
from live_harness import KEY, SECRET, start_venue
from seed_config import alpaca_only

from executioncore.replay import replay
from executioncore.store import SqliteStore

pytestmark = pytest.mark.network

ORDERS = {
    "orders": [
        {"at": f"+{0.3 + 0.3 * i:.1f}s", "id": f"o{i}", "symbol": "USDJPY",
         "side": "buy" if i % 2 == 0 else "sell", "quantity": 10}
        for i in range(5)
    ]
}  # fmt: skip


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("ALPACA_API_KEY", KEY)
    monkeypatch.setenv("ALPACA_API_SECRET", SECRET)


def test_a_live_session_keeps_one_closed_order_and_counts_them_all(tmp_path, env, capsys):
    venue = start_venue(lot_size="1", cash="100000", step_ms=20)
    config = alpaca_only(venue.base_url, venue.stream_url)
    config += "\nkernel:\n  retain_closed_orders: 1\n"
    try:
        code, summary, err = run_seed_session(tmp_path, config, ORDERS, capsys, "4s")
        state = venue.state()
    finally:
        venue.close()
    assert code == 0, err
    assert summary is not None
    assert summary["orders"] == 5 and summary["open_orders"] == 0
    assert summary["positions"] == {"USDJPY": 10}
    venue_fills = len(state["fills"])
    assert summary["fills"] == venue_fills >= 5
    # the broker's own counts are the session's, evicted orders included
    assert summary["brokers"]["primary"]["orders"] == 5
    assert summary["brokers"]["primary"]["fills"] == venue_fills
    store = SqliteStore.open(tmp_path / "run" / "journal")
    try:
        assert store.meta()["retain_closed_orders"] == 1
    finally:
        store.close()
    report = replay(tmp_path / "run")
    assert report.ok, report
