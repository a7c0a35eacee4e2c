"""The ``duplicate`` fault: the simulated venue delivers a fill report a second time, 1-500 ms
later (a duplicate, late execution report with the same trade id). The kernel ignores the
repeated trade id, so fills, positions and cash are those of the run without the fault; the
run stays deterministic; with the fault absent or at probability 0 nothing is drawn from the
venue's fault stream (the digests of existing scenarios do not move)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from executioncore.cli import main
from executioncore.runner import prepare
from executioncore.scenario import ScenarioError, load_scenario
from kernel.clock import SimClock
from kernel.events import OrderAccepted, OrderFilled
from sim.broker import DELIVER, SimBroker
from sim.models import MS, ConstantLatency, Faults

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv"
SUMMARY_KEYS = ("fills", "orders", "positions", "cash", "realized_pnl", "commissions")


def _order(minute: int, oid: str, side: str, qty: int, **extra) -> dict:
    return {
        "at": f"2013-01-01T22:{minute:02d}:00Z",
        "id": oid,
        "symbol": "USDJPY",
        "side": side,
        "quantity": qty,
        **extra,
    }


def write(tmp: Path, faults: list | None = None, latency: dict | None = None) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    link = tmp / "ticks.csv"
    if not link.exists():
        link.symlink_to(DATA)
    doc = {
        "name": "dup",
        "seed": 11,
        "account": {"currency": "JPY", "cash": 10_000_000},
        "instruments": [
            {"symbol": "USDJPY", "tick_size": 0.001, "lot_size": 1000, "currency": "JPY"}
        ],
        "data": [{"kind": "quotes", "symbol": "USDJPY", "path": "ticks.csv"}],
        "venue": {
            "fees": {"maker_bps": 0.0, "taker_bps": 0.2},
            "latency": latency or {"order_ms": 5, "response_ms": 5},
        },
        "orders": [
            _order(1, "m1", "buy", 100_000),
            _order(3, "m2", "sell", 40_000),
            _order(4, "l1", "buy", 50_000, type="limit", limit_price=86.740, time_in_force="gtc"),
            _order(6, "m3", "buy", 20_000),
            _order(8, "algo", "sell", 60_000, algo={"name": "twap", "duration": "5m", "slices": 5}),
            _order(15, "l2", "sell", 30_000, type="limit", limit_price=86.700, time_in_force="ioc"),
        ],
        "faults": faults or [],
    }
    path = tmp / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def run(path: Path, out: Path):  # type: ignore[no-untyped-def]
    r = prepare(load_scenario(path), out_dir=out)
    result = r.execute()
    return r.kernel, result.summary


@pytest.mark.parametrize(
    "latency",
    [{"order_ms": 5, "response_ms": 5}, {"order_ms": 3, "response_ms": 20, "jitter_ms": 50}],
)
def test_duplicated_fill_reports_are_ignored_and_change_nothing(tmp_path, latency):
    k0, base = run(write(tmp_path / "a", latency=latency), tmp_path / "ra")
    dup_faults = [{"kind": "duplicate", "probability": 1.0}]
    k1, dup = run(write(tmp_path / "b", dup_faults, latency), tmp_path / "rb")
    assert base["fills"] >= 6
    assert {key: dup[key] for key in SUMMARY_KEYS} == {key: base[key] for key in SUMMARY_KEYS}
    assert k0.oms.duplicate_fills == 0
    # every fill was delivered twice; the second delivery is counted and ignored
    assert k1.oms.duplicate_fills == dup["fills"]
    assert k1.stats.refused_events == 0
    assert dup["digest"] != base["digest"]  # the repeated reports are journaled inputs
    # determinism: the same scenario, the same journal
    _, again = run(write(tmp_path / "c", dup_faults, latency), tmp_path / "rc")
    assert again["digest"] == dup["digest"]


def test_probability_zero_draws_nothing_from_the_fault_stream(tmp_path):
    reject = {"kind": "reject", "probability": 0.3}
    _, only = run(write(tmp_path / "a", [reject]), tmp_path / "ra")
    zero = [reject, {"kind": "duplicate", "venue": "sim", "probability": 0}]
    _, with_zero = run(write(tmp_path / "b", zero), tmp_path / "rb")
    assert with_zero["digest"] == only["digest"]
    # a duplicate fault at another probability shares the stream: the rejects move with it
    _, half = run(write(tmp_path / "c", [reject, {**zero[1], "probability": 0.5}]), tmp_path / "rc")
    assert half["digest"] != only["digest"]


def test_bad_probability_names_the_key(tmp_path, capsys):
    path = write(tmp_path, [{"kind": "duplicate", "probability": 1.5}])
    with pytest.raises(ScenarioError, match=r"faults\[0\]\.probability"):
        load_scenario(path)
    assert main(["run", str(path), "--out", str(tmp_path / "run")]) == 2
    assert "faults[0].probability" in capsys.readouterr().err
    bad_venue = write(tmp_path / "v", [{"kind": "duplicate", "venue": "nope", "probability": 1}])
    with pytest.raises(ScenarioError, match=r"faults\[0\]\.venue"):
        load_scenario(bad_venue)


def _fill(trade: str, ts: int) -> OrderFilled:
    return OrderFilled("c1", "v1", trade, "X", 1, 100, 1, 2, 0, ts, ts)


def test_the_venue_delivers_a_new_copy_later_without_delaying_other_answers():
    clock = SimClock(0)
    latency = ConstantLatency(order_ns=5 * MS, response_ns=5 * MS)
    faults = Faults(rng=np.random.default_rng(3), duplicate_probability=1.0)
    broker = SimBroker("sim", [], {}, clock, latency=latency, faults=faults)
    assert broker.use_fifo() is False  # a late duplicate would break a FIFO's due order
    first = _fill("t1", 0)
    broker._answer([first, OrderAccepted("c2", "v2", 0, 0)], 0)
    broker._answer([_fill("t2", 1 * MS)], 1 * MS)
    out = [broker.pop() for _ in range(len(broker.queue))]
    assert all(kind == DELIVER for _, _, kind, _ in out)
    events = [ev for _, _, _, ev in out]
    assert [ev.ts_init for ev in events] == [due for due, _, _, _ in out]
    # the normal answers keep their times; each fill comes again 1-500 ms after its original
    assert [(type(e).__name__, e.ts_init) for e in events[:3]] == [
        ("OrderFilled", 5 * MS),
        ("OrderAccepted", 5 * MS),
        ("OrderFilled", 6 * MS),
    ]
    assert broker._last_out == 6 * MS
    copies = events[3:]
    assert sorted(c.trade_id for c in copies) == ["t1", "t2"]
    for c in copies:
        original = next(e for e in events[:3] if getattr(e, "trade_id", None) == c.trade_id)
        assert c is not original
        assert 1 * MS <= c.ts_init - original.ts_init <= 500 * MS
        assert (c.qty_lots, c.price_ticks, c.ts_event) == (
            original.qty_lots,
            original.price_ticks,
            original.ts_event,
        )


def test_no_duplicate_fault_keeps_the_fifo_and_the_rng_untouched():
    rng = np.random.default_rng(3)
    state = rng.bit_generator.state
    broker = SimBroker(
        "sim",
        [],
        {},
        SimClock(0),
        latency=ConstantLatency(order_ns=5 * MS, response_ns=5 * MS),
        faults=Faults(rng=rng),
    )
    assert broker.use_fifo() is True
    broker._answer([_fill("t1", 0)], 0)
    assert len(broker.queue) == 1 and rng.bit_generator.state == state
