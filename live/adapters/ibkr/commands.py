"""The kernel's order commands sent to TWS: place, cancel, modify, and sending them again.

``OrderCommands`` runs each command as a task on the event loop (the kernel never waits), each
message in its turn through the connection's throttle, and keeps what it sent in the
``OrderBook`` (``tracking``). The rules for sending again, which make every command idempotent:

- place: waits through a reconnect (queued orders count as in flight: the reconciliation never
  sends them a second time). Unanswered past ``ack_timeout_s`` on a live socket, refused for
  pacing (error 100: the placement, or a cancel right after it -- TWS names only the order id)
  or given an id already taken (103): looked up by ``orderRef`` (``look_up``, one at a time per
  order; TWS answers in order, so a placement it handled shows); not at IB, placed again with
  a fresh ``orderId`` (TWS takes only increasing ids).
- cancel: an order the book does not know (placed by an earlier session) is found by
  ``orderRef`` first, else ``OrderCancelRejected("UNKNOWN_AT_VENUE")``; an order done at IB is
  not canceled (its terminal event is on its way). Unanswered, or lost with the socket: sent again.
- modify: the IB order copied with the new terms (the library's own copy changes only when TWS
  echoes them back); ``OrderModified`` comes from ``order_stream`` when it does.

The library marks an order done on some errors that leave it alive at TWS (105 in ib_insync)
and would then refuse to modify it: ``revive`` gives it back its last IB status.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Awaitable, Callable
from typing import Any

from kernel.events import OrderCanceled, OrderCancelRejected, OrderModifyRejected, OrderRejected
from kernel.units import Instrument
from live.adapters.ibkr import ib_api, order_requests
from live.adapters.ibkr.connection import IbConnection
from live.adapters.ibkr.errors import Unsupported
from live.adapters.ibkr.order_events import from_error
from live.adapters.ibkr.order_stream import CANCEL_AGAIN, LOOKUP, MODIFY_AGAIN
from live.adapters.ibkr.tracking import OrderBook, PendingModify
from live.adapters.template import VenueUnavailable, wall_ns

DONE_STATUSES = frozenset({"Filled", "Cancelled", "ApiCancelled", "Inactive"})


class OrderCommands:
    """Collaborators: the connection, the book, ``instruments``, ``contract_of(symbol)``,
    ``put`` (the adapter's once-gate), ``snapshot()`` (IB's orders by ``orderRef``),
    ``found(coid, trade)`` (an order looked up: the adapter reads its state), ``counts``."""

    def __init__(
        self,
        conn: IbConnection,
        book: OrderBook,
        instruments: dict[str, Instrument],
        contract_of: Callable[[str], Any],
        put: Callable[[Any], Awaitable[None]],
        snapshot: Callable[[], Awaitable[dict[str, Any]]],
        found: Callable[[str, Any], None],
        counts: dict[str, int],
        account: str = "",
    ) -> None:
        self.conn = conn
        self.ib = conn.ib
        self.book = book
        self.instruments = instruments
        self.contract_of = contract_of
        self.put = put
        self.snapshot = snapshot
        self.found = found
        self.counts = counts
        self.account = account
        self.closing = False
        counts.update(dict.fromkeys(
            ("submits", "found_after_timeout", "placed_again", "cancels", "modifies"), 0))  # fmt: skip

    # --- place ---------------------------------------------------------------------------------
    async def submit(self, order: Any) -> None:
        """Place a kernel order (or refuse it: ``OrderRejected`` naming what IB lacks)."""
        coid = order.client_order_id
        if coid in self.book.queued:
            return
        now = wall_ns()
        inst = self.instruments.get(order.symbol)
        if inst is None:
            await self.put(OrderRejected(coid, f"UNKNOWN_SYMBOL: {order.symbol}", now, now))
            return
        try:
            ib_order = order_requests.ib_order(order, inst, self.account)
        except Unsupported as exc:
            await self.put(OrderRejected(coid, f"UNSUPPORTED: {exc}", now, now))
            return
        await self.place(coid, self.contract_of(order.symbol), ib_order)

    async def place(self, coid: str, contract: Any, ib_order: Any) -> None:
        """Place ``ib_order`` as soon as the socket allows (waiting through a reconnect)."""
        book = self.book
        book.queued.add(coid)
        try:
            while not self.closing:
                await self.conn.ready.wait()
                if coid in book.cancels:
                    # why: canceled before it reached IB (it waited for the socket, or is placed
                    # again after its first placement was lost): nothing to send
                    del book.cancels[coid]
                    now = wall_ns()
                    await self.put(OrderCanceled(coid, now, now))
                    return
                try:
                    await self.conn.send(lambda: self.ib.placeOrder(contract, ib_order))
                except ConnectionError:
                    continue
                book.placed(coid, contract, ib_order, time.monotonic())
                self.counts["submits"] += 1
                return
        finally:
            book.queued.discard(coid)

    async def place_again(self, coid: str) -> None:
        """Place a placement again with a fresh ``orderId`` (TWS takes only increasing ids, so
        the old one cannot be reused); only after a look-up by ``orderRef`` found nothing."""
        p = self.book.placements.get(coid)
        if p is None or coid in self.book.queued:
            return
        order = copy.copy(p.order)
        order.orderId = 0
        self.counts["placed_again"] += 1
        await self.place(coid, p.contract, order)

    def revive(self, order: Any) -> None:
        """Give an order the library marked done from an error its last IB status back."""
        for trade in self.ib.trades():
            if trade.order.orderId == order.orderId and trade.isDone() and from_error(trade):
                last = self.book.status.get(order.orderRef)
                trade.orderStatus.status = last[0] if last else ib_api.OrderStatus.PendingSubmit

    async def look_up(self, coid: str) -> None:
        """Find an order by ``orderRef`` at IB; not there, place it again. One look-up per
        order at a time (two errors about one order must not place it twice)."""
        book = self.book
        p = book.placements.get(coid)
        if p is None or coid in book.queued or coid in book.looking or coid in book.status:
            return  # why: gone, being placed or looked up, or IB has shown it meanwhile
        book.looking.add(coid)
        try:
            try:
                trade = (await self.snapshot()).get(coid)
            except VenueUnavailable:
                return  # why: tried again at the next watchdog tick
            if trade is not None:
                self.counts["found_after_timeout"] += 1
                book.adopt(coid, trade)
                self.found(coid, trade)
            elif coid not in book.status and book.placements.get(coid) is p:
                await self.place_again(coid)
        finally:
            book.looking.discard(coid)

    async def know(self, coid: str) -> bool:
        """Make sure the book knows ``coid``'s IB order (placed by an earlier session)."""
        if coid in self.book.placements or coid in self.book.queued:
            return True
        with contextlib.suppress(VenueUnavailable):
            trade = (await self.snapshot()).get(coid)
            if trade is not None and trade.order.orderId:
                self.book.adopt(coid, trade)
                return True
        return False

    # --- cancel --------------------------------------------------------------------------------
    async def cancel(self, coid: str) -> None:
        self.counts["cancels"] += 1
        if not await self.know(coid):
            now = wall_ns()
            await self.put(OrderCancelRejected(coid, "UNKNOWN_AT_VENUE", now, now))
            return
        self.book.cancels[coid] = None
        await self.send_cancel(coid)

    async def send_cancel(self, coid: str) -> None:
        p = self.book.placements.get(coid)
        if p is None or not p.order.orderId or coid not in self.book.cancels:
            return  # why: still queued: sent once the order is placed
        last = self.book.status.get(coid)
        if last is not None and last[0] in DONE_STATUSES:
            self.book.cancels.pop(coid, None)  # why: done at IB; its terminal event says so
            return
        with contextlib.suppress(ConnectionError):
            await self.conn.send(lambda: self.ib.cancelOrder(p.order))
            if coid in self.book.cancels:
                self.book.cancels[coid] = time.monotonic()

    # --- modify --------------------------------------------------------------------------------
    async def modify(self, cmd: Any) -> None:
        coid = cmd.client_order_id
        self.counts["modifies"] += 1
        now = wall_ns()
        inst = self.instruments.get(cmd.symbol)
        if inst is None or not await self.know(coid) or coid not in self.book.placements:
            await self.put(OrderModifyRejected(coid, "UNKNOWN_AT_VENUE", now, now))
            return
        new = copy.copy(self.book.placements[coid].order)
        values = (cmd.quantity_lots, cmd.limit_ticks, cmd.stop_ticks)
        try:
            ib_values = order_requests.apply_modify(new, inst, *values)
        except (Unsupported, ValueError) as exc:
            await self.put(OrderModifyRejected(coid, f"UNSUPPORTED: {exc}", now, now))
            return
        self.book.modifies[coid] = PendingModify(values, ib_values, new)
        await self.send_modify(coid)

    async def send_modify(self, coid: str) -> None:
        m = self.book.modifies.get(coid)
        p = self.book.placements.get(coid)
        if m is None or p is None or not p.order.orderId:
            return
        m.order.orderId = p.order.orderId
        self.revive(p.order)
        with contextlib.suppress(ConnectionError):
            try:
                await self.conn.send(lambda: self.ib.placeOrder(p.contract, m.order))
            except AssertionError:  # why: the library holds the order done: it is, at IB too
                self.book.modifies.pop(coid, None)
                now = wall_ns()
                await self.put(OrderModifyRejected(coid, "ORDER_DONE", now, now))
                return
            m.sent_at = time.monotonic()

    # --- the watchdog's part -------------------------------------------------------------------
    async def resend_unanswered(self, now: float, ack_timeout_s: float) -> None:
        """Placements, cancels and modifies with no answer in time (or lost with a socket)."""
        for coid in self.book.unanswered(now, ack_timeout_s):
            await self.look_up(coid)
        for coid, sent in list(self.book.cancels.items()):
            if (sent is None or now - sent >= ack_timeout_s) and coid in self.book.status:
                await self.send_cancel(coid)  # why: once IB has shown the order
        for coid, m in list(self.book.modifies.items()):
            if m.sent_at is None or now - m.sent_at >= ack_timeout_s:
                await self.send_modify(coid)

    def for_action(self, kind: str, coid: str) -> Awaitable[None] | None:
        """The coroutine for an ``order_stream`` action about ``coid`` (None: not a command)."""
        if kind == LOOKUP:
            return self.look_up(coid)
        if kind == CANCEL_AGAIN:
            return self.send_cancel(coid)
        if kind == MODIFY_AGAIN:
            return self.send_modify(coid)
        return None
