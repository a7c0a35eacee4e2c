"""Orders at the local IB venue through ib_async: every type, modify, cancel, time in force, and
the errors TWS answers, as ``Trade.orderStatus``, fills and ``errorEvent`` show them.

The quotes (conftest ``ROWS``), one a second: 100.00/100.02, 100.01/100.03, 100.02/100.04,
99.90/99.95, 100.10/100.12. Fill prices follow CONTRACT.md's fill rules (the simulated venue).
"""

from __future__ import annotations

import pytest
from ib_async import (
    ExecutionFilter,
    LimitOrder,
    MarketOrder,
    Order,
    Stock,
    StopLimitOrder,
    StopOrder,
)

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]


def test_market_order_fills_with_exec_id_perm_id_and_commission(make_venue, connect, xyz) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    c = connect(venue)
    venue.advance(1)
    trade = c.ib.placeOrder(xyz, MarketOrder("BUY", 10, orderRef="mine"))
    c.wait(lambda: trade.orderStatus.status == "Filled" and trade.fills)
    c.wait(lambda: trade.fills[0].commissionReport.execId != "")
    s = trade.orderStatus
    assert (s.filled, s.remaining, s.avgFillPrice, s.lastFillPrice) == (10.0, 0.0, 100.02, 100.02)
    (fill,) = trade.fills
    ex = fill.execution
    assert (ex.side, ex.shares, ex.price, ex.orderRef, ex.acctNumber) == (
        "BOT", 10.0, 100.02, "mine", "DU0000001",
    )  # fmt: skip
    assert ex.permId == trade.order.permId == s.permId > 0
    assert (fill.commissionReport.commission, fill.commissionReport.currency) == (0.0, "USD")
    assert [(e.status, e.message) for e in trade.log] == [
        ("PendingSubmit", ""), ("Submitted", ""), ("Submitted", "Fill 10.0@100.02"), ("Filled", ""),
    ]  # fmt: skip


def test_limit_modify_and_cancel(make_venue, connect, xyz) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    c = connect(venue)
    venue.advance(1)
    trade = c.ib.placeOrder(xyz, LimitOrder("BUY", 5, 99.50))
    c.wait(lambda: trade.orderStatus.status == "Submitted")
    perm = trade.order.permId
    trade.order.lmtPrice = 99.60
    c.ib.placeOrder(xyz, trade.order)
    c.wait(lambda: trade.log[-1].message == "Modified")  # the status is unchanged
    trade.order.totalQuantity = 7
    c.ib.placeOrder(xyz, trade.order)
    c.wait(lambda: trade.orderStatus.remaining == 7.0)
    assert trade.order.permId == perm
    all_open = c.ib.reqAllOpenOrders()
    assert [(t.order.lmtPrice, t.order.totalQuantity) for t in all_open] == [(99.6, 7.0)]
    c.ib.cancelOrder(trade.order)
    c.wait(lambda: trade.orderStatus.status == "Cancelled")
    c.wait(lambda: 202 in c.codes())
    assert (trade.orderStatus.filled, c.ib.openTrades()) == (0.0, [])
    c.ib.cancelOrder(trade.order)  # again: no longer cancellable
    c.wait(lambda: 10148 in c.codes())


def test_resting_limit_fills_when_the_market_reaches_it(make_venue, connect, xyz) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    c = connect(venue)
    venue.advance(1)
    trade = c.ib.placeOrder(xyz, LimitOrder("BUY", 5, 99.96))
    c.wait(lambda: trade.orderStatus.status == "Submitted")
    venue.advance(3)  # ask 99.95 goes through the limit: fills at the limit (maker)
    c.wait(lambda: trade.orderStatus.status == "Filled")
    assert [(f.execution.price, f.execution.lastLiquidity) for f in trade.fills] == [(99.96, 1)]


@pytest.mark.parametrize(
    ("order", "price"),
    [
        (StopOrder("SELL", 5, 99.95), 99.90),
        (StopLimitOrder("SELL", 5, 99.80, 99.95), 99.90),
        (Order(action="SELL", totalQuantity=5, orderType="TRAIL", auxPrice=0.05), 99.90),
        (Order(action="BUY", totalQuantity=5, orderType="MIT", auxPrice=99.96), 99.95),
        (
            Order(action="BUY", totalQuantity=5, orderType="LIT", auxPrice=99.96, lmtPrice=99.96),
            99.95,
        ),
    ],
    ids=["STP", "STP LMT", "TRAIL", "MIT", "LIT"],
)
def test_conditional_orders_wait_presubmitted_then_trigger(  # type: ignore[no-untyped-def]
    make_venue, connect, xyz, order: Order, price: float
) -> None:
    venue = make_venue()
    c = connect(venue)
    venue.advance(1)
    trade = c.ib.placeOrder(xyz, order)
    c.wait(lambda: trade.orderStatus.status == "PreSubmitted")
    venue.advance(2)  # not yet
    c.settle()
    assert trade.orderStatus.status == "PreSubmitted"
    venue.advance(1)  # 99.90 / 99.95
    c.wait(lambda: trade.orderStatus.status == "Filled")
    assert [f.execution.price for f in trade.fills] == [price]
    assert "Submitted" in [e.status for e in trade.log]  # triggered, then filled


def test_trailing_stop_follows_the_bid_and_shows_its_stop(make_venue, connect, xyz) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    c = connect(venue)
    venue.advance(1)
    amount = c.ib.placeOrder(
        xyz, Order(action="SELL", totalQuantity=1, orderType="TRAIL", auxPrice=0.05)
    )
    pct = c.ib.placeOrder(
        xyz, Order(action="SELL", totalQuantity=1, orderType="TRAIL", trailingPercent=1)
    )
    c.wait(lambda: amount.orderStatus.status == pct.orderStatus.status == "PreSubmitted")
    venue.advance(2)  # bid 100.02: stops 99.97 and 99.01
    c.settle()
    other = connect(venue, client_id=2)  # why: ib_async keeps its own trade's trailStopPrice
    stops = {t.order.orderId: t.order.trailStopPrice for t in other.ib.reqAllOpenOrders()}
    assert stops == {amount.order.orderId: 99.97, pct.order.orderId: 99.01}
    venue.advance(1)  # bid 99.90: the amount trail fires, the percent one does not
    c.wait(lambda: amount.orderStatus.status == "Filled")
    assert pct.orderStatus.status == "PreSubmitted"


def test_time_in_force_ioc_gtd_day_and_opg(make_venue, connect, xyz) -> None:  # type: ignore[no-untyped-def]
    quotes = """\
2024-01-02T23:59:58Z,100.00,100.02,500,700
2024-01-02T23:59:59Z,100.00,100.02,500,700
2024-01-03T00:00:01Z,100.00,100.02,500,700
"""
    venue = make_venue(quotes)
    c = connect(venue)
    venue.advance(1)
    ioc = c.ib.placeOrder(xyz, LimitOrder("BUY", 5, 99.0, tif="IOC"))
    gtd = c.ib.placeOrder(
        xyz, LimitOrder("BUY", 5, 99.0, tif="GTD", goodTillDate="20240102-23:59:59")
    )
    day = c.ib.placeOrder(xyz, LimitOrder("BUY", 5, 99.0, tif="DAY", outsideRth=True))
    gtc = c.ib.placeOrder(xyz, LimitOrder("BUY", 5, 99.0, tif="GTC"))
    opg = c.ib.placeOrder(xyz, LimitOrder("BUY", 5, 99.0, tif="OPG"))
    past = c.ib.placeOrder(
        xyz, LimitOrder("BUY", 5, 99.0, tif="GTD", goodTillDate="20240101 10:00:00")
    )
    c.wait(
        lambda: (
            ioc.orderStatus.status == "Cancelled"
            and opg.orderStatus.status == past.orderStatus.status == "Inactive"
        )
    )
    assert (gtd.orderStatus.status, day.orderStatus.status, gtc.orderStatus.status) == (
        "Submitted",
    ) * 3
    rejects = [msg for req, code, msg in c.errors if code == 201]
    assert len(rejects) == 2 and "NO_SESSION" in rejects[0] and "GTD_EXPIRED" in rejects[1]
    venue.advance(1)  # 23:59:59: the GTD expires
    c.wait(lambda: gtd.orderStatus.status == "Cancelled")
    venue.advance(1)  # past midnight UTC: the DAY order expires
    c.wait(lambda: day.orderStatus.status == "Cancelled")
    assert gtc.orderStatus.status == "Submitted"
    assert 202 not in c.codes()  # the venue's cancels are no client's


def test_order_ref_and_outside_rth_come_back_to_another_client(make_venue, connect, xyz) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    c = connect(venue, client_id=1)
    trade = c.ib.placeOrder(xyz, LimitOrder("BUY", 5, 99.0, orderRef="tag-7", outsideRth=True))
    c.wait(lambda: trade.orderStatus.status == "Submitted")
    other = connect(venue, client_id=2)
    assert other.ib.reqOpenOrders() == []  # client 2 placed none
    (seen,) = other.ib.reqAllOpenOrders()
    assert (seen.order.orderRef, seen.order.outsideRth, seen.order.clientId) == ("tag-7", True, 1)
    master = connect(venue, client_id=0)  # auto-binds: sees every client's order messages
    trade.order.lmtPrice = 99.1
    c.ib.placeOrder(xyz, trade.order)
    master.wait(lambda: any(t.order.lmtPrice == 99.1 for t in master.ib.trades()))


def test_errors_reach_ib_async_with_tws_codes(make_venue, connect, xyz) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    c = connect(venue)
    venue.advance(1)
    first = c.ib.placeOrder(xyz, LimitOrder("BUY", 1, 99.0))
    c.wait(lambda: first.orderStatus.status == "Submitted")
    off_tick = c.ib.placeOrder(xyz, LimitOrder("BUY", 1, 99.005))
    unknown = c.ib.placeOrder(Stock("NOPE", "SMART", "USD"), MarketOrder("BUY", 1))
    reused = LimitOrder("BUY", 1, 99.0)
    reused.orderId = first.order.orderId - 1  # ids must grow
    dup = c.ib.placeOrder(xyz, reused)
    bracket = c.ib.bracketOrder("BUY", 1, 99.0, 101.0, 98.0)
    parent = c.ib.placeOrder(xyz, bracket.parent)
    c.ib.cancelOrder(Order(orderId=999_999))
    c.wait(lambda: {110, 200, 103, 201, 10147} <= set(c.codes()))
    for trade in (off_tick, unknown, dup, parent):
        assert trade.orderStatus.status == "Cancelled"  # ib_async's answer to an order error
    by_code = {code: (req, msg) for req, code, msg in c.errors}
    assert by_code[110][0] == off_tick.order.orderId
    assert by_code[103] == (reused.orderId, "Duplicate order id")
    assert "native bracket" in by_code[201][1] and by_code[201][0] == parent.order.orderId
    assert by_code[10147][0] == 999_999
    assert first.orderStatus.status == "Submitted"  # untouched


def test_modify_that_changes_the_action_is_refused_and_the_order_stays(
    make_venue, connect, xyz
) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    c = connect(venue)
    trade = c.ib.placeOrder(xyz, LimitOrder("BUY", 5, 99.0))
    c.wait(lambda: trade.orderStatus.status == "Submitted")
    trade.order.action = "SELL"
    c.ib.placeOrder(xyz, trade.order)
    c.wait(lambda: 105 in c.codes())
    c.wait(lambda: trade.orderStatus.status == "Submitted")  # back from ValidationError
    (venue_order,) = venue.state()["orders"]
    assert (venue_order["action"], venue_order["status"]) == ("BUY", "Submitted")


def test_executions_filter_and_completed_orders(make_venue, connect, xyz) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    a, b = connect(venue, client_id=1), connect(venue, client_id=2)
    venue.advance(1)
    ta = a.ib.placeOrder(xyz, MarketOrder("BUY", 3))
    tb = b.ib.placeOrder(xyz, MarketOrder("SELL", 1))
    a.wait(lambda: ta.orderStatus.status == "Filled")
    b.wait(lambda: tb.orderStatus.status == "Filled")
    assert len(a.ib.reqExecutions()) == 2
    assert [f.execution.side for f in a.ib.reqExecutions(ExecutionFilter(clientId=2))] == ["SLD"]
    assert [f.execution.side for f in a.ib.reqExecutions(ExecutionFilter(side="BUY"))] == ["BOT"]
    assert a.ib.reqExecutions(ExecutionFilter(symbol="ABC")) == []
    assert len(a.ib.reqExecutions(ExecutionFilter(time="20240102 14:30:00 UTC"))) == 2
    assert a.ib.reqExecutions(ExecutionFilter(time="20240102-14:30:01")) == []
    done = a.ib.reqCompletedOrders(apiOnly=True)
    assert sorted((t.order.action, t.orderStatus.status) for t in done) == [
        ("BUY", "Filled"), ("SELL", "Filled"),
    ]  # fmt: skip
