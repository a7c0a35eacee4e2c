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
   canceled with no fill. Post-only that would take is rejected. An order that would trade
   with one of our own resting orders is canceled (self-trade prevention, cancel newest).
2. A resting limit fills at its own price when a later quote's opposite touch reaches it:
   completely when through (buy: ask < limit), up to the available size when at the limit
   (ask == limit); with a book, up to the size at prices at or through the limit. It also fills
   when a trade prints through it (buy: trade < limit), completely. A trade at exactly the limit
   fills up to the trade's size; with ``queue_position`` on, only once the size ahead of the
   order has traded. Size ahead at placement: the recorded size at that price on our side (the
   touch size when the price is the touch, the level size with a book, 0 when the price
   improves the touch, the venue's ``queue_ahead_default`` when the data cannot tell, as
   with trades alone) plus our own
   orders already there; it shrinks by trades at the price and is capped by the level's size.
3. Stops trigger when the touch or a trade reaches the stop (buy: ask >= stop or trade >=
   stop; sell: bid <= stop or trade <= stop); MIT/LIT when it is touched from the other side
   (buy: ask <= trigger or trade <= trigger; sell: bid >= trigger or trade >= trigger). Then
   they act as a market (stop, trailing stop, MIT) or limit (stop-limit, LIT) order from that
   moment. A trailing stop follows the best price seen since acceptance (sells: the highest bid
   or trade; buys: the lowest ask or trade), never moving back; percent offsets round the stop
   away from the market to a whole tick.
4. Bars: see ``sim.bars``.
5. DAY orders expire at the session close after acceptance (no session: 00:00 UTC after the day
   of acceptance); GTD at ``expire_ns``. OPG orders execute at the first price of the session
   (the opposite touch of the first quote, the first trade or the first bar's open) and are
   rejected after the open; CLS at the last price at or before the close. A limit OPG/CLS that
   the price does not satisfy expires.
6. Fees per fill: maker for fills of resting orders, taker for marketable fills.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from sortedcontainers import SortedDict

from kernel.enums import Liquidity, OrderType, TimeInForce
from kernel.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderModifyRejected,
    OrderRejected,
    OrderTriggered,
)
from kernel.orders import Order
from kernel.units import Instrument
from sim.book import Book, BookOrder
from sim.session import Session, utc_midnight_after

INF = 1 << 62
_TRIGGERED_TYPES = frozenset(
    {OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP, OrderType.MIT, OrderType.LIT}
)
_AS_MARKET = frozenset({OrderType.MARKET, OrderType.STOP, OrderType.TRAILING_STOP, OrderType.MIT})
# plain ints in events: the journal's packer takes a slow path for IntEnum members
_MAKER = int(Liquidity.MAKER)
_TAKER = int(Liquidity.TAKER)
_GTC = TimeInForce.GTC
_DAY = TimeInForce.DAY
_GTD = TimeInForce.GTD
_IOC = TimeInForce.IOC
_FOK = TimeInForce.FOK
_OPG = TimeInForce.OPG
_CLS = TimeInForce.CLS


class VOrder:
    """The venue's record of one of our orders."""

    __slots__ = (
        "ahead",
        "arrival_ns",
        "book_order",
        "closed",
        "display",
        "expire_ns",
        "filled",
        "limit",
        "oid",
        "otype",
        "post_only",
        "qty",
        "reduce_only",
        "side",
        "stop",
        "tif",
        "trail_ppm",
        "trail_ref",
        "trail_ticks",
        "triggered",
        "vid",
    )

    def __init__(self, order: Order, vid: str, now_ns: int) -> None:
        self.oid = order.client_order_id
        self.vid = vid
        self.side = int(order.side)
        self.otype = order.order_type
        self.qty = order.quantity
        self.filled = 0
        self.limit = order.limit_ticks
        self.stop = order.stop_ticks
        self.trail_ticks = order.trail_ticks
        self.trail_ppm = order.trail_ppm
        self.trail_ref: int | None = None
        self.tif = order.time_in_force
        self.expire_ns = order.expire_ns
        self.post_only = order.post_only
        self.reduce_only = order.reduce_only
        self.display = order.display_lots
        self.arrival_ns = now_ns
        self.triggered = order.order_type not in _TRIGGERED_TYPES
        self.book_order: BookOrder | None = None
        self.ahead = 0
        self.closed = False

    @property
    def leaves(self) -> int:
        return self.qty - self.filled

    @property
    def working_limit(self) -> int | None:
        """The limit that applies now (None for a market order or a triggered stop)."""
        return None if self.otype in _AS_MARKET else self.limit


class RecordedMarket:
    """One symbol at one simulated venue: our orders, the recorded market, the fill rules.

    Reports (kernel order events, ``ts_event`` = venue time, commission set) accumulate in
    ``out``; at the end of each entry point ``on_report(self)`` hands them to the broker, which
    sends them back through its latency queue. ``idle`` (nothing resting, pending or waiting)
    lets market data take a fast path that only remembers the touch.
    """

    __slots__ = (
        "_seq",
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
        "l2_taken",
        "last_avail",
        "last_bar_close",
        "last_px",
        "next_id",
        "next_open",
        "now",
        "on_report",
        "opg",
        "orders",
        "out",
        "pending",
        "position",
        "queue_ahead_default",
        "queue_position",
        "session",
        "stops",
        "symbol",
        "venue",
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
        self._seq = 0
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
        self.l2: tuple[SortedDict, SortedDict] | None = None
        self.l2_taken: dict[tuple[int, int], int] = {}
        self.next_open: int | None = None
        self.last_bar_close: int | None = None
        self.idle = True
        self.on_report: Callable[[RecordedMarket], None] | None = None

    def _settle(self) -> None:
        """End of an entry point: recompute ``idle`` and hand over the reports."""
        self.idle = not (
            self.book.orders
            or self.pending
            or self.stops
            or self.opg
            or self.cls
            or self.bar_wait
            or self.next_open is not None
        )
        if self.out and self.on_report is not None:
            self.on_report(self)

    # --- helpers ------------------------------------------------------------------------------
    def _emit(self, ev) -> None:  # type: ignore[no-untyped-def]
        self.out.append(ev)

    def _fill(self, vo: VOrder, px: int, lots: int, liquidity: int) -> None:
        if vo.reduce_only:
            pos = self.position
            room = abs(pos) if pos and (pos > 0) != (vo.side > 0) else 0
            if room == 0:
                self._cancel_now(vo)  # why: nothing left to reduce; it must not open a position
                return
            lots = min(lots, room)
        vo.filled += lots
        self.position += vo.side * lots
        now = self.now
        commission = self.fee(self.inst, px, lots, liquidity == _MAKER)
        self._emit(
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
            self._close(vo)
        elif vo.reduce_only and self.position == 0:
            self._cancel_now(vo)

    def _close(self, vo: VOrder) -> None:
        vo.closed = True
        self.orders.pop(vo.oid, None)
        if vo.book_order is not None:
            bo = self.book.orders.get(vo.oid)
            if bo is not None and bo.live:
                self.book.remove(vo.oid)
            else:
                self.book.forget(vo.oid)
            vo.book_order = None

    def _cancel_now(self, vo: VOrder) -> None:
        if vo.book_order is None:
            self._detach(vo)  # why: a resting order is in none of the waiting lists
        self._close(vo)
        self._emit(OrderCanceled(vo.oid, self.now, self.now))

    def _detach(self, vo: VOrder) -> None:
        for lst in (self.pending, self.stops, self.opg, self.cls, self.bar_wait):
            if vo in lst:
                lst.remove(vo)

    def _available(self, side: int) -> tuple[int | None, int | None]:
        """The opposite touch for an order on ``side`` and the size left there for us."""
        if side > 0:
            return self.ask, self.ask_avail
        return self.bid, self.bid_avail

    def _take_touch(self, side: int, lots: int) -> None:
        if side > 0:
            if self.ask_avail is not None:
                self.ask_avail -= lots
        elif self.bid_avail is not None:
            self.bid_avail -= lots

    # --- commands -----------------------------------------------------------------------------
    def arrive(self, order: Order, now: int) -> None:
        """An order reached the venue (rule 1, 3 and 5 at arrival)."""
        self._arrive(order, now)
        self._settle()

    def _arrive(self, order: Order, now: int) -> None:
        self.now = now
        self._seq += 1
        vo = VOrder(order, self.next_id("o"), now)
        reason = self._refuse(vo, now)
        if reason is not None:
            self._emit(OrderRejected(vo.oid, reason, now, now))
            return
        self.orders[vo.oid] = vo
        self.out.append(OrderAccepted(vo.oid, vo.vid, now, now))
        tif = vo.tif
        if tif is not _GTC and tif is not _IOC and tif is not _FOK:
            self._schedule_expiry(vo, now)
        if tif is _OPG:
            self.opg.append(vo)
        elif tif is _CLS:
            self.cls.append(vo)
        elif self.kind == "bars":
            self.bar_wait.append(vo)
        elif not vo.triggered:
            self._init_trailing(vo)
            self.stops.append(vo)
            self._check_stop(vo)
        else:
            self._execute(vo, arriving=True)

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
        if vo.post_only and self.kind != "bars" and self._crosses(vo.side, vo.limit):  # type: ignore[arg-type]
            return "POST_ONLY_WOULD_TAKE"
        return None

    def _crosses(self, side: int, limit: int | None) -> bool:
        touch, _ = self._available(side)
        if touch is None:
            if self.kind == "book":
                touch = self._l2_best(-side)
            elif self.kind == "trades":
                touch = self.last_px
        if touch is None:
            return False
        return limit is None or (touch <= limit if side > 0 else touch >= limit)

    def _schedule_expiry(self, vo: VOrder, now: int) -> None:
        if vo.tif == TimeInForce.DAY:
            at = self.session.close_after(now) if self.session else utc_midnight_after(now)
        elif vo.tif == TimeInForce.GTD:
            at = vo.expire_ns  # type: ignore[assignment]
        elif vo.tif in (TimeInForce.OPG, TimeInForce.CLS) and self.session is not None:
            at = self.session.close_after(now)
            if vo.tif == TimeInForce.OPG:
                self.next_open = self.session.open_after(now)
        else:
            return
        self._seq += 1
        heapq.heappush(self.expiries, (at, self._seq, vo.oid))

    def cancel(self, oid: str, now: int) -> None:
        self.now = now
        vo = self.orders.get(oid)
        if vo is None:
            self._emit(OrderCancelRejected(oid, "UNKNOWN_OR_CLOSED_ORDER", now, now))
        else:
            self._cancel_now(vo)
        self._settle()

    def modify(
        self, oid: str, qty: int | None, limit: int | None, stop: int | None, now: int
    ) -> None:
        """Quantity down keeps queue priority; a price change or an increase loses it."""
        self._modify(oid, qty, limit, stop, now)
        self._settle()

    def _modify(
        self, oid: str, qty: int | None, limit: int | None, stop: int | None, now: int
    ) -> None:
        self.now = now
        vo = self.orders.get(oid)
        if vo is None:
            self._emit(OrderModifyRejected(oid, "UNKNOWN_OR_CLOSED_ORDER", now, now))
            return
        if qty is not None and qty <= vo.filled:
            self._emit(OrderModifyRejected(oid, "QUANTITY_BELOW_FILLED", now, now))
            return
        if (limit is not None and vo.limit is None) or (
            stop is not None and vo.stop is None and vo.otype != OrderType.TRAILING_STOP
        ):
            self._emit(OrderModifyRejected(oid, "NO_SUCH_PRICE", now, now))
            return
        bo = vo.book_order
        keeps = limit in (None, vo.limit) and (qty is None or qty <= vo.qty)
        if bo is not None and keeps and qty is not None and qty < vo.qty:
            self.book.side(vo.side).reduce(self.book.orders[oid], qty - vo.filled)
        vo.qty = qty if qty is not None else vo.qty
        vo.limit = limit if limit is not None else vo.limit
        vo.stop = stop if stop is not None else vo.stop
        self._emit(OrderModified(oid, qty, limit, stop, now, now))
        if bo is not None and not keeps:
            self.book.remove(oid)
            vo.book_order = None
            self._execute(vo, arriving=True)
        elif not vo.triggered:
            self._check_stop(vo)

    # --- execution ----------------------------------------------------------------------------
    def _execute(self, vo: VOrder, arriving: bool) -> None:
        """Fill what the current market allows (taker), then rest, wait or cancel the rest."""
        limit = None if vo.otype in _AS_MARKET else vo.limit
        if self._self_trade(vo, limit):
            self._cancel_now(vo)
            return
        tif = vo.tif
        if tif is _FOK and self._fillable(vo.side, limit) < vo.qty - vo.filled:
            self._cancel_now(vo)
            return
        self._take(vo, limit)
        if vo.closed:
            return
        if tif is _IOC or tif is _FOK or self._would_self_trade(vo, limit):
            # why: what is left would meet our own resting order next: cancel the newest
            self._cancel_now(vo)
        elif limit is None:
            self.pending.append(vo)
        else:
            self._rest(vo)

    def _self_trade(self, vo: VOrder, limit: int | None) -> bool:
        """Would ``vo`` meet one of our own resting orders before the recorded market?

        Only when our opposite order is at least as good as the recorded touch (it would be
        the best price in the real book) and ``vo``'s limit reaches it.
        """
        buy = vo.side > 0
        mine = self.book.asks.best if buy else self.book.bids.best
        if mine is None:
            return False
        touch, _ = self._available(vo.side)
        if touch is None and self.kind == "book":
            touch = self._l2_best(-vo.side)
        if touch is not None and (mine > touch if buy else mine < touch):
            return False
        return limit is None or (mine <= limit if buy else mine >= limit)

    def _would_self_trade(self, vo: VOrder, limit: int | None) -> bool:
        """Would the remainder of ``vo``, resting or waiting, cross our own opposite order?"""
        mine = self.book.asks.best if vo.side > 0 else self.book.bids.best
        if mine is None:
            return False
        return limit is None or (mine <= limit if vo.side > 0 else mine >= limit)

    def _fillable(self, side: int, limit: int | None) -> int:
        if self.kind == "book":
            return sum(size for _, size in self._l2_levels(-side, limit))
        touch, avail = (
            self._available(side) if self.kind == "quotes" else (self.last_px, self.last_avail)
        )
        if touch is None or (limit is not None and (touch > limit if side > 0 else touch < limit)):
            return 0
        return INF if avail is None else max(avail, 0)

    def _take(self, vo: VOrder, limit: int | None) -> None:
        """Rule 1: take from the opposite touch (or book levels) up to ``limit``."""
        side = vo.side
        if self.kind == "book":
            for px, size in self._l2_levels(-side, limit):
                lots = min(size, vo.leaves)
                if lots <= 0:
                    continue
                key = (-side, px)
                self.l2_taken[key] = self.l2_taken.get(key, 0) + lots
                self._fill(vo, px, lots, _TAKER)
                if vo.closed:
                    return
            return
        if self.kind == "quotes":
            touch, avail = self._available(side)
        elif self.kind == "trades":
            touch, avail = self.last_px, self.last_avail
        else:
            return
        if touch is None or (limit is not None and (touch > limit if side > 0 else touch < limit)):
            return
        lots = vo.leaves if avail is None else min(avail, vo.leaves)
        if lots <= 0:
            return
        if self.kind == "quotes":
            self._take_touch(side, lots)
        else:
            self.last_avail -= lots
        self._fill(vo, touch, lots, _TAKER)

    def _rest(self, vo: VOrder) -> None:
        price: int = vo.limit  # type: ignore[assignment]
        bo = BookOrder(vo.oid, vo.side, price, vo.qty - vo.filled, vo.display, vo, self._seq)
        vo.book_order = bo
        if self.queue_position:
            level = self.book.side(vo.side).level(price)
            ours = sum(o.leaves for o in level.orders()) if level is not None else 0
            vo.ahead = self._size_at(vo.side, price, vo) + ours
        self.book.add(bo)

    def _size_at(self, side: int, price: int, vo: VOrder) -> int:
        """Recorded size at ``price`` on our own side (queue ahead at placement)."""
        if self.kind == "book" and self.l2 is not None:
            return int(self.l2[0 if side > 0 else 1].get(price, 0))
        if self.kind == "quotes":
            touch = self.bid if side > 0 else self.ask
            if touch is None or (price > touch if side > 0 else price < touch):
                return 0
            if price == touch:
                size = self.bid_avail if side > 0 else self.ask_avail
                return self.queue_ahead_default if size is None else max(size, 0)
        return self.queue_ahead_default

    # --- market data ----------------------------------------------------------------------------
    def on_quote(self, q) -> None:  # type: ignore[no-untyped-def]
        """A recorded quote (``QuoteTick``): remember the touch; fill what it reaches (rule 2)."""
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
            self._open_auction()
        book = self.book
        if self.pending:
            self._serve_pending()
        if book.bids.best is not None and book.bids.best >= ask:
            self._sweep(book.bids, ask, q.ask_lots, trade=False)
        if book.asks.best is not None and book.asks.best <= bid:
            self._sweep(book.asks, bid, q.bid_lots, trade=False)
        if self.stops:
            self._check_stops(bid, ask, None)
        if self.queue_position and book.orders:
            self._cap_queues()
        self._settle()

    def on_trade(self, t) -> None:  # type: ignore[no-untyped-def]
        """A recorded trade (``TradeTick``): the last price; fills through or at limits."""
        now = t.ts_event
        px = t.price_ticks
        size = t.size_lots
        self.now = now
        self.last_px = px
        self.last_avail = size
        if self.idle:
            return
        if self.next_open is not None and now >= self.next_open:
            self._open_auction()
        if self.kind == "trades" and self.pending:
            self._serve_pending()
        book = self.book
        if book.bids.best is not None and book.bids.best >= px:
            self._sweep(book.bids, px, size, trade=True)
        if book.asks.best is not None and book.asks.best <= px:
            self._sweep(book.asks, px, size, trade=True)
        if self.stops:
            self._check_stops(None, None, px)
        self._settle()

    def _serve_pending(self) -> None:
        for vo in list(self.pending):
            if vo.closed:
                continue
            self._take(vo, None)
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
                self._trade_at_level(level, touch_size or 0, filled)
            elif trade:
                got = side_book.take(touch, touch_size or 0, on_fill)
                self.last_avail -= got
            else:
                # at the limit: up to what is left of the touch size (None: unlimited)
                avail = self.ask_avail if buy else self.bid_avail
                room = INF if avail is None else max(avail, 0)
                if room:
                    got = side_book.take(touch, room, on_fill)
                    self._take_touch(1 if buy else -1, got)
        for vo, lots, price in filled:
            self._fill_resting(vo, lots, price)

    def _trade_at_level(self, level, volume: int, filled: list) -> None:  # type: ignore[no-untyped-def]
        for bo in list(level.orders()):
            vo: VOrder = bo.owner
            lots = min(max(volume - vo.ahead, 0), vo.leaves)
            vo.ahead = max(vo.ahead - volume, 0)
            if lots:
                filled.append((vo, lots, level.price))
                self.book.fill(vo.oid, lots)

    def _fill_resting(self, vo: VOrder, lots: int, price: int) -> None:
        bo = self.book.orders.get(vo.oid)
        if bo is not None and not bo.live:
            self.book.forget(vo.oid)
            vo.book_order = None
        self._fill(vo, price, lots, _MAKER)

    def _cap_queues(self) -> None:
        for side, touch, size in ((1, self.bid, self.bid_avail), (-1, self.ask, self.ask_avail)):
            if touch is None:
                continue
            for bo in self.book.orders.values():
                if bo.side != side:
                    continue
                vo: VOrder = bo.owner  # type: ignore[assignment]
                if bo.price == touch and size is not None:
                    vo.ahead = min(vo.ahead, size)
                elif (side > 0 and bo.price > touch) or (side < 0 and bo.price < touch):
                    vo.ahead = 0

    # --- conditional orders (rule 3) ---------------------------------------------------------------
    def _init_trailing(self, vo: VOrder) -> None:
        if vo.otype != OrderType.TRAILING_STOP:
            return
        ref = (self.bid if vo.side < 0 else self.ask) or self.last_px
        if ref is not None:
            vo.trail_ref = ref
            if vo.stop is None:
                vo.stop = self._trail_stop(vo, ref)

    def _trail_stop(self, vo: VOrder, ref: int) -> int:
        if vo.trail_ticks is not None:
            return ref - vo.trail_ticks if vo.side < 0 else ref + vo.trail_ticks
        off = ref * vo.trail_ppm  # type: ignore[operator]
        # sells: floor(ref x (1 - p)); buys: ceil(ref x (1 + p)) -- away from the market
        return (
            (ref * 1_000_000 - off) // 1_000_000
            if vo.side < 0
            else -((-(ref * 1_000_000 + off)) // 1_000_000)
        )

    def _follow(self, vo: VOrder, price: int) -> None:
        ref = vo.trail_ref
        if ref is None or (price > ref if vo.side < 0 else price < ref):
            vo.trail_ref = price
            stop = self._trail_stop(vo, price)
            if vo.stop is None or (stop > vo.stop if vo.side < 0 else stop < vo.stop):
                vo.stop = stop

    def _check_stops(self, bid: int | None, ask: int | None, trade: int | None) -> None:
        for vo in list(self.stops):
            if vo.otype == OrderType.TRAILING_STOP:
                seen = trade if trade is not None else (bid if vo.side < 0 else ask)
                if seen is not None:
                    self._follow(vo, seen)
            self._check_stop(vo, bid, ask, trade)

    def _check_stop(
        self, vo: VOrder, bid: int | None = None, ask: int | None = None, trade: int | None = None
    ) -> None:
        if bid is None and ask is None and trade is None:
            bid, ask, trade = self.bid, self.ask, self.last_px if self.kind == "trades" else None
        stop = vo.stop
        if stop is None:
            return
        buy = vo.side > 0
        if vo.otype in (OrderType.MIT, OrderType.LIT):
            hit = (
                ((ask is not None and ask <= stop) or (trade is not None and trade <= stop))
                if buy
                else ((bid is not None and bid >= stop) or (trade is not None and trade >= stop))
            )
        else:
            hit = (
                ((ask is not None and ask >= stop) or (trade is not None and trade >= stop))
                if buy
                else ((bid is not None and bid <= stop) or (trade is not None and trade <= stop))
            )
        if hit:
            self.trigger(vo)

    def trigger(self, vo: VOrder) -> None:
        if vo in self.stops:
            self.stops.remove(vo)
        vo.triggered = True
        self._emit_triggered(vo)
        self._execute(vo, arriving=False)

    def _emit_triggered(self, vo: VOrder) -> None:
        self._emit(OrderTriggered(vo.oid, self.now, self.now))

    # --- time: expiry and auctions (rule 5) ------------------------------------------------------
    def next_wakeup(self) -> int | None:
        exp = self.expiries
        while exp and exp[0][2] not in self.orders:
            heapq.heappop(exp)
        return exp[0][0] if exp else None

    def wake(self, now: int) -> None:
        """Expire what is due; run the closing auction for CLS orders."""
        self.now = now
        exp = self.expiries
        while exp and exp[0][0] <= now:
            _, _, oid = heapq.heappop(exp)
            vo = self.orders.get(oid)
            if vo is None:
                continue
            if vo.tif == TimeInForce.CLS:
                self._auction_fill(vo, self._last_price(vo.side))
                if vo.closed:
                    continue
            self._detach(vo)
            self._close(vo)
            self._emit(OrderExpired(vo.oid, now, now))
        self._settle()

    def _last_price(self, side: int) -> int | None:
        if self.kind == "quotes":
            return self.ask if side > 0 else self.bid
        if self.kind == "book":
            return self._l2_best(-side)
        if self.kind == "trades":
            return self.last_px
        return self.last_bar_close

    def _open_auction(self, price: int | None = None) -> None:
        self.next_open = None
        for vo in list(self.opg):
            self._auction_fill(vo, price if price is not None else self._last_price(vo.side))
            if not vo.closed:
                self.opg.remove(vo)
                self._close(vo)
                self._emit(OrderExpired(vo.oid, self.now, self.now))

    def _auction_fill(self, vo: VOrder, price: int | None) -> None:
        if price is None:
            return
        if vo.limit is not None and (price > vo.limit if vo.side > 0 else price < vo.limit):
            return
        self._detach(vo)
        self._fill(vo, price, vo.leaves, _TAKER)

    # --- L2 book (book data) -------------------------------------------------------------------------
    def on_book(self, u) -> None:  # type: ignore[no-untyped-def]
        """A recorded L2 update (``BookUpdate``): rebuild the book; fill what it reaches."""
        deltas, is_snapshot, now = u.deltas, u.is_snapshot, u.ts_event
        self.now = now
        if self.l2 is None or is_snapshot:
            self.l2 = (SortedDict(), SortedDict())
            self.l2_taken.clear()
        bids, asks = self.l2
        for side, px, size in deltas:
            levels = bids if side > 0 else asks
            self.l2_taken.pop((side, px), None)
            if size:
                levels[px] = size
            else:
                levels.pop(px, None)
        bid = bids.peekitem(-1)[0] if bids else None
        ask = asks.peekitem(0)[0] if asks else None
        if self.next_open is not None and now >= self.next_open:
            self._open_auction()
        if self.pending:
            self._serve_pending()
        book = self.book
        if ask is not None and book.bids.best is not None and book.bids.best >= ask:
            self._sweep_l2(book.bids)
        if bid is not None and book.asks.best is not None and book.asks.best <= bid:
            self._sweep_l2(book.asks)
        if self.stops:
            self._check_stops(bid, ask, None)
        if self.queue_position:
            for bo in list(book.orders.values()):
                vo: VOrder = bo.owner  # type: ignore[assignment]
                vo.ahead = min(vo.ahead, int((bids if bo.side > 0 else asks).get(bo.price, 0)))
        self._settle()

    def _sweep_l2(self, side_book) -> None:  # type: ignore[no-untyped-def]
        """Our resting orders take the book's size at prices at or through their limit."""
        for bo in _live(side_book):
            vo: VOrder = bo.owner
            for px, size in self._l2_levels(-vo.side, vo.limit):
                lots = min(size, vo.leaves)
                if lots <= 0:
                    continue
                key = (-vo.side, px)
                self.l2_taken[key] = self.l2_taken.get(key, 0) + lots
                self.book.fill(vo.oid, lots)
                self._fill_resting(vo, lots, vo.limit)  # type: ignore[arg-type]
                if vo.closed:
                    break

    def _l2_best(self, side: int) -> int | None:
        if self.l2 is None:
            return None
        levels = self.l2[0 if side > 0 else 1]
        if not levels:
            return None
        return levels.peekitem(-1 if side > 0 else 0)[0]  # type: ignore[no-any-return]

    def _l2_levels(self, side: int, limit: int | None):  # type: ignore[no-untyped-def]
        """(price, size left for us) of ``side``'s levels from the best, up to ``limit``."""
        if self.l2 is None:
            return
        levels = self.l2[0 if side > 0 else 1]
        keys = reversed(levels.keys()) if side > 0 else iter(levels.keys())
        for px in keys:
            if limit is not None and (px < limit if side > 0 else px > limit):
                return
            size = levels[px] - self.l2_taken.get((side, px), 0)
            if size > 0:
                yield px, size

    def _check(self) -> None:
        self.book._check()
        for vo in self.orders.values():
            assert not vo.closed and 0 <= vo.filled < vo.qty, vo.oid
        for bo in self.book.orders.values():
            assert bo.owner.oid in self.orders  # type: ignore[attr-defined]


def _live(side_book):  # type: ignore[no-untyped-def]
    for level in list(side_book.iter_levels()):
        yield from list(level.orders())
