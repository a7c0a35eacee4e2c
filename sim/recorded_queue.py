"""Queue position of our resting orders at the recorded venue (rule 2, ``queue_position`` on).

``vo.ahead`` is the size ahead of a resting order at its price; a trade at that price fills the
order only with what trades beyond it. ``vo.queue_known`` says whether the data has shown the
size at the order's level since it was placed there.

- At placement: the recorded size at the price on our side (``Touch.size_at``: the touch size at
  the touch, 0 when the price improves the touch, the L2 level size with a book), plus our own
  orders already at that price. When the data cannot tell (a price behind the quote touch
  without a book, trades alone, no data yet) the order starts with the venue's
  ``queue_ahead_default`` and its queue is not known yet.
- The first time the data shows its level (a quote whose touch on our side is at the price, with
  a size; an L2 update: every level is shown), an order whose queue was not known takes the
  size shown there (plus our own orders ahead of it) -- it joined the back of that queue.
  A touch that moves behind the order (it now improves the touch) leaves nothing ahead.
- After that the size ahead only goes down: by trades at the price, and capped by the size
  the data shows at the level (whoever left the queue may have been ahead of us).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.book import BookOrder, Level
    from sim.recorded import RecordedMarket
    from sim.recorded_order import VOrder
    from sim.recorded_touch import L2


def place(m: RecordedMarket, vo: VOrder, level: Level | None) -> None:
    """Set the queue ahead of ``vo``, about to join ``level`` (None: a new price)."""
    ours = sum(o.leaves for o in level.orders()) if level is not None else 0
    size = m.touch.size_at(m, vo.side, vo.limit)  # type: ignore[arg-type]
    vo.queue_known = size is not None
    vo.ahead = (m.queue_ahead_default if size is None else size) + ours


def _seen(m: RecordedMarket, bo: BookOrder, vo: VOrder, size: int) -> None:
    """``vo`` sees its level for the first time: it is behind ``size`` and our orders before it."""
    ours = 0
    level = m.book.side(bo.side).level(bo.price)
    if level is not None:
        for o in level.orders():
            if o is bo:
                break
            ours += o.leaves
    vo.ahead = size + ours
    vo.queue_known = True


def on_quote(m: RecordedMarket) -> None:
    """A quote: the touch on each side caps (or first shows) the queue of orders there."""
    for side, touch, size in ((1, m.bid, m.bid_avail), (-1, m.ask, m.ask_avail)):
        if touch is None:
            continue
        for bo in m.book.orders.values():
            if bo.side != side:
                continue
            vo: VOrder = bo.owner  # type: ignore[assignment]
            if bo.price == touch and size is not None:
                if vo.queue_known:
                    vo.ahead = min(vo.ahead, size)
                else:
                    _seen(m, bo, vo, max(size, 0))
            elif (side > 0 and bo.price > touch) or (side < 0 and bo.price < touch):
                vo.ahead = 0
                vo.queue_known = True


def on_l2(m: RecordedMarket, l2: L2) -> None:
    """An L2 update: every level's size caps (or first shows) the queue of our orders there."""
    for bo in list(m.book.orders.values()):
        vo: VOrder = bo.owner  # type: ignore[assignment]
        size = l2.size(bo.side, bo.price)
        if vo.queue_known:
            vo.ahead = min(vo.ahead, size)
        else:
            _seen(m, bo, vo, size)


def on_trade_at(m: RecordedMarket, level: Level, volume: int, filled: list) -> None:
    """A trade of ``volume`` at ``level``'s price: each order fills beyond its queue ahead."""
    for bo in list(level.orders()):
        vo: VOrder = bo.owner  # type: ignore[assignment]
        lots = min(max(volume - vo.ahead, 0), vo.leaves)
        vo.ahead = max(vo.ahead - volume, 0)
        if lots:
            filled.append((vo, lots, level.price))
            m.book.fill(vo.oid, lots)
