"""What "the touch" is for one recorded market: a small protocol and its four implementations.

A symbol's touch is the first of quotes, the L2 book, the last trade and bars that its data has
(``RecordedMarket``'s ``kind``, chosen once). The market keeps what the data last said (``bid`` /
``ask`` and the size left there for us, ``last_px`` / ``last_avail``, the rebuilt ``l2``); its
touch reads that state to answer what the fill rules ask, so the market never asks which kind of
data it has:

- ``opposite(m, side)``: the price an order on ``side`` would take at now (None: no price yet);
  the post-only check and rule 1;
- ``displayed(m, side)``: the opposite price resting in the recorded market, for the
  self-trade check (None when the data shows no resting side: trades, bars);
- ``fillable(m, side, limit)``: how much an order could take now (FOK);
- ``take(m, vo, limit, worst)``: rule 1: fill ``vo`` as taker from the touch, never past
  ``limit``, at no price better for us than ``worst`` (the trade that triggered a stop);
- ``size_at(m, side, price)``: the recorded size at ``price`` on our own side, the queue ahead
  of an order placed there (None when the data cannot tell);
- ``prices(m)``: ``(bid, ask, trade)``, what a conditional order is checked against when it
  arrives or is modified (rule 3);
- ``close_price(m, side)``: the price of an opening or closing auction fill (rule 5).

And two flags the market copies once: ``waits_for_bar`` (orders wait for the next bar) and
``trade_is_touch`` (waiting market orders fill at each trade).

The touches are stateless singletons: a call costs one method lookup, paid only when one of our
orders is at the venue (the idle data path never reaches them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sortedcontainers import SortedDict

from kernel.enums import Liquidity

if TYPE_CHECKING:
    from sim.recorded import RecordedMarket
    from sim.recorded_order import VOrder

INF = 1 << 62
_TAKER = int(Liquidity.TAKER)


class L2:
    """The recorded L2 book rebuilt from updates, and what our orders took from its levels.

    What we take at a level is remembered until an update of that level (or a snapshot)."""

    __slots__ = ("asks", "bids", "taken")

    def __init__(self) -> None:
        self.bids: SortedDict = SortedDict()
        self.asks: SortedDict = SortedDict()
        self.taken: dict[tuple[int, int], int] = {}

    def apply(self, deltas) -> None:  # type: ignore[no-untyped-def]
        bids, asks, taken = self.bids, self.asks, self.taken
        for side, px, size in deltas:
            levels = bids if side > 0 else asks
            taken.pop((side, px), None)
            if size:
                levels[px] = size
            else:
                levels.pop(px, None)

    def best(self, side: int) -> int | None:
        """The best price of ``side`` (1 bids, -1 asks)."""
        if side > 0:
            bids = self.bids
            return bids.peekitem(-1)[0] if bids else None  # type: ignore[no-any-return]
        asks = self.asks
        return asks.peekitem(0)[0] if asks else None  # type: ignore[no-any-return]

    def size(self, side: int, px: int) -> int:
        """The recorded size at ``px`` on ``side`` (0 when the level is absent)."""
        return int((self.bids if side > 0 else self.asks).get(px, 0))

    def levels(self, side: int, limit: int | None) -> Iterator[tuple[int, int]]:
        """(price, size left for us) of ``side``'s levels from the best, up to ``limit``."""
        levels = self.bids if side > 0 else self.asks
        taken = self.taken
        keys = reversed(levels.keys()) if side > 0 else iter(levels.keys())
        for px in keys:
            if limit is not None and (px < limit if side > 0 else px > limit):
                return
            size = levels[px] - taken.get((side, px), 0)
            if size > 0:
                yield px, size

    def take(self, side: int, px: int, lots: int) -> None:
        key = (side, px)
        self.taken[key] = self.taken.get(key, 0) + lots


def worse(side: int, px: int, worst: int | None) -> int:
    """``px``, or ``worst`` when that is worse for an order on ``side`` (buy: higher)."""
    if worst is None:
        return px
    return (px if px >= worst else worst) if side > 0 else (px if px <= worst else worst)


def _room(side: int, touch: int | None, avail: int | None, limit: int | None) -> int:
    if touch is None or (limit is not None and (touch > limit if side > 0 else touch < limit)):
        return 0
    return INF if avail is None else max(avail, 0)


class Touch:
    """The protocol, with the answers of data that shows no price (see the module docstring)."""

    kind = ""
    waits_for_bar = False
    trade_is_touch = False

    def opposite(self, m: RecordedMarket, side: int) -> int | None:
        return None

    def displayed(self, m: RecordedMarket, side: int) -> int | None:
        return None

    def fillable(self, m: RecordedMarket, side: int, limit: int | None) -> int:
        return 0

    def take(self, m: RecordedMarket, vo: VOrder, limit: int | None, worst: int | None) -> None:
        return None

    def size_at(self, m: RecordedMarket, side: int, price: int) -> int | None:
        return None

    def prices(self, m: RecordedMarket) -> tuple[int | None, int | None, int | None]:
        return None, None, None

    def close_price(self, m: RecordedMarket, side: int) -> int | None:
        return self.opposite(m, side)


class QuoteTouch(Touch):
    """L1 quotes: the opposite quote, up to its size (None = unlimited)."""

    kind = "quotes"

    def opposite(self, m: RecordedMarket, side: int) -> int | None:
        return m.ask if side > 0 else m.bid

    displayed = opposite

    def fillable(self, m: RecordedMarket, side: int, limit: int | None) -> int:
        if side > 0:
            return _room(side, m.ask, m.ask_avail, limit)
        return _room(side, m.bid, m.bid_avail, limit)

    def take(self, m: RecordedMarket, vo: VOrder, limit: int | None, worst: int | None) -> None:
        side = vo.side
        if side > 0:
            touch, avail = m.ask, m.ask_avail
        else:
            touch, avail = m.bid, m.bid_avail
        if touch is None or (limit is not None and (touch > limit if side > 0 else touch < limit)):
            return
        lots = vo.leaves if avail is None else min(avail, vo.leaves)
        if lots <= 0:
            return
        if avail is not None:
            if side > 0:
                m.ask_avail = avail - lots
            else:
                m.bid_avail = avail - lots
        m.fill(vo, touch if worst is None else worse(side, touch, worst), lots, _TAKER)

    def size_at(self, m: RecordedMarket, side: int, price: int) -> int | None:
        touch = m.bid if side > 0 else m.ask
        if touch is not None:
            if price > touch if side > 0 else price < touch:
                return 0  # why: better than the touch: nothing recorded is there
            if price == touch:
                size = m.bid_avail if side > 0 else m.ask_avail
                return None if size is None else max(size, 0)
        l2 = m.l2  # why: behind the touch only a book (if the symbol has one) can tell
        return None if l2 is None else l2.size(side, price)

    def prices(self, m: RecordedMarket) -> tuple[int | None, int | None, int | None]:
        return m.bid, m.ask, None


class BookTouch(Touch):
    """The rebuilt L2 book: level by level from the best, never past the limit."""

    kind = "book"

    def opposite(self, m: RecordedMarket, side: int) -> int | None:
        l2 = m.l2
        return None if l2 is None else l2.best(-side)

    displayed = opposite

    def fillable(self, m: RecordedMarket, side: int, limit: int | None) -> int:
        l2 = m.l2
        return 0 if l2 is None else sum(size for _, size in l2.levels(-side, limit))

    def take(self, m: RecordedMarket, vo: VOrder, limit: int | None, worst: int | None) -> None:
        l2 = m.l2
        if l2 is None:
            return
        side = vo.side
        for px, size in l2.levels(-side, limit):
            lots = min(size, vo.leaves)
            if lots <= 0:
                continue
            l2.take(-side, px, lots)
            m.fill(vo, px if worst is None else worse(side, px, worst), lots, _TAKER)
            if vo.closed:
                return

    def size_at(self, m: RecordedMarket, side: int, price: int) -> int | None:
        l2 = m.l2
        return None if l2 is None else l2.size(side, price)

    def prices(self, m: RecordedMarket) -> tuple[int | None, int | None, int | None]:
        l2 = m.l2
        return (None, None, None) if l2 is None else (l2.best(1), l2.best(-1), None)


class TradeTouch(Touch):
    """Trades alone: the last trade's price, up to what is left of its size."""

    kind = "trades"
    trade_is_touch = True

    def opposite(self, m: RecordedMarket, side: int) -> int | None:
        return m.last_px

    def fillable(self, m: RecordedMarket, side: int, limit: int | None) -> int:
        return _room(side, m.last_px, m.last_avail, limit)

    def take(self, m: RecordedMarket, vo: VOrder, limit: int | None, worst: int | None) -> None:
        side = vo.side
        touch = m.last_px
        if touch is None or (limit is not None and (touch > limit if side > 0 else touch < limit)):
            return
        lots = min(m.last_avail, vo.leaves)
        if lots <= 0:
            return
        m.last_avail -= lots
        m.fill(vo, touch if worst is None else worse(side, touch, worst), lots, _TAKER)

    def prices(self, m: RecordedMarket) -> tuple[int | None, int | None, int | None]:
        return None, None, m.last_px


class BarTouch(Touch):
    """Bars: nothing fills on arrival; orders wait for the next bar (``sim.bars``)."""

    kind = "bars"
    waits_for_bar = True

    def close_price(self, m: RecordedMarket, side: int) -> int | None:
        return m.last_bar_close


TOUCHES: dict[str, Touch] = {
    t.kind: t for t in (QuoteTouch(), BookTouch(), TradeTouch(), BarTouch())
}


def touch_for(kind: str) -> Touch:
    """The touch of data ``kind`` (quotes, book, trades, bars)."""
    touch = TOUCHES.get(kind)
    if touch is None:
        raise ValueError(f"unknown kind of data {kind!r}: expected one of {sorted(TOUCHES)}")
    return touch
