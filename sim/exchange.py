"""The exchange-mode matching engine: every participant's orders in one L3 book, price-time.

Rules (in exchange mode the market *is* this book):

- An incoming order matches the opposite side from the best price outward, first come first
  served within a price; every execution is at the resting (maker) order's price and produces
  two ``OrderFilled`` reports of equal size, MAKER and TAKER, with one venue trade id
  ``f"{venue}-{symbol}-{n}"``. What is left of a limit rests (DAY, GTC, GTD); of a market, IOC or
  FOK order is canceled. FOK checks the liquidity at acceptable prices first and then fills
  completely or not at all. Post-only that would take is rejected.
- Modify: a quantity reduction keeps time priority; a price change or a quantity increase
  loses it (the order goes to the back of the queue) and an order that becomes marketable
  matches. The kernel's ``ModifyOrder`` semantics: ``quantity_lots`` is the new total quantity.
- Self-trade prevention by ``owner`` (the kernel path uses the strategy id): two orders of the
  same owner never trade. ``cancel_newest`` cancels the rest of the incoming order,
  ``cancel_oldest`` the resting one (matching goes on), ``cancel_both`` both; ``none`` lets them
  trade. An owner of None never matches another owner for this purpose.
- Stops, stop-limits and trailing stops trigger on the last trade (buy: trade >= stop, sell:
  trade <= stop), MIT and LIT the other way (buy: trade <= trigger, sell: trade >= trigger);
  then they work as a market (stop, trailing stop, MIT) or limit (stop-limit, LIT) order. A
  stop is triggered on arrival when the last trade is already through it. See ``sim.triggers``.
- Time: DAY expires at the session close (no session: the next 00:00 UTC), GTD at
  ``expire_ns``. Every call first processes what fell due up to its ``now_ns`` (expiries and
  session open/close, in time order; at equal times the session event first); those events are
  stamped with the time they fell due. ``next_due_ns()`` tells a driver when to call.
- Admission (what a new order is checked for, in which order): see ``sim.exchange_entry``.
  Sessions and auctions: see ``sim.exchange_auction``. Reduce-only: see
  ``sim.exchange_reduce_only``.
- Contingent orders (OCO, OTO, brackets) are the kernel's, emulated on every venue: the engine
  has none, and ``submit`` ignores a kernel order's links (``linked_ids``, ``parent_id``,
  ``child_ids``).

Events are returned as a list per call, in the order they happened; ``commission`` is 0 (the
broker layer charges fees). Kernel ``Order`` objects are read, never mutated.

Structure: ``MatchingEngine`` (this public API and its hot paths) extends
``sim.exchange_entry.OrderEntry`` (admission), which extends ``sim.matching.MatchingCore`` (the
book, the live records, continuous matching). The reduce-only index, the clock-driven side and
the trigger book are collaborators with their own state (``ReduceOnly``, ``Auctions``,
``TriggerBook``); the first two call the engine only through ``sim.exchange_protocol``.
"""

from __future__ import annotations

from kernel.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderModified,
    OrderModifyRejected,
    OrderRejected,
)
from kernel.orders import Order
from sim.exchange_auction import INF
from sim.exchange_entry import OrderEntry
from sim.exchange_orders import (
    BUY,
    GTC,
    LIMIT,
    MARKET,
    R_ORDER_CLOSED,
    R_UNKNOWN_ORDER,
    R_WRONG_SYMBOL,
    TRAILING_STOP,
    W_AUCTION,
    W_BOOK,
    W_DONE,
    W_TRIGGER,
    Rec,
)


class MatchingEngine(OrderEntry):
    """One instrument's exchange: a limit order book of all participants' orders.

    Parameters: ``symbol``; ``stp`` the self-trade prevention policy (``cancel_newest``,
    ``cancel_oldest``, ``cancel_both``, ``none``); ``venue`` (used in trade and order ids);
    ``session`` a ``sim.session.Session`` or None (always open, DAY = UTC day).

    Every mutating call takes ``now_ns`` and returns the events it caused: ``OrderAccepted``,
    ``OrderRejected(reason)``, ``OrderTriggered``, ``OrderFilled`` (maker then taker report per
    trade), ``OrderCanceled``, ``OrderExpired``, ``OrderModified`` (a confirmed modify, a
    reduce-only trim, a trailing stop that moved: new stop in ``stop_ticks``),
    ``OrderCancelRejected(reason)``, ``OrderModifyRejected(reason)``.

    Ids: venue order ids are ``f"{venue}-{symbol}-O{n}"``, trade ids ``f"{venue}-{symbol}-{n}"``,
    both from counters, so the same calls always give the same ids. A client order id can be
    used once (a retry is ``DUPLICATE_ORDER_ID``, and the first order is untouched).

    State for callers: ``last_price`` (last trade, ticks), ``positions`` (net lots per owner
    from this engine's fills), ``trades`` (executions so far), ``book`` (the ``sim.book.Book``;
    its ``orders`` index holds exactly the resting orders). Complexity: a resting add O(1) (new
    level O(log L)), a cancel O(1) amortized, a sweep O(k) in the orders it touches.
    """

    # --- public API -----------------------------------------------------------------------------
    def submit(self, order: Order, now_ns: int, owner: object = None) -> list:
        """Accept a kernel ``Order`` (read only); ``owner`` defaults to its strategy id."""
        o = order
        if o.symbol != self.symbol:
            return [OrderRejected(o.client_order_id, R_WRONG_SYMBOL, now_ns, now_ns)]
        return self.submit_order(
            o.client_order_id,
            o.strategy_id if owner is None else owner,
            int(o.side),
            int(o.order_type),
            o.quantity,
            now_ns,
            limit_ticks=o.limit_ticks,
            stop_ticks=o.stop_ticks,
            trail_ticks=o.trail_ticks,
            trail_ppm=o.trail_ppm,
            tif=int(o.time_in_force),
            expire_ns=o.expire_ns,
            post_only=o.post_only,
            reduce_only=o.reduce_only,
            display_lots=o.display_lots,
        )

    def submit_order(
        self,
        oid: str,
        owner: object,
        side: int,
        order_type: int,
        qty: int,
        now_ns: int,
        *,
        limit_ticks: int | None = None,
        stop_ticks: int | None = None,
        trail_ticks: int | None = None,
        trail_ppm: int | None = None,
        tif: int = GTC,
        expire_ns: int | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
        display_lots: int | None = None,
    ) -> list:
        """Submit any order from plain fields (ints as in ``kernel.enums``); the general path."""
        out: list = []
        if now_ns >= self._next_due:
            self._run_due(now_ns, out)
        self._admit(
            out,
            now_ns,
            oid,
            owner,
            side,
            order_type,
            qty,
            limit_ticks,
            stop_ticks,
            trail_ticks,
            trail_ppm,
            tif,
            expire_ns,
            post_only,
            reduce_only,
            display_lots,
        )
        self.settle(now_ns, out)
        return out

    def submit_limit(
        self,
        oid: str,
        owner: object,
        side: int,
        qty: int,
        price_ticks: int,
        now_ns: int,
        tif: int = GTC,
        display_lots: int | None = None,
        post_only: bool = False,
    ) -> list:
        """Submit a limit order without building a kernel ``Order`` (the hot path).

        Trusts its argument types (int ticks and lots, ``side`` +1/-1); anything but a plain GTC
        limit in an open market takes the general path of ``submit_order``.
        """
        seen = self._seen
        if (
            now_ns >= self._fast_until
            or tif != GTC
            or post_only
            or display_lots is not None
            or qty <= 0
            or oid in seen
        ):
            return self.submit_order(
                oid,
                owner,
                side,
                LIMIT,
                qty,
                now_ns,
                limit_ticks=price_ticks,
                tif=tif,
                post_only=post_only,
                display_lots=display_lots,
            )
        seen.add(oid)
        self._seq = seq = self._seq + 1
        vid = self._vid + str(seq)
        rec = Rec(oid, side, price_ticks, qty, None, owner, seq, LIMIT, GTC, vid)
        out = [OrderAccepted(oid, vid, now_ns, now_ns)]
        opp = self._asks if side == BUY else self._bids
        best = opp.best
        if best is not None and (price_ticks >= best if side == BUY else price_ticks <= best):
            if not self._sweep(rec, opp, now_ns, out):
                if rec.filled < qty:
                    self._rest(rec)
                else:
                    rec.where = W_DONE
            if self._pending or self._fired or self._pos_dirty:
                self.settle(now_ns, out)
        else:
            # why: inline _rest: a non-marketable limit is most of the flow on a real venue
            rec.visible = qty
            rec.live = True
            rec.where = W_BOOK
            (self._bids if side == BUY else self._asks).add(rec)
            self._resting[oid] = rec
        return out

    def submit_market(self, oid: str, owner: object, side: int, qty: int, now_ns: int) -> list:
        """Submit a market order (what cannot fill at once is canceled); the hot path."""
        if now_ns >= self._fast_until or qty <= 0 or oid in self._seen:
            return self.submit_order(oid, owner, side, MARKET, qty, now_ns)
        self._seen.add(oid)
        self._seq = seq = self._seq + 1
        vid = self._vid + str(seq)
        rec = Rec(oid, side, None, qty, None, owner, seq, MARKET, GTC, vid)
        out = [OrderAccepted(oid, vid, now_ns, now_ns)]
        opp = self._asks if side == BUY else self._bids
        if (opp.best is None or not self._sweep(rec, opp, now_ns, out)) and rec.filled < qty:
            out.append(OrderCanceled(oid, now_ns, now_ns))
        rec.where = W_DONE
        if self._pending or self._fired or self._pos_dirty:
            self.settle(now_ns, out)
        return out

    def cancel(self, oid: str, now_ns: int) -> list:
        """Cancel an order; ``OrderCancelRejected`` if it is unknown or already closed."""
        out: list = []
        if now_ns >= self._next_due:
            self._run_due(now_ns, out)
        rec = self._resting.pop(oid, None)
        if rec is not None:
            (self._bids if rec.side == BUY else self._asks).remove(rec)
            rec.where = W_DONE
            out.append(OrderCanceled(oid, now_ns, now_ns))
            if rec.ext is not None:
                self._pending.append(rec)
                self.settle(now_ns, out)
            return out
        rec = self._other.get(oid)
        if rec is None:
            reason = R_ORDER_CLOSED if oid in self._seen else R_UNKNOWN_ORDER
            out.append(OrderCancelRejected(oid, reason, now_ns, now_ns))
            return out
        self.kill(rec, now_ns, out, OrderCanceled)
        self.settle(now_ns, out)
        return out

    def modify(
        self,
        oid: str,
        quantity_lots: int | None,
        limit_ticks: int | None,
        stop_ticks: int | None,
        now_ns: int,
    ) -> list:
        """Change quantity (new total) and/or prices; None keeps a value."""
        out: list = []
        if now_ns >= self._next_due:
            self._run_due(now_ns, out)
        rec = self._resting.get(oid) or self._other.get(oid)
        reason = None
        if rec is None:
            reason = R_ORDER_CLOSED if oid in self._seen else R_UNKNOWN_ORDER
        else:
            reason = self._modify_problem(rec, quantity_lots, limit_ticks, stop_ticks)
        if reason is not None:
            out.append(OrderModifyRejected(oid, reason, now_ns, now_ns))
            return out
        assert rec is not None
        out.append(OrderModified(oid, quantity_lots, limit_ticks, stop_ticks, now_ns, now_ns))
        new_qty = rec.qty if quantity_lots is None else quantity_lots
        new_price = rec.price if limit_ticks is None else limit_ticks
        where = rec.where
        if where == W_BOOK:
            if new_price == rec.price and new_qty <= rec.qty:
                if new_qty < rec.qty:
                    (self._bids if rec.side == BUY else self._asks).reduce(
                        rec, new_qty - rec.filled
                    )
                    rec.qty = new_qty
            else:
                (self._bids if rec.side == BUY else self._asks).remove(rec)
                del self._resting[oid]
                rec.where = W_DONE  # why: replaced by a new record (the book never revives one)
                self._seq += 1
                new = rec.requeued(self._seq)
                new.qty, new.price = new_qty, new_price
                self._reduce.replace(rec, new)
                self.work(new, now_ns, out)
        else:
            loses_priority = new_price != rec.price or new_qty > rec.qty or stop_ticks is not None
            rec.qty, rec.price = new_qty, new_price
            if stop_ticks is not None:
                rec.ext.stop = stop_ticks  # type: ignore[union-attr]
            if loses_priority:
                self._seq += 1
                if where == W_TRIGGER:
                    self._triggers.discard(rec)
                    rec.seq = self._seq
                    del self._other[oid]
                    self.route(rec, now_ns, out)
                else:
                    rec.seq = self._seq
        self.settle(now_ns, out)
        return out

    def advance_time(self, now_ns: int) -> list:
        """Process expiries and session events due at or before ``now_ns``."""
        out: list = []
        if now_ns >= self._next_due:
            self._run_due(now_ns, out)
        return out

    def print_trade(self, price_ticks: int, now_ns: int) -> list:
        """Take a trade printed outside this book (recorded data) as the last price: stops,
        trailing stops, MIT and LIT orders see it as one of the book's own trades."""
        out: list = []
        if now_ns >= self._next_due:
            self._run_due(now_ns, out)
        self.last_price = price_ticks
        if self._triggers.count or self._triggers.trailing:
            self._on_trades(price_ticks, price_ticks, now_ns, out)
        self.settle(now_ns, out)
        return out

    def forget(self, oid: str) -> None:
        """Drop a closed order's id from the duplicate check: for venue-internal ids that are
        never sent again (exchange mode's background orders), so memory stays flat."""
        if self.order(oid) is None:
            self._seen.discard(oid)

    def run_auction(self, now_ns: int, kind: str | None = None) -> list:
        """Uncross the collected auction orders (``"open"``, ``"close"`` or None: all) now."""
        out: list = []
        if now_ns >= self._next_due:
            self._run_due(now_ns, out)
        self._auctions.run(kind, now_ns, out)
        self.settle(now_ns, out)
        return out

    def next_due_ns(self) -> int | None:
        """When the next expiry or session event falls due (None: nothing scheduled)."""
        due = self._next_due
        return None if due >= INF else due

    # --- queries --------------------------------------------------------------------------------
    @property
    def best_bid(self) -> int | None:
        return self._bids.best

    @property
    def best_ask(self) -> int | None:
        return self._asks.best

    def depth(self, levels: int = 10) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Visible ``(price, lots)`` of the best levels: (bids, asks)."""
        return self._bids.depth(levels), self._asks.depth(levels)

    def _check(self) -> None:
        """Invariants, for tests: call after every step."""
        self.book._check()
        bid, ask = self._bids.best, self._asks.best
        assert bid is None or ask is None or bid < ask, f"crossed at rest: {bid} >= {ask}"
        for oid, r in self._resting.items():
            assert r.where == W_BOOK and r.live and r.oid == oid, r
            assert r.visible + r.hidden == r.qty - r.filled > 0, r
        n_trig = n_auction = 0
        for oid, r in self._other.items():
            assert oid not in self._resting and r.oid == oid, r
            assert r.where in (W_TRIGGER, W_AUCTION), r
            assert not r.live and r.qty - r.filled > 0, r
            if r.where == W_TRIGGER:
                n_trig += 1
                if r.otype == TRAILING_STOP:
                    assert self._triggers.trailing.get(oid) is r, r
            n_auction += r.where == W_AUCTION
        assert n_trig == len(self._triggers), (n_trig, len(self._triggers))
        collected = self._auctions.collected()
        assert len(collected) == n_auction and all(r.where == W_AUCTION for r in collected)
        assert sum(self.positions.values()) == 0, self.positions
        assert not self._pending and not self._fired
        for recs in self._ro.values():
            for oid, r in recs.items():
                assert r.where == W_DONE or self.order(oid) is r, r
