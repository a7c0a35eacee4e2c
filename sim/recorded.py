"""Our orders against the recorded market: the contract's default fill rules, for one symbol.

The recorded market is never changed by our orders. What we take from it is remembered until
the data refreshes it (a new quote, the next trade, an update of that book level), so two of our
orders cannot both take the same displayed size. Quote sizes missing = unlimited at the touch.

Which data is "the touch" for an order that arrives: quotes if the symbol has quotes, else the
rebuilt L2 book, else the last trade (its price, up to its size), else bars (orders wait for the
next bar). Rules, numbered as in CONTRACT.md:

1. A marketable order (market, or a limit through the touch) fills at once at the opposite
   touch up to the available size (with a book: level by level, never past its limit). A market
   remainder fills at the touch of later data up to its size; a limit remainder rests at its
   limit (rule 2). IOC cancels what is left at once; FOK fills completely at once or is
   canceled with no fill. Post-only that would take is rejected, and so is a modify that would
   make a resting post-only order take (``OrderModifyRejected`` ``POST_ONLY_WOULD_TAKE``; the
   order keeps resting at its old price). An order that would trade with one of our own resting
   orders is canceled (self-trade prevention, cancel newest).
2. A resting limit fills at its own price when a later quote's opposite touch reaches it:
   completely when through (buy: ask < limit), up to the available size when at the limit
   (ask == limit); with a book, up to the size at prices at or through the limit. It also fills
   when a trade prints through it (buy: trade < limit), completely. A trade at exactly the limit
   fills up to the trade's size; with ``queue_position`` on, only once the size ahead of the
   order has traded. Size ahead at placement: the recorded size at that price on our side (the
   touch size when the price is the touch, 0 when the price improves the touch, the level size
   with a book) plus our own orders already there. When the data cannot tell (behind the quote
   touch without a book, trades alone) the order starts with the venue's
   ``queue_ahead_default``, and the first time the data shows the size at its level (the quote
   touch on its side at its price, or any L2 update) it takes that size: it joined the back of
   that queue. After that the size ahead shrinks by trades at the price and is capped by the
   level's size (``sim.recorded_queue``).
3. Stops trigger when the touch or a trade reaches the stop (buy: ask >= stop or trade >=
   stop; sell: bid <= stop or trade <= stop); MIT/LIT when it is touched from the other side
   (buy: ask <= trigger or trade <= trigger; sell: bid >= trigger or trade >= trigger). On
   arrival they are checked against the touch, whatever its data (the quote, the L2 book's best
   bid and ask, the last trade). Then they act as a market (stop, trailing stop, MIT) or limit
   (stop-limit, LIT) order from that moment. One triggered by a trade and acting as a market
   order fills at the worse for us of the trade's price and the touch (sell: min(trade, bid);
   buy: max(trade, ask); with a book, each level's price bounded so), up to the touch's size:
   a trade through the quote means the quote is stale. A trailing stop follows the best price
   seen since acceptance (sells: the highest bid or trade; buys: the lowest ask or trade), never
   moving back; percent offsets round the stop away from the market to a whole tick. Every new
   stop level is reported (``OrderModified`` with only ``stop_ticks``), so the kernel's order
   shows the current stop (``sim.recorded_triggers``).
4. Bars: see ``sim.bars``.
5. DAY orders expire at the session close after acceptance (no session: 00:00 UTC after the day
   of acceptance); GTD at ``expire_ns``. OPG orders execute at the first price of the session
   (the opposite touch of the first quote, the first trade or the first bar's open) and are
   rejected after the open; CLS at the last price at or before the close. A limit OPG/CLS that
   the price does not satisfy expires (``sim.recorded_time``).
6. Fees per fill: maker for fills of resting orders, taker for marketable fills.

Layout: ``RecordedMarket`` (here) holds the state and runs rules 1, 2 and 6; what "the touch"
is for each kind of data is a ``sim.recorded_touch.Touch``; conditional orders, queue position
and time live in ``sim.recorded_triggers``, ``sim.recorded_queue`` and ``sim.recorded_time``,
bars in ``sim.bars``. Those modules use the market's venue-internal methods (no underscore:
``fill``, ``rest``, ``execute``, ``cancel_now``, ``close``, ``detach``, ``emit``, ``settle``,
``would_self_trade``); the broker uses the entry points (``arrive``, ``cancel``, ``modify``,
``on_quote``, ``on_trade``, ``on_book``, ``next_wakeup``, ``wake``).
"""

from __future__ import annotations

from collections.abc import Callable

from kernel.enums import Liquidity, TimeInForce
from kernel.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderModified,
    OrderModifyRejected,
    OrderRejected,
    QuoteTick,
    TradeTick,
)
from kernel.orders import Order
from kernel.units import Instrument
from sim import recorded_l2, recorded_queue, recorded_time, recorded_triggers
from sim.book import Book, BookOrder
from sim.recorded_order import VOrder
from sim.recorded_touch import INF, L2, touch_for
from sim.recorded_triggers import AS_MARKET, check_all
from sim.session import Session

try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython

# plain ints in events: the journal's packer takes a slow path for IntEnum members
_MAKER = int(Liquidity.MAKER)
_TAKER = int(Liquidity.TAKER)
_GTC = TimeInForce.GTC
_GTD = TimeInForce.GTD
_IOC = TimeInForce.IOC
_FOK = TimeInForce.FOK
_OPG = TimeInForce.OPG
_CLS = TimeInForce.CLS


class RecordedMarket:
    """One symbol at one simulated venue: our orders, the recorded market, the fill rules.

    Reports (kernel order events, ``ts_event`` = venue time, commission set) accumulate in
    ``out``; each entry point (``arrive``, ``cancel``, ``modify``, ``on_quote``, ``on_trade``,
    ``on_book``, ``wake``; ``sim.bars.on_bar``) returns the reports it caused (None: none), and
    the caller (the broker, or the driver for data) sends them back through the latency queue. ``idle`` (nothing resting, pending or waiting)
    lets market data take a fast path that only remembers the touch. ``kind`` (quotes, book,
    trades, bars) picks ``touch``, what "the touch" is (``sim.recorded_touch``).

    ``parked``: the last quote the driver's quote loop handed over while the market was idle,
    without calling ``on_quote`` (W1: ~9% of a replay whose strategy does not trade). Its touch
    is read by ``unpark``, which every other entry point calls first; each entry point then sets
    ``now`` itself, so the result is the same as reading every quote.
    """

    __slots__ = (
        "ask",
        "ask_avail",
        "bar_wait",
        "bid",
        "bid_avail",
        "book",
        "cls",
        "expiries",
        "fee",
        "idle",
        "inst",
        "kind",
        "l2",
        "last_avail",
        "last_bar_close",
        "last_px",
        "next_id",
        "next_open",
        "now",
        "opg",
        "orders",
        "out",
        "parked",
        "pending",
        "position",
        "queue_ahead_default",
        "queue_position",
        "seq",
        "session",
        "stops",
        "symbol",
        "touch",
        "trade_is_touch",
        "venue",
        "waits_for_bar",
    )

    def __init__(
        self,
        instrument: Instrument,
        venue: str,
        kind: str,
        *,
        fee: Callable[[Instrument, int, int, bool], int],
        next_id: Callable[[str], str],
        queue_position: bool = False,
        queue_ahead_default: int = 0,
        session: Session | None = None,
    ) -> None:
        self.inst = instrument
        self.queue_ahead_default = queue_ahead_default
        self.symbol = instrument.symbol
        self.venue = venue
        self.kind = kind
        self.touch = touch = touch_for(kind)
        self.waits_for_bar = touch.waits_for_bar
        self.trade_is_touch = touch.trade_is_touch
        self.fee = fee
        self.next_id = next_id
        self.queue_position = queue_position
        self.session = session
        self.book = Book()
        self.orders: dict[str, VOrder] = {}
        self.pending: list[VOrder] = []  # market orders (or triggered stops) waiting for size
        self.stops: list[VOrder] = []  # conditional orders not yet triggered
        self.opg: list[VOrder] = []
        self.cls: list[VOrder] = []
        self.bar_wait: list[VOrder] = []  # bars: orders not yet eligible
        self.expiries: list[tuple[int, int, str]] = []
        self.seq = 0
        self.out: list = []
        self.now = 0
        self.position = 0
        # the recorded market as last seen (sizes None = unlimited)
        self.bid: int | None = None
        self.ask: int | None = None
        self.bid_avail: int | None = None  # what is left of the touch size for us
        self.ask_avail: int | None = None
        self.last_px: int | None = None
        self.last_avail = 0
        self.l2: L2 | None = None
        self.next_open: int | None = None
        self.last_bar_close: int | None = None
        self.idle = True
        self.parked: QuoteTick | None = None  # not read yet (see the class docstring)

    @cython.locals(q=QuoteTick)
    def unpark(self) -> None:
        """Take in the touch of the quote parked while the market was idle."""
        q = self.parked
        assert q is not None
        self.parked = None
        self.bid = q.bid_ticks
        self.ask = q.ask_ticks
        self.bid_avail = q.bid_lots
        self.ask_avail = q.ask_lots

    def settle(self) -> list | None:
        """End of an entry point: recompute ``idle``; return the reports (None: none)."""
        self.idle = not (
            self.book.orders
            or self.pending
            or self.stops
            or self.opg
            or self.cls
            or self.bar_wait
            or self.next_open is not None
        )
        out = self.out
        if out:
            self.out = []
            return out
        return None

    # --- venue-internal: used by sim.bars and the sim.recorded_* modules -------------------------
    def emit(self, ev) -> None:  # type: ignore[no-untyped-def]
        self.out.append(ev)

    @cython.locals(vo=VOrder)
    def fill(self, vo: VOrder, px: int, lots: int, liquidity: int) -> None:
        if vo.reduce_only:
            pos = self.position
            room = abs(pos) if pos and (pos > 0) != (vo.side > 0) else 0
            if room == 0:
                self.cancel_now(vo)  # why: nothing left to reduce; it must not open a position
                return
            lots = min(lots, room)
        vo.filled += lots
        self.position += vo.side * lots
        now = self.now
        commission = self.fee(self.inst, px, lots, liquidity == _MAKER)
        self.out.append(
            OrderFilled(
                vo.oid,
                vo.vid,
                self.next_id("t"),
                self.symbol,
                vo.side,
                px,
                lots,
                liquidity,
                commission,
                now,
                now,
            )
        )
        if vo.filled >= vo.qty:
            self.close(vo)
        elif vo.reduce_only and self.position == 0:
            self.cancel_now(vo)

    @cython.locals(vo=VOrder)
    def close(self, vo: VOrder) -> None:
        vo.closed = True
        self.orders.pop(vo.oid, None)
        if vo.book_order is not None:
            bo = self.book.orders.get(vo.oid)
            if bo is not None and bo.live:
                self.book.remove(vo.oid)
            else:
                self.book.forget(vo.oid)
            vo.book_order = None

    @cython.locals(vo=VOrder)
    def cancel_now(self, vo: VOrder) -> None:
        if vo.book_order is None:
            self.detach(vo)  # why: a resting order is in none of the waiting lists
        self.close(vo)
        self.out.append(OrderCanceled(vo.oid, self.now, self.now))

    def detach(self, vo: VOrder) -> None:
        for lst in (self.pending, self.stops, self.opg, self.cls, self.bar_wait):
            if vo in lst:
                lst.remove(vo)

    # --- commands -----------------------------------------------------------------------------
    def arrive(self, order: Order, now: int) -> list | None:
        """An order reached the venue (rule 1, 3 and 5 at arrival)."""
        if self.parked is not None:
            self.unpark()
        self._arrive(order, now)
        return self.settle()

    @cython.locals(vo=VOrder, order=Order)
    def _arrive(self, order: Order, now: int) -> None:
        self.now = now
        self.seq += 1
        vo = VOrder(order, self.next_id("o"), now)
        reason = self._refuse(vo, now)
        if reason is not None:
            self.out.append(OrderRejected(vo.oid, reason, now, now))
            return
        self.orders[vo.oid] = vo
        self.out.append(OrderAccepted(vo.oid, vo.vid, now, now))
        tif = vo.tif
        if tif is not _GTC and tif is not _IOC and tif is not _FOK:
            recorded_time.schedule_expiry(self, vo, now)
        if tif is _OPG:
            self.opg.append(vo)
        elif tif is _CLS:
            self.cls.append(vo)
        elif self.waits_for_bar:
            self.bar_wait.append(vo)
        elif not vo.triggered:
            recorded_triggers.arrive(self, vo)
        else:
            self.execute(vo)

    @cython.locals(vo=VOrder)
    def _refuse(self, vo: VOrder, now: int) -> str | None:
        if vo.oid in self.orders:
            return "DUPLICATE_CLIENT_ORDER_ID"
        if vo.reduce_only and (self.position == 0 or (self.position > 0) == (vo.side > 0)):
            return "REDUCE_ONLY"
        tif = vo.tif
        if tif is _GTD and vo.expire_ns is not None and vo.expire_ns <= now:
            return "GTD_EXPIRED"
        if tif is _OPG and (self.session is None or self.session.is_open(now)):
            return "OPG_AFTER_OPEN" if self.session is not None else "NO_SESSION"
        if tif is _CLS and self.session is None:
            return "NO_SESSION"
        if vo.post_only and self._crosses(vo.side, vo.limit):
            return "POST_ONLY_WOULD_TAKE"  # why: bars show no touch: never refused there
        return None

    def _crosses(self, side: int, limit: int | None) -> bool:
        touch = self.touch.opposite(self, side)
        if touch is None:
            return False
        return limit is None or (touch <= limit if side > 0 else touch >= limit)

    def cancel(self, oid: str, now: int) -> list | None:
        if self.parked is not None:
            self.unpark()
        self.now = now
        vo = self.orders.get(oid)
        if vo is None:
            self.out.append(OrderCancelRejected(oid, "UNKNOWN_OR_CLOSED_ORDER", now, now))
        else:
            self.cancel_now(vo)
        return self.settle()

    def modify(
        self, oid: str, qty: int | None, limit: int | None, stop: int | None, now: int
    ) -> list | None:
        """Quantity down keeps queue priority; a price change or an increase loses it."""
        if self.parked is not None:
            self.unpark()
        self._modify(oid, qty, limit, stop, now)
        return self.settle()

    def _modify(
        self, oid: str, qty: int | None, limit: int | None, stop: int | None, now: int
    ) -> None:
        self.now = now
        vo = self.orders.get(oid)
        reason = None
        if vo is None:
            reason = "UNKNOWN_OR_CLOSED_ORDER"
        elif qty is not None and qty <= vo.filled:
            reason = "QUANTITY_BELOW_FILLED"
        elif (limit is not None and vo.limit is None) or (
            stop is not None and vo.stop is None and vo.otype != recorded_triggers.TRAILING_STOP
        ):
            reason = "NO_SUCH_PRICE"
        elif (
            vo.post_only
            and limit is not None
            and vo.book_order is not None
            and self._crosses(vo.side, limit)
        ):
            reason = "POST_ONLY_WOULD_TAKE"  # why: as on arrival; it keeps resting as it was
        if reason is not None:
            self.out.append(OrderModifyRejected(oid, reason, now, now))
            return
        assert vo is not None
        bo = vo.book_order
        keeps = limit in (None, vo.limit) and (qty is None or qty <= vo.qty)
        if bo is not None and keeps and qty is not None and qty < vo.qty:
            self.book.side(vo.side).reduce(self.book.orders[oid], qty - vo.filled)
        vo.qty = qty if qty is not None else vo.qty
        vo.limit = limit if limit is not None else vo.limit
        vo.stop = stop if stop is not None else vo.stop
        self.out.append(OrderModified(oid, qty, limit, stop, now, now))
        if bo is not None and not keeps:
            self.book.remove(oid)
            vo.book_order = None
            self.execute(vo)
        elif not vo.triggered:
            recorded_triggers.recheck(self, vo)

    # --- execution ----------------------------------------------------------------------------
    @cython.locals(vo=VOrder)
    def execute(self, vo: VOrder, worst: int | None = None) -> None:
        """Fill what the current market allows (taker), then rest, wait or cancel the rest.

        ``worst``: the trade that triggered ``vo``; no fill is better for us than it (rule 3).
        """
        limit = None if vo.otype in AS_MARKET else vo.limit
        if self._self_trade(vo, limit):
            self.cancel_now(vo)
            return
        tif = vo.tif
        if tif is _FOK and self.touch.fillable(self, vo.side, limit) < vo.qty - vo.filled:
            self.cancel_now(vo)
            return
        self.touch.take(self, vo, limit, worst)
        if vo.closed:
            return
        if tif is _IOC or tif is _FOK or self.would_self_trade(vo, limit):
            # why: what is left would meet our own resting order next: cancel the newest
            self.cancel_now(vo)
        elif limit is None:
            self.pending.append(vo)
        else:
            self.rest(vo)

    @cython.locals(vo=VOrder)
    def _self_trade(self, vo: VOrder, limit: int | None) -> bool:
        """Would ``vo`` meet one of our own resting orders before the recorded market?

        Only when our opposite order is at least as good as the recorded touch (it would be
        the best price in the real book) and ``vo``'s limit reaches it.
        """
        buy = vo.side > 0
        mine = self.book.asks.best if buy else self.book.bids.best
        if mine is None:
            return False
        touch = self.touch.displayed(self, vo.side)
        if touch is not None and (mine > touch if buy else mine < touch):
            return False
        return limit is None or (mine <= limit if buy else mine >= limit)

    @cython.locals(vo=VOrder)
    def would_self_trade(self, vo: VOrder, limit: int | None) -> bool:
        """Would the remainder of ``vo``, resting or waiting, cross our own opposite order?"""
        mine = self.book.asks.best if vo.side > 0 else self.book.bids.best
        if mine is None:
            return False
        return limit is None or (mine <= limit if vo.side > 0 else mine >= limit)

    @cython.locals(vo=VOrder)
    def rest(self, vo: VOrder) -> None:
        price: int = vo.limit  # type: ignore[assignment]
        bo = BookOrder(vo.oid, vo.side, price, vo.qty - vo.filled, vo.display, vo, self.seq)
        vo.book_order = bo
        if self.queue_position:
            recorded_queue.place(self, vo, self.book.side(vo.side).level(price))
        self.book.add(bo)

    # --- market data ----------------------------------------------------------------------------
    @cython.locals(q=QuoteTick, book=Book)
    def on_quote(self, q) -> list | None:  # type: ignore[no-untyped-def]
        """A recorded quote (``QuoteTick``): remember the touch; fill what it reaches (rule 2)."""
        self.parked = None  # why: this quote is newer than one parked
        now = q.ts_event
        self.now = now
        bid = q.bid_ticks
        ask = q.ask_ticks
        self.bid = bid
        self.ask = ask
        self.bid_avail = q.bid_lots
        self.ask_avail = q.ask_lots
        if self.idle:
            return
        if self.next_open is not None and now >= self.next_open:
            recorded_time.open_auction(self)
        book = self.book
        if self.pending:
            self.serve_pending()
        if book.bids.best is not None and book.bids.best >= ask:
            self._sweep(book.bids, ask, q.ask_lots, trade=False)
        if book.asks.best is not None and book.asks.best <= bid:
            self._sweep(book.asks, bid, q.bid_lots, trade=False)
        if self.stops:
            check_all(self, bid, ask, None)
        if self.queue_position and book.orders:
            recorded_queue.on_quote(self)
        return self.settle()

    @cython.locals(t=TradeTick, book=Book)
    def on_trade(self, t) -> list | None:  # type: ignore[no-untyped-def]
        """A recorded trade (``TradeTick``): the last price; fills through or at limits."""
        if self.parked is not None:
            self.unpark()
        now = t.ts_event
        px = t.price_ticks
        size = t.size_lots
        self.now = now
        self.last_px = px
        self.last_avail = size
        if self.idle:
            return
        if self.next_open is not None and now >= self.next_open:
            recorded_time.open_auction(self)
        if self.trade_is_touch and self.pending:
            self.serve_pending()
        book = self.book
        if book.bids.best is not None and book.bids.best >= px:
            self._sweep(book.bids, px, size, trade=True)
        if book.asks.best is not None and book.asks.best <= px:
            self._sweep(book.asks, px, size, trade=True)
        if self.stops:
            check_all(self, None, None, px)
        return self.settle()

    @cython.locals(vo=VOrder)
    def serve_pending(self) -> None:
        take = self.touch.take
        for vo in list(self.pending):
            if vo.closed:
                continue
            take(self, vo, None, None)
            if vo.closed and vo in self.pending:
                self.pending.remove(vo)

    def _sweep(self, side_book, touch: int, touch_size: int | None, trade: bool) -> None:  # type: ignore[no-untyped-def]
        """Rule 2: fill our resting orders on one side against the touch (or a trade)."""
        buy = side_book.side > 0
        through = touch + 1 if buy else touch - 1
        filled: list[tuple[VOrder, int, int]] = []

        def on_fill(bo: BookOrder, lots: int, price: int) -> None:
            filled.append((bo.owner, lots, price))  # type: ignore[arg-type]

        side_book.take(through, INF, on_fill)
        level = side_book.level(touch)
        if level is not None:
            if trade and self.queue_position:
                recorded_queue.on_trade_at(self, level, touch_size or 0, filled)
            elif trade:
                got = side_book.take(touch, touch_size or 0, on_fill)
                self.last_avail -= got
            else:
                # at the limit: up to what is left of the touch size (None: unlimited)
                avail = self.ask_avail if buy else self.bid_avail
                room = INF if avail is None else max(avail, 0)
                if room:
                    got = side_book.take(touch, room, on_fill)
                    if avail is not None:
                        if buy:
                            self.ask_avail = avail - got
                        else:
                            self.bid_avail = avail - got
        for vo, lots, price in filled:
            self.fill_resting(vo, lots, price)

    def fill_resting(self, vo: VOrder, lots: int, price: int) -> None:
        bo = self.book.orders.get(vo.oid)
        if bo is not None and not bo.live:
            self.book.forget(vo.oid)
            vo.book_order = None
        self.fill(vo, price, lots, _MAKER)

    # --- L2 book (book data: sim.recorded_l2) ---------------------------------------------------------
    def on_book(self, u) -> list | None:  # type: ignore[no-untyped-def]
        """A recorded L2 update (``BookUpdate``): rebuild the book; fill what it reaches."""
        if self.parked is not None:
            self.unpark()
        recorded_l2.on_book(self, u)
        return self.settle()

    # --- time (rule 5: sim.recorded_time) ------------------------------------------------------
    def next_wakeup(self) -> int | None:
        return recorded_time.next_wakeup(self)

    def wake(self, now: int) -> list | None:
        """Expire what is due; run the closing auction for CLS orders."""
        if self.parked is not None:
            self.unpark()
        recorded_time.wake(self, now)
        return self.settle()

    def _check(self) -> None:
        if self.parked is not None:
            self.unpark()
        self.book._check()
        for vo in self.orders.values():
            assert not vo.closed and 0 <= vo.filled < vo.qty, vo.oid
        for bo in self.book.orders.values():
            assert bo.owner.oid in self.orders  # type: ignore[attr-defined]
