"""L2 book data at the recorded venue (``BookUpdate``): the recorded book is rebuilt from the
updates, and our resting orders take its size at prices at or through their limit (rule 2 with
depth); market orders waiting for size are served from it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sim import recorded_queue, recorded_time
from sim.recorded_touch import L2
from sim.recorded_triggers import check_all

if TYPE_CHECKING:
    from sim.book import BookOrder
    from sim.recorded import RecordedMarket
    from sim.recorded_order import VOrder


def on_book(m: RecordedMarket, u: Any) -> None:
    """Apply one update to ``m``'s recorded book and fill what it reaches."""
    now = u.ts_event
    m.now = now
    l2 = m.l2
    if l2 is None or u.is_snapshot:
        m.l2 = l2 = L2()
    l2.apply(u.deltas)
    bid = l2.best(1)
    ask = l2.best(-1)
    if m.next_open is not None and now >= m.next_open:
        recorded_time.open_auction(m)
    if m.pending:
        m.serve_pending()
    book = m.book
    if ask is not None and book.bids.best is not None and book.bids.best >= ask:
        _sweep(m, book.bids, l2)
    if bid is not None and book.asks.best is not None and book.asks.best <= bid:
        _sweep(m, book.asks, l2)
    if m.stops:
        check_all(m, bid, ask, None)
    if m.queue_position:
        recorded_queue.on_l2(m, l2)


def _sweep(m: RecordedMarket, side_book: Any, l2: L2) -> None:
    """Our resting orders take the book's size at prices at or through their limit."""
    for bo in _live(side_book):
        vo: VOrder = bo.owner
        for px, size in l2.levels(-vo.side, vo.limit):
            lots = min(size, vo.leaves)
            if lots <= 0:
                continue
            l2.take(-vo.side, px, lots)
            m.book.fill(vo.oid, lots)
            m.fill_resting(vo, lots, vo.limit)  # type: ignore[arg-type]
            if vo.closed:
                break


def _live(side_book: Any) -> Iterator[BookOrder]:
    for level in list(side_book.iter_levels()):
        yield from list(level.orders())
