"""The shared reconciler: what a venue's reports say that the kernel has not heard yet.

Adapters report, they do not decide. Each venue adapter (Alpaca, and the ones to come) turns its
venue's answers into venue-neutral reports:

- ``OrderStatusReport``: one order as the venue has it (status, filled quantity, a replacement's
  values), or ``None`` when the venue does not know the order at all;
- ``FillReport``: one execution (the venue's trade id, price, quantity);
- ``AccountReport`` (``kernel.events``): balances and positions, which the kernel itself compares
  with its books (``Kernel.on_account``).

``Reconciler.plan`` compares them with an ``OrderView`` of the kernel's orders (read-only
snapshots: adapters never touch the kernel) and with what was already delivered, and returns the
events the kernel missed, in the order it must see them (fills before the terminal event of their
order), the orders to send again (journaled, never acknowledged, unknown at the venue: the client
order id makes a second copy impossible) and notices (``VenueNotice``) for what cannot be
settled now (a venue reporting more filled than the fills it has shown: the terminal event waits
for them). ``Reconciler.admit`` is the once-gate every event passes on its way to the kernel, from
a stream, a REST answer or a reconciliation alike: a fill once per trade id, an acknowledgement
and each terminal event once per order.

Pure logic, no I/O and no clock: the simulated venue's tests and the test kit drive the same
code with reports they make up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kernel.enums import Liquidity, OrderStatus
from kernel.events import (
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderModifyRejected,
    OrderRejected,
)

# an order's status at the venue, venue-neutral
PENDING = "pending"  # received, not yet acknowledged (Alpaca pending_new, IB PendingSubmit)
WORKING = "working"  # acknowledged and open (new, partially filled, pending cancel/replace)
FILLED = "filled"
CANCELED = "canceled"
EXPIRED = "expired"
REJECTED = "rejected"
STATUSES = (PENDING, WORKING, FILLED, CANCELED, EXPIRED, REJECTED)
_TERMINAL_KIND = {CANCELED: "OrderCanceled", EXPIRED: "OrderExpired", REJECTED: "OrderRejected"}
TERMINAL_EVENTS = frozenset({"OrderCanceled", "OrderExpired", "OrderRejected"})


@dataclass(frozen=True, slots=True)
class OrderStatusReport:
    """One order as the venue has it. ``client_order_id`` is the kernel's id. ``modified``:
    the values ``(qty_lots, limit_ticks, stop_ticks)`` of a replacement still open (None when
    the order was never replaced); ``replace_rejected``: a rejection that refused a replacement,
    not the order."""

    client_order_id: str
    venue_order_id: str
    status: str
    filled_lots: int
    ts_event: int
    reason: str = ""
    modified: tuple[int | None, int | None, int | None] | None = None
    replace_rejected: bool = False

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"order status {self.status!r}: expected one of {STATUSES}")


@dataclass(frozen=True, slots=True)
class FillReport:
    """One execution at the venue. ``client_order_id`` is the kernel's id, or None when the venue
    order is not one of ours (the fill still moves the account: it is booked as external)."""

    venue_order_id: str
    trade_id: str
    symbol: str
    side: int
    price_ticks: int
    qty_lots: int
    ts_event: int
    client_order_id: str | None = None
    commission: int = 0
    liquidity: int = int(Liquidity.TAKER)
    commission_currency: str = ""  # "" = the instrument's currency (see OrderFilled)


@dataclass(frozen=True, slots=True)
class OrderState:
    """A read-only snapshot of one kernel order, as adapters and the reconciler see it."""

    client_order_id: str
    symbol: str
    side: int
    quantity: int
    filled_lots: int
    status: OrderStatus
    venue: str | None
    venue_order_id: str | None
    trade_ids: frozenset[str]

    @property
    def is_open(self) -> bool:
        return self.status in _OPEN


_OPEN = frozenset(
    {
        OrderStatus.SUBMITTED,
        OrderStatus.ACCEPTED,
        OrderStatus.TRIGGERED,
        OrderStatus.PENDING_CANCEL,
        OrderStatus.PENDING_UPDATE,
        OrderStatus.PARTIALLY_FILLED,
    }
)


class OrderView:
    """What an adapter may know of the kernel: snapshots of its orders, nothing it can change."""

    __slots__ = ("_kernel",)

    def __init__(self, kernel: Any) -> None:
        self._kernel = kernel

    @staticmethod
    def _snap(order: Any) -> OrderState:
        return OrderState(
            order.client_order_id,
            order.symbol,
            int(order.side),
            order.quantity,
            order.filled_lots,
            order.status,
            order.venue,
            order.venue_order_id,
            frozenset(order._trade_ids or ()),
        )

    def open_orders(self, venue: str) -> list[OrderState]:
        """Orders open at ``venue`` (an order with no venue counts for every venue)."""
        return [
            self._snap(o) for o in self._kernel.oms.open_orders() if (o.venue or venue) == venue
        ]

    def has_open(self, venue: str) -> bool:
        return any((o.venue or venue) == venue for o in self._kernel.oms.open_orders())

    def orders(self, venue: str) -> list[OrderState]:
        """Every order the kernel sent to ``venue`` and still holds (a recovery learns from
        them; with ``retain_closed`` the OMS's tombstones recognise older duplicate fills)."""
        return [
            self._snap(o)
            for o in self._kernel.oms.orders.values()
            if (o.venue or venue) == venue and o.status != OrderStatus.INITIALIZED
        ]

    def get(self, client_order_id: str) -> OrderState | None:
        order = self._kernel.oms.get(client_order_id)
        return None if order is None else self._snap(order)

    def sent_order(self, client_order_id: str) -> Any:
        """The order as the kernel sent it, for an adapter to send again (the request's fields:
        read them, never change them); None when it was never sent."""
        order = self._kernel.oms.get(client_order_id)
        if order is None or order.status == OrderStatus.INITIALIZED:
            return None
        return order


@dataclass
class ReconcilePlan:
    """What ``Reconciler.plan`` decided: events to deliver (in order), client order ids to send
    again, and ``(code, detail)`` notices."""

    events: list[Any] = field(default_factory=list)
    resend: list[str] = field(default_factory=list)
    notices: list[tuple[str, str]] = field(default_factory=list)


class Reconciler:
    """One venue's reconciliation state: what has been delivered to the kernel (the once-gate)
    and the decisions of ``plan``."""

    __slots__ = ("acked", "closed", "duplicates", "seen_trades", "venue")

    def __init__(self, venue: str) -> None:
        self.venue = venue
        self.seen_trades: set[str] = set()
        self.acked: set[str] = set()
        self.closed: set[tuple[str, str]] = set()
        self.duplicates = 0

    def learn(self, orders: Iterable[OrderState]) -> None:
        """Start from what the kernel already knows (a kernel rebuilt from its journal)."""
        for o in orders:
            self.seen_trades.update(o.trade_ids)
            if o.venue_order_id:
                self.acked.add(o.client_order_id)
            name = o.status.name
            if name in ("CANCELED", "EXPIRED", "REJECTED"):
                self.closed.add((o.client_order_id, "Order" + name.capitalize()))

    def admit(self, event: Any) -> bool:
        """True the first time an event may reach the kernel: a fill once per trade id, an
        acknowledgement and each terminal event once per order; anything else always."""
        name = type(event).__name__
        if name == "OrderFilled":
            if event.trade_id in self.seen_trades:
                self.duplicates += 1
                return False
            self.seen_trades.add(event.trade_id)
        elif name == "OrderAccepted":
            if event.client_order_id in self.acked:
                self.duplicates += 1
                return False
            self.acked.add(event.client_order_id)
        elif name in TERMINAL_EVENTS:
            key = (event.client_order_id, name)
            if key in self.closed:
                self.duplicates += 1
                return False
            self.closed.add(key)
        return True

    def plan(
        self,
        open_orders: Iterable[OrderState],
        reports: dict[str, OrderStatusReport | None],
        fills: Iterable[FillReport],
        ts_init: int,
        in_flight: Iterable[str] = (),
    ) -> ReconcilePlan:
        """Compare the venue's reports with the kernel's open orders and what was delivered.

        ``reports`` maps a kernel client order id to its report (None: the venue does not know
        it; absent: not asked). ``in_flight``: client order ids whose submission is still under
        way (never resent). Fills come first, sorted by venue time then trade id."""
        out = ReconcilePlan()
        new_fill_lots: dict[str, int] = {}
        for f in sorted(fills, key=lambda f: (f.ts_event, f.trade_id)):
            if f.trade_id in self.seen_trades:
                continue
            kid = f.client_order_id or f"external:{f.venue_order_id}"
            new_fill_lots[kid] = new_fill_lots.get(kid, 0) + f.qty_lots
            out.events.append(
                OrderFilled(
                    kid,
                    f.venue_order_id,
                    f.trade_id,
                    f.symbol,
                    f.side,
                    f.price_ticks,
                    f.qty_lots,
                    f.liquidity,
                    f.commission,
                    f.ts_event,
                    ts_init,
                    f.commission_currency,
                )
            )
        busy = set(in_flight)
        for order in open_orders:
            coid = order.client_order_id
            if coid not in reports:
                continue
            rep = reports[coid]
            if rep is None:
                if (
                    order.status == OrderStatus.SUBMITTED
                    and coid not in self.acked
                    and coid not in busy
                ):
                    out.resend.append(coid)
                continue
            out.events.extend(self._state_events(order, rep, new_fill_lots, ts_init, out))
        return out

    def _state_events(
        self,
        order: OrderState,
        rep: OrderStatusReport,
        new_fill_lots: dict[str, int],
        ts_init: int,
        out: ReconcilePlan,
    ) -> list[Any]:
        coid = order.client_order_id
        events: list[Any] = []
        status = rep.status
        if status in (WORKING, FILLED, CANCELED, EXPIRED) and coid not in self.acked:
            events.append(OrderAccepted(coid, rep.venue_order_id, rep.ts_event, ts_init))
        if rep.modified is not None and status == WORKING:
            qty, limit, stop = rep.modified
            events.append(OrderModified(coid, qty, limit, stop, rep.ts_event, ts_init))
        known = order.filled_lots + new_fill_lots.get(coid, 0)
        if rep.filled_lots > known:
            # why: the venue counts fills it has not shown yet (its fill listing lags): the
            # terminal event waits, or it would close the order before its fills arrive
            out.notices.append(
                (
                    "FILL_GAP",
                    f"{coid}: venue reports {rep.filled_lots} lots filled, "
                    f"{known} known; waiting for the fills",
                )
            )
            return events
        kind = _TERMINAL_KIND.get(status)
        if kind is None:
            return events
        if status == REJECTED and rep.replace_rejected:
            events.append(
                OrderModifyRejected(
                    coid, rep.reason or "REPLACEMENT_REJECTED", rep.ts_event, ts_init
                )
            )
            return events
        if (coid, kind) in self.closed:
            return events
        if status == CANCELED:
            events.append(OrderCanceled(coid, rep.ts_event, ts_init))
        elif status == EXPIRED:
            events.append(OrderExpired(coid, rep.ts_event, ts_init))
        else:
            events.append(
                OrderRejected(coid, rep.reason or "VENUE_REJECTED", rep.ts_event, ts_init)
            )
        return events
