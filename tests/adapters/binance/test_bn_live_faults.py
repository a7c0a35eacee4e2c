"""The ccxt adapter through the local Binance venue's faults: the session goes on, and at the end
every trade the venue made is in the kernel exactly once, no client order id was placed twice,
and every asset's balance is the venue's to the unit.

- ``rate_limit``: 429 with ``Retry-After``: the adapter waits that long and asks again;
- ``ban``: 418: REST stops until the ban ends, the broker is down meanwhile (REDUCING), then
  reconciled and up again;
- ``unknown_status``: -1007, the order placed after all: looked up by client id, never resent;
- ``drop_report``: an executionReport never sent: the trade found in ``myTrades``;
- ``ws_drop``: the user-data websocket closed: reconnect, backfill trades and open orders;
- ``dup_report``, ``partial``: repeated reports and fills in pieces, each trade once.

``make test`` runs one seed per kind; ``make faults`` runs three (benches/fault_matrix.py).
"""

from __future__ import annotations

import pytest
from test_bn_live_session import check, env, start_venue, write_config  # noqa: F401

from executioncore.live_cmd import live_command

pytestmark = [pytest.mark.network, pytest.mark.timeout(90), pytest.mark.usefixtures("env")]

RATES = {
    "rate_limit": 0.03,
    "ban": 0.01,
    "unknown_status": 0.2,
    "drop_report": 0.2,
    "ws_drop": 0.03,
    "dup_report": 0.3,
    "partial": 0.5,
}


def run(tmp_path, kind: str, seed: int = 1, run_for: str = "3s"):  # type: ignore[no-untyped-def]
    venue = start_venue({kind: RATES[kind]}, seed=seed, retry_after_s=1, ban_s=1.0)
    try:
        cfg = write_config(tmp_path, venue)
        result = live_command(cfg, None, run_for, False, tmp_path / "run", True)
        consistency = check(result.summary, [f["trade_id"] for f in result.record.fills], venue)
        injected = venue.stats()["faults"][kind]
    finally:
        venue.close()
    return result, consistency, injected


@pytest.mark.parametrize("kind", sorted(RATES))
def test_a_session_under_each_fault_goes_on_and_recovers_every_fill(tmp_path, kind):
    result, consistency, injected = run(tmp_path, kind)
    assert injected >= 1, f"the {kind} fault never fired"
    assert consistency.ok, consistency
    assert consistency.venue_fills >= 5
    s = result.summary
    assert s["live"]["stop"] == "RUN_FOR_ELAPSED" and s["overfills"] == 0


def test_a_ban_takes_the_broker_down_until_it_ends_and_a_reconciliation(tmp_path):
    result, consistency, injected = run(tmp_path, "ban", seed=2)
    assert injected >= 1 and consistency.ok, consistency
    codes = [e["code"] for e in result.record.risk_events]
    assert "BROKER_DOWN" in codes and "BROKER_UP" in codes
    assert codes.index("BROKER_DOWN") < codes.index("BROKER_UP")
    assert result.summary["brokers"]["bn"]["connected"] is True
