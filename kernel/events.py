"""Events: everything that happens to the kernel, as slotted records in kernel units.

Market data carries the exchange's time (``ts_event``) and the time it reached us (``ts_init``).
Order events come from a venue (accepted, rejected, triggered, filled, canceled, modified,
expired, cancel/modify rejected) or from the kernel itself (submitted, denied, pending cancel,
pending modify). ``KIND`` on each order event is the trigger of the order state machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

# --- order-event kinds: the triggers of the order state machine -------------------------------
K_DENIED = 1
K_SUBMITTED = 2
K_ACCEPTED = 3
K_REJECTED = 4
K_TRIGGERED = 5
K_PENDING_CANCEL = 6
K_PENDING_UPDATE = 7
K_MODIFIED = 8
K_CANCEL_REJECTED = 9
K_MODIFY_REJECTED = 10
K_CANCELED = 11
K_EXPIRED = 12
K_PARTIALLY_FILLED = 13  # a fill that leaves quantity open
K_FILLED = 14  # a fill that completes the order
K_FILL = 15  # an OrderFilled event before it is classified as partial or complete

KIND_NAMES = {
    K_DENIED: "DENIED",
    K_SUBMITTED: "SUBMITTED",
    K_ACCEPTED: "ACCEPTED",
    K_REJECTED: "REJECTED",
    K_TRIGGERED: "TRIGGERED",
    K_PENDING_CANCEL: "PENDING_CANCEL",
    K_PENDING_UPDATE: "PENDING_UPDATE",
    K_MODIFIED: "MODIFIED",
    K_CANCEL_REJECTED: "CANCEL_REJECTED",
    K_MODIFY_REJECTED: "MODIFY_REJECTED",
    K_CANCELED: "CANCELED",
    K_EXPIRED: "EXPIRED",
    K_PARTIALLY_FILLED: "PARTIALLY_FILLED",
    K_FILLED: "FILLED",
    K_FILL: "FILL",
}


# --- market data ------------------------------------------------------------------------------
@dataclass(slots=True)
class QuoteTick:
    """Top of book. Sizes are None when the source has none (unlimited size at the touch).
    ``venue`` names the venue the quote is from when the data is one venue's (else None)."""

    symbol: str
    bid_ticks: int
    ask_ticks: int
    bid_lots: int | None
    ask_lots: int | None
    ts_event: int
    ts_init: int
    venue: str | None = None


@dataclass(slots=True)
class TradeTick:
    """A print. ``aggressor`` is +1 (buyer took), -1 (seller took) or 0 (unknown)."""

    symbol: str
    price_ticks: int
    size_lots: int
    aggressor: int
    trade_id: str | None
    ts_event: int
    ts_init: int
    venue: str | None = None


@dataclass(slots=True)
class Bar:
    """An OHLCV bar. ``ts_event`` is the bar's close (open + interval): when it becomes known."""

    symbol: str
    open_ticks: int
    high_ticks: int
    low_ticks: int
    close_ticks: int
    volume_lots: int
    interval_ns: int
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class BookUpdate:
    """A batch of L2 level changes: ``deltas`` is a tuple of ``(side, price_ticks, size_lots)``.

    ``side`` is +1 bid, -1 ask; size 0 deletes the level. A snapshot replaces the whole book.
    """

    symbol: str
    deltas: tuple[tuple[int, int, int], ...]
    is_snapshot: bool
    ts_event: int
    ts_init: int
    venue: str | None = None


MARKET_DATA_TYPES = (QuoteTick, TradeTick, Bar, BookUpdate)


# --- order events -----------------------------------------------------------------------------
class OrderEvent:
    """Base of order events; every subclass has ``client_order_id``, ``ts_event``, ``ts_init``."""

    __slots__ = ()
    KIND: ClassVar[int] = 0


@dataclass(slots=True)
class OrderSubmitted(OrderEvent):
    KIND: ClassVar[int] = K_SUBMITTED
    client_order_id: str
    venue: str
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class OrderDenied(OrderEvent):
    """Refused before it left the kernel (the risk guard or a local check), with a reason code."""

    KIND: ClassVar[int] = K_DENIED
    client_order_id: str
    reason: str
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class OrderAccepted(OrderEvent):
    KIND: ClassVar[int] = K_ACCEPTED
    client_order_id: str
    venue_order_id: str
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class OrderRejected(OrderEvent):
    KIND: ClassVar[int] = K_REJECTED
    client_order_id: str
    reason: str
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class OrderTriggered(OrderEvent):
    """A stop, trailing stop, MIT or LIT order reached its trigger and is now working."""

    KIND: ClassVar[int] = K_TRIGGERED
    client_order_id: str
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class OrderPendingCancel(OrderEvent):
    KIND: ClassVar[int] = K_PENDING_CANCEL
    client_order_id: str
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class OrderPendingUpdate(OrderEvent):
    KIND: ClassVar[int] = K_PENDING_UPDATE
    client_order_id: str
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class OrderModified(OrderEvent):
    """The venue confirmed new values; None means unchanged."""

    KIND: ClassVar[int] = K_MODIFIED
    client_order_id: str
    quantity_lots: int | None
    limit_ticks: int | None
    stop_ticks: int | None
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class OrderCancelRejected(OrderEvent):
    KIND: ClassVar[int] = K_CANCEL_REJECTED
    client_order_id: str
    reason: str
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class OrderModifyRejected(OrderEvent):
    KIND: ClassVar[int] = K_MODIFY_REJECTED
    client_order_id: str
    reason: str
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class OrderCanceled(OrderEvent):
    KIND: ClassVar[int] = K_CANCELED
    client_order_id: str
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class OrderExpired(OrderEvent):
    KIND: ClassVar[int] = K_EXPIRED
    client_order_id: str
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class OrderFilled(OrderEvent):
    """An execution. ``trade_id`` is the venue's execution id (duplicates are ignored).

    ``side`` is +1/-1; ``liquidity`` maker/taker; ``commission`` in int money units of the
    instrument's currency.
    """

    KIND: ClassVar[int] = K_FILL
    client_order_id: str
    venue_order_id: str
    trade_id: str
    symbol: str
    side: int
    price_ticks: int
    qty_lots: int
    liquidity: int
    commission: int
    ts_event: int
    ts_init: int


# --- kernel events ----------------------------------------------------------------------------
@dataclass(slots=True)
class TimerFired:
    """A timer scheduled through the kernel came due. ``owner`` names who set it."""

    owner: str
    name: str
    handle: int
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class TradingStateChanged:
    """The risk guard moved the trading state (ACTIVE / REDUCING / HALTED), with a reason code."""

    old: int
    new: int
    reason: str
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class VenueStatus:
    """A venue connection went up (``connected=True``) or down; reconciled after a reconnect."""

    venue: str
    connected: bool
    reconciled: bool
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class OperatorAction:
    """An operator's command to the kernel, journaled as an input so a replay repeats it:
    ``action`` is one of ``halt``, ``resume``, ``kill_switch``, ``cancel_all``."""

    action: str
    reason: str
    ts_event: int
    ts_init: int


OPERATOR_ACTIONS = ("halt", "resume", "kill_switch", "cancel_all")


@dataclass(slots=True)
class RiskEvent:
    """A risk notice that is not tied to one order (a breaker tripped, the kill switch)."""

    code: str
    detail: str
    ts_event: int
    ts_init: int


# --- notices from venues (typed, never order events) -------------------------------------------
@dataclass(slots=True)
class AccountReport:
    """What a broker says its account holds: the truth live (read at start and at every
    reconciliation, journaled as an input so a replay reproduces every decision).

    ``cash``, ``equity`` and ``buying_power`` are money units of ``currency``; cash is the
    broker's (what buying spends), not the margin-style cash of a backtest. ``positions`` is a
    tuple of ``(symbol, qty_lots, cost)`` with ``cost`` the signed cost basis in ticks x lots
    (``avg price x qty``, rounded to whole ticks x lots). ``final``: the report taken after the
    session's last reconciliation (nothing is in flight any more)."""

    venue: str
    currency: str
    cash: int
    equity: int
    buying_power: int
    positions: tuple
    final: bool
    ts_event: int
    ts_init: int


@dataclass(slots=True)
class VenueNotice:
    """Something a venue adapter reports that is not an order event: ``code`` (e.g.
    ``RECONCILE_FAILED``, ``RECONCILE_MISMATCH``, ``UNTRACKED_POSITION``) and a detail that never
    holds a secret. The kernel records it as a risk notice; nothing else changes."""

    venue: str
    code: str
    detail: str
    ts_event: int
    ts_init: int
