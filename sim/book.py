"""The L3 order book: price levels keyed by int tick, each a FIFO of resting orders.

Design: each side keeps its levels in a plain ``dict`` keyed so that sorting starts at the best
price (asks by price, bids by negated price), the keys in a sorted ``list`` beside it (bisect),
and caches the best price as an int, so "does anything cross?" is one comparison. A dict and a
list beat a ``SortedDict`` here: a book has tens to a few thousand levels, where inserting into
a list is one short memmove, and a level lookup is a C dict lookup (measured: W2 market making,
where every order opens and closes a level, and the 1M-operation matching benchmark). A level is a ``deque`` of ``BookOrder`` with int aggregates
of the visible and hidden quantity; removing an order from the middle marks it dead (O(1)) and
the dead entry is skipped when it reaches the front, so cancels never scan a queue.

Iceberg (display quantity): an order shows ``visible`` lots and keeps ``hidden`` lots behind;
when the visible slice is used up it refills from the hidden rest and goes to the *back* of the
queue at its level (it loses time priority), as on most exchanges.

Complexity: add O(log L) + a memmove of L keys for a new level, else O(1); remove O(1) (the
same when a level empties);
best price O(1); taking liquidity O(k) in the orders touched. ``_check()`` verifies every
aggregate and the sort order; stress and property tests call it after every step.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable, Iterator

try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython

BUY = 1
SELL = -1


class BookOrder:
    """A resting order as the book sees it (the venue keeps everything else)."""

    __slots__ = ("display", "hidden", "live", "oid", "owner", "price", "seq", "side", "visible")

    def __init__(
        self,
        oid: str,
        side: int,
        price: int,
        qty: int,
        display: int | None = None,
        owner: object = None,
        seq: int = 0,
    ) -> None:
        self.oid = oid
        self.side = side
        self.price = price
        self.display = display
        if display is not None and display < qty:
            self.visible = display
            self.hidden = qty - display
        else:
            self.visible = qty
            self.hidden = 0
        self.owner = owner
        self.seq = seq
        self.live = True

    @property
    def leaves(self) -> int:
        return self.visible + self.hidden

    def __repr__(self) -> str:
        side = "B" if self.side > 0 else "S"
        return f"BookOrder({self.oid} {side} {self.visible}+{self.hidden}@{self.price})"


class Level:
    """One price: a FIFO of orders and the int totals of what is shown and hidden there."""

    __slots__ = ("count", "hidden", "price", "queue", "size")

    def __init__(self, price: int) -> None:
        self.price = price
        self.queue: deque[BookOrder] = deque()
        self.size = 0  # visible lots
        self.hidden = 0
        self.count = 0  # live orders

    def orders(self) -> Iterator[BookOrder]:
        """Live orders in time priority."""
        return (o for o in self.queue if o.live)


class BookSide:
    """One side of the book. ``best`` is the best price (int ticks) or None when empty."""

    __slots__ = ("_keys", "best", "key", "levels", "side")

    def __init__(self, side: int) -> None:
        self.side = side
        self.key = -1 if side == BUY else 1  # sort key sign: best price first
        self.levels: dict[int, Level] = {}  # sort key -> level
        self._keys: list[int] = []  # the sort keys, ascending: best price first
        self.best: int | None = None

    def __len__(self) -> int:
        return len(self.levels)

    def level(self, price: int) -> Level | None:
        return self.levels.get(price * self.key)

    def best_level(self) -> Level | None:
        if self.best is None:
            return None
        return self.levels[self.best * self.key]  # type: ignore[no-any-return]

    def iter_levels(self) -> Iterator[Level]:
        """Levels from the best price outward."""
        return map(self.levels.__getitem__, self._keys)

    @cython.locals(order=BookOrder, level=Level)
    @cython.locals(order=BookOrder)
    def add(self, order: BookOrder) -> None:
        """Queue ``order`` at the back of its price level."""
        key = order.price * self.key
        level = self.levels.get(key)
        if level is None:
            level = Level(order.price)
            self.levels[key] = level
            insort(self._keys, key)
            best = self.best
            if best is None or (order.price > best if self.side == BUY else order.price < best):
                self.best = order.price
        level.queue.append(order)
        level.size += order.visible
        level.hidden += order.hidden
        level.count += 1

    @cython.locals(order=BookOrder, level=Level)
    @cython.locals(order=BookOrder)
    def remove(self, order: BookOrder) -> None:
        """Take a live order out (it is marked dead; the queue skips it later)."""
        level = self.levels[order.price * self.key]
        order.live = False
        level.size -= order.visible
        level.hidden -= order.hidden
        level.count -= 1
        if level.count == 0:
            self.drop(level)
            return
        queue = level.queue
        if queue[0] is order:
            _trim(queue)
        if len(queue) > 2 * level.count + 32:
            # why: lazy deletion must stay bounded: behind a front order that never trades, every
            # canceled order would otherwise stay queued forever (memory, and GC time). In place,
            # so a caller holding the deque (take's callbacks) sees the same object. Amortized O(1).
            live = [o for o in queue if o.live]
            queue.clear()
            queue.extend(live)

    def reduce(self, order: BookOrder, new_leaves: int) -> None:
        """Lower an order's quantity in place: it keeps its time priority."""
        assert 0 < new_leaves < order.leaves
        level = self.levels[order.price * self.key]
        cut = order.leaves - new_leaves
        from_hidden = min(cut, order.hidden)
        order.hidden -= from_hidden
        level.hidden -= from_hidden
        rest = cut - from_hidden
        order.visible -= rest
        level.size -= rest

    def fill(self, order: BookOrder, lots: int) -> BookOrder | None:
        """Execute ``lots`` of one resting order wherever it is in its queue.

        The visible slice trades first; a slice used up refills from the hidden rest and goes to
        the back of the queue as a fresh entry (returned; the caller re-indexes it); an order
        used up leaves the book and None is returned.
        """
        assert order.live and 0 < lots <= order.leaves
        level = self.levels[order.price * self.key]
        while lots:
            step = min(lots, order.visible)
            order.visible -= step
            level.size -= step
            lots -= step
            if order.visible:
                continue
            if not order.hidden:
                order.live = False
                level.count -= 1
                if level.count == 0:
                    self.drop(level)
                elif level.queue[0] is order:
                    _trim(level.queue)
                return None
            refill = min(order.display, order.hidden)  # type: ignore[type-var]
            order.hidden -= refill
            order.visible = refill
            level.hidden -= refill
            level.size += refill
            # why: a new display slice loses time priority: a fresh entry at the back
            order.live = False
            fresh = _requeue(order)
            level.queue.append(fresh)
            if level.queue[0] is order:
                _trim(level.queue)
            order = fresh
        return order

    def drop(self, level: Level) -> None:
        """Remove a level its caller emptied (an inlined ``take``, as the exchange's sweep)."""
        key = level.price * self.key
        del self.levels[key]
        keys = self._keys
        if keys[0] == key:
            del keys[0]
            self.best = keys[0] * self.key if keys else None
        else:
            del keys[bisect_left(keys, key)]

    def take(
        self,
        limit: int | None,
        qty: int,
        on_fill: Callable[[BookOrder, int, int], None],
        skip: Callable[[BookOrder], bool] | None = None,
    ) -> int:
        """Take up to ``qty`` lots from the best levels, no worse than ``limit`` (None: any).

        Calls ``on_fill(order, lots, price)`` per execution in price-time order and returns the
        lots taken. An order for which ``skip(order)`` is true is not taken (self-trade
        prevention decides what happens to it) and stops the sweep at its level.
        """
        taken = 0
        side = self.side
        while taken < qty and self.best is not None:
            price = self.best
            if limit is not None and (price < limit if side == BUY else price > limit):
                break
            level = self.levels[price * self.key]
            queue = level.queue
            while taken < qty and level.count:
                order = queue[0]
                if not order.live:
                    queue.popleft()
                    continue
                if skip is not None and skip(order):
                    return taken
                lots = min(order.visible, qty - taken)
                order.visible -= lots
                level.size -= lots
                taken += lots
                if order.visible == 0:
                    queue.popleft()
                    if order.hidden:
                        # why: the refilled slice is a new display: it joins the back of the queue
                        refill = min(order.display, order.hidden)  # type: ignore[type-var]
                        order.hidden -= refill
                        order.visible = refill
                        level.hidden -= refill
                        level.size += refill
                        queue.append(order)
                    else:
                        order.live = False
                        level.count -= 1
                on_fill(order, lots, price)
            if level.count == 0:
                self.drop(level)
            else:
                _trim(queue)
                if taken < qty:
                    break  # what is left at this price was skipped
        return taken

    def depth(self, levels: int = 10) -> list[tuple[int, int]]:
        """``(price, visible lots)`` of the best ``levels`` levels."""
        out = []
        for level in self.iter_levels():
            out.append((level.price, level.size))
            if len(out) == levels:
                break
        return out

    def _check(self) -> None:
        best = None
        assert self._keys == sorted(self.levels), "sorted keys out of sync"
        for key in self._keys:
            level = self.levels[key]
            assert key == level.price * self.key
            live = [o for o in level.queue if o.live]
            assert level.count == len(live) > 0, level.price
            assert level.size == sum(o.visible for o in live)
            assert level.hidden == sum(o.hidden for o in live)
            assert all(o.price == level.price and o.side == self.side for o in live)
            assert all(o.visible > 0 for o in live)
            assert all(o.display is None or o.visible <= o.display for o in live)
            assert level.queue[0].live
            if best is None:
                best = level.price
        assert self.best == best


def _requeue(order: BookOrder) -> BookOrder:
    """A live copy of ``order`` (same id, owner, sizes) for the back of its queue."""
    fresh = BookOrder.__new__(BookOrder)
    for name in BookOrder.__slots__:
        setattr(fresh, name, getattr(order, name))
    fresh.live = True
    owner = order.owner
    if owner is not None and getattr(owner, "book_order", None) is order:
        owner.book_order = fresh
    return fresh


def _trim(queue: deque[BookOrder]) -> None:
    while queue and not queue[0].live:
        queue.popleft()


class Book:
    """Both sides of one instrument's book, and its orders by id."""

    __slots__ = ("asks", "bids", "orders")

    def __init__(self) -> None:
        self.bids = BookSide(BUY)
        self.asks = BookSide(SELL)
        self.orders: dict[str, BookOrder] = {}

    def side(self, side: int) -> BookSide:
        return self.bids if side == BUY else self.asks

    def add(self, order: BookOrder) -> None:
        assert order.oid not in self.orders, order.oid
        self.orders[order.oid] = order
        (self.bids if order.side == BUY else self.asks).add(order)

    def remove(self, oid: str) -> BookOrder | None:
        order = self.orders.pop(oid, None)
        if order is not None and order.live:
            (self.bids if order.side == BUY else self.asks).remove(order)
        return order

    def fill(self, oid: str, lots: int) -> BookOrder | None:
        """Execute ``lots`` of the resting order ``oid`` (see ``BookSide.fill``)."""
        order = self.orders[oid]
        live = (self.bids if order.side == BUY else self.asks).fill(order, lots)
        if live is None:
            del self.orders[oid]
        else:
            self.orders[oid] = live
        return live

    def forget(self, oid: str) -> None:
        """Drop a fully filled order from the id index (``take`` already removed it)."""
        self.orders.pop(oid, None)

    def is_crossed(self) -> bool:
        b, a = self.bids.best, self.asks.best
        return b is not None and a is not None and b >= a

    def _check(self) -> None:
        self.bids._check()
        self.asks._check()
        live = {
            o.oid
            for s in (self.bids, self.asks)
            for lv in s.iter_levels()
            for o in lv.queue
            if o.live
        }
        assert live == {oid for oid, o in self.orders.items() if o.live}, "index out of sync"
