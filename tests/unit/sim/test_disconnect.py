"""A lost order connection in a backtest (``faults: [{kind: disconnect, ...}]``): the venue trades
on, its answers are lost, commands are refused, and at the end the shared reconciler
(kernel/reconcile.py, the live adapters' code) recovers what the kernel missed."""

from __future__ import annotations

import sim_helpers
from sim_helpers import T0, S, quotes, run

from kernel.enums import OrderStatus, Side, TradingState
from kernel.reconcile import OrderView
from sim.broker import SimBroker
from sim.models import ConstantLatency

# the bid/ask walk down through our resting buy at 100 while the link is down (t in [2, 6))
DATA = [
    quotes(
        (0, 100, 101, 5, 5),
        (1, 100, 101, 5, 5),
        (3, 98, 99, 5, 5),  # our buy at 100 is through: filled (the answer is lost)
        (5, 97, 98, 5, 5),
        (7, 97, 98, 5, 5),
        (8, 96, 97, 5, 5),
    )
]


class _Disconnecting(SimBroker):
    """A broker whose order connection drops from T0+2s to T0+6s (the harness builds it)."""

    def __init__(self, *a, **kw):  # type: ignore[no-untyped-def]
        super().__init__(*a, **kw)
        self.set_disconnects([(T0 + 2 * S, T0 + 6 * S)])


def _run(disconnect: bool, actions):  # type: ignore[no-untyped-def]
    built = sim_helpers.SimBroker
    if disconnect:
        sim_helpers.SimBroker = _Disconnecting
    try:
        log, kernel, broker = _bound_run(actions)
    finally:
        sim_helpers.SimBroker = built
    return log, kernel, broker


def _bound_run(actions):  # type: ignore[no-untyped-def]
    # the harness builds the kernel after the broker: bind the view on the first action
    def bind(ctx):  # type: ignore[no-untyped-def]
        ctx._k.venues["sim"].view = OrderView(ctx._k)

    return run(DATA, [(0.1, bind), *actions], latency=ConstantLatency(0, 0))


def buy(px):  # type: ignore[no-untyped-def]
    return lambda ctx: ctx.limit("X", Side.BUY, 3, px)


def test_fills_lost_in_a_disconnect_are_recovered_by_the_reconciler():
    actions = [(1.5, buy(100)), (4, lambda ctx: ctx.cancel("t-1")), (4.5, buy(90))]
    base_log, base_k, _ = _run(False, actions)
    log, k, _ = _run(True, actions)
    # the resting buy filled during the window; its fill came back at the reconnect
    assert base_log.fills() == [(100, 3)] and log.fills() == [(100, 3)]
    first = k.oms.get("t-1")
    assert first is not None and first.status == OrderStatus.FILLED
    assert first._trade_ids == base_k.oms.get("t-1")._trade_ids  # the venue's own trade id
    # the cancel sent while the link was down was refused at once, not lost in the void
    refused = [e for e in log.events if type(e).__name__ == "OrderCancelRejected"]
    assert [e.reason for e in refused] == ["VENUE_DISCONNECTED"]
    # and while the venue is down the guard reduces: a new buy is denied
    second = k.oms.get("t-2")
    assert second is not None and second.status == OrderStatus.DENIED
    assert second.reason == "REDUCING"
    assert k.portfolio.positions["X"].qty == 3
    codes = [c for _, c, _ in k.risk_events]
    assert "STATE_REDUCING" in codes and codes[-1] == "STATE_ACTIVE"
    assert k.risk.state == TradingState.ACTIVE
    k.oms._check()


def test_an_acknowledgement_lost_in_a_disconnect_is_recovered():
    # sent just before the window with the answer due inside it: the order rests at the venue
    # and the kernel only learns of it at the reconnect
    log, k, _ = _run(True, [(1.99, buy(95))])
    o = k.oms.get("t-1")
    assert o is not None and o.status == OrderStatus.ACCEPTED and o.venue_order_id
    kinds = log.kinds()
    assert kinds.count("Accepted") == 1
    assert k.portfolio.positions["X"].qty == 0


def test_a_scenario_with_a_disconnect_replays_exactly(tmp_path):
    """Through the scenario file: the recovered events are journaled inputs, so a replay of
    the run reproduces it, and a second run gives the same digest."""
    from pathlib import Path

    import yaml

    from executioncore.replay import replay
    from executioncore.runner import prepare
    from executioncore.scenario import load_scenario

    data = Path(__file__).resolve().parents[3] / "scenarios" / "data" / "truefx_usdjpy-ticks.csv"
    doc = {
        "name": "disc",
        "seed": 3,
        "account": {"currency": "JPY", "cash": 10_000_000},
        "instruments": [{"symbol": "USDJPY", "tick_size": 0.001, "lot_size": 1000}],
        "data": [{"kind": "quotes", "symbol": "USDJPY", "path": str(data)}],
        "venue": {"latency": {"order_ms": 5, "response_ms": 5}},
        "faults": [
            {"kind": "disconnect", "start": "2013-01-01T22:03:00Z", "end": "2013-01-01T22:06:00Z"}
        ],
        "orders": [
            {"at": "2013-01-01T22:01:00Z", "id": "a", "symbol": "USDJPY", "side": "buy", "quantity": 10000},
            {"at": "2013-01-01T22:02:59.999Z", "id": "b", "symbol": "USDJPY", "side": "sell",
             "quantity": 10000, "type": "limit", "limit_price": 86.717, "time_in_force": "gtc"},
        ],
    }  # fmt: skip
    path = tmp_path / "disc.yaml"
    digests = []
    for i in range(2):
        path.write_text(yaml.safe_dump(doc))
        result = prepare(load_scenario(path), out_dir=tmp_path / f"run{i}").execute()
        digests.append(result.summary["digest"])
    assert digests[0] == digests[1]
    assert replay(tmp_path / "run0").ok
    codes = [e["code"] for e in result.record.risk_events]
    assert "STATE_REDUCING" in codes and "STATE_ACTIVE" in codes
    # b's acknowledgement and fill came in the window: both were recovered at the reconnect
    fills = {f["order_id"]: f for f in result.record.fills}
    assert set(fills) == {"script-1", "script-2"} and result.summary["positions"] == {"USDJPY": 0}
    from executioncore.store import SqliteStore
    from kernel.codec import TAGS, decode
    from kernel.events import OrderFilled
    from kernel.journal import read_records

    store = SqliteStore.open(tmp_path / "run1" / "journal")
    filled = [
        decode(r)[1]
        for r in read_records(store.blocks())
        if r[1] == TAGS[OrderFilled] and r[2] == "script-2"
    ]
    store.close()
    # executed at the venue at 22:04:03 (its own time), delivered at the reconnect at 22:06
    assert [(f.ts_event < 1357077960 * 10**9, f.ts_init >= 1357077960 * 10**9) for f in filled] == [
        (True, True)
    ]
