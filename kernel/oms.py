"""The order manager: owns every order, applies venue events, indexes open orders, follows links.

Open orders are indexed by symbol and by strategy in insertion order (so iteration, and whatever
is emitted from it, is deterministic). Contingent links are followed here and turned into
*actions* for the kernel, queued on ``actions`` as ``(ACT_CANCEL | ACT_RELEASE, order)``:

- OCO: the first fill, a cancel, an expiry or a reject of one member cancels its open siblings.
- OTO (and brackets, whose two children are OCO with each other): children are held
  INITIALIZED until the parent is done. If the parent filled anything, each child is sized to
  ``min(child quantity, parent filled)`` and released; if it filled nothing, the children are
  canceled.

Retention (``retain_closed``). ``None`` (the default) keeps every order for the whole run:
reports, TCA and the invariant checks read them all. ``N`` keeps the newest ``N`` closed orders
in full, for runs and sessions whose memory must not grow with their history: whenever a new
order is registered (``add``), the closed orders beyond the newest ``N`` leave ``orders`` in the
order they closed. Only closed orders leave (open and held ones, and INITIALIZED ones not yet
sent, never do), and only in ``add``, so an order that closes while the kernel handles an event
is still there for every callback of that event. The links tolerate a member that is gone: it
was closed, so it needs no cancel, and a closed parent has already released or canceled its
children. An evicted order leaves a tombstone: its client order id and its fills' trade ids, in
a second FIFO of up to ``max(TOMBSTONES_PER_RETAINED x N, MIN_TOMBSTONES)`` ids. A fill whose
trade id a tombstone holds is a duplicate (``duplicate_fills``; nothing changes), canceling an
evicted order is a no-op as for any closed order (``was_evicted``), and its id cannot be used
again. Any other event for an evicted order, and every event for an order beyond the
tombstones, is an event for an unknown order (the kernel books a fill as external, with an
``EXTERNAL_FILL`` notice, and reports anything else as ``UNKNOWN_ORDER``): a closed order's
late answers cannot change it, and a venue's late new fill of it is never lost.
"""

from __future__ import annotations

from collections import deque

from kernel.enums import Contingency, OrderStatus
from kernel.events import K_FILL
from kernel.fsm import CLOSED_STATUSES, OPEN_STATUSES
from kernel.orders import Order

try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython

ACT_CANCEL = 1
ACT_RELEASE = 2

_INITIALIZED = OrderStatus.INITIALIZED
TOMBSTONES_PER_RETAINED = 10  # evicted orders remembered (ids only) per closed order kept
MIN_TOMBSTONES = 1_000
# why: a sibling already closed, or whose cancel is already on its way, needs no (second) cancel
_NO_OCO_CANCEL = CLOSED_STATUSES | {OrderStatus.PENDING_CANCEL}


class UnknownOrder(KeyError):
    """An event for a client order id the manager does not know."""


class DuplicateOrderId(ValueError):
    """A new order reused a client order id."""


class OrderManager:
    """All orders by client order id, plus open-order indexes and contingent links.

    ``apply(event)`` is O(1) apart from the links it follows. ``actions`` collects the cancels
    and releases the links call for; the kernel drains it after each event. ``retain_closed``:
    how many closed orders to keep in full (None: all; see the module docstring); ``added``
    counts every order ever registered, ``evicted`` the ones that left, and ``evicted_counts``
    those by ``(venue or "", status)``; ``duplicate_fills`` counts the repeated fills ignored,
    ``tombstone_duplicates`` those of them recognised by an evicted order's tombstone.
    """

    __slots__ = (
        "_closed",
        "_open",
        "_open_by_strategy",
        "_open_by_symbol",
        "_tomb_order",
        "_tombs",
        "actions",
        "added",
        "duplicate_fills",
        "events_applied",
        "evicted",
        "evicted_counts",
        "held",
        "orders",
        "retain_closed",
        "tombstone_duplicates",
        "tombstones_max",
    )

    def __init__(self, retain_closed: int | None = None) -> None:
        if retain_closed is not None and (type(retain_closed) is not int or retain_closed < 0):
            raise ValueError(f"retain_closed must be None or an int >= 0, got {retain_closed!r}")
        self.retain_closed = retain_closed
        # closed order ids in the order they closed (retention on only)
        self._closed: deque[str] | None = None if retain_closed is None else deque()
        self.tombstones_max = (
            0 if retain_closed is None
            else max(TOMBSTONES_PER_RETAINED * retain_closed, MIN_TOMBSTONES)
        )  # fmt: skip
        # evicted id -> its fills' trade ids (looked up, never iterated); ``_tomb_order``: FIFO
        self._tombs: dict[str, tuple[str, ...]] = {}
        self._tomb_order: deque[str] = deque()
        self.added = 0
        self.evicted = 0
        self.evicted_counts: dict[tuple[str, int], int] = {}
        self.orders: dict[str, Order] = {}
        self._open: dict[str, Order] = {}  # in the order they became open
        self._open_by_symbol: dict[str, dict[str, Order]] = {}
        self._open_by_strategy: dict[str, dict[str, Order]] = {}
        self.held: dict[str, Order] = {}  # contingent children waiting for their parent
        self.actions: list[tuple[int, Order]] = []
        self.duplicate_fills = 0
        self.tombstone_duplicates = 0
        self.events_applied = 0

    # --- registration -------------------------------------------------------------------------
    @cython.locals(order=Order)
    def add(self, order: Order) -> None:
        """Register a new INITIALIZED order; children of an OTO parent are held."""
        oid = order.client_order_id
        if oid in self.orders or oid in self._tombs:
            raise DuplicateOrderId(f"client order id {oid!r} is already used")
        closed = self._closed
        if closed is not None and len(closed) > self.retain_closed:  # type: ignore[operator]
            self._evict()
        self.orders[oid] = order
        self.added += 1
        if order.parent_id is not None:
            self.held[oid] = order

    @cython.locals(order=Order, orders=dict, tombs=dict, counts=dict)
    def _evict(self) -> None:
        """Drop the closed orders beyond the newest ``retain_closed``, oldest first, leaving
        tombstones; drop the oldest tombstones beyond ``tombstones_max``."""
        closed = self._closed
        assert closed is not None and self.retain_closed is not None
        n = len(closed) - self.retain_closed
        # why: this runs for every order of a long run, mostly for one order; compiled, the
        # manager's dicts are typed (oms.pxd), so their methods are direct C calls
        orders, tombs, counts = self.orders, self._tombs, self.evicted_counts
        tomb_order = self._tomb_order
        for _ in range(n):
            oid = closed.popleft()
            order = orders.pop(oid)
            trade_ids = order._trade_ids
            tombs[oid] = tuple(trade_ids) if trade_ids else ()
            tomb_order.append(oid)
            key = (order.venue or "", order.status)
            counts[key] = counts.get(key, 0) + 1
        self.evicted += n
        if len(tomb_order) > self.tombstones_max:
            for _ in range(len(tomb_order) - self.tombstones_max):
                del tombs[tomb_order.popleft()]

    def was_evicted(self, client_order_id: str) -> bool:
        """True for a closed order that left ``orders`` and is still remembered (a tombstone)."""
        return client_order_id in self._tombs

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
    @cython.locals(order=Order)
    def apply(self, event) -> Order | None:  # type: ignore[no-untyped-def]
        """Apply an order event to its order; queue the actions its links call for. None: a
        duplicate fill of an evicted order (counted; nothing else happens)."""
        order = self.orders.get(event.client_order_id)
        if order is None:
            trade_ids = self._tombs.get(event.client_order_id)
            if trade_ids is not None and event.KIND == K_FILL and event.trade_id in trade_ids:
                self.duplicate_fills += 1
                self.tombstone_duplicates += 1
                return None
            raise UnknownOrder(event.client_order_id)
        status = order.status
        was_open = status in OPEN_STATUSES
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
                if self._closed is not None:
                    self._closed.append(order.client_order_id)
        elif not now_open and status == _INITIALIZED:
            # why: a held child canceled, expired or denied before its release is held no more
            self.held.pop(order.client_order_id, None)
            if self._closed is not None:
                self._closed.append(order.client_order_id)
        if order.contingency:
            self._follow_links(order, event)
        return order

    @cython.locals(order=Order)
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

    @cython.locals(order=Order)
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
        assert self.added == len(self.orders) + self.evicted, (self.added, self.evicted)
        assert len(self._tomb_order) == len(self._tombs) <= max(self.tombstones_max, 0)
        assert not (self._tombs.keys() & self.orders.keys())
        if self._closed is not None:
            closed_ids = [oid for oid, o in self.orders.items() if o.status in CLOSED_STATUSES]
            assert sorted(self._closed) == sorted(closed_ids), (self._closed, closed_ids)
        for o in self.orders.values():
            assert 0 <= o.filled_lots <= o.quantity, o
            if o.status == OrderStatus.FILLED:
                assert o.filled_lots == o.quantity, o
            if o.status in OPEN_STATUSES:
                assert o.leaves_lots == o.quantity - o.filled_lots > 0, o
