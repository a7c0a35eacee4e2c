"""The reconciliation's reads of IB: orders by ``orderRef``, executions since the last known.

``order_snapshot`` asks for this client's open orders and the account's completed orders
(``reqOpenOrders``, ``reqCompletedOrders``) and keys them by ``orderRef``, the kernel's client
order id (an open order wins over a completed one; among completed ones, the latest).
``order_report`` turns one into the reconciler's ``OrderStatusReport`` (a modify the order
now shows is reported as done).

``ExecutionCursor`` keeps where ``reqExecutions`` reads from: the first read takes every
execution the account has today (a kernel rebuilt from its journal finds its missing fills
there; the known ones are dropped by trade id), each later read starts a minute before the
newest execution seen (TWS filters by whole seconds; an execution reported late is still
found; the repeats are dropped by trade id). Executions of orders that are not the kernel's
are reported (booked as external) only when they happened after the session's first read:
those before are in the positions the session adopted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from kernel.reconcile import FillReport, OrderStatusReport
from kernel.units import Instrument
from live.adapters.ibkr import ib_api
from live.adapters.ibkr.errors import MalformedMessage
from live.adapters.ibkr.fills import fill_report
from live.adapters.ibkr.order_events import status_report
from live.adapters.ibkr.tracking import OrderBook
from live.adapters.ibkr.wire import ib_utc, time_ns

EXEC_LAG_NS = 60_000_000_000
Request = Callable[[Callable[[], Awaitable[Any]], str], Awaitable[Any]]


async def order_snapshot(request: Request, ib: Any) -> dict[str, Any]:
    """Open and completed orders by ``orderRef`` (see the module docstring)."""
    opened = await request(ib.reqAllOpenOrdersAsync, "open orders")
    done = await request(lambda: ib.reqCompletedOrdersAsync(False), "completed orders")
    out: dict[str, Any] = {}
    for trade in sorted(done, key=lambda t: t.order.permId or 0):
        if trade.order.orderRef:
            out[trade.order.orderRef] = trade
    for trade in opened:
        if trade.order.orderRef:
            out[trade.order.orderRef] = trade
    return out


def _same_terms(order: Any, ib_values: tuple[Any, Any, Any]) -> bool:
    qty, lmt, stop = ib_values
    return (
        (qty is None or order.totalQuantity == qty)
        and (lmt is None or order.lmtPrice == lmt)
        and (stop is None or order.orderType == "TRAIL" or order.auxPrice == stop)
    )


def order_report(
    trade: Any, coid: str, inst: Instrument | None, book: OrderBook, ts: int
) -> OrderStatusReport | None:
    """The report of one IB order for the kernel's ``coid`` (None: IB has not taken it)."""
    if trade.orderStatus.status in ("PendingSubmit", "ApiPending", ""):
        return None
    book.adopt(coid, trade)
    m = book.modifies.get(coid)
    modified = None
    if m is not None and m.sent_at is not None and _same_terms(trade.order, m.ib):
        modified = m.kernel
        del book.modifies[coid]
        book.placements[coid].order = m.order
    return status_report(trade, coid, inst, ts, book.reasons.get(coid, ""), modified)


class ExecutionCursor:
    """Where ``reqExecutions`` reads from, and which executions it reports (module docstring)."""

    __slots__ = ("account", "external_after_ns", "since_ns")

    def __init__(self, account: str = "") -> None:
        self.account = account
        self.since_ns: int | None = None
        self.external_after_ns: int | None = None

    def filter(self) -> Any:
        """The ``ExecutionFilter`` of the next read (every client's executions)."""
        since = ib_utc(self.since_ns) if self.since_ns else ""
        return ib_api.ExecutionFilter(acctCode=self.account, time=since)

    def reports(
        self,
        fills: list[Any],
        coid_of: Callable[[Any], str | None],
        instrument_of: Callable[[Any], Instrument | None],
        malformed: Callable[[str], None],
    ) -> list[FillReport]:
        """The read's executions as ``FillReport`` s; moves the cursor. ``coid_of(execution)``
        names the kernel's order (None: not the kernel's); ``instrument_of(contract)``."""
        times = [time_ns(f.execution.time) or 0 for f in fills]
        newest = max(times, default=0)
        if self.external_after_ns is None:
            self.external_after_ns = newest
        if newest:
            self.since_ns = max(self.since_ns or 0, newest - EXEC_LAG_NS)
        out = []
        for fill, ts in zip(fills, times, strict=True):
            coid = coid_of(fill.execution)
            if coid is None and ts <= self.external_after_ns:
                continue  # why: not the kernel's, from before the session: in the positions
            inst = instrument_of(fill.contract)
            if inst is None:
                continue
            try:
                out.append(fill_report(fill, coid, inst))
            except MalformedMessage as exc:
                malformed(str(exc))
        return out
