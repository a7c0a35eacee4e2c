"""TCA of parent orders: every number hand-computed on a small controlled run."""

from __future__ import annotations

import pytest
from algo_helpers import AlgoHarness, S

from executioncore.tca import TcaObserver
from kernel.events import OrderFilled, QuoteTick, TradeTick


def _fill(h: AlgoHarness, oid: str, price: int, qty: int, at: int, commission: int = 0) -> None:
    h.clock.advance_to(at)
    h.kernel.on_order_event(
        OrderFilled(oid, "v", f"t-{oid}-{at}", "X", 1, price, qty, 2, commission, at, at)
    )


def _controlled_run():
    """Instrument X: tick 0.01, lot 1 (a tick on a lot is 0.01 of money).

    Before arrival: quote 99/101 (mid 100). Arrival at T. T+1s: print 4 @ 102; T+2s: print
    6 @ 104; T+4s: quote 101/103 (mid 102). A TWAP buys 10 in two slices: 5 filled @ 101 at
    T+3s, 5 @ 103 at T+10s, which completes it.
    """
    h = AlgoHarness()
    tca = TcaObserver()
    tca.attach(h.kernel)
    k = h.kernel
    t = h.clock.now_ns() + 1
    k.on_quote(QuoteTick("X", 99, 101, 10, 10, t, t))
    h.clock.advance_to(t + S)
    pid = h.start("twap", 10, duration_ns=10 * S, slices=2)
    T = h.parent(pid).ts_start
    h.at(T)
    first = h.submits()[0].order.client_order_id
    for dt, px, sz in ((1, 102, 4), (2, 104, 6)):
        h.clock.advance_to(T + dt * S)
        k.on_trade(TradeTick("X", px, sz, 1, None, T + dt * S, T + dt * S))
    _fill(h, first, 101, 5, T + 3 * S, commission=7)
    h.clock.advance_to(T + 4 * S)
    k.on_quote(QuoteTick("X", 101, 103, 10, 10, T + 4 * S, T + 4 * S))
    h.at(T + 5 * S)
    second = h.submits()[1].order.client_order_id
    _fill(h, second, 103, 5, T + 10 * S)
    return h, tca, pid


def test_tca_row_numbers_are_the_hand_computed_ones():
    _h, tca, pid = _controlled_run()
    (row,) = tca.rows()
    assert row["parent_id"] == pid and row["algo"] == "twap" and row["side"] == "buy"
    assert row["status"] == "filled" and row["qty"] == row["filled"] == 10
    assert row["arrival_price"] == 1.00  # mid 100 ticks
    assert row["avg_price"] == 1.02  # (5 x 101 + 5 x 103) / 10 ticks
    assert row["shortfall_bps"] == 200.0  # (1.02 - 1.00) / 1.00 x 1e4
    assert row["shortfall_money"] == pytest.approx(0.2)  # 2 ticks x 10 lots x 0.01
    assert row["commission"] == 7e-9
    assert row["market_vwap"] == pytest.approx(1.032)  # (4 x 102 + 6 x 104) / 10
    assert row["slippage_vs_vwap_bps"] == pytest.approx((102 - 103.2) / 103.2 * 1e4, abs=1e-4)
    assert row["market_twap"] == pytest.approx(1.012)  # (100 x 4 s + 102 x 6 s) / 10 s
    assert row["slippage_vs_twap_bps"] == pytest.approx((102 - 101.2) / 101.2 * 1e4, abs=1e-4)
    assert row["market_volume"] == 10 and row["participation"] == 1.0
    assert row["fill_ratio"] == 1.0 and row["children"] == 2 and row["child_fills"] == 2
    assert row["time_to_complete_s"] == 10.0


def test_tca_sell_side_signs_flip_and_unfilled_values_are_none():
    h = AlgoHarness()
    tca = TcaObserver()
    tca.attach(h.kernel)
    h.quote(99, 101)
    pid = h.start("iceberg", 10, side=-1, display_lots=5, limit_ticks=98)
    child = h.submits()[0].order.client_order_id
    (row,) = tca.rows()
    assert row["avg_price"] is None and row["shortfall_bps"] is None
    assert row["time_to_complete_s"] is None and row["status"] == "working"
    assert row["participation"] is None  # no volume
    h.fill(child, 98, 5)
    (row,) = tca.rows()
    assert row["shortfall_bps"] == 200.0  # sold 2 ticks under the 100 mid: a cost
    assert row["fill_ratio"] == 0.5
    assert h.parent(pid).filled_lots == 5


def test_tca_observer_does_not_change_the_journal():
    def digest(with_tca: bool) -> str:
        h = AlgoHarness()
        if with_tca:
            TcaObserver().attach(h.kernel)
        h.quote(99, 101)
        pid = h.start("twap", 10, duration_ns=2 * S, slices=2)
        h.at(h.parent(pid).ts_start + 2 * S)
        h.fill_all_open()
        return h.kernel.journal.digest()

    assert digest(True) == digest(False)


def test_tca_rows_empty_without_algos():
    h = AlgoHarness()
    tca = TcaObserver()
    tca.attach(h.kernel)
    assert tca.rows() == []
