"""The matching core of the exchange engine: state, continuous matching, and settling.

``MatchingCore`` holds the engine's state and the internal steps every entry point shares:
route an accepted order (trigger book, auction collection, or the book), work it against the
opposite side (FOK check, sweep with self-trade prevention, rest or cancel the rest), take a
record out of wherever it lives, and settle what a sweep left to do (contingent links,
reduce-only checks, triggered orders, in that order, until nothing is left). The public API and
the rules in prose are in ``sim.exchange``.
"""

from __future__ import annotations

import heapq
from collections import deque

from kernel.enums import Liquidity
from kernel.events import OrderCanceled, OrderFilled, OrderModified, OrderTriggered
from sim import exchange_auction, exchange_links
from sim.book import Book, BookSide
from sim.exchange_orders import (
    BUY,
    CLS,
    FOK,
    IOC,
    LIMIT_TYPES,
    OPG,
    R_NO_LIMIT,
    R_NO_STOP,
    R_NOT_ABOVE_FILLED,
    R_POST_ONLY,
    R_REDUCE_ONLY,
    STP_BOTH,
    STP_NONE,
    STP_OLDEST,
    STP_POLICIES,
    TRAILING_STOP,
    TRIGGER_TYPES,
    W_AUCTION,
    W_BOOK,
    W_DONE,
    W_FIRED,
    W_HELD,
    W_NEW,
    W_TRIGGER,
    Rec,
)
from sim.triggers import TriggerBook

INF = 1 << 62
# plain ints in events: the journal's packer takes a slow path for IntEnum members
_MAKER = int(Liquidity.MAKER)
_TAKER = int(Liquidity.TAKER)


class MatchingCore:
    """State and internal steps of ``sim.exchange.MatchingEngine`` (see there)."""

    def __init__(
        self,
        symbol: str,
        *,
        stp: str = "cancel_newest",
        venue: str = "X",
        session: object | None = None,
    ) -> None:
        if stp not in STP_POLICIES:
            raise ValueError(f"stp must be one of {sorted(STP_POLICIES)}, got {stp!r}")
        self.symbol = symbol
        self.venue = venue
        self.stp = stp
        self.session = session
        self._stp = STP_POLICIES[stp]
        self.book = Book()
        self._bids = self.book.bids
        self._asks = self.book.asks
        self._resting = self.book.orders  # oid -> Rec resting in the book (the book's own index)
        self._other: dict[str, Rec] = {}  # live records not in the book (trigger, auction, held)
        self._seen: set[str] = set()  # every client order id ever submitted
        self._seq = 0
        self.trades = 0
        self._tid = f"{venue}-{symbol}-"
        self._vid = f"{venue}-{symbol}-O"
        self.last_price: int | None = None
        self.positions: dict[object, int] = {}
        self._triggers = TriggerBook(self._other)
        self._fired: deque[Rec] = deque()  # triggered, waiting to be worked
        self._pending: list[Rec] = []  # records with links to follow after a sweep
        self._pos_dirty = False  # positions changed since reduce-only orders were checked
        self._ro: dict[object, dict[str, Rec]] = {}  # owner -> live reduce-only orders
        self._oco: dict[str, object] = {}  # oid -> OcoGroup
        self._parents: dict[str, Rec | None] = {}  # OTO parents (None: rejected)
        self._expiries: list[tuple[int, int, str]] = []  # heap (ts, n, oid)
        self._exp_n = 0
        self._auction_open: list[Rec] = []
        self._auction_close: list[Rec] = []
        self._is_open = True
        self._next_session = INF
        self._session_init = session is None
        self._next_due = 0 if session is not None else INF
        # why: one comparison on the hot paths: below it, nothing is due and the market is open
        self._fast_until = self._next_due

    def order(self, oid: str) -> Rec | None:
        """The live record of ``oid`` (read only), or None once it is closed."""
        return self._resting.get(oid) or self._other.get(oid)

    def _modify_problem(
        self, rec: Rec, qty: int | None, limit: int | None, stop: int | None
    ) -> str | None:
        if qty is not None and (not isinstance(qty, int) or qty <= rec.filled):
            return R_NOT_ABOVE_FILLED
        if limit is not None and rec.otype not in LIMIT_TYPES:
            return R_NO_LIMIT
        ext = rec.ext
        if stop is not None and (
            rec.otype not in TRIGGER_TYPES or ext is None or ext.triggered or rec.where == W_BOOK
        ):
            return R_NO_STOP
        if ext is not None:
            new_leaves = (rec.qty if qty is None else qty) - rec.filled
            if (
                ext.reduce_only
                and rec.where != W_HELD
                and new_leaves > exchange_links.ro_allowed(self, rec.owner, rec.side)
            ):
                return R_REDUCE_ONLY
            if (
                ext.post_only
                and limit is not None
                and self._is_open
                and rec.where == W_BOOK
                and self._would_take(rec.side, limit)
            ):
                return R_POST_ONLY
        return None

    def _would_take(self, side: int, price: int | None) -> bool:
        best = (self._asks if side == BUY else self._bids).best
        if best is None:
            return False
        return price is None or (price >= best if side == BUY else price <= best)

    def _route(self, rec: Rec, now: int, out: list) -> None:
        """Send an accepted (or released) record where it works: trigger, auction or book."""
        ext = rec.ext
        if rec.otype in TRIGGER_TYPES and not ext.triggered:  # type: ignore[union-attr]
            given = ext.stop  # type: ignore[union-attr]
            fired, stop = self._triggers.add(rec, self.last_price)
            if rec.otype == TRAILING_STOP and stop is not None and stop != given:
                out.append(OrderModified(rec.oid, None, None, stop, now, now))
            if fired:
                self._trigger(rec, now, out)
            else:
                rec.where = W_TRIGGER
                self._other[rec.oid] = rec
        elif rec.tif == OPG or rec.tif == CLS:
            self._collect(rec)
        else:
            self._work(rec, now, out)

    def _collect(self, rec: Rec) -> None:
        rec.where = W_AUCTION
        self._other[rec.oid] = rec
        (self._auction_close if rec.tif == CLS else self._auction_open).append(rec)

    def _trigger(self, rec: Rec, now: int, out: list) -> None:
        ext = rec.ext
        assert ext is not None
        self._other.pop(rec.oid, None)
        rec.where = W_NEW
        ext.triggered = True
        out.append(OrderTriggered(rec.oid, now, now))
        if ext.reduce_only and not exchange_links.ro_enforce(self, rec, now, out):
            return
        self._work(rec, now, out)

    def _work(self, rec: Rec, now: int, out: list) -> None:
        """Match a working order against the book; rest or cancel what is left."""
        if not self._is_open:
            if rec.tif == IOC or rec.tif == FOK:
                self._kill(rec, now, out, OrderCanceled)
            else:
                self._collect(rec)  # why: orders sent while closed wait for the opening auction
            return
        price = rec.price
        side = rec.side
        opp = self._asks if side == BUY else self._bids
        best = opp.best
        if best is not None and (
            price is None or (price >= best if side == BUY else price <= best)
        ):
            ext = rec.ext
            if (ext is not None and ext.post_only) or (
                rec.tif == FOK and not self._fok_ok(rec, opp)
            ):
                self._kill(rec, now, out, OrderCanceled)
                return
            if self._sweep(rec, opp, now, out):
                return
        if rec.filled == rec.qty:
            rec.where = W_DONE
        elif price is None or rec.tif == IOC or rec.tif == FOK:
            self._kill(rec, now, out, OrderCanceled)
        else:
            self._rest(rec)

    def _rest(self, rec: Rec) -> None:
        leaves = rec.qty - rec.filled
        display = rec.display
        if display is not None and display < leaves:
            rec.visible = display
            rec.hidden = leaves - display
        else:
            rec.visible = leaves
            rec.hidden = 0
        rec.live = True
        rec.where = W_BOOK
        (self._bids if rec.side == BUY else self._asks).add(rec)
        self._resting[rec.oid] = rec

    def _fok_ok(self, rec: Rec, opp: object) -> bool:
        """Whether a FOK order can fill completely now (self-trade prevention included)."""
        need = rec.qty - rec.filled
        limit, side, owner = rec.price, rec.side, rec.owner
        stp = self._stp if owner is not None else STP_NONE
        for level in opp.iter_levels():  # type: ignore[attr-defined]
            p = level.price
            if limit is not None and (p > limit if side == BUY else p < limit):
                return False
            if stp == STP_NONE:
                need -= level.size + level.hidden
            else:
                total = ahead = 0
                blocked = False
                for o in level.queue:
                    if not o.live:
                        continue
                    if o.owner == owner:
                        if stp == STP_OLDEST:
                            continue  # why: canceled when reached; the sweep goes on
                        blocked = True
                        break
                    total += o.visible + o.hidden
                    ahead += o.visible
                if blocked:
                    # why: icebergs ahead refill behind the own order, which stops the sweep
                    return need <= ahead
                need -= total
            if need <= 0:
                return True
        return False

    def _sweep(self, rec: Rec, opp: BookSide, now: int, out: list) -> bool:
        """Take liquidity for ``rec``; return True if self-trade prevention canceled it.

        The loop is ``BookSide.take`` inlined (same queue discipline: dead entries skipped at
        the front, an iceberg's refill to the back of its level) because this is the hot path:
        it saves two calls per fill (measured: see benches/). O(k) in the orders touched.
        """
        append = out.append
        sym = self.symbol
        tid = self._tid
        toid, tvoid, tside = rec.oid, rec.void, rec.side
        mside = -tside
        pos = self.positions
        resting = self._resting
        pending = self._pending
        levels = opp.levels
        key = opp._key
        limit = rec.price
        owner = rec.owner
        stp = self._stp if owner is not None else STP_NONE
        n = self.trades
        want = rec.qty - rec.filled
        taken = 0
        first: int | None = None
        last = 0
        canceled = False
        while taken < want:
            price = opp.best  # type: ignore[assignment]
            if price is None or (
                limit is not None and (price > limit if tside == BUY else price < limit)
            ):
                break
            level = levels[price * key]
            queue = level.queue
            while taken < want and level.count:
                o = queue[0]
                if not o.live:
                    queue.popleft()
                    continue
                if stp and o.owner == owner:
                    break
                lots = o.visible
                if lots > want - taken:
                    lots = want - taken
                o.visible -= lots
                level.size -= lots
                taken += lots
                if o.visible == 0:
                    queue.popleft()
                    if o.hidden:
                        # why: the refilled slice is a new display: it joins the back of the queue
                        refill = o.display if o.display < o.hidden else o.hidden
                        o.hidden -= refill
                        o.visible = refill
                        level.hidden -= refill
                        level.size += refill
                        queue.append(o)
                    else:
                        o.live = False
                        level.count -= 1
                        del resting[o.oid]
                        o.where = W_DONE
                n += 1
                t = tid + str(n)
                o.filled += lots
                append(OrderFilled(o.oid, o.void, t, sym, mside, price, lots, _MAKER, 0, now, now))
                append(OrderFilled(toid, tvoid, t, sym, tside, price, lots, _TAKER, 0, now, now))
                if o.ext is not None:
                    pending.append(o)
                mo = o.owner
                pos[mo] = pos.get(mo, 0) - tside * lots
                if first is None:
                    first = price
                last = price
            if level.count == 0:
                opp._drop(level)
                continue
            while not queue[0].live:
                queue.popleft()
            if taken >= want:
                break
            # the front order is the taker's own: self-trade prevention decides
            own = queue[0]
            if stp == STP_OLDEST:
                self._kill(own, now, out, OrderCanceled)
                continue
            if stp == STP_BOTH:
                self._kill(own, now, out, OrderCanceled)
            canceled = True
            break
        self.trades = n
        if taken:
            rec.filled += taken
            pos[owner] = pos.get(owner, 0) + tside * taken
            self.last_price = last
            self._pos_dirty = bool(self._ro)
            if rec.ext is not None:
                pending.append(rec)
        if canceled:
            self._kill(rec, now, out, OrderCanceled)
        if taken and (self._triggers.count or self._triggers.trailing):
            self._on_trades(first, last, now, out)  # type: ignore[arg-type]
        return canceled

    def _on_trades(self, first: int, last: int, now: int, out: list) -> None:
        fired, moved = self._triggers.fire(first, last)
        for rec in moved:
            out.append(OrderModified(rec.oid, None, None, rec.ext.stop, now, now))  # type: ignore[union-attr]
        for rec in fired:
            rec.where = W_FIRED
            self._fired.append(rec)

    def _kill(self, rec: Rec, now: int, out: list, event: type) -> None:
        """Take a live record out of wherever it is and report ``event`` (canceled/expired)."""
        where = rec.where
        if where == W_BOOK:
            del self._resting[rec.oid]
            (self._bids if rec.side == BUY else self._asks).remove(rec)
        elif where != W_NEW:
            self._other.pop(rec.oid, None)
            if where == W_TRIGGER:
                self._triggers.discard(rec)
            elif where == W_AUCTION:
                (self._auction_close if rec.tif == CLS else self._auction_open).remove(rec)
        rec.where = W_DONE
        out.append(event(rec.oid, now, now))
        if rec.ext is not None:
            self._pending.append(rec)

    def _settle(self, now: int, out: list) -> None:
        """Follow links, enforce reduce-only and work triggered orders until nothing is left."""
        while True:
            if self._pending:
                pending, self._pending = self._pending, []
                for rec in pending:
                    exchange_links.follow(self, rec, now, out)
            elif self._pos_dirty:
                self._pos_dirty = False
                exchange_links.ro_check_all(self, now, out)
            elif self._fired:
                rec = self._fired.popleft()
                if rec.where == W_FIRED:
                    self._trigger(rec, now, out)
            else:
                return

    def _run_due(self, now: int, out: list) -> None:
        """Process expiries and session events up to ``now`` in time order."""
        exchange_auction.run_due(self, now, out)

    def _push_expiry(self, ts: int, oid: str) -> None:
        self._exp_n += 1
        heapq.heappush(self._expiries, (ts, self._exp_n, oid))
        if ts < self._next_due:
            self._next_due = ts
            if self._is_open:
                self._fast_until = ts
