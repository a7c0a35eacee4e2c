"""The matching core of the exchange engine: the book, the live records, continuous matching.

``MatchingCore`` holds the book and the index of live records and the steps every entry point
shares: route an accepted order (trigger book, auction collection, or the book), work it against
the opposite side (FOK check, sweep with self-trade prevention, rest or cancel the rest), take a
record out of wherever it lives, and settle what a sweep left to do (closed reduce-only
orders, reduce-only checks, triggered orders, in that order, until nothing is left). Its
collaborators keep their own state and call it through ``sim.exchange_protocol``:
``sim.exchange_reduce_only.ReduceOnly`` and ``sim.exchange_auction.Auctions`` (sessions,
auctions, expiries); the trigger book is ``sim.triggers.TriggerBook``. The public API and the
rules in prose are in ``sim.exchange``.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from kernel.enums import Liquidity
from kernel.events import OrderCanceled, OrderFilled, OrderModified, OrderTriggered
from sim.book import Book, BookSide
from sim.exchange_auction import INF, Auctions
from sim.exchange_orders import (
    BUY,
    CLS,
    FOK,
    IOC,
    OPG,
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
    W_NEW,
    W_TRIGGER,
    Rec,
)
from sim.exchange_reduce_only import ReduceOnly
from sim.triggers import TriggerBook

if TYPE_CHECKING:
    from sim.session import Session

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
        session: Session | None = None,
    ) -> None:
        if stp not in STP_POLICIES:
            raise ValueError(f"stp must be one of {sorted(STP_POLICIES)}, got {stp!r}")
        self.symbol = symbol
        self.stp = stp
        self._stp = STP_POLICIES[stp]
        self.book = Book()
        self._bids = self.book.bids
        self._asks = self.book.asks
        self._resting = self.book.orders  # oid -> Rec resting in the book (the book's own index)
        self._other: dict[str, Rec] = {}  # live records not in the book (trigger, auction)
        self._seen: set[str] = set()  # every client order id ever submitted
        self._seq = 0
        self.trades = 0
        self._tid = f"{venue}-{symbol}-"
        self._vid = f"{venue}-{symbol}-O"
        self.last_price: int | None = None
        self.positions: dict[object, int] = {}
        self._triggers = TriggerBook(self._other)
        self._fired: deque[Rec] = deque()  # triggered, waiting to be worked
        self._pending: list[Rec] = []  # records with ``ext`` that filled or closed since settle
        self._pos_dirty = False  # positions changed since reduce-only orders were checked
        self._reduce = ReduceOnly(self)
        # why: the sweep asks "any reduce-only order?" once per taker; an alias of the index
        # (only ReduceOnly changes it) saves the lookup through the collaborator on the hot path
        self._ro = self._reduce.orders
        self._auctions = Auctions(self, session)
        self._next_due = 0 if session is not None else INF  # why: a first call sets up the session
        # why: one comparison on the hot paths: below it, nothing is due and the market is open
        self._fast_until = self._next_due

    def order(self, oid: str) -> Rec | None:
        """The live record of ``oid`` (read only), or None once it is closed."""
        return self._resting.get(oid) or self._other.get(oid)  # type: ignore[return-value]

    # --- the steps (work, kill and settle are also operations of sim.exchange_protocol) -------
    def route(self, rec: Rec, now: int, out: list) -> None:
        """Send an accepted record where it works: trigger, auction or book."""
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
            self.work(rec, now, out)

    def _collect(self, rec: Rec) -> None:
        rec.where = W_AUCTION
        self._other[rec.oid] = rec
        self._auctions.collect(rec)

    def _trigger(self, rec: Rec, now: int, out: list) -> None:
        ext = rec.ext
        assert ext is not None
        self._other.pop(rec.oid, None)
        rec.where = W_NEW
        ext.triggered = True
        out.append(OrderTriggered(rec.oid, now, now))
        if ext.reduce_only and not self._reduce.enforce(rec, now, out):
            return
        self.work(rec, now, out)

    def work(self, rec: Rec, now: int, out: list) -> None:
        """Match a working order against the book; rest or cancel what is left."""
        if not self._auctions.is_open:
            if rec.tif == IOC or rec.tif == FOK:
                self.kill(rec, now, out, OrderCanceled)
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
                self.kill(rec, now, out, OrderCanceled)
                return
            if self._sweep(rec, opp, now, out):
                return
        if rec.filled == rec.qty:
            rec.where = W_DONE
        elif price is None or rec.tif == IOC or rec.tif == FOK:
            self.kill(rec, now, out, OrderCanceled)
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
        key = opp.key
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
                opp.drop(level)
                continue
            while not queue[0].live:
                queue.popleft()
            if taken >= want:
                break
            # the front order is the taker's own: self-trade prevention decides
            own = queue[0]
            if stp == STP_OLDEST:
                self.kill(own, now, out, OrderCanceled)
                continue
            if stp == STP_BOTH:
                self.kill(own, now, out, OrderCanceled)
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
            self.kill(rec, now, out, OrderCanceled)
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

    def kill(self, rec: Rec, now: int, out: list, event: type) -> None:
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
                self._auctions.discard(rec)
        rec.where = W_DONE
        out.append(event(rec.oid, now, now))
        if rec.ext is not None:
            self._pending.append(rec)

    def settle(self, now: int, out: list) -> None:
        """Drop closed reduce-only orders from their index, enforce reduce-only and work
        triggered orders until nothing is left."""
        while True:
            if self._pending:
                pending, self._pending = self._pending, []
                for rec in pending:
                    self._reduce.closed(rec)
            elif self._pos_dirty:
                self._pos_dirty = False
                self._reduce.check_all(now, out)
            elif self._fired:
                rec = self._fired.popleft()
                if rec.where == W_FIRED:
                    self._trigger(rec, now, out)
            else:
                return

    # --- operations only the collaborators use (sim.exchange_protocol) ------------------------
    def detach(self, rec: Rec) -> None:
        """Take a collected record out of the index, to be worked."""
        del self._other[rec.oid]
        rec.where = W_NEW

    def shrink(self, rec: Rec, leaves: int) -> None:
        """Lower a live record's open quantity to ``leaves`` (a resting one keeps its place)."""
        if rec.where == W_BOOK:
            (self._bids if rec.side == BUY else self._asks).reduce(rec, leaves)
        rec.qty = rec.filled + leaves

    def cross(self, maker: Rec, taker: Rec, qty: int, price: int, now: int, out: list) -> None:
        """Execute ``qty`` between two live records at ``price`` outside a sweep (an auction)."""
        self.trades += 1
        tid = self._tid + str(self.trades)
        self._fill(maker, qty, price, tid, _MAKER, now, out)
        self._fill(taker, qty, price, tid, _TAKER, now, out)

    def _fill(self, r: Rec, qty: int, price: int, tid: str, liq: int, now: int, out: list) -> None:
        r.filled += qty
        out.append(
            OrderFilled(r.oid, r.void, tid, self.symbol, r.side, price, qty, liq, 0, now, now)
        )
        self.positions[r.owner] = self.positions.get(r.owner, 0) + r.side * qty
        leaves = r.qty - r.filled
        if r.where == W_BOOK:
            side = self._bids if r.side == BUY else self._asks
            if leaves == 0:
                del self._resting[r.oid]
                side.remove(r)
                r.where = W_DONE
            else:
                side.reduce(r, leaves)
        elif leaves == 0:
            del self._other[r.oid]
            r.where = W_DONE  # why: stays in its auction list until the leftovers are swept
        if r.ext is not None:
            self._pending.append(r)

    def traded(self, price: int, now: int, out: list) -> None:
        """Trades outside a sweep happened at ``price``: the last price; on ``settle``,
        reduce-only orders are re-checked and triggered orders worked."""
        self.last_price = price
        self._pos_dirty = bool(self._ro)
        if len(self._triggers):
            self._on_trades(price, price, now, out)

    # --- the clock ---------------------------------------------------------------------------
    def _run_due(self, now: int, out: list) -> None:
        """Process expiries and session events up to ``now`` in time order."""
        clock = self._auctions
        clock.run_due(now, out)
        self._next_due = due = clock.next_due()
        self._fast_until = due if clock.is_open else -1

    def _push_expiry(self, ts: int, oid: str) -> None:
        self._auctions.expire_at(ts, oid)
        if ts < self._next_due:
            self._next_due = ts
            if self._auctions.is_open:
                self._fast_until = ts
