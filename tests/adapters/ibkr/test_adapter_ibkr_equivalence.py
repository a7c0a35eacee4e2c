"""The same strategy gives the same fills in a backtest and live on the local IB venue fed with
the same data (issue 16): both fill by one code (``sim.recorded``), only the timing differs.

The venue replays one quote every ``step_ms``, long enough for each order the strategy sends
on a quote to reach the venue (through the adapter, ib_async and the socket) before the next,
from the moment the adapter subscribed. The data has no sizes: the venue shows one lot at each
side (the live quotes carry size 1, the backtest's none); the fills do not depend on it.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_adapter_ibkr_live import USDJPY, check, start_venue, write_config

from executioncore.live_cmd import live_command
from executioncore.runner import prepare
from executioncore.scenario import load_scenario
from live.fakes.ibkr import VenueThread

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]

ROWS = 80  # quotes: a decision every 4th, 5 rounds of the churn, 2 fills a round


def one_side_at_a_time(src: Path, dst: Path, rows: int) -> Path:
    """``src``'s header and first ``rows`` quotes, each moving one side of the previous one.

    What the IB wire cannot carry as one quote: a row repeating the one before (TWS sends a
    ticker nothing when nothing changed: no tick, no quote live, a quote in the backtest), and
    a row moving both sides (two tickPrice messages, which the client may read apart: two
    quotes live, the first half-moved, one in the backtest). The first is dropped, the second
    split in two at its time: the side that keeps the book uncrossed moves first."""
    header, *lines = src.read_text().splitlines()
    out: list[tuple[str, str, str]] = []
    for line in lines:
        ts, bid, ask = line.split(",")[:3]
        if out and out[-1][1] != bid and out[-1][2] != ask:
            prev_ask = out[-1][2]
            half = (ts, bid, prev_ask) if float(bid) <= float(prev_ask) else (ts, out[-1][1], ask)
            out.append(half)
        if not out or out[-1][1:] != (bid, ask):
            out.append((ts, bid, ask))
    dst.write_text("\n".join([header, *(",".join(r) for r in out[:rows])]) + "\n")
    return dst


def backtest_scenario(tmp: Path, data: Path) -> Path:
    """The live config's strategy on the venue's market: XYZ (tick 0.001, lot 1), 10M USD."""
    doc: dict[str, Any] = yaml.safe_load((tmp / "executioncore.yaml").read_text())
    scenario = {
        "name": "ibkr-equivalence",
        "seed": doc["seed"],
        "account": {"currency": "USD", "cash": 10_000_000},
        "instruments": [{"symbol": "XYZ", "tick_size": 0.001, "lot_size": 1, "currency": "USD"}],
        "data": [{"kind": "quotes", "symbol": "XYZ", "path": str(data)}],
        "strategy": doc["strategy"],
    }
    path = tmp / "backtest.yaml"
    path.write_text(yaml.safe_dump(scenario))
    return path


def resume_once_subscribed(venue: VenueThread, timeout: float = 10.0) -> threading.Thread:
    """Resume the paused venue's replay once a client subscribed to its quotes: the replay
    would start at the handshake, tens of ms before the adapter's reqMktData, and the quotes
    in between would reach the strategy as one (the subscription's current values)."""

    def subscribed() -> bool:
        return any(s.tickers for s in venue.handle.venue.clients())

    def run() -> None:
        deadline = time.monotonic() + timeout
        while not venue.call(subscribed) and time.monotonic() < deadline:
            time.sleep(0.005)
        venue.resume()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def fill_rows(rows: list[dict[str, Any]]) -> list[tuple[int, str, float, float]]:
    """(order number, side, price, quantity) of each fill; the number is the id's last part
    (``churn-7`` in the backtest, ``t-churn-7`` live)."""
    return [(int(r["order_id"].rsplit("-", 1)[1]), r["side"], r["price"], r["qty"]) for r in rows]


def test_backtest_and_local_ib_venue_give_the_same_fills(tmp_path):
    data = one_side_at_a_time(USDJPY, tmp_path / "usdjpy_head.csv", ROWS)
    # one quote every 60 ms: each order reaches the venue before the next quote
    venue = start_venue(data=data, step_ms=60, start_paused=True)
    try:
        cfg = write_config(tmp_path, venue)
        backtest = prepare(
            load_scenario(backtest_scenario(tmp_path, data)), out_dir=tmp_path / "bt"
        )
        bt = backtest.execute()
        starter = resume_once_subscribed(venue)
        live = live_command(cfg, None, "7s", False, tmp_path / "live", True)
        starter.join()
        consistency = check(live.summary, [f["trade_id"] for f in live.record.fills], venue)
    finally:
        venue.close()
    bt_fills, live_fills = fill_rows(bt.record.fills), fill_rows(live.record.fills)
    assert len(bt_fills) >= 5
    assert live_fills == bt_fills
    assert live.summary["positions"] == bt.summary["positions"]
    assert consistency.ok, consistency
