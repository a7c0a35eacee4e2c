"""Signals (kernel/signals.py, executioncore/signals_file.py): rows of targets become orders at
their times, through the risk guard; live rows as journaled operator actions; the files."""

from __future__ import annotations

import json

import pytest
from kernel_helpers import Harness

from executioncore.signals_file import SignalFileError, SignalTail, parse_ts, read_signals
from kernel.enums import Side
from kernel.events import OperatorAction
from kernel.signals import SIGNALS_ID, SignalFollower

T0 = 1_000


def harness(rows, kind="target_position", algo="market", risk=None):  # type: ignore[no-untyped-def]
    h = Harness(risk=risk)
    follower = SignalFollower(kind, algo, rows)
    h.kernel.add_strategy(follower)
    h.kernel.start()
    h.quote(10000, 10002)
    return h, follower


def run_to(h: Harness, ts: int) -> None:
    h.clock.advance_to(ts)
    h.kernel.run_timers()


def sent(h: Harness) -> list[tuple[int, int]]:
    return [(c.order.side, c.order.quantity) for c in h.venue.submits()]


def test_rows_become_orders_at_their_times_toward_each_target():
    h, f = harness([(T0 + 100, "X", "30"), (T0 + 200, "X", "-10"), (T0 + 300, "X", "0")])
    assert sent(h) == []
    run_to(h, T0 + 150)
    assert sent(h) == [(Side.BUY, 30)]
    oid = h.venue.submits()[0].order.client_order_id
    h.accept(oid)
    h.fill(oid, 10002, 30)
    run_to(h, T0 + 250)
    assert sent(h)[-1] == (Side.SELL, 40)  # from +30 to -10
    assert f.applied == 2 and f.refused == []


def test_a_new_target_cancels_what_still_works_against_it():
    h, _ = harness([(T0 + 100, "X", "30"), (T0 + 200, "X", "0")])
    run_to(h, T0 + 100)
    run_to(h, T0 + 200)  # the buy of 30 never filled: canceled, nothing else sent
    assert sent(h) == [(Side.BUY, 30)]
    assert len(h.venue.cancels()) == 1


def test_a_target_weight_is_a_fraction_of_equity_at_the_mark():
    h, _ = harness([(T0 + 100, "X", "0.5")], kind="target_weight")
    run_to(h, T0 + 100)
    # 50% of 100,000 at the mid 100.01: 499 shares (toward zero)
    assert sent(h) == [(Side.BUY, 499)]


def test_orders_go_through_the_risk_guard():
    h, _ = harness([(T0 + 100, "X", "900")], risk={"max_order_value": 5000})
    run_to(h, T0 + 100)
    assert sent(h) == []
    assert any(o.status.name == "DENIED" for o in h.kernel.oms.orders.values())


def test_bad_rows_are_refused_with_a_notice_and_the_rest_applied():
    h, f = harness([])
    action = json.dumps([{"symbol": "NOPE", "value": "1"}, {"symbol": "X", "value": "x"},
                         {"symbol": "X", "value": "5"}])  # fmt: skip
    h.kernel.on_event(OperatorAction("signal", action, T0 + 10, T0 + 10))
    assert sent(h) == [(Side.BUY, 5)]
    assert len(f.refused) == 2
    assert [c for _, c, _ in h.kernel.risk_events].count("SIGNAL_REFUSED") == 2


def test_live_rows_without_a_configured_follower_install_one():
    h = Harness()
    h.kernel.start()
    h.quote(10000, 10002)
    h.kernel.on_event(OperatorAction("signal", '[{"symbol": "X", "value": "7"}]', T0, T0))
    assert isinstance(h.kernel.strategies[SIGNALS_ID], SignalFollower)
    assert sent(h) == [(Side.BUY, 7)]


def test_signal_files_csv_and_parquet_and_their_errors(tmp_path):
    csv_path = tmp_path / "s.csv"
    csv_path.write_text(
        "ts,symbol,value\n2024-01-02T10:00:01Z,X,5\n1704189600000,X,-2.5\n2024-01-02T10:00:00,Y,1\n"
    )
    rows = read_signals(csv_path)
    assert [r[1:] for r in rows] == [("X", "-2.5"), ("Y", "1"), ("X", "5")]  # stable by time
    assert rows[0][0] == parse_ts("2024-01-02T10:00:00Z") == 1704189600 * 10**9
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table({"ts": ["2024-01-02T10:00:00Z"], "symbol": ["X"], "value": [3.5]}),
        tmp_path / "s.parquet",
    )
    assert read_signals(tmp_path / "s.parquet") == [(1704189600 * 10**9, "X", "3.5")]
    bad = tmp_path / "bad.csv"
    bad.write_text("ts,symbol,value\nnot-a-time,X,1\n")
    with pytest.raises(SignalFileError, match=r"row 1: ts 'not-a-time'"):
        read_signals(bad)
    bad.write_text("time,sym,v\n")
    with pytest.raises(SignalFileError, match="header"):
        read_signals(bad)


def test_a_file_followed_as_it_grows_gives_each_whole_row_once(tmp_path):
    path = tmp_path / "live.csv"
    path.write_text("ts,symbol,value\n2024-01-02T10:00:00Z,X,1\n2024-01-02T10:00:01Z,X,")
    tail = SignalTail(path)
    assert [r[2] for r in tail.poll()] == ["1"]  # the partial last line waits
    with path.open("a") as f:
        f.write("2\n2024-01-02T10:00:02Z,X,3\n")
    assert [r[2] for r in tail.poll()] == ["2", "3"]
    assert tail.poll() == []
