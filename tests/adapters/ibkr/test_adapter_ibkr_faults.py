"""The IBKR adapter through the local venue's faults: the session goes on, and at the end every
execution the venue made is in the kernel exactly once, no order was placed twice, and the
positions and cash are the venue's.

- ``conn_lost``: error 1100 (TWS lost IB; orders refused, messages held), then 1102: the
  kernel sees the broker down (BROKER_DOWN, REDUCING) and back (reconciled);
- ``socket_close``: the socket dropped: reconnect with backoff, reconcile, fills made while
  away recovered by ``reqExecutions``;
- ``drop_exec``: a live execDetails never sent: found by the reconciliation IB's status asks for;
- ``pacing``: error 100, the message unhandled: pause, look the order up, send it again;
- ``dup_status``, ``partial``: repeated statuses and fills in pieces, each execution once.
"""

from __future__ import annotations

import pytest
from test_adapter_ibkr_live import check, order_refs, start_venue, write_config

from executioncore.live_cmd import live_command

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]

RATES = {
    "conn_lost": 0.03,
    "socket_close": 0.04,
    "drop_exec": 0.2,
    "pacing": 0.02,
    "dup_status": 0.3,
    "partial": 0.5,
}


def run(tmp_path, kind: str, seed: int = 1, run_for: str = "3s", **venue_kw):  # type: ignore[no-untyped-def]
    venue = start_venue({kind: RATES[kind]}, seed=seed, conn_lost_s=0.5, **venue_kw)
    try:
        cfg = write_config(tmp_path, venue)
        result = live_command(cfg, None, run_for, False, tmp_path / "run", True)
        consistency = check(result.summary, [f["trade_id"] for f in result.record.fills], venue)
        injected = venue.stats()["faults"][kind]
        refs = order_refs(venue)
    finally:
        venue.close()
    return result, consistency, injected, refs


@pytest.mark.parametrize("kind", sorted(RATES))
def test_a_session_under_each_fault_goes_on_and_recovers_every_fill(tmp_path, kind):
    result, consistency, injected, refs = run(tmp_path, kind)
    assert injected >= 1, f"the {kind} fault never fired"
    assert consistency.ok, consistency
    assert consistency.venue_fills >= 5
    s = result.summary
    assert s["live"]["stop"] == "RUN_FOR_ELAPSED" and s["overfills"] == 0
    assert len(refs) == len(set(refs))


def test_conn_lost_takes_the_broker_down_until_1102_and_a_reconciliation(tmp_path):
    result, consistency, injected, _ = run(tmp_path, "conn_lost", seed=2)
    assert injected >= 1 and consistency.ok, consistency
    codes = [e["code"] for e in result.record.risk_events]
    assert "BROKER_DOWN" in codes and "BROKER_UP" in codes
    assert codes.index("BROKER_DOWN") < codes.index("BROKER_UP")
    assert "STATE_REDUCING" in codes  # the kernel reduced while the broker was down
    stats = result.summary["live"]["adapters"]["ib"]
    assert stats["connection"]["outages"] >= 1 and stats["connection"]["disconnects"] == 0
    assert result.summary["brokers"]["ib"]["connected"] is True


def test_socket_close_reconnects_and_recovers_what_filled_while_away(tmp_path):
    result, consistency, injected, _ = run(tmp_path, "socket_close", seed=3)
    assert injected >= 1 and consistency.ok, consistency
    conn = result.summary["live"]["adapters"]["ib"]["connection"]
    # connected at start, then once after each loss (the last loss may come as the session ends)
    assert conn["disconnects"] >= 1 and conn["connects"] in (
        conn["disconnects"],
        conn["disconnects"] + 1,
    )
    codes = [e["code"] for e in result.record.risk_events]
    assert "BROKER_DOWN" in codes and "BROKER_UP" in codes


def test_dropped_executions_are_recovered_by_the_reconciliation(tmp_path):
    result, consistency, injected, _ = run(tmp_path, "drop_exec", seed=4)
    assert injected >= 2 and consistency.ok, consistency
    assert result.summary["live"]["adapters"]["ib"]["recovered_events"] >= injected


def test_pacing_refusals_are_paused_and_sent_again_without_a_second_order(tmp_path):
    result, consistency, injected, refs = run(tmp_path, "pacing", seed=5)
    assert injected >= 1 and consistency.ok, consistency
    stats = result.summary["live"]["adapters"]["ib"]
    assert stats["throttle"]["penalties"] == injected
    assert len(refs) == len(set(refs))
