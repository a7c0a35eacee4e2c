"""Events: everything that happens to the kernel, as slotted records in kernel units.

Market data carries the exchange's time (``ts_event``) and the time it reached us (``ts_init``).
Order events come from a venue (accepted, rejected, triggered, filled, canceled, modified,
expired, cancel/modify rejected) or from the kernel itself (submitted, denied, pending cancel,
pending modify). ``KIND`` on each order event is the trigger of the order state machine.

Units everywhere: prices int ticks and quantities int lots of the event's instrument (convert
with ``Instrument.ticks_to_price`` / ``lots_to_qty``, ``kernel/units.py``), times int ns since
the Unix epoch (UTC), money int units of 1e-9 of the currency. docs/STRATEGY.md is the manual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernel import _nocython as cython  # the type checker reads the records as dataclasses
else:
    try:
        import cython
    except ImportError:  # Cython is not installed: the same classes, as plain dataclasses
        from kernel import _nocython as cython

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
# why: the data records are extension types when the module is compiled (``executioncore accel
# build``), plain dataclasses otherwise, from this one source. The sim driver builds one per row
# of data: as an extension type a quote is built in half the time (53 vs 120 ns), which took a
# 1M-quote replay (W1) from 0.521 to 0.448 s; reading a field from Python costs ~6 ns more,
# which left the market maker (W2) unchanged. Fields hold any Python value either way (the
# annotations are not enforced: ``annotation_typing`` is off), and fields(), replace(),
# equality, repr and pickling behave the same. Compiled, a record takes no attribute outside its
# fields; as plain Python it has a ``__dict__`` (Cython's dataclass takes no ``slots=True``).
@cython.dataclasses.dataclass
@cython.cclass
class QuoteTick:
    """Top of book: ``symbol``, ``bid_ticks`` and ``ask_ticks`` (prices in ticks),
    ``bid_lots`` and ``ask_lots`` (sizes in lots; None when the source has none: unlimited size
    at the touch), ``ts_event`` (exchange time, ns) and ``ts_init`` (when it reached us, ns).
    ``venue`` names the venue the quote is from when the data is one venue's (else None).
    ``bid_ticks + ask_ticks`` is twice the mid, exactly."""

    symbol: str
    bid_ticks: int
    ask_ticks: int
    bid_lots: int | None
    ask_lots: int | None
    ts_event: int
    ts_init: int
    venue: str | None = None


@cython.dataclasses.dataclass
@cython.cclass
class TradeTick:
    """A print: ``symbol``, ``price_ticks``, ``size_lots``, ``aggressor`` (+1 the buyer took,
    -1 the seller took, 0 unknown), ``trade_id`` (the exchange's, or None), ``ts_event`` and
    ``ts_init`` (ns), ``venue`` (as on ``QuoteTick``)."""

    symbol: str
    price_ticks: int
    size_lots: int
    aggressor: int
    trade_id: str | None
    ts_event: int
    ts_init: int
    venue: str | None = None


@cython.dataclasses.dataclass
@cython.cclass
class Bar:
    """An OHLCV bar: ``symbol``, ``open_ticks``, ``high_ticks``, ``low_ticks``,
    ``close_ticks`` (ticks), ``volume_lots`` (lots), ``interval_ns``. ``ts_event`` is the bar's
    close (open + interval: when it becomes known; the open is ``ts_event - interval_ns``);
    ``ts_init`` when it reached us (ns)."""

    symbol: str
    open_ticks: int
    high_ticks: int
    low_ticks: int
    close_ticks: int
    volume_lots: int
    interval_ns: int
    ts_event: int
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class BookUpdate:
    """A batch of L2 level changes: ``deltas`` is a tuple of ``(side, price_ticks, size_lots)``.

    ``side`` is +1 bid, -1 ask; size 0 deletes the level. ``is_snapshot``: the deltas replace
    the whole book. Also ``symbol``, ``ts_event`` and ``ts_init`` (ns), ``venue`` (as on
    ``QuoteTick``). The book rebuilt from these is ``StrategyContext.book(symbol)``.
    """

    symbol: str
    deltas: tuple[tuple[int, int, int], ...]
    is_snapshot: bool
    ts_event: int
    ts_init: int
    venue: str | None = None


MARKET_DATA_TYPES = (QuoteTick, TradeTick, Bar, BookUpdate)


# --- order events -----------------------------------------------------------------------------
# why: extension types when compiled, as the data records: the kernel and the simulated venue
# build several per order (a submit, its acknowledgement, a cancel or a fill), each built in C
# instead of a dataclass's Python ``__init__``. ``KIND`` is a plain class attribute (Cython
# would read an annotated one as a field).
@cython.cclass
class OrderEvent:
    """Base of order events; every subclass has ``client_order_id``, ``ts_event``, ``ts_init``."""

    KIND = 0


@cython.dataclasses.dataclass
@cython.cclass
class OrderSubmitted(OrderEvent):
    """The kernel sent ``client_order_id`` to ``venue`` (the kernel's own bookkeeping: not
    passed to strategies). ``ts_event``, ``ts_init``: ns."""

    KIND = K_SUBMITTED
    client_order_id: str
    venue: str
    ts_event: int
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class OrderDenied(OrderEvent):
    """``client_order_id`` was refused before it left the kernel (the risk guard or a local
    check): ``reason`` is a code such as ``MAX_ORDER_VALUE``, ``MAX_POSITION``, ``HALTED``,
    ``REDUCING``, ``RATE_LIMIT``, ``NO_VENUE``. ``ts_event``, ``ts_init``: ns."""

    KIND = K_DENIED
    client_order_id: str
    reason: str
    ts_event: int
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class OrderAccepted(OrderEvent):
    """The venue accepted ``client_order_id`` and calls it ``venue_order_id``. ``ts_event``
    (venue time) and ``ts_init`` (when the answer reached the kernel): ns."""

    KIND = K_ACCEPTED
    client_order_id: str
    venue_order_id: str
    ts_event: int
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class OrderRejected(OrderEvent):
    """The venue refused ``client_order_id``; ``reason`` is the venue's code (e.g.
    ``POST_ONLY_WOULD_TAKE``).
    ``ts_event``, ``ts_init``: ns."""

    KIND = K_REJECTED
    client_order_id: str
    reason: str
    ts_event: int
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class OrderTriggered(OrderEvent):
    """A stop, trailing stop, MIT or LIT order (``client_order_id``) reached its trigger and is
    now working. ``ts_event``, ``ts_init``: ns."""

    KIND = K_TRIGGERED
    client_order_id: str
    ts_event: int
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class OrderPendingCancel(OrderEvent):
    """A cancel of ``client_order_id`` was sent (the kernel's own bookkeeping: not passed to
    strategies). ``ts_event``, ``ts_init``: ns."""

    KIND = K_PENDING_CANCEL
    client_order_id: str
    ts_event: int
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class OrderPendingUpdate(OrderEvent):
    """A modify of ``client_order_id`` was sent (the kernel's own bookkeeping: not passed to
    strategies). ``ts_event``, ``ts_init``: ns."""

    KIND = K_PENDING_UPDATE
    client_order_id: str
    ts_event: int
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class OrderModified(OrderEvent):
    """The venue confirmed new values for ``client_order_id``: ``quantity_lots`` (lots),
    ``limit_ticks``, ``stop_ticks`` (ticks); None means unchanged. ``ts_event``, ``ts_init``: ns."""

    KIND = K_MODIFIED
    client_order_id: str
    quantity_lots: int | None
    limit_ticks: int | None
    stop_ticks: int | None
    ts_event: int
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class OrderCancelRejected(OrderEvent):
    """The venue refused to cancel ``client_order_id`` (``reason``, e.g. too late: it filled);
    the order goes back to its status before the request. ``ts_event``, ``ts_init``: ns."""

    KIND = K_CANCEL_REJECTED
    client_order_id: str
    reason: str
    ts_event: int
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class OrderModifyRejected(OrderEvent):
    """The venue refused to modify ``client_order_id`` (``reason``); the order keeps its old
    values. ``ts_event``, ``ts_init``: ns."""

    KIND = K_MODIFY_REJECTED
    client_order_id: str
    reason: str
    ts_event: int
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class OrderCanceled(OrderEvent):
    """``client_order_id`` is canceled: by the venue (as asked, an IOC/FOK leftover, self-trade
    prevention) or by the kernel (a held contingent order). ``ts_event``, ``ts_init``: ns."""

    KIND = K_CANCELED
    client_order_id: str
    ts_event: int
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class OrderExpired(OrderEvent):
    """``client_order_id`` expired (DAY at the session close, GTD at its time).
    ``ts_event``, ``ts_init``: ns."""

    KIND = K_EXPIRED
    client_order_id: str
    ts_event: int
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class OrderFilled(OrderEvent):
    """An execution of ``client_order_id`` (``venue_order_id`` at the venue). ``trade_id`` is
    the venue's execution id (duplicates are ignored).

    ``symbol``; ``side`` is +1 buy / -1 sell; ``price_ticks`` and ``qty_lots`` of this fill
    (each partial fill is one event); ``liquidity`` 1 maker / 2 taker (``enums.Liquidity``);
    ``commission`` in int money units (1e-9) of ``commission_currency`` (negative: a rebate),
    "" meaning the instrument's currency; a crypto venue may charge it in the asset bought (a
    fee in the base asset reduces what is held) or a third asset; ``ts_event`` (venue time) and
    ``ts_init`` (when it reached the kernel): ns.
    """

    KIND = K_FILL
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
    commission_currency: str = ""


# --- kernel events ----------------------------------------------------------------------------
@dataclass(slots=True)
class TimerFired:
    """A timer scheduled through the kernel came due: ``owner`` (the strategy id that set it),
    ``name`` (given to ``set_timer``), ``handle`` (what ``set_timer`` returned), ``ts_event``
    (the time it was set for) and ``ts_init`` (the time it fired): ns."""

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
    ``action`` is one of ``halt``, ``resume``, ``kill_switch``, ``cancel_all``, ``cancel``
    (``reason``: the client order id) or ``order`` (a manual order: ``reason`` is a JSON object
    with the fields of an ``orders:`` entry: symbol, side, quantity, type, limit_price,
    stop_price, time_in_force, id) or ``signal`` (a JSON list of ``{symbol, value}`` rows: the
    signal follower's targets, ``kernel.signals``)."""

    action: str
    reason: str
    ts_event: int
    ts_init: int


OPERATOR_ACTIONS = ("halt", "resume", "kill_switch", "cancel_all", "cancel", "order", "signal")


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
    session's last reconciliation (nothing is in flight any more). ``balances``: a multi-asset
    account's (crypto) total per asset, ``(asset, units)`` sorted by asset, units of 1e-9 exact;
    empty for a single-currency account."""

    venue: str
    currency: str
    cash: int
    equity: int
    buying_power: int
    positions: tuple
    final: bool
    ts_event: int
    ts_init: int
    balances: tuple = ()


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
