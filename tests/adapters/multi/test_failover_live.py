"""Two brokers trading one symbol, live: an Alpaca-compatible primary and an IB-compatible backup
(the local venues on 127.0.0.1, replaying the same market as ``XYZ``). The primary goes offline
mid-run (nothing listens, every socket closed; its market and account go on) and comes back:
orders placed meanwhile go to the backup, none is placed twice, and each broker's books in the
summary equal that venue's own; back and reconciled, the primary takes new orders again."""

from __future__ import annotations

import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from live_churn import CHURN

from executioncore.live_cmd import live_command
from executioncore.replay import replay
from live.fakes.alpaca.config import FakeAlpacaConfig
from live.fakes.alpaca.thread import VenueThread as AlpacaVenue
from live.fakes.ibkr import FakeIbkrConfig
from live.fakes.ibkr import VenueThread as IbVenue

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[3]
USDJPY = ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv"
KEY, SECRET = "failover-key", "failover-secret"
MARKET: dict[str, Any] = {"data": USDJPY, "symbol": "XYZ", "tick_size": "0.001",
                          "lot_size": "1", "cash": "10000000", "step_ms": 8, "loop": True}  # fmt: skip


def config(tmp: Path, primary: AlpacaVenue, backup: IbVenue) -> Path:
    (tmp / "churn_strategy.py").write_text(CHURN)
    doc = {
        "name": "failover-test",
        "seed": 1,
        "id_prefix": "f-",
        "brokers": {
            "primary": {"type": "alpaca", "api_key": KEY, "api_secret": SECRET, "paper": True,
                        "base_url": primary.base_url, "stream_url": primary.stream_url,
                        "data_url": primary.data_url},
            "backup": {"type": "ibkr", "host": "127.0.0.1", "port": backup.port},
        },
        "routing": {"failover_after": "1s"},
        "strategy": {"class": "churn_strategy:Churn", "params": {"symbol": "XYZ", "qty": 1}},
        "failsafes": {"cancel_on_exit": True},
    }  # fmt: skip
    path = tmp / "executioncore.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))  # why: config order is routing order
    return path


def test_the_primary_goes_offline_orders_fail_over_to_the_backup_and_come_back(tmp_path):
    primary = AlpacaVenue(FakeAlpacaConfig(key=KEY, secret=SECRET, **MARKET))
    backup = IbVenue(FakeIbkrConfig(market=FakeAlpacaConfig(**MARKET)))
    events: list[tuple[str, float]] = []

    def outage() -> None:
        time.sleep(2.0)
        events.append(("offline", time.monotonic()))
        primary.offline()
        time.sleep(2.5)
        primary.online()
        events.append(("online", time.monotonic()))

    try:
        cfg = config(tmp_path, primary, backup)
        t = threading.Thread(target=outage, daemon=True)
        t.start()
        result = live_command(cfg, None, "8s", False, tmp_path / "run", True)
        t.join(10)
        p_state, b_state = primary.state(), backup.state()
        b_refs = backup.call(lambda: [o.order_ref for o in backup.handle.account.orders.values()])
    finally:
        primary.close()
        backup.close()
    s = result.summary
    codes = [e["code"] for e in result.record.risk_events]
    assert "FAILOVER" in codes and "FAILBACK" in codes, codes
    assert codes.index("FAILOVER") < codes.index("FAILBACK")
    assert s["failovers"] >= 1
    # orders went to the backup only while the primary was away, and to the primary after
    p_ids = [o["client_order_id"] for o in p_state["orders"]]
    assert b_refs, "no order reached the backup"
    assert not set(p_ids) & set(b_refs)  # never the same order at both brokers
    assert [i for i, n in Counter(p_ids).items() if n > 1] == []
    assert [i for i, n in Counter(b_refs).items() if n > 1] == []
    last_backup = max(int(r.rsplit("-", 1)[1]) for r in b_refs)
    after = [i for i in p_ids if int(i.rsplit("-", 1)[1]) > last_backup]
    assert after, "the primary took no order after it came back"
    # each broker's books are that venue's own; the total is their sum
    p_pos = Decimal(p_state["positions"].get("XYZ", "0"))
    b_pos = Decimal(b_state["positions"].get("XYZ", "0"))
    assert Decimal(str(s["brokers"]["primary"]["positions"].get("XYZ", 0))) == p_pos
    assert Decimal(str(s["brokers"]["backup"]["positions"].get("XYZ", 0))) == b_pos
    assert Decimal(str(s["positions"]["XYZ"])) == p_pos + b_pos
    assert Decimal(str(s["brokers"]["primary"]["cash"])) == Decimal(p_state["cash"])
    assert Decimal(str(s["brokers"]["backup"]["cash"])) == Decimal(b_state["cash"])
    assert s["brokers"]["primary"]["connected"] and s["brokers"]["backup"]["connected"]
    assert s["overfills"] == 0 and s["open_orders"] == 0
    # every routing decision replays from the journal (the health changes are its inputs)
    report = replay(tmp_path / "run")
    assert report.ok, report.as_dict()
