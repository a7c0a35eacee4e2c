"""The local IB venue's pacing limit and seeded faults, as ib_async meets them.

Each fault is forced at one place (``force_fault``) so the test knows where it lands; the
seeded rates are checked for determinism without sockets.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from ib_async import LimitOrder, MarketOrder

from live.fakes.alpaca.faults import Faults
from live.fakes.ibkr import FAULT_KINDS, FakeIbkrConfig
from live.fakes.ibkr.config import ConfigError

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]


def test_more_than_50_messages_a_second_get_error_100_and_are_not_handled(
    make_venue, connect
) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    c = connect(venue)
    c.ib.client.MaxRequests = 0  # why: ib_async throttles itself to 45 a second otherwise
    times: list[int] = []
    c.ib.client.wrapper.currentTime = times.append  # type: ignore[method-assign]
    before = venue.stats()["messages_in"]
    for _ in range(60):
        c.ib.client.reqCurrentTime()
    c.wait(lambda: venue.stats()["messages_in"] - before == 60)
    c.wait(lambda: c.codes().count(100) + len(times) == 60)
    refused = c.codes().count(100)
    assert refused >= 10 and len(times) == 60 - refused  # a refused message has no answer
    assert all(req == -1 for req, code, _ in c.errors if code == 100)
    msg = next(m for _, code, m in c.errors if code == 100)
    assert msg.startswith("Max rate of messages per second has been exceeded:max=50")
    assert venue.stats()["pacing_refused"] == refused


def test_spurious_pacing_error_ends_the_request_it_hit(make_venue, connect, xyz) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    c = connect(venue)
    venue.force_fault("pacing")
    assert c.ib.reqContractDetails(xyz) == []  # ib_async ends a request on its error
    (req_id, code, _) = c.errors[-1]
    assert code == 100 and req_id >= 0
    assert len(c.ib.reqContractDetails(xyz)) == 1  # the next one is served
    assert venue.stats()["faults"]["pacing"] == 1


def test_a_dropped_exec_details_comes_back_from_req_executions(make_venue, connect, xyz) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    c = connect(venue)
    venue.advance(1)
    venue.force_fault("drop_exec")
    trade = c.ib.placeOrder(xyz, MarketOrder("BUY", 4))
    c.wait(lambda: trade.orderStatus.status == "Filled")
    c.settle()
    assert trade.fills == []  # the live execDetails never came
    (fill,) = c.ib.reqExecutions()
    assert (fill.execution.orderId, fill.execution.shares, fill.execution.price) == (
        trade.order.orderId, 4.0, 100.02,
    )  # fmt: skip
    assert fill.execution.execId == venue.state()["executions"][0]["exec_id"]
    assert fill.commissionReport.execId == fill.execution.execId


def test_partial_fault_splits_a_fill_into_executions(make_venue, connect, xyz) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    c = connect(venue)
    venue.advance(1)
    venue.force_fault("partial")
    trade = c.ib.placeOrder(xyz, MarketOrder("BUY", 10))
    c.wait(lambda: trade.orderStatus.status == "Filled")
    shares = [f.execution.shares for f in trade.fills]
    assert len(shares) in (2, 3) and sum(shares) == 10.0
    assert len({f.execution.execId for f in trade.fills}) == len(shares)
    cum = [f.execution.cumQty for f in trade.fills]
    assert cum == sorted(cum) and cum[-1] == 10.0
    assert c.ib.positions()[0].position == 10.0


def test_dup_status_sends_an_order_status_twice(make_venue, connect, xyz) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    c = connect(venue)
    seen: list[tuple[Any, ...]] = []
    original = c.ib.wrapper.orderStatus
    c.ib.wrapper.orderStatus = lambda *a: (seen.append(a), original(*a))  # type: ignore[method-assign]
    venue.force_fault("dup_status")
    trade = c.ib.placeOrder(xyz, LimitOrder("BUY", 1, 99.0))
    c.wait(lambda: len(seen) == 2)
    assert seen[0] == seen[1] and seen[0][1] == "Submitted"
    assert trade.orderStatus.status == "Submitted" and venue.stats()["faults"]["dup_status"] == 1


def test_conn_lost_sends_1100_refuses_orders_holds_events_then_1102(
    make_venue, connect, xyz
) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(conn_lost_s=1.0)
    c = connect(venue)
    venue.advance(1)
    resting = c.ib.placeOrder(xyz, LimitOrder("BUY", 5, 99.96))
    c.wait(lambda: resting.orderStatus.status == "Submitted")
    ticker = c.ib.reqMktData(c.ib.qualifyContracts(xyz)[0])
    c.wait(lambda: ticker.bid == 100.0)
    venue.force_fault("conn_lost")  # the next message starts the outage
    refused = c.ib.placeOrder(xyz, MarketOrder("BUY", 1))
    c.wait(lambda: refused.orderStatus.status == "Inactive")
    venue.advance(3)  # 99.90 / 99.95: the resting buy fills meanwhile
    c.settle(0.1)
    assert resting.orderStatus.status == "Submitted" and ticker.bid == 100.0  # held; no ticks
    c.wait(lambda: 1102 in c.codes(), timeout=3)
    c.wait(lambda: resting.orderStatus.status == "Filled" and ticker.bid == 99.9)
    assert [x for x in c.codes() if x in (1100, 201, 1102)] == [1100, 201, 1102]
    assert "1100" in next(m for _, code, m in c.errors if code == 201)
    again = c.ib.placeOrder(xyz, MarketOrder("BUY", 1))  # accepted again
    c.wait(lambda: again.orderStatus.status == "Filled")
    assert venue.stats()["outages"] == 1


def test_socket_close_drops_the_client_which_reconnects_and_finds_its_order(
    make_venue, connect, xyz
) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    c = connect(venue, client_id=5)
    venue.advance(1)
    venue.force_fault("socket_close")
    c.ib.placeOrder(xyz, LimitOrder("BUY", 5, 99.96, orderRef="before-drop"))
    with pytest.raises(ConnectionError):  # ib_async's loop raises when the venue drops it
        c.wait(lambda: False)
    assert not c.ib.isConnected()
    deadline = time.monotonic() + 3
    while venue.stats()["clients"]:  # the venue frees client id 5
        assert time.monotonic() < deadline
        time.sleep(0.01)
    again = connect(venue, client_id=5)
    (trade,) = again.ib.openTrades()  # synced at connect (reqOpenOrders)
    assert (trade.order.orderRef, trade.orderStatus.status) == ("before-drop", "Submitted")
    venue.advance(3)
    again.wait(lambda: trade.orderStatus.status == "Filled")


def test_fault_rolls_are_seeded_per_kind() -> None:
    def rolls(f: Faults, kind: str) -> list[bool]:
        return [f.roll(kind) for _ in range(200)]

    a = Faults(3, {"partial": 0.3}, FAULT_KINDS, "fake-ibkr")
    assert rolls(a, "partial") == rolls(
        Faults(3, {"partial": 0.3}, FAULT_KINDS, "fake-ibkr"), "partial"
    )
    both = Faults(3, {"partial": 0.3, "drop_exec": 0.5}, FAULT_KINDS, "fake-ibkr")
    assert rolls(both, "partial") == rolls(
        Faults(3, {"partial": 0.3}, FAULT_KINDS, "fake-ibkr"), "partial"
    )
    assert rolls(a, "partial") != rolls(
        Faults(4, {"partial": 0.3}, FAULT_KINDS, "fake-ibkr"), "partial"
    )
    with pytest.raises(ConfigError):
        FakeIbkrConfig(faults={"drop": 0.1})  # an Alpaca kind
    with pytest.raises(ConfigError):
        FakeIbkrConfig(faults={"pacing": 2.0})
