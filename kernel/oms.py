"""The order manager: owns every order, applies venue events, indexes open orders, follows links.

Open orders are indexed by symbol and by strategy in insertion order (so iteration, and whatever
is emitted from it, is deterministic). Contingent links are followed here and turned into
*actions* for the kernel, queued on ``actions`` as ``(ACT_CANCEL | ACT_RELEASE, order)``:

- OCO: the first fill, a cancel, an expiry or a reject of one member cancels its open siblings.
- OTO (and brackets, whose two children are OCO with each other): children are held
  INITIALIZED until the parent is done. If the parent filled anything, each child is sized to
  ``min(child quantity, parent filled)`` and released; if it filled nothing, the children are
  canceled.
"""

from __future__ import annotations

from kernel.enums import Contingency, OrderStatus
from kernel.events import K_FILL
from kernel.fsm import CLOSED_STATUSES, OPEN_STATUSES
from kernel.orders import Order

ACT_CANCEL = 1
ACT_RELEASE = 2

_INITIALIZED = OrderStatus.INITIALIZED
# why: a sibling already closed, or whose cancel is already on its way, needs no (second) cancel
_NO_OCO_CANCEL = CLOSED_STATUSES | {OrderStatus.PENDING_CANCEL}


class UnknownOrder(KeyError):
    """An event for a client order id the manager does not know."""


class DuplicateOrderId(ValueError):
    """A new order reused a client order id."""


class OrderManager:
    """All orders by client order id, plus open-order indexes and contingent links.

    ``apply(event)`` is O(1) apart from the links it follows. ``actions`` collects the cancels
    and releases the links call for; the kernel drains it after each event.
    """

    __slots__ = (
        "_open",
        "_open_by_strategy",
        "_open_by_symbol",
        "actions",
        "duplicate_fills",
        "events_applied",
        "held",
        "orders",
    )

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self._open: dict[str, Order] = {}  # in the order they became open
        self._open_by_symbol: dict[str, dict[str, Order]] = {}
        self._open_by_strategy: dict[str, dict[str, Order]] = {}
        self.held: dict[str, Order] = {}  # contingent children waiting for their parent
        self.actions: list[tuple[int, Order]] = []
        self.duplicate_fills = 0
        self.events_applied = 0

    # --- registration -------------------------------------------------------------------------
    def add(self, order: Order) -> None:
        """Register a new INITIALIZED order; children of an OTO parent are held."""
        oid = order.client_order_id
        if oid in self.orders:
            raise DuplicateOrderId(f"client order id {oid!r} is already used")
        self.orders[oid] = order
        if order.parent_id is not None:
            self.held[oid] = order

    def link_oco(self, orders: list[Order]) -> None:
        """Make ``orders`` one-cancels-other with each other."""
        ids = [o.client_order_id for o in orders]
        for o in orders:
            o.contingency = Contingency.OCO
            o.linked_ids = tuple(i for i in ids if i != o.client_order_id)

    def link_oto(self, parent: Order, children: list[Order]) -> None:
        """Make ``children`` wait for ``parent`` (call before ``add``-ing the children)."""
        parent.contingency = (
            Contingency.OTO if parent.contingency == Contingency.NONE else parent.contingency
        )
        parent.child_ids = parent.child_ids + tuple(c.client_order_id for c in children)
        for c in children:
            c.parent_id = parent.client_order_id

    # --- queries ------------------------------------------------------------------------------
    def get(self, client_order_id: str) -> Order | None:
        return self.orders.get(client_order_id)

    def open_orders(self, symbol: str | None = None, strategy_id: str | None = None) -> list[Order]:
        """Open orders in submission order, filtered by symbol and/or strategy."""
        if symbol is not None:
            found = list(self._open_by_symbol.get(symbol, {}).values())
            if strategy_id is not None:
                found = [o for o in found if o.strategy_id == strategy_id]
            return found
        if strategy_id is not None:
            return list(self._open_by_strategy.get(strategy_id, {}).values())
        return list(self._open.values())

    def open_count(self, symbol: str) -> int:
        return len(self._open_by_symbol.get(symbol, ()))

    def open_leaves(self, symbol: str, strategy_id: str | None = None) -> tuple[int, int]:
        """Open buy and sell quantity (lots) still working for ``symbol``."""
        buy = sell = 0
        for o in self._open_by_symbol.get(symbol, {}).values():
            if strategy_id is not None and o.strategy_id != strategy_id:
                continue
            if o.side > 0:
                buy += o.quantity - o.filled_lots
            else:
                sell += o.quantity - o.filled_lots
        return buy, sell

    # --- events -------------------------------------------------------------------------------
    def apply(self, event) -> Order:  # type: ignore[no-untyped-def]
        """Apply an order event to its order; queue the actions its links call for."""
        order = self.orders.get(event.client_order_id)
        if order is None:
            raise UnknownOrder(event.client_order_id)
        was_open = order.status in OPEN_STATUSES
        if not order.apply(event):
            self.duplicate_fills += 1
            return order
        self.events_applied += 1
        now_open = order.status in OPEN_STATUSES
        if was_open != now_open:
            if now_open:
                self._index(order)
            else:
                self._unindex(order)
        elif order.parent_id is not None and order.status in CLOSED_STATUSES:
            # why: a held child canceled, expired or denied before its release is held no more
            self.held.pop(order.client_order_id, None)
        if order.contingency:
            self._follow_links(order, event)
        return order

    def _index(self, order: Order) -> None:
        oid = order.client_order_id
        self.held.pop(oid, None)
        self._open[oid] = order
        by_sym = self._open_by_symbol.get(order.symbol)
        if by_sym is None:
            by_sym = self._open_by_symbol[order.symbol] = {}
        by_sym[oid] = order
        by_strat = self._open_by_strategy.get(order.strategy_id)
        if by_strat is None:
            by_strat = self._open_by_strategy[order.strategy_id] = {}
        by_strat[oid] = order

    def _unindex(self, order: Order) -> None:
        oid = order.client_order_id
        self._open.pop(oid, None)
        by_sym = self._open_by_symbol.get(order.symbol)
        if by_sym is not None:
            by_sym.pop(oid, None)
        by_strat = self._open_by_strategy.get(order.strategy_id)
        if by_strat is not None:
            by_strat.pop(oid, None)

    def _follow_links(self, order: Order, event) -> None:  # type: ignore[no-untyped-def]
        closed = order.status in CLOSED_STATUSES
        if order.linked_ids and (closed or event.KIND == K_FILL):
            # why: only the first trigger matters; siblings already closed need nothing
            for sib_id in order.linked_ids:
                sib = self.orders.get(sib_id)
                if sib is not None and sib.status not in _NO_OCO_CANCEL and not self._queued(sib):
                    self.actions.append((ACT_CANCEL, sib))
        if order.child_ids and closed:
            filled = order.filled_lots
            for child_id in order.child_ids:
                child = self.orders.get(child_id)
                if child is None or child.status != _INITIALIZED:
                    continue
                if filled > 0:
                    if child.quantity > filled:
                        child.quantity = filled
                        if child.display_lots is not None and child.display_lots > filled:
                            child.display_lots = filled
                    self.actions.append((ACT_RELEASE, child))
                else:
                    self.actions.append((ACT_CANCEL, child))

    def _queued(self, order: Order) -> bool:
        return any(o is order for _, o in self.actions)

    def _check(self) -> None:
        """Invariants, for tests: indexes hold exactly the open orders; quantities consistent."""
        open_ids = {oid for oid, o in self.orders.items() if o.status in OPEN_STATUSES}
        by_sym = {oid for d in self._open_by_symbol.values() for oid in d}
        by_strat = {oid for d in self._open_by_strategy.values() for oid in d}
        assert open_ids == by_sym == by_strat == set(self._open), (open_ids, by_sym, by_strat)
        assert all(o.status == _INITIALIZED for o in self.held.values()), self.held
        for o in self.orders.values():
            assert 0 <= o.filled_lots <= o.quantity, o
            if o.status == OrderStatus.FILLED:
                assert o.filled_lots == o.quantity, o
            if o.status in OPEN_STATUSES:
                assert o.leaves_lots == o.quantity - o.filled_lots > 0, o
