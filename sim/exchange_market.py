"""Exchange mode for one symbol: our orders in the L3 matching engine, beside the recorded market.

In exchange mode (``venue: {mode: exchange}``) a symbol's market is a ``sim.exchange``
``MatchingEngine`` whose book holds the recorded market as *background* orders (owner
``"__market__"``) and every strategy's orders in the same queues. The rules:

1. Background from the data. L2 book updates set the recorded size at a (side, price); a
   snapshot replaces the whole book, as in recorded mode. A quote sets the size at its two touch
   prices (a quote without sizes: unlimited, as in recorded mode) and removes the levels better
   than its touch; when the symbol has no book data it removes every other level too (a quote
   shows only the touch). Background follows each recorded change at a level: growth adds a
   background order for the difference at the back of that price's queue (our orders that joined
   earlier stay ahead of it); a shrink removes background size newest first (so our order moves
   up only once the background behind it is gone); a level that disappears loses all its
   background. In one update shrinks are applied before growths. What our orders took from the
   background stays taken: later changes apply to what is left (the market reacts to us, where
   recorded mode refreshes a level's size at its next update).
2. The recorded market moving through our resting orders: a background order that crosses our
   resting orders trades with them, each at our price, ours MAKER. Background on the other side
   that a new level crosses is stale and is removed first, so background never trades with
   background (and would not: self-trade prevention on its owner, cancel newest).
3. Recorded trades (when given) print on the side the aggressor took (either side when the data
   does not say): background at prices better than the print is stale and removed; our orders
   there fill completely at their own price, MAKER (the print went through them, as in recorded
   mode); at the printed price the print takes up to its size in queue order, so the background
   ahead of our order goes first, then our order (MAKER, at its price), then the background
   behind it. The recorded size there shrinks by the printed size, so a book update that reports
   the same trade does not remove it twice. The print becomes the engine's last price: stops,
   trailing stops, MIT and LIT trigger on trades (the engine's and the recorded ones), never on
   quotes or the book.
4. Our orders: owner = the strategy id; the engine's rules (``sim.exchange``): price-time
   priority, every execution at the resting order's price with MAKER and TAKER reports sharing
   one engine trade id; two strategies' orders trade with each other; an order that meets a
   resting order of its own strategy is canceled (self-trade prevention: the venue's ``stp``,
   ``cancel_newest`` by default; ``cancel_oldest``, ``cancel_both`` or ``none``); what a
   market, IOC or FOK order cannot take at once is canceled (recorded mode keeps a market
   remainder waiting for later data). Contingent orders stay with the kernel, as on any venue.
5. Reports: background and tape events are dropped; ours are returned by each entry point as
   ``RecordedMarket``'s are, with the broker's fee per fill (maker for the resting order,
   taker for the incoming one) and reject reasons named as recorded mode names them.
6. Time: GTD orders expire at their time; DAY orders at the session close (no session: at 00:00
   UTC after acceptance). Bars never reach the book: they only move the market's clock (``idle``
   is always true).
7. Sessions (a venue ``session``; the engine's rules, ``sim.exchange_auction``): outside
   ``[open, close)`` the market is closed and every participant's orders, the background's too,
   are collected for the opening auction instead of trading (IOC, FOK and post-only are rejected
   ``MARKET_CLOSED``; OPG orders are accepted only then, after the open they are rejected
   ``OPG_AFTER_OPEN``); recorded trades print nothing while it is closed. At the open one
   auction uncrosses, at one price, what was collected with what rests in the book (the
   background as the data last showed it, kept over the close); at the close the CLS orders
   uncross with the book, then DAY orders expire. What an OPG or CLS order does not get in its
   auction expires. Without a session OPG and CLS orders are rejected ``NO_SESSION``.

Cost: each recorded level change is one engine call (O(1) for a level away from our orders, a
sweep of the orders it crosses otherwise); a quote is O(levels known) for the stale-level scan.
"""

from __future__ import annotations

from collections.abc import Callable

from kernel.enums import Liquidity, TimeInForce
from kernel.events import (
    OrderCancelRejected,
    OrderFilled,
    OrderModifyRejected,
    OrderRejected,
)
from kernel.orders import Order
from kernel.units import Instrument
from sim.exchange import MatchingEngine
from sim.exchange_orders import IOC, LIMIT, W_AUCTION

MARKET_OWNER = "__market__"  # background orders: the recorded market
TAPE_OWNER = "__tape__"  # recorded trades printed against the book
UNSIZED = 1 << 40  # a quote without sizes: unlimited size at the touch
_MAKER = int(Liquidity.MAKER)
_OPG = TimeInForce.OPG
_CLS = TimeInForce.CLS
# the engine's reason codes, renamed as recorded mode reports them (one vocabulary per venue)
_REASONS = {
    "DUPLICATE_ORDER_ID": "DUPLICATE_CLIENT_ORDER_ID",
    "UNKNOWN_ORDER": "UNKNOWN_OR_CLOSED_ORDER",
    "ORDER_CLOSED": "UNKNOWN_OR_CLOSED_ORDER",
    "QUANTITY_NOT_ABOVE_FILLED": "QUANTITY_BELOW_FILLED",
    "ORDER_HAS_NO_LIMIT_PRICE": "NO_SUCH_PRICE",
    "ORDER_HAS_NO_STOP_PRICE": "NO_SUCH_PRICE",
    "REDUCE_ONLY_WOULD_INCREASE": "REDUCE_ONLY",
    "EXPIRE_TIME_PASSED": "GTD_EXPIRED",
}
_WITH_REASON = (OrderRejected, OrderCancelRejected, OrderModifyRejected)

Key = tuple[int, int]  # (side, price_ticks): side +1 bids, -1 asks


class ExchangeMarket:
    """One symbol at one simulated venue in exchange mode (see the module docstring).

    The same entry points as ``sim.recorded.RecordedMarket`` for ``SimBroker`` and the driver:
    ``arrive``/``cancel``/``modify``, ``on_quote``/``on_trade``/``on_book``, ``next_wakeup``/
    ``wake`` and ``expiries`` (each returns its reports, None: none), ``now``, ``idle``,
    ``_check``. The
    construction arguments are ``RecordedMarket``'s; ``next_id``, ``queue_position`` and
    ``queue_ahead_default`` are not used (ids are the engine's, queues are real).

    State for callers and tests: ``engine`` (the ``MatchingEngine``), ``recorded`` (the recorded
    size per (side, price) as the data last said, less what recorded trades took since) and
    ``background`` (per (side, price) the background order ids, oldest first).
    """

    __slots__ = (
        "_n",
        "_started",
        "background",
        "engine",
        "fee",
        "has_book",
        "inst",
        "kind",
        "last_bar_close",
        "now",
        "ours",
        "out",
        "recorded",
        "session",
        "symbol",
        "venue",
    )

    idle = True  # why: the broker's bar path then only moves the clock (bars never seed the book)

    def __init__(
        self,
        instrument: Instrument,
        venue: str,
        kind: str,
        *,
        fee: Callable[[Instrument, int, int, bool], int],
        next_id: Callable[[str], str] | None = None,
        queue_position: bool = False,
        queue_ahead_default: int = 0,
        session: object | None = None,
        stp: str = "cancel_newest",
    ) -> None:
        self.inst = instrument
        self.symbol = instrument.symbol
        self.venue = venue
        self.kind = kind
        self.fee = fee
        self.engine = MatchingEngine(self.symbol, stp=stp, venue=venue, session=session)
        self.session = session
        self.out: list = []
        self.now = 0
        self.last_bar_close: int | None = None
        self.recorded: dict[Key, int] = {}
        self.background: dict[Key, list[str]] = {}
        self.ours: set[str] = set()  # every client order id the kernel sent (membership only)
        self.has_book = kind == "book"
        self._n = 0
        self._started = False

    # --- reports ------------------------------------------------------------------------------
    def _take(self, events: list) -> None:
        """Keep the engine's events about our orders (fees set, reasons renamed)."""
        ours = self.ours
        out = self.out
        for ev in events:
            if ev.client_order_id not in ours:
                continue
            cls = type(ev)
            if cls is OrderFilled:
                ev.commission = self.fee(
                    self.inst, ev.price_ticks, ev.qty_lots, ev.liquidity == _MAKER
                )
            elif cls in _WITH_REASON:
                ev.reason = _REASONS.get(ev.reason, ev.reason)
            out.append(ev)

    def _settle(self) -> list | None:
        if not self._started:
            # why: the engine learns the session's state at its first call: until then it has
            # no time and reports a session event due at 0
            self._started = True
            self._take(self.engine.advance_time(self.now))
        out = self.out
        if out:
            self.out = []
            return out
        return None

    # --- commands -----------------------------------------------------------------------------
    def arrive(self, order: Order, now: int) -> list | None:
        """An order of ours reached the venue: the engine accepts and works it."""
        self.now = now
        oid = order.client_order_id
        self.ours.add(oid)
        tif = order.time_in_force
        if (tif is _OPG or tif is _CLS) and self.session is None:
            self.out.append(OrderRejected(oid, "NO_SESSION", now, now))
        else:
            self._take(self.engine.submit(order, now))
        return self._settle()

    def cancel(self, oid: str, now: int) -> list | None:
        self.now = now
        self.ours.add(oid)
        self._take(self.engine.cancel(oid, now))
        return self._settle()

    def modify(
        self, oid: str, qty: int | None, limit: int | None, stop: int | None, now: int
    ) -> list | None:
        """Quantity down keeps queue priority; a price change or an increase loses it."""
        self.now = now
        self.ours.add(oid)
        self._take(self.engine.modify(oid, qty, limit, stop, now))
        return self._settle()

    # --- market data ----------------------------------------------------------------------------
    def on_book(self, u) -> list | None:  # type: ignore[no-untyped-def]
        """A recorded L2 update (``BookUpdate``): background follows each level (rules 1, 2)."""
        self.now = u.ts_event
        self.has_book = True
        levels: dict[Key, int] = {}
        if u.is_snapshot:
            levels = dict.fromkeys(self.recorded, 0)
        for side, px, size in u.deltas:
            levels[(side, px)] = size
        self._apply(levels)
        return self._settle()

    def on_quote(self, q) -> list | None:  # type: ignore[no-untyped-def]
        """A recorded quote (``QuoteTick``): the touch levels and their sizes (rules 1, 2)."""
        self.now = q.ts_event
        bid = q.bid_ticks
        ask = q.ask_ticks
        depth = self.has_book
        levels: dict[Key, int] = {}
        for key in self.recorded:
            side, px = key
            if side > 0:
                if px > bid or (px != bid and not depth):
                    levels[key] = 0
            elif px < ask or (px != ask and not depth):
                levels[key] = 0
        levels[(1, bid)] = UNSIZED if q.bid_lots is None else q.bid_lots
        levels[(-1, ask)] = UNSIZED if q.ask_lots is None else q.ask_lots
        self._apply(levels)
        return self._settle()

    def on_trade(self, t) -> list | None:  # type: ignore[no-untyped-def]
        """A recorded trade (``TradeTick``): it prints against the book (rule 3)."""
        now = self.now = t.ts_event
        px = t.price_ticks
        eng = self.engine
        for side in (-t.aggressor,) if t.aggressor else (-1, 1):
            best = eng.book.side(side).best
            if best is not None and (best <= px if side < 0 else best >= px):
                self._print(side, px, t.size_lots)
        self._take(eng.print_trade(px, now))
        return self._settle()

    # --- time -------------------------------------------------------------------------------------
    @property
    def expiries(self) -> bool:
        """Whether anything is scheduled (the broker asks before ``next_wakeup``)."""
        return self._started and self.engine.next_due_ns() is not None

    def next_wakeup(self) -> int | None:
        return self.engine.next_due_ns() if self._started else None

    def wake(self, now: int) -> list | None:
        """Expire what is due (DAY, GTD); open and close the session (its auctions)."""
        self.now = now
        self._take(self.engine.advance_time(now))
        return self._settle()

    def top(self) -> tuple[int | None, int, int | None, int]:
        """The book's touch as every participant sees it: ``(bid, bid_lots, ask, ask_lots)``
        (visible size; a side that is empty: None and 0; an unsized quote's level: 0 lots)."""
        bids, asks = self.engine.depth(1)
        bid, bid_lots = bids[0] if bids else (None, 0)
        ask, ask_lots = asks[0] if asks else (None, 0)
        return (
            bid,
            0 if bid_lots >= UNSIZED else bid_lots,
            ask,
            0 if ask_lots >= UNSIZED else ask_lots,
        )

    # --- background ---------------------------------------------------------------------------
    def _apply(self, levels: dict[Key, int]) -> None:
        """Set recorded sizes; move the background with them, shrinks first (rule 1)."""
        recorded = self.recorded
        grow: list[tuple[Key, int]] = []
        for key, new in levels.items():
            old = recorded.get(key, 0)
            if new <= 0:
                self._clear(key)
                continue
            recorded[key] = new
            if new < old:
                self._shrink(key, old - new)
            elif new > old:
                grow.append((key, new - old))
        for key, add in grow:
            if key in recorded:  # why: a crossing level of the same update may have cleared it
                self._grow(key, add)

    def _clear(self, key: Key) -> None:
        """The level is gone: cancel all its background."""
        self.recorded.pop(key, None)
        ids = self.background.pop(key, None)
        if not ids:
            return
        eng = self.engine
        for oid in reversed(ids):
            if eng.order(oid) is not None:
                self._take(eng.cancel(oid, self.now))
            eng.forget(oid)

    def _shrink(self, key: Key, cut: int) -> None:
        """Remove ``cut`` lots of background at ``key``, newest first."""
        ids = self.background.get(key)
        if not ids:
            return
        eng = self.engine
        now = self.now
        while ids and cut > 0:
            oid = ids[-1]
            rec = eng.order(oid)
            if rec is None:
                ids.pop()
                eng.forget(oid)
                continue
            leaves = rec.qty - rec.filled
            if leaves <= cut:
                self._take(eng.cancel(oid, now))
                ids.pop()
                eng.forget(oid)
                cut -= leaves
            else:
                self._take(eng.modify(oid, rec.qty - cut, None, None, now))
                cut = 0
        if not ids:
            del self.background[key]

    def _grow(self, key: Key, add: int) -> None:
        """Add ``add`` lots of background at the back of ``key``'s queue (rule 2 if it crosses)."""
        side, price = key
        eng = self.engine
        stale = []
        for level in eng.book.side(-side).iter_levels():
            if level.price > price if side > 0 else level.price < price:
                break
            stale.append((-side, level.price))
        for other in stale:
            if other in self.recorded:
                self._clear(other)
        self._n += 1
        oid = f"{MARKET_OWNER}{self._n}"
        self._take(eng.submit_limit(oid, MARKET_OWNER, side, add, price, self.now))
        if eng.order(oid) is not None:
            self.background.setdefault(key, []).append(oid)
        else:
            eng.forget(oid)  # why: all of it traded with our crossing orders

    def _print(self, side: int, px: int, size: int) -> None:
        """A recorded trade against resting ``side`` at ``px`` for ``size`` lots (rule 3)."""
        eng = self.engine
        book_side = eng.book.side(side)
        through = []
        for level in book_side.iter_levels():
            if level.price >= px if side < 0 else level.price <= px:
                break
            through.append(level.price)
        ours = 0
        for p in through:
            if (side, p) in self.recorded:
                self._clear((side, p))
            level = book_side.level(p)
            if level is not None:
                ours += level.size + level.hidden
        if ours + size > 0:
            self._n += 1
            oid = f"{TAPE_OWNER}{self._n}"
            self._take(
                eng.submit_order(
                    oid, TAPE_OWNER, -side, LIMIT, ours + size, self.now, limit_ticks=px, tif=IOC
                )
            )
            eng.forget(oid)
        key = (side, px)
        left = self.recorded.get(key)
        if left is not None:
            self.recorded[key] = max(left - size, 0)

    def _check(self) -> None:
        """Invariants, for tests."""
        eng = self.engine
        eng._check()
        listed = set()
        for key, ids in self.background.items():
            assert ids and key in self.recorded, key
            for oid in ids:
                rec = eng.order(oid)
                if rec is not None:
                    assert rec.owner == MARKET_OWNER and (rec.side, rec.price) == key, rec
                    listed.add(oid)
        resting = {oid for oid, r in eng.book.orders.items() if r.owner == MARKET_OWNER}
        assert resting <= listed, resting - listed
        for oid in listed - resting:  # why: while the market is closed, for the opening auction
            assert eng.order(oid).where == W_AUCTION, oid  # type: ignore[union-attr]
        assert not any(r.owner == TAPE_OWNER for r in eng.book.orders.values())
        assert all(size >= 0 for size in self.recorded.values())
