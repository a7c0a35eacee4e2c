"""Rule 4 of the contract: our orders against OHLC bars.

An order placed during bar N is first eligible in bar N+1: it takes part in a bar when it reached
the venue at or before that bar's open. Within a bar the price is assumed to travel
open -> high -> low -> close when the open is nearer the high (high - open < open - low), else
open -> low -> high -> close, in straight lines, so every price between two points is visited.

- A market order fills at the open of its first bar (taker).
- A limit whose price the open is already through fills at the open (taker); otherwise it fills
  at its own price when the path reaches it (maker). Bars carry no sizes: fills are complete.
- A stop (or trailing stop, MIT) triggers where the path reaches its trigger and fills there as
  a market order (at the open if the bar opens through it); a stop-limit or LIT triggers there
  and then behaves as a limit for the rest of the path. A trailing stop's reference starts at
  the open of its first bar and follows the path's extremes in path order; each new stop level
  is reported (``OrderModified``), as with other data (``sim.recorded_triggers``).
- OPG orders fill at the open of the first bar of the session; CLS at the close of the last bar
  at or before the session close (``RecordedMarket.last_bar_close``).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from kernel.enums import Liquidity, OrderType
from sim.recorded_time import open_auction
from sim.recorded_triggers import follow, mark_triggered, start_trailing

if TYPE_CHECKING:
    from sim.recorded import RecordedMarket
    from sim.recorded_order import VOrder

_STOPS = (OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP)
_TOUCHES = (OrderType.MIT, OrderType.LIT)
_MAKER = int(Liquidity.MAKER)
_TAKER = int(Liquidity.TAKER)


def bar_path(o: int, h: int, low: int, c: int) -> list[int]:
    """The four points of the assumed intra-bar path."""
    return [o, h, low, c] if h - o < o - low else [o, low, h, c]


def on_bar(
    m: RecordedMarket, open_ns: int, o: int, h: int, low: int, c: int, now: int
) -> list | None:
    """Run one bar through the market ``m`` (the bar closes at ``now``); return its reports."""
    if m.parked is not None:
        m.unpark()
    m.now = now
    if m.idle:
        m.last_bar_close = c  # why: nothing of ours here: the bar only moves the clock
        return None
    if m.next_open is not None and open_ns >= m.next_open:
        open_auction(m, o)
    _activate(m, open_ns, o)
    for vo in list(m.pending):  # market orders: the open
        m.pending.remove(vo)
        if not vo.closed:
            m.fill(vo, o, vo.leaves, _TAKER)
    for vo in _resting(m):  # limits the open is through
        if _through(vo.side, vo.limit, o):  # type: ignore[arg-type]
            _fill_resting(m, vo, o, _TAKER)
    points = bar_path(o, h, low, c)
    for a, b in itertools.pairwise(points):
        _segment(m, a, b, first=(a == points[0]))
    m.last_bar_close = c
    return m.settle()


def _activate(m: RecordedMarket, open_ns: int, o: int) -> None:
    """Orders that reached the venue by this bar's open join it."""
    for vo in list(m.bar_wait):
        if vo.arrival_ns > open_ns:
            continue
        m.bar_wait.remove(vo)
        if vo.closed:
            continue
        if not vo.triggered:
            if vo.otype == OrderType.TRAILING_STOP:
                start_trailing(m, vo, o)
            m.stops.append(vo)
        elif vo.working_limit is None:
            m.pending.append(vo)
        else:
            _rest_or_stp(m, vo)


def _rest_or_stp(m: RecordedMarket, vo: VOrder) -> None:
    """Rest ``vo`` unless it would cross one of our own resting orders (then cancel it)."""
    if m.would_self_trade(vo, vo.limit):
        m.cancel_now(vo)
    else:
        m.rest(vo)


def _resting(m: RecordedMarket) -> list[VOrder]:
    return [bo.owner for bo in list(m.book.orders.values())]  # type: ignore[misc]


def _through(side: int, limit: int, price: int) -> bool:
    return price <= limit if side > 0 else price >= limit


def _fill_resting(m: RecordedMarket, vo: VOrder, price: int, liquidity: int) -> None:
    if vo.book_order is not None:
        m.book.remove(vo.oid)
        vo.book_order = None
    m.fill(vo, price, vo.leaves, liquidity)


def _segment(m: RecordedMarket, a: int, b: int, first: bool) -> None:
    """Walk the monotone segment a -> b, handling what it reaches in path order."""
    if a == b:
        return
    up = b > a
    pos = a
    while True:
        event = _next_event(m, pos, b, up, first and pos == a)
        if event is None:
            break
        price, vo, kind = event
        if kind == "trigger":
            mark_triggered(m, vo)
            if vo.working_limit is None or _through(vo.side, vo.limit, price):  # type: ignore[arg-type]
                m.fill(vo, price, vo.leaves, _TAKER)
            else:
                _rest_or_stp(m, vo)
        else:
            _fill_resting(m, vo, vo.limit, _MAKER)  # type: ignore[arg-type]
        pos = price
    # trailing references move with the extreme the segment reached
    for vo in m.stops:
        if vo.otype == OrderType.TRAILING_STOP:
            follow(m, vo, b)


def _next_event(
    m: RecordedMarket, pos: int, b: int, up: bool, at_open: bool
) -> tuple[int, VOrder, str] | None:
    """The first trigger or limit fill met going from ``pos`` to ``b`` (inclusive of ``b``)."""
    best: tuple[int, VOrder, str] | None = None

    def consider(price: int, vo: VOrder, kind: str) -> None:
        nonlocal best
        inside = (pos <= price <= b) if up else (b <= price <= pos)
        if not inside or (price == pos and not at_open and kind == "fill"):
            return
        if best is None or (price < best[0] if up else price > best[0]):
            best = (price, vo, kind)

    for vo in m.stops:
        stop = vo.stop
        if stop is None:
            continue
        # a trailing stop rides along while the path moves in the order's favour
        if vo.otype == OrderType.TRAILING_STOP and vo.trail_ref is not None and (vo.side < 0) == up:
            continue
        if vo.otype in _STOPS:
            # buy stops are reached going up (or gapped over at the open)
            if vo.side > 0 and (up or (at_open and pos >= stop)):
                consider(max(stop, pos) if at_open and pos >= stop else stop, vo, "trigger")
            elif vo.side < 0 and (not up or (at_open and pos <= stop)):
                consider(min(stop, pos) if at_open and pos <= stop else stop, vo, "trigger")
        elif vo.otype in _TOUCHES:
            if vo.side > 0 and (not up or (at_open and pos <= stop)):
                consider(pos if at_open and pos <= stop else stop, vo, "trigger")
            elif vo.side < 0 and (up or (at_open and pos >= stop)):
                consider(pos if at_open and pos >= stop else stop, vo, "trigger")
    for vo in _resting(m):
        limit = vo.limit
        if (vo.side > 0 and not up) or (vo.side < 0 and up):
            consider(limit, vo, "fill")  # type: ignore[arg-type]
    return best
