"""``live.dashboard.state.snapshot``: the ``GET /api/state`` document of a kernel driven by hand
(orders, fills, quotes, venue status, halts, alerts), its bounded windows, and its incremental
bookkeeping (no scan of every order per call)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from dash_helpers import manual_order
from kernel_helpers import Harness

from kernel.enums import TradingState
from kernel.events import VenueStatus
from kernel.monitor import Alert
from live.dashboard import state as state_mod
from live.dashboard.state import attach, snapshot

pytestmark = pytest.mark.timeout(30)


def started() -> Harness:
    h = Harness()
    attach(h.kernel, [h.venue])  # why: as a host does at session start, before any fill
    h.quote(10000, 10002)
    return h


def test_a_fresh_session():
    h = started()
    s = snapshot(h.kernel, [h.venue])
    assert s["positions"] == {"X": 0}
    assert s["orders"] == [] and s["fills"] == [] and s["alerts"] == []
    assert s["equity"] == 100000.0 and s["realized_pnl"] == 0.0 and s["unrealized_pnl"] == 0.0
    assert s["trading_state"] == "ACTIVE" and s["drawdown"] == 0.0
    assert s["brokers"] == {"sim": {"connected": True, "kind": None, "open_orders": 0, "fills": 0}}
    assert s["currency"] == "USD"
    json.dumps(s)  # plain JSON


def test_orders_fills_positions_and_money():
    h = started()
    a = manual_order(h, quantity=10)
    b = manual_order(h, side="sell", quantity=5, type="limit", limit_price="101.5")
    c = manual_order(h, quantity=3)
    h.accept(a)
    h.fill(a, 10001, 4)
    h.fill(a, 10002, 6)
    h.accept(b)
    h.reject(c, "NO_MONEY")
    h.quote(10100, 10102)
    s = snapshot(h.kernel)
    assert s["positions"] == {"X": 10}
    rows = {o["id"]: o for o in s["orders"]}
    assert [o["id"] for o in s["orders"]] == [b, a, c]  # open first, then closed by close time
    assert rows[a] | {"ts": 0, "updated": 0} == {
        "id": a,
        "strategy": "manual",
        "symbol": "X",
        "side": "buy",
        "type": "market",
        "tif": "gtc",
        "status": "filled",
        "open": False,
        "quantity": 10,
        "filled": 10,
        "limit_price": None,
        "stop_price": None,
        "avg_price": pytest.approx(100.016),
        "venue": "sim",
        "reason": None,
        "ts": 0,
        "updated": 0,
    }
    assert rows[b]["open"] and rows[b]["status"] == "accepted"
    assert rows[b]["limit_price"] == 101.5 and rows[b]["side"] == "sell"
    assert rows[c]["status"] == "rejected" and rows[c]["reason"] == "NO_MONEY"
    assert [(f["order_id"], f["price"], f["qty"], f["side"], f["venue"]) for f in s["fills"]] == [
        (a, 100.01, 4, "buy", "sim"),
        (a, 100.02, 6, "buy", "sim"),
    ]
    assert s["fills"][0]["ts"] > 0 and s["fills"][0]["trade_id"]
    # bought 4 @ 100.01 and 6 @ 100.02, marked at the mid 101.01
    assert s["unrealized_pnl"] == pytest.approx(10 * 101.01 - (4 * 100.01 + 6 * 100.02))
    assert s["equity"] == pytest.approx(100000 + s["unrealized_pnl"])
    assert s["counts"] == {"orders": 3, "open_orders": 1, "fills": 2, "cancels": 0, "rejects": 1}
    assert s["brokers"]["sim"]["open_orders"] == 1 and s["brokers"]["sim"]["fills"] == 2
    # sell out at a profit: realized
    d = manual_order(h, side="sell", quantity=10)
    h.accept(d)
    h.fill(d, 10200, 10)
    s = snapshot(h.kernel)
    assert s["positions"] == {"X": 0}
    assert s["realized_pnl"] == pytest.approx(10 * 102.0 - (4 * 100.01 + 6 * 100.02))
    assert s["unrealized_pnl"] == 0.0
    assert s["fills"][-1]["realized"] == pytest.approx(s["realized_pnl"])
    # per strategy (the manual orders' own id), and per broker with the kernel's monitor
    manual = s["strategies"]["manual"]
    assert manual["realized_pnl"] == pytest.approx(s["realized_pnl"]) and manual["positions"] == {}


def test_an_open_order_row_follows_its_order():
    h = started()
    a = manual_order(h, quantity=10, type="limit", limit_price="99")
    first = snapshot(h.kernel)["orders"][0]
    assert first["status"] == "submitted" and first["filled"] == 0
    assert snapshot(h.kernel)["orders"][0] is first  # unchanged: the cached row
    h.accept(a)
    h.fill(a, 9900, 3)
    row = snapshot(h.kernel)["orders"][0]
    assert row["status"] == "partially_filled" and row["filled"] == 3 and row["open"]
    h.cancel_confirm(a)
    s = snapshot(h.kernel)
    assert [o["status"] for o in s["orders"]] == ["canceled"]
    assert not s["orders"][0]["open"]


def test_trading_state_broker_health_and_halt():
    h = started()
    now = h.tick()
    h.kernel.on_event(VenueStatus("sim", False, False, now, now))
    s = snapshot(h.kernel)
    assert s["brokers"]["sim"]["connected"] is False
    now = h.tick()
    h.kernel.on_event(VenueStatus("sim", True, True, now, now))
    assert snapshot(h.kernel)["brokers"]["sim"]["connected"] is True
    h.kernel.set_trading_state(TradingState.HALTED, "TEST")
    s = snapshot(h.kernel)
    assert s["trading_state"] == "HALTED"
    assert any(e["code"] == "STATE_HALTED" and e["detail"] == "TEST" for e in s["risk_events"])


def test_alerts_and_drawdown_come_from_the_kernel_monitor():
    h = started()
    alert = Alert(5, "deep_dd", "warning", "firing", "drawdown 4.0% > 3.0%")
    h.kernel.monitor = SimpleNamespace(alerts=[alert], drawdown=0.04, fill_counts={"sim": 7})
    try:
        s = snapshot(h.kernel)
    finally:
        h.kernel.monitor = None
    assert s["alerts"] == [alert.as_dict()]
    assert s["drawdown"] == 0.04
    assert s["brokers"]["sim"]["fills"] == 7


def test_without_a_monitor_drawdown_is_from_the_equity_seen():
    h = started()
    a = manual_order(h, quantity=100)
    h.accept(a)
    h.fill(a, 10000, 100)
    assert snapshot(h.kernel)["drawdown"] == 0.0
    h.quote(9000, 9000)  # -10 a share on 100: -1000 of 100000
    s = snapshot(h.kernel)
    assert s["drawdown"] == pytest.approx(1000 / 100000, rel=1e-3)


def test_windows_keep_the_last_1000_closed_orders_and_fills(monkeypatch):
    h = started()
    ids = []
    for i in range(1_200):
        oid = manual_order(h, quantity=1)
        h.accept(oid)
        h.fill(oid, 10000 + i % 7, 1)
        ids.append(oid)
        if i == 600:
            snapshot(h.kernel)  # a look in between: later closes are still found
    keep = manual_order(h, quantity=1)  # one open order
    s = snapshot(h.kernel)
    assert len(s["fills"]) == 1_000
    assert [f["order_id"] for f in s["fills"]] == ids[-1_000:]
    assert [o["id"] for o in s["orders"]] == [keep, *ids[-1_000:]]
    assert s["counts"]["orders"] == 1_201 and s["counts"]["fills"] == 1_200
    assert s["positions"] == {"X": 1_200}


def test_a_snapshot_looks_only_at_open_and_new_orders():
    h = started()
    for _ in range(50):
        oid = manual_order(h, quantity=1)
        h.accept(oid)
        h.fill(oid, 10000, 1)
    st = attach(h.kernel)
    snapshot(h.kernel)
    assert st._watch == {} and st._seen == 50
    a = manual_order(h, quantity=1, type="limit", limit_price="90")
    snapshot(h.kernel)
    assert list(st._watch) == [a] and st._seen == 51


def test_history_is_sampled_and_thinned(monkeypatch):
    monkeypatch.setattr(state_mod, "MAX_HISTORY", 10)
    h = started()
    st = attach(h.kernel)
    for _ in range(40):
        h.tick(1_000_000_000)
        st.sample()
        st.sample()  # a second sample at the same time adds nothing
    hist = snapshot(h.kernel)["history"]
    assert 3 <= len(hist) < 10
    assert hist[0][0] < hist[-1][0] and all(p[1] == 100000.0 for p in hist)
    assert [p[0] for p in hist] == sorted(p[0] for p in hist)


def test_version_changes_with_what_the_page_shows():
    h = started()
    st = attach(h.kernel)
    v0 = st.version()
    assert st.version() == v0
    h.quote(10001, 10003)
    v1 = st.version()
    assert v1 != v0
    manual_order(h)
    assert st.version() != v1


def test_attach_is_once_per_kernel():
    h = Harness()
    first = attach(h.kernel, [h.venue])
    assert attach(h.kernel) is first
    assert h.kernel.fill_listeners.count(first._on_fill) == 1


def test_with_the_kernels_monitor_installed():
    from kernel.monitor import Monitor

    h = Harness()
    monitor = Monitor.install(h.kernel, {"alert_on_rejection": True})
    st = attach(h.kernel, [h.venue])
    h.quote(10000, 10002)
    a = manual_order(h, quantity=3)
    h.accept(a)
    h.fill(a, 10001, 3)
    before = st.version()
    b = manual_order(h, quantity=1)
    h.reject(b, "NO")
    assert monitor.alerts, "the rejection rule fired"
    assert st.version() != before
    s = snapshot(h.kernel)
    assert s["alerts"] == [x.as_dict() for x in monitor.alerts]
    assert s["alerts"][0]["rule"] == "rejection" and s["alerts"][0]["state"] == "firing"
    assert s["brokers"]["sim"]["fills"] == monitor.fill_counts["sim"] == 1
    assert s["brokers"]["sim"]["realized_pnl"] == 0.0  # bought only: nothing realized yet
    assert s["drawdown"] == monitor.drawdown
