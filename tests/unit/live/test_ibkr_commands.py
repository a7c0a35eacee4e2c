"""The order commands sent to TWS, with a stand-in for the socket: idempotent placement (look up
by orderRef before placing again, once), cancels of orders IB never saw, modifies on a copy."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from kernel.commands import ModifyOrder
from kernel.enums import OrderType, Side, TimeInForce
from kernel.events import OrderCanceled, OrderCancelRejected
from kernel.orders import Order
from kernel.units import Instrument
from live.adapters.ibkr import ib_api
from live.adapters.ibkr.commands import OrderCommands
from live.adapters.ibkr.tracking import OrderBook

XYZ = Instrument("XYZ", Decimal("0.01"), Decimal("1"))
STOCK = ib_api.Stock("XYZ", "SMART", "USD")


class FakeIB:
    """What the commands call on ib_async's ``IB``: ``placeOrder`` gives ids as the library
    does (``getReqId``) and records what was sent."""

    def __init__(self) -> None:
        self.next_id = 10
        self.sent: list[tuple[str, Any]] = []

    def placeOrder(self, contract: Any, order: Any) -> Any:
        if not order.orderId:
            order.orderId, self.next_id = self.next_id, self.next_id + 1
        self.sent.append(("place", ib_api.Order(**order.__dict__)))

    def cancelOrder(self, order: Any) -> None:
        self.sent.append(("cancel", order.orderId))

    def trades(self) -> list[Any]:
        return []


class FakeConn:
    def __init__(self) -> None:
        self.ib = FakeIB()
        self.ready = asyncio.Event()

    async def send(self, fn: Any) -> Any:
        if not self.ready.is_set():
            raise ConnectionError("not connected")
        return fn()


def make(
    snapshot: dict[str, Any] | None = None,
) -> tuple[OrderCommands, FakeConn, list[Any], list[Any]]:
    conn = FakeConn()
    conn.ready.set()
    put: list[Any] = []
    found: list[Any] = []
    asked: list[int] = []

    async def record(event: Any) -> None:
        put.append(event)

    async def snap() -> dict[str, Any]:
        asked.append(1)
        await asyncio.sleep(0)
        return snapshot or {}

    cmds = OrderCommands(conn, OrderBook(client_id=1), {"XYZ": XYZ}, lambda s: STOCK, record,  # type: ignore[arg-type]
                         snap, lambda coid, t: found.append(coid), {})  # fmt: skip
    return cmds, conn, put, found


def kernel_order(coid: str = "k-1") -> Order:
    return Order(coid, "s", "XYZ", Side.BUY, OrderType.LIMIT, 10, limit_ticks=9950,
                 time_in_force=TimeInForce.DAY)  # fmt: skip


def test_submit_places_the_order_with_the_kernel_id_as_order_ref_in_flight_until_answered():
    async def main() -> None:
        cmds, conn, put, _ = make()
        await cmds.submit(kernel_order())
        ((kind, order),) = conn.ib.sent
        assert (kind, order.orderRef, order.orderId, order.lmtPrice) == ("place", "k-1", 10, 99.5)
        assert cmds.book.in_flight() == {"k-1"} and cmds.book.coid_of_order_id(10) == "k-1"
        cmds.book.answered("k-1")
        assert cmds.book.in_flight() == set() and put == []

    asyncio.run(main())


def test_an_order_canceled_while_waiting_for_the_socket_is_never_sent():
    async def main() -> None:
        cmds, conn, put, _ = make()
        conn.ready.clear()
        task = asyncio.ensure_future(cmds.submit(kernel_order()))
        await asyncio.sleep(0)
        assert cmds.book.in_flight() == {"k-1"}  # queued: the reconciliation leaves it alone
        await cmds.cancel("k-1")
        conn.ready.set()
        await task
        assert conn.ib.sent == [] and [type(e) for e in put] == [OrderCanceled]

    asyncio.run(main())


def test_a_look_up_that_finds_the_order_adopts_it_and_never_places_again():
    async def main() -> None:
        found_trade = ib_api.Trade(STOCK, ib_api.Order(orderId=10, clientId=1, orderRef="k-1"),
                                   ib_api.OrderStatus(10, "Submitted", permId=77), [], [])  # fmt: skip
        cmds, conn, _, found = make({"k-1": found_trade})
        await cmds.submit(kernel_order())
        await cmds.look_up("k-1")
        assert found == ["k-1"] and len(conn.ib.sent) == 1
        assert cmds.book.by_perm_id[77] == "k-1" and cmds.counts["found_after_timeout"] == 1

    asyncio.run(main())


def test_two_look_ups_of_a_lost_placement_place_it_again_once_with_a_fresh_id():
    async def main() -> None:
        cmds, conn, _, _ = make({})
        await cmds.submit(kernel_order())
        await asyncio.gather(cmds.look_up("k-1"), cmds.look_up("k-1"))
        assert [(k, o.orderId, o.orderRef) for k, o in conn.ib.sent] == [
            ("place", 10, "k-1"), ("place", 11, "k-1")]  # fmt: skip
        assert cmds.counts["placed_again"] == 1

    asyncio.run(main())


def test_cancel_of_an_order_ib_does_not_have_is_refused_unknown():
    async def main() -> None:
        cmds, conn, put, _ = make({})
        await cmds.cancel("k-9")
        assert conn.ib.sent == [] and put == [
            OrderCancelRejected("k-9", "UNKNOWN_AT_VENUE", put[0].ts_event, put[0].ts_init)
        ]

    asyncio.run(main())


def test_cancel_of_an_order_done_at_ib_is_not_sent():
    async def main() -> None:
        cmds, conn, _, _ = make()
        await cmds.submit(kernel_order())
        cmds.book.status["k-1"] = ("Filled", 10.0)
        await cmds.cancel("k-1")
        assert [k for k, _ in conn.ib.sent] == ["place"] and "k-1" not in cmds.book.cancels

    asyncio.run(main())


def test_modify_sends_a_copy_with_the_new_terms_under_the_same_order_id():
    async def main() -> None:
        cmds, conn, _, _ = make()
        await cmds.submit(kernel_order())
        await cmds.modify(ModifyOrder("k-1", "XYZ", "ib", 12, 9940, None, 0))
        _, (_, second) = conn.ib.sent
        assert (second.orderId, second.totalQuantity, second.lmtPrice) == (10, 12.0, 99.4)
        assert cmds.book.placements["k-1"].order.lmtPrice == 99.5  # until IB confirms
        m = cmds.book.modifies["k-1"]
        assert m.kernel == (12, 9940, None) and m.sent_at is not None

    asyncio.run(main())


def test_cancel_now_at_shutdown_sends_the_cancel_of_an_order_ib_has():
    from kernel.enums import OrderStatus
    from kernel.reconcile import OrderState
    from live.adapters.ibkr.client import IbkrAdapter
    from live.adapters.ibkr.config import IbkrConfig

    async def main() -> tuple[bool, bool]:
        adapter = IbkrAdapter(IbkrConfig("ib"), {"XYZ": XYZ})
        cmds, conn, _, _ = make({})
        adapter.orders, adapter.book = cmds, cmds.book
        await cmds.submit(kernel_order())
        state = OrderState("k-1", "XYZ", 1, 10, 0, OrderStatus.ACCEPTED, "ib", "77", frozenset())
        unknown = OrderState("k-9", "XYZ", 1, 10, 0, OrderStatus.ACCEPTED, "ib", None, frozenset())
        sent = await adapter.cancel_now(state)
        assert conn.ib.sent[-1] == ("cancel", 10)
        return sent, await adapter.cancel_now(unknown)

    assert asyncio.run(main()) == (True, False)
