"""The kernel's order commands: submit (risk, routing, BROKER_DOWN and buying power), brackets,
cancel, modify, cancel all, and the OMS's follow-up actions (OCO cancels, OTO releases).

A mixin of ``Kernel`` (kernel/kernel.py): the methods read the kernel's own attributes, declared
below for the type checker; nothing here holds state of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kernel import codec
from kernel.codec_encoders import write_record
from kernel.commands import CancelOrder, ModifyOrder, SubmitOrder
from kernel.enums import OrderStatus, OrderType
from kernel.events import (
    K_DENIED,
    K_SUBMITTED,
    OrderCanceled,
    OrderDenied,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderSubmitted,
)
from kernel.oms import ACT_CANCEL, ACT_RELEASE, UnknownOrder
from kernel.orders import InvalidOrder, Order

if TYPE_CHECKING:
    from kernel.accounts import Accounts
    from kernel.clock import Clock
    from kernel.guard import Guard
    from kernel.oms import OrderManager
    from kernel.packer import RecordWriter
    from kernel.ports import KernelStats, VenuePort
    from kernel.positions import Portfolio
    from kernel.risk import RiskGuard
    from kernel.units import Instrument

try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython

_IN = codec.IN
_OUT = codec.OUT
_INITIALIZED = OrderStatus.INITIALIZED
_PENDING_CANCEL = OrderStatus.PENDING_CANCEL


class OrderCommands:
    """Order commands of the kernel (see the module docstring)."""

    clock: Clock
    instruments: dict[str, Instrument]
    venues: dict[str, VenuePort]
    default_venue: str | None
    monitor: Any
    routes: dict[str, tuple[str, ...]]
    active_route: dict[str, str]
    deny_when_down: bool
    oms: OrderManager
    risk: RiskGuard
    portfolio: Portfolio
    stats: KernelStats
    guard: Guard
    accounts: Accounts
    _disconnected: set[str]
    _next_day_ns: int
    _jrec: Callable[[Any], None] | None
    _jtap: Callable[[Any], None] | None
    _jw: RecordWriter | None
    _enc: dict[type, Callable[[int, Any], tuple]]
    _roll_day: Callable[[], None]

    def _owner_of(self, order: Order) -> Callable[[Any], None] | None:
        raise NotImplementedError

    # --- commands -----------------------------------------------------------------------------
    def _journal(self, direction: int, obj: Any, tap: bool) -> int:
        """Journal an event or command (the caller checked ``_jrec``): written straight into a
        compiled journal's block when its type has a writer (``write_record``), else encoded
        as a tuple for the journal's ``raw_append``, or its ``tap`` (``tap``: a venue event)."""
        if self._jw is not None and write_record(self._jw, direction, obj):
            return 0
        record = self._enc[type(obj)](direction, obj)
        if tap:
            self._jtap(record)  # type: ignore[misc]
        else:
            self._jrec(record)  # type: ignore[misc]
        return 0

    @cython.locals(order=Order)
    def submit_order(self, order: Order, bypass_risk: bool = False) -> bool:
        """Register and send ``order``; False when the risk guard (or a local check) refused it."""
        self.oms.add(order)
        now = self.clock.now_ns()
        if now >= self._next_day_ns:
            self._roll_day()
        if order.symbol not in self.instruments:
            self._deny(order, "UNKNOWN_SYMBOL")
            return False
        if order.parent_id is not None:
            return True  # held until the parent is done
        if not bypass_risk:
            reason = self.risk.pre_trade(order, self.portfolio, self.oms, now)
            if reason is not None:
                self._deny(order, reason)
                return False
        venue = self._route(order)
        if venue is None:
            self._deny(order, "NO_VENUE")
            return False
        if self.deny_when_down and venue in self._disconnected:
            self._deny(order, "BROKER_DOWN")
            return False
        if (
            not bypass_risk
            and self.accounts.buying_power
            and self.accounts.over_buying_power(order, venue)
        ):
            self._deny(order, "BUYING_POWER")
            return False
        self._send(order, venue, now)
        return True

    def submit_bracket(
        self, entry: Order, take_profit: Order | None, stop_loss: Order | None
    ) -> Order:
        """Send ``entry`` with its exits held (sized to its fill, OCO with each other)."""
        children = [o for o in (take_profit, stop_loss) if o is not None]
        self.oms.link_oto(entry, children)
        if len(children) == 2:
            self.oms.link_oco(children)
        self.submit_order(entry)
        for child in children:
            if entry.status in (OrderStatus.DENIED, OrderStatus.REJECTED):
                self.oms.add(child)
                self._cancel_local(child)
            else:
                self.submit_order(child)
        return entry

    @cython.locals(order=Order)
    def _route(self, order: Order) -> str | None:
        """The order's venue: the one it names; else, for a symbol with several venues, the
        first that is up (all down: the first, where it is denied ``BROKER_DOWN``); else the
        instrument's, the default, or the only venue."""
        venue = order.venue
        if venue is None:
            routes = self.routes.get(order.symbol) if self.routes else None
            if routes is not None:
                venue = self.active_route[order.symbol]
            else:
                venue = self.instruments[order.symbol].venue or self.default_venue
        if venue is None and len(self.venues) == 1:
            venue = next(iter(self.venues))
        return venue if venue in self.venues else None

    @cython.locals(order=Order)
    def _send(self, order: Order, venue: str, now: int) -> None:
        order.venue = venue
        submitted = OrderSubmitted(order.client_order_id, venue, now, now)
        self.oms.apply(submitted)
        self.risk.on_submitted(now)
        self.stats.orders += 1
        if self.monitor is not None and self.monitor.order_listeners:  # why: log_all_orders
            self.monitor.on_order(order, submitted, K_SUBMITTED)
        cmd = SubmitOrder(order, venue, now)
        if self._jrec is not None:
            self._journal(_OUT, cmd, False)
        self.venues[venue].submit(cmd)

    @cython.locals(order=Order)
    def _deny(self, order: Order, reason: str) -> None:
        now = self.clock.now_ns()
        ev = OrderDenied(order.client_order_id, reason, now, now)
        self.oms.apply(ev)
        self.stats.denied += 1
        if self._jrec is not None:
            self._journal(_OUT, ev, False)
        if self.monitor is not None:
            self.monitor.on_order(order, ev, K_DENIED)
        if self.oms.actions:
            self._run_actions()
        owner = self._owner_of(order)
        if owner is not None:
            owner(ev)

    @cython.locals(order=Order)
    def cancel_order(self, client_order_id: str) -> None:
        """Cancel an order: at its venue if working, locally if held; no-op if already closing
        (or closed, evicted from the OMS included)."""
        order = self.oms.get(client_order_id)
        if order is None:
            if self.oms.was_evicted(client_order_id):
                return
            raise UnknownOrder(client_order_id)
        if order.status == _INITIALIZED:
            self._cancel_local(order)
            return
        if not order.is_open or order.status == _PENDING_CANCEL:
            return
        now = self.clock.now_ns()
        self.oms.apply(OrderPendingCancel(client_order_id, now, now))
        cmd = CancelOrder(client_order_id, order.symbol, order.venue or "", now)
        if self._jrec is not None:
            self._journal(_OUT, cmd, False)
        self.venues[cmd.venue].cancel(cmd)

    @cython.locals(order=Order)
    def _cancel_local(self, order: Order) -> None:
        now = self.clock.now_ns()
        ev = OrderCanceled(order.client_order_id, now, now)
        self.oms.apply(ev)
        if self._jrec is not None:
            self._journal(_OUT, ev, False)
        if self.oms.actions:
            self._run_actions()
        owner = self._owner_of(order)
        if owner is not None:
            owner(ev)

    def modify_order(
        self,
        client_order_id: str,
        quantity_lots: int | None = None,
        limit_ticks: int | None = None,
        stop_ticks: int | None = None,
    ) -> None:
        """Ask the venue to change quantity and/or prices (None keeps a value)."""
        order = self.oms.get(client_order_id)
        if order is None:
            if self.oms.was_evicted(client_order_id):
                raise InvalidOrder(f"{client_order_id}: cannot modify a closed order", "NOT_OPEN")
            raise UnknownOrder(client_order_id)
        if not order.is_open or order.status == _PENDING_CANCEL:
            raise InvalidOrder(
                f"{client_order_id}: cannot modify a {order.status.name} order", "NOT_OPEN"
            )
        if quantity_lots is not None and quantity_lots <= order.filled_lots:
            raise InvalidOrder(
                f"{client_order_id}: new quantity {quantity_lots} must exceed the filled "
                f"{order.filled_lots}",
                "INVALID_QUANTITY",
            )
        if limit_ticks is not None and order.limit_ticks is None:
            raise InvalidOrder(
                f"{client_order_id}: has no limit price to modify", "UNEXPECTED_PRICE"
            )
        if (
            stop_ticks is not None
            and order.stop_ticks is None
            and order.order_type != OrderType.TRAILING_STOP
        ):
            raise InvalidOrder(
                f"{client_order_id}: has no stop price to modify", "UNEXPECTED_PRICE"
            )
        now = self.clock.now_ns()
        self.oms.apply(OrderPendingUpdate(client_order_id, now, now))
        self.stats.modifies += 1
        cmd = ModifyOrder(
            client_order_id,
            order.symbol,
            order.venue or "",
            quantity_lots,
            limit_ticks,
            stop_ticks,
            now,
        )
        if self._jrec is not None:
            self._journal(_OUT, cmd, False)
        self.venues[cmd.venue].modify(cmd)

    def cancel_all(self, symbol: str | None = None, strategy_id: str | None = None) -> None:
        """Cancel every open and held order, optionally of one symbol and/or strategy."""
        for o in self.oms.open_orders(symbol, strategy_id):
            self.cancel_order(o.client_order_id)
        for o in list(self.oms.held.values()):
            if (
                (symbol is None or o.symbol == symbol)
                and (strategy_id is None or o.strategy_id == strategy_id)
                and o.status == _INITIALIZED
            ):
                self._cancel_local(o)

    def _run_actions(self) -> None:
        actions = self.oms.actions
        while actions:
            act, order = actions.pop(0)
            if act == ACT_CANCEL:
                if order.status == _INITIALIZED:
                    self._cancel_local(order)
                else:
                    self.cancel_order(order.client_order_id)
            elif act == ACT_RELEASE and order.status == _INITIALIZED:
                self._release(order)

    def _release(self, child: Order) -> None:
        self.oms.held.pop(child.client_order_id, None)
        now = self.clock.now_ns()
        reason = self.risk.pre_trade(child, self.portfolio, self.oms, now)
        if reason is not None:
            self._deny(child, reason)
            return
        venue = self._route(child)
        if venue is None:
            self._deny(child, "NO_VENUE")
            return
        if self.deny_when_down and venue in self._disconnected:
            self._deny(child, "BROKER_DOWN")
            return
        if self.accounts.buying_power and self.accounts.over_buying_power(child, venue):
            self._deny(child, "BUYING_POWER")
            return
        self._send(child, venue, now)
