"""Orders: the record, its validation at creation, and ``apply`` through the state machine.

An ``Order`` is created INITIALIZED with every field in kernel units (ticks, lots, ns) and is
validated at once: a missing or extra price for its type, a non-positive quantity, a GTD without
expiry, conflicting options, each raise a typed ``InvalidOrder`` with a ``reason`` code.
``make_order`` builds one from user-facing decimals through an ``Instrument``.

``Order.apply(event)`` validates the event (duplicate trade id: ignored and counted; overfill:
``Overfill``), looks the transition up in ``kernel.fsm.TRANSITIONS`` (``InvalidTransition`` on a
miss), then mutates the order and records the event's time.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from fractions import Fraction
from typing import TypeVar

from kernel.enums import Contingency, OrderStatus, OrderType, Side, TimeInForce
from kernel.events import (
    K_ACCEPTED,
    K_DENIED,
    K_FILL,
    K_FILLED,
    K_MODIFIED,
    K_PARTIALLY_FILLED,
    K_REJECTED,
    KIND_NAMES,
    OrderFilled,
)
from kernel.fsm import (
    CLOSED_STATUSES,
    NATURAL,
    OPEN_STATUSES,
    PENDING_STATUSES,
    RESTORE,
    TRANSITIONS,
    InvalidTransition,
)
from kernel.units import Instrument, UnitError

try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython

E = TypeVar("E", bound=IntEnum)


class InvalidOrder(ValueError):
    """An order that cannot exist as given. ``reason`` is a stable code for programs."""

    reason = "INVALID_ORDER"

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class MissingPrice(InvalidOrder):
    reason = "MISSING_PRICE"


class UnexpectedPrice(InvalidOrder):
    reason = "UNEXPECTED_PRICE"


class InvalidQuantity(InvalidOrder):
    reason = "INVALID_QUANTITY"


class MissingExpiry(InvalidOrder):
    reason = "GTD_WITHOUT_EXPIRY"


class UnexpectedExpiry(InvalidOrder):
    reason = "EXPIRY_WITHOUT_GTD"


class ConflictingOptions(InvalidOrder):
    reason = "CONFLICTING_OPTIONS"


class InvalidPrice(InvalidOrder):
    """A price or quantity that is not a finite number on the instrument's grid."""

    reason = "INVALID_PRICE"


class Overfill(RuntimeError):
    """A fill for more than the order has open; refused, the order is unchanged."""


class InvalidModify(RuntimeError):
    """A venue-confirmed modification that would leave the order inconsistent."""


_NEEDS_LIMIT = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.LIT})
_NEEDS_STOP = frozenset({OrderType.STOP, OrderType.STOP_LIMIT, OrderType.MIT, OrderType.LIT})
# why: validate's short path, every order: a module constant reads in ~5 ns, a member in ~50
_MARKET, _LIMIT, _GTD = OrderType.MARKET, OrderType.LIMIT, TimeInForce.GTD
_INITIALIZED = OrderStatus.INITIALIZED
TRIGGERED_TYPES = frozenset(
    {OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP, OrderType.MIT, OrderType.LIT}
)


class Order:
    """One order, owned by the kernel's order manager.

    Request fields (kernel units): ``client_order_id``, ``strategy_id``, ``symbol``, ``side``,
    ``order_type``, ``quantity`` (lots), ``limit_ticks``, ``stop_ticks`` (the trigger price of
    stop, stop-limit, MIT and LIT; for a trailing stop the current stop, None until the venue sets
    it), ``trail_ticks`` or ``trail_ppm`` (trailing offset in ticks, or in parts per million of
    the price), ``time_in_force``, ``expire_ns`` (GTD), ``post_only``, ``reduce_only``,
    ``display_lots`` (iceberg), ``venue``, ``contingency`` with ``linked_ids`` (OCO siblings) or
    ``child_ids`` / ``parent_id`` (OTO and brackets), ``algo_id`` (the parent algo order).

    State: ``status``, ``filled_lots``, ``fill_cost`` (sum of price_ticks x qty_lots, so the
    average price is ``fill_cost / filled_lots``), ``commission`` (money units),
    ``venue_order_id``, ``reason`` (of the last reject/deny), ``duplicate_fills``,
    ``event_count``, ``ts_init``, ``ts_last``.
    """

    __slots__ = (
        "_restore",
        "_trade_ids",
        "algo_id",
        "child_ids",
        "client_order_id",
        "commission",
        "contingency",
        "display_lots",
        "duplicate_fills",
        "event_count",
        "expire_ns",
        "fill_cost",
        "filled_lots",
        "limit_ticks",
        "linked_ids",
        "order_type",
        "parent_id",
        "post_only",
        "quantity",
        "reason",
        "reduce_only",
        "side",
        "status",
        "stop_ticks",
        "strategy_id",
        "symbol",
        "time_in_force",
        "trail_ppm",
        "trail_ticks",
        "ts_init",
        "ts_last",
        "venue",
        "venue_order_id",
    )

    def __init__(
        self,
        client_order_id: str,
        strategy_id: str,
        symbol: str,
        side: Side,
        order_type: OrderType,
        quantity: int,
        limit_ticks: int | None = None,
        stop_ticks: int | None = None,
        trail_ticks: int | None = None,
        trail_ppm: int | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        expire_ns: int | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
        display_lots: int | None = None,
        venue: str | None = None,
        contingency: Contingency = Contingency.NONE,
        linked_ids: tuple[str, ...] = (),
        child_ids: tuple[str, ...] = (),
        parent_id: str | None = None,
        algo_id: str | None = None,
        ts_init: int = 0,
    ) -> None:
        self.client_order_id = client_order_id
        self.strategy_id = strategy_id
        self.symbol = symbol
        self.side = side
        self.order_type = order_type
        self.quantity = quantity
        self.limit_ticks = limit_ticks
        self.stop_ticks = stop_ticks
        self.trail_ticks = trail_ticks
        self.trail_ppm = trail_ppm
        self.time_in_force = time_in_force
        self.expire_ns = expire_ns
        self.post_only = post_only
        self.reduce_only = reduce_only
        self.display_lots = display_lots
        self.venue = venue
        self.contingency = contingency
        self.linked_ids = linked_ids
        self.child_ids = child_ids
        self.parent_id = parent_id
        self.algo_id = algo_id
        self.ts_init = ts_init
        self.ts_last = ts_init
        self.status = _INITIALIZED
        self.filled_lots = 0
        self.fill_cost = 0
        self.commission = 0
        self.venue_order_id: str | None = None
        self.reason: str | None = None
        self.duplicate_fills = 0
        self.event_count = 0
        self._restore: int = _INITIALIZED
        self._trade_ids: set[str] | None = None
        validate(self)

    # --- queries ------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        """Working at, or on its way to, a venue."""
        return self.status in OPEN_STATUSES

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def leaves_lots(self) -> int:
        """Quantity still working: 0 once the order is closed."""
        return self.quantity - self.filled_lots if self.status not in CLOSED_STATUSES else 0

    @property
    def signed_leaves(self) -> int:
        return self.side * self.leaves_lots

    def avg_price_ticks(self) -> float | None:
        """Average fill price in ticks (a float: for display only)."""
        return self.fill_cost / self.filled_lots if self.filled_lots else None

    def __repr__(self) -> str:
        return (
            f"Order({self.client_order_id} {self.side.name} {self.quantity} {self.symbol} "
            f"{self.order_type.name} {self.status.name} filled={self.filled_lots})"
        )

    # --- the state machine --------------------------------------------------------------------
    @cython.locals(fill=OrderFilled)
    def apply(self, event) -> bool:  # type: ignore[no-untyped-def]
        """Apply an order event; return False for an ignored duplicate fill.

        Raises ``InvalidTransition`` when the status does not admit the event, ``Overfill`` for
        a fill beyond the order's quantity, ``InvalidModify`` for a modified quantity at or
        below what has filled. The order is unchanged whenever it raises.
        """
        kind = event.KIND
        status = self.status
        if kind == K_FILL:
            # why: compiled, a typed local reads the fill's ~10 fields directly, not generically
            fill = event
            trade_ids = self._trade_ids
            if trade_ids is not None and fill.trade_id in trade_ids:
                self.duplicate_fills += 1
                return False
            filled = self.filled_lots + fill.qty_lots
            if fill.qty_lots <= 0 or filled > self.quantity:
                raise Overfill(
                    f"{self.client_order_id}: fill of {fill.qty_lots} with "
                    f"{self.quantity - self.filled_lots} open"
                )
            kind = K_FILLED if filled == self.quantity else K_PARTIALLY_FILLED
        nxt = TRANSITIONS.get((status, kind))
        if nxt is None:
            raise InvalidTransition(f"{OrderStatus(status).name} -> {KIND_NAMES[kind]}")
        if nxt == RESTORE:
            nxt = self._restore
        elif status in PENDING_STATUSES:
            if nxt == status and kind in NATURAL:
                # why: the status to return to moves as the table would move it, so a late ack
                # after a fill keeps PARTIALLY_FILLED (NATURAL alone would say ACCEPTED)
                natural = TRANSITIONS.get((self._restore, kind))
                if natural is not None:
                    self._restore = natural
        elif nxt in PENDING_STATUSES:
            self._restore = status
        # mutate
        if kind in (K_FILLED, K_PARTIALLY_FILLED):
            if self._trade_ids is None:
                self._trade_ids = {fill.trade_id}
            else:
                self._trade_ids.add(fill.trade_id)
            self.filled_lots += fill.qty_lots
            self.fill_cost += fill.price_ticks * fill.qty_lots
            self.commission += fill.commission
            if fill.venue_order_id:
                self.venue_order_id = fill.venue_order_id
        elif kind == K_ACCEPTED:
            self.venue_order_id = event.venue_order_id
        elif kind == K_MODIFIED:
            self._apply_modified(event)
        elif kind in (K_REJECTED, K_DENIED):
            self.reason = event.reason
        self.status = nxt  # type: ignore[assignment]
        self.ts_last = event.ts_event
        self.event_count += 1
        return True

    def _apply_modified(self, event) -> None:  # type: ignore[no-untyped-def]
        qty = event.quantity_lots
        if qty is not None:
            if qty <= self.filled_lots:
                raise InvalidModify(
                    f"{self.client_order_id}: modified quantity {qty} is not above the "
                    f"filled {self.filled_lots}"
                )
            self.quantity = qty
        if event.limit_ticks is not None:
            self.limit_ticks = event.limit_ticks
        if event.stop_ticks is not None:
            self.stop_ticks = event.stop_ticks


# ``Order.__init__``'s parameters, in order: the request fields, which the journal's full submit
# record carries in this order (``kernel.codec`` checks its layout against them). Written out
# because a compiled ``Order`` (an extension type, ``orders.pxd``) has no Python signature; a
# test checks them against ``__init__`` in this source.
REQUEST_FIELDS = (
    "client_order_id",
    "strategy_id",
    "symbol",
    "side",
    "order_type",
    "quantity",
    "limit_ticks",
    "stop_ticks",
    "trail_ticks",
    "trail_ppm",
    "time_in_force",
    "expire_ns",
    "post_only",
    "reduce_only",
    "display_lots",
    "venue",
    "contingency",
    "linked_ids",
    "child_ids",
    "parent_id",
    "algo_id",
    "ts_init",
)


@cython.locals(order=Order)
def validate(order: Order) -> None:
    """Check an order's request fields; raise a typed ``InvalidOrder`` on the first problem."""
    if (
        type(order.side) is Side
        and type(order.order_type) is OrderType
        and type(order.time_in_force) is TimeInForce
        and type(order.quantity) is int
        and order.quantity > 0
        and order.stop_ticks is None
        and order.trail_ticks is None
        and order.trail_ppm is None
        and order.expire_ns is None
        and order.display_lots is None
        and not order.post_only
        and order.time_in_force is not _GTD
        and type(order.client_order_id) is str
        and order.client_order_id
    ):
        # why: the common order (a plain market or limit) takes the short way; anything
        # else, or anything wrong, goes through every check below
        otype = order.order_type
        limit = order.limit_ticks
        if otype is _MARKET and limit is None:
            return
        if otype is _LIMIT and type(limit) is int:
            return
    oid = order.client_order_id
    if not isinstance(oid, str) or not oid:
        raise InvalidOrder("client_order_id must be a non-empty string", "INVALID_ID")
    if order.side not in (Side.BUY, Side.SELL):
        raise InvalidOrder(f"{oid}: side must be BUY or SELL", "INVALID_SIDE")
    order.side = Side(order.side)
    for attr, key, enum in (
        ("order_type", "type", OrderType),
        ("time_in_force", "time_in_force", TimeInForce),
    ):
        value = getattr(order, attr)
        try:
            setattr(order, attr, enum(value))
        except ValueError:
            raise InvalidOrder(
                f"{oid}: {key}: unknown value {value!r} (accepted: {_names(enum)})",
                "UNKNOWN_VALUE",
            ) from None
    problem = field_problem(oid, order.side, order.order_type, order.quantity, order.limit_ticks,
                            order.stop_ticks, order.trail_ticks, order.trail_ppm,
                            order.time_in_force, order.expire_ns, order.post_only,
                            order.display_lots)  # fmt: skip
    if problem is not None:
        raise problem


def _names(enum: type[Side] | type[OrderType] | type[TimeInForce]) -> str:
    return ", ".join(m.name.lower() for m in enum)


def _not_int(value: object) -> bool:
    return not isinstance(value, int) or isinstance(value, bool)


def field_problem(
    oid: str,
    side: int,
    otype: int,
    qty: object,
    limit: object,
    stop: object,
    trail_ticks: object,
    trail_ppm: object,
    tif: int,
    expire_ns: object,
    post_only: bool,
    display: object,
) -> InvalidOrder | None:
    """The first problem of an order's request fields (the one set of rules: the kernel's
    ``validate`` raises it, the exchange engine rejects with its reason), or None."""
    if _not_int(qty):
        return InvalidQuantity(f"{oid}: quantity must be int lots, got {qty!r}")
    if qty <= 0:  # type: ignore[operator]
        return InvalidQuantity(f"{oid}: quantity must be positive, got {qty}")
    prices = (limit, stop, trail_ticks, trail_ppm, expire_ns)
    names = ("limit_ticks", "stop_ticks", "trail_ticks", "trail_ppm", "expire_ns")
    for name, value in zip(names, prices):
        if value is not None and _not_int(value):
            return InvalidPrice(f"{oid}: {name} must be an int, got {value!r}")
    kind = OrderType(otype).name
    if otype in _NEEDS_LIMIT and limit is None:
        return MissingPrice(f"{oid}: a {kind} order needs a limit price")
    if otype not in _NEEDS_LIMIT and limit is not None:
        return UnexpectedPrice(f"{oid}: a {kind} order takes no limit price")
    if otype in _NEEDS_STOP and stop is None:
        return MissingPrice(f"{oid}: a {kind} order needs a stop (trigger) price")
    if otype not in _NEEDS_STOP and otype != OrderType.TRAILING_STOP and stop is not None:
        return UnexpectedPrice(f"{oid}: a {kind} order takes no stop price")
    has_ticks, has_ppm = trail_ticks is not None, trail_ppm is not None
    if otype == OrderType.TRAILING_STOP:
        if has_ticks == has_ppm:
            error = UnexpectedPrice if has_ticks else MissingPrice
            return error(
                f"{oid}: a TRAILING_STOP order needs exactly one of trail_price and trail_percent"
            )
        if has_ticks and trail_ticks <= 0:  # type: ignore[operator]
            return InvalidPrice(f"{oid}: trail_price must be positive")
        if has_ppm and not 0 < trail_ppm < 1_000_000:  # type: ignore[operator]
            return InvalidPrice(f"{oid}: trail_percent must be between 0 and 100")
    elif has_ticks or has_ppm:
        return UnexpectedPrice(f"{oid}: a {kind} order takes no trailing offset")
    if tif == TimeInForce.GTD and expire_ns is None:
        return MissingExpiry(f"{oid}: a GTD order needs expire_at")
    if tif != TimeInForce.GTD and expire_ns is not None:
        return UnexpectedExpiry(f"{oid}: expire_at is only for GTD orders")
    tif_name = TimeInForce(tif).name
    if post_only:
        if otype != OrderType.LIMIT:
            return ConflictingOptions(f"{oid}: post_only needs a LIMIT order")
        if tif in (TimeInForce.IOC, TimeInForce.FOK, TimeInForce.OPG, TimeInForce.CLS):
            return ConflictingOptions(f"{oid}: post_only cannot be {tif_name}")
    if display is not None:
        if _not_int(display) or not 0 < display <= qty:  # type: ignore[operator]
            return InvalidQuantity(f"{oid}: display_qty must be positive and at most the quantity")
        if otype not in (OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.LIT):
            return ConflictingOptions(f"{oid}: display_qty needs a limit order")
        if tif in (TimeInForce.IOC, TimeInForce.FOK):
            return ConflictingOptions(f"{oid}: display_qty cannot be {tif_name}")
    if tif in (TimeInForce.OPG, TimeInForce.CLS) and otype not in (_MARKET, _LIMIT):
        return ConflictingOptions(f"{oid}: {tif_name} is for MARKET or LIMIT orders")
    return None


def make_order(
    instrument: Instrument,
    client_order_id: str,
    strategy_id: str,
    side: Side | str,
    order_type: OrderType | str,
    quantity: object,
    *,
    limit_price: object = None,
    stop_price: object = None,
    trail_price: object = None,
    trail_percent: object = None,
    time_in_force: TimeInForce | str = TimeInForce.GTC,
    expire_ns: int | None = None,
    post_only: bool = False,
    reduce_only: bool = False,
    display_qty: object = None,
    venue: str | None = None,
    ts_init: int = 0,
    **links: object,
) -> Order:
    """Build a validated order from user-facing decimals (str, Decimal, int or float).

    Off-grid, NaN or infinite values raise ``InvalidPrice`` / ``InvalidQuantity`` with the
    reason code of the underlying unit error; nothing is rounded.
    """
    from kernel.enums import ORDER_TYPE_BY_NAME, SIDE_BY_NAME, TIF_BY_NAME

    side_v = _by_name(client_order_id, "side", side, SIDE_BY_NAME, Side)
    otype = _by_name(client_order_id, "type", order_type, ORDER_TYPE_BY_NAME, OrderType)
    tif = _by_name(client_order_id, "time_in_force", time_in_force, TIF_BY_NAME, TimeInForce)
    try:
        qty = instrument.qty_to_lots(quantity, "quantity")
        disp = None if display_qty is None else instrument.qty_to_lots(display_qty, "display_qty")
    except UnitError as exc:
        raise InvalidQuantity(f"{client_order_id}: {exc}", exc.reason) from None
    # why: the kernel's own checks below would show lots and ticks; say it in the user's units
    if qty <= 0:
        raise InvalidQuantity(f"{client_order_id}: quantity must be positive, got {quantity}")
    if disp is not None and not 0 < disp <= qty:
        raise InvalidQuantity(
            f"{client_order_id}: display_qty must be positive and at most the quantity "
            f"{quantity}, got {display_qty}"
        )
    try:
        limit = (
            None if limit_price is None else instrument.price_to_ticks(limit_price, "limit_price")
        )
        stop = None if stop_price is None else instrument.price_to_ticks(stop_price, "stop_price")
        trail = (
            None if trail_price is None else instrument.price_to_ticks(trail_price, "trail_price")
        )
        ppm = None if trail_percent is None else _percent_to_ppm(trail_percent)
    except UnitError as exc:
        raise InvalidPrice(f"{client_order_id}: {exc}", exc.reason) from None
    if trail is not None and trail <= 0:
        raise InvalidPrice(f"{client_order_id}: trail_price must be positive, got {trail_price}")
    if ppm is not None and not 0 < ppm < 1_000_000:
        raise InvalidPrice(
            f"{client_order_id}: trail_percent must be between 0 and 100, got {trail_percent}"
        )
    return Order(
        client_order_id,
        strategy_id,
        instrument.symbol,
        side_v,
        otype,
        qty,
        limit_ticks=limit,
        stop_ticks=stop,
        trail_ticks=trail,
        trail_ppm=ppm,
        time_in_force=tif,
        expire_ns=expire_ns,
        post_only=post_only,
        reduce_only=reduce_only,
        display_lots=disp,
        venue=venue,  # why: None lets the kernel route it (the instrument's venue, failover)
        ts_init=ts_init,
        **links,  # type: ignore[arg-type]
    )


def _by_name(oid: str, key: str, value: object, by_name: Mapping[str, E], enum: type[E]) -> E:
    """An enum member from its name (any case) or the member itself; ``InvalidOrder`` naming
    the key and the accepted names otherwise."""
    try:
        if isinstance(value, str):
            return by_name[value.lower()]
        return enum(value)  # type: ignore[arg-type]
    except (KeyError, ValueError, TypeError):
        raise InvalidOrder(
            f"{oid}: {key}: unknown value {value!r} (accepted: {', '.join(by_name)})",
            "UNKNOWN_VALUE",
        ) from None


def _percent_to_ppm(percent: object) -> int:
    from kernel.units import to_decimal

    # why: a Fraction is exact; Decimal arithmetic would round a long input to 28 digits first
    ppm = Fraction(to_decimal(percent, "trail_percent")) * 10_000
    if ppm.denominator != 1:
        raise UnitError(f"trail_percent {percent} has more than 4 decimal places")
    return int(ppm)
