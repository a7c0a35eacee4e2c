"""Conditional orders at the recorded venue (rule 3): stops, stop-limits, trailing stops, MIT, LIT.

(``sim.triggers`` is the exchange engine's; this is the recorded venue's.) An order waits in
``m.stops`` until the touch or a trade reaches its trigger, then it works as a market order
(stop, trailing stop, MIT) or a limit (stop-limit, LIT) from that moment:

- Stops trigger when the touch or a trade reaches the stop (buy: ask >= stop or trade >= stop;
  sell: bid <= stop or trade <= stop); MIT/LIT when touched from the other side (buy: ask <=
  trigger or trade <= trigger; sell: bid >= trigger or trade >= trigger).
- On arrival (and after a modify) the order is checked against the market's touch
  (``Touch.prices``: the quote, the L2 book's best bid and ask, or the last trade).
- An order triggered by a trade that works as a market order fills at no price better for us
  than that trade: a sell at most ``min(trade, bid)``, a buy at least ``max(trade, ask)`` (with a
  book, each level's price is bounded so). A trade through the quote says the quote is stale.
- A trailing stop follows the best price seen since acceptance (sells: the highest bid or trade;
  buys: the lowest ask or trade), never moving back; percent offsets round the stop away from
  the market to a whole tick. Each new stop level (the first one computed from the offset too)
  is reported as ``OrderModified(oid, None, None, stop)`` so the kernel's order follows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.enums import OrderType
from kernel.events import OrderModified, OrderTriggered

if TYPE_CHECKING:
    from sim.recorded import RecordedMarket
    from sim.recorded_order import VOrder

TRIGGERED_TYPES = frozenset(
    {OrderType.STOP, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP, OrderType.MIT, OrderType.LIT}
)
AS_MARKET = frozenset({OrderType.MARKET, OrderType.STOP, OrderType.TRAILING_STOP, OrderType.MIT})
_TOUCHED = (OrderType.MIT, OrderType.LIT)
TRAILING_STOP = OrderType.TRAILING_STOP


def arrive(m: RecordedMarket, vo: VOrder) -> None:
    """An accepted conditional order: start trailing, wait, and check it against the touch."""
    bid, ask, trade = m.touch.prices(m)
    if vo.otype == TRAILING_STOP:
        start_trailing(m, vo, (bid if vo.side < 0 else ask) or m.last_px)
    m.stops.append(vo)
    check(m, vo, bid, ask, trade)


def recheck(m: RecordedMarket, vo: VOrder) -> None:
    """A waiting order was modified: check it against the touch again."""
    check(m, vo, *m.touch.prices(m))


def trail_stop(vo: VOrder, ref: int) -> int:
    """The stop ``vo``'s offset puts at reference price ``ref``."""
    if vo.trail_ticks is not None:
        return ref - vo.trail_ticks if vo.side < 0 else ref + vo.trail_ticks
    off = ref * vo.trail_ppm  # type: ignore[operator]
    # sells: floor(ref x (1 - p)); buys: ceil(ref x (1 + p)) -- away from the market
    return (
        (ref * 1_000_000 - off) // 1_000_000
        if vo.side < 0
        else -((-(ref * 1_000_000 + off)) // 1_000_000)
    )


def start_trailing(m: RecordedMarket, vo: VOrder, ref: int | None) -> None:
    """A trailing stop's first reference price; the stop from its offset if it gave none."""
    if ref is None:
        return
    vo.trail_ref = ref
    if vo.stop is None:
        vo.stop = stop = trail_stop(vo, ref)
        m.emit(OrderModified(vo.oid, None, None, stop, m.now, m.now))


def follow(m: RecordedMarket, vo: VOrder, price: int) -> None:
    """A trailing stop saw ``price``: a better reference moves the stop (never back)."""
    ref = vo.trail_ref
    if ref is None or (price > ref if vo.side < 0 else price < ref):
        vo.trail_ref = price
        stop = trail_stop(vo, price)
        if vo.stop is None or (stop > vo.stop if vo.side < 0 else stop < vo.stop):
            vo.stop = stop
            m.emit(OrderModified(vo.oid, None, None, stop, m.now, m.now))


def check_all(m: RecordedMarket, bid: int | None, ask: int | None, trade: int | None) -> None:
    """New market data (a quote's or the L2 book's touch, or a trade): trail, then trigger."""
    for vo in list(m.stops):
        if vo.otype == TRAILING_STOP:
            seen = trade if trade is not None else (bid if vo.side < 0 else ask)
            if seen is not None:
                follow(m, vo, seen)
        check(m, vo, bid, ask, trade)


def check(
    m: RecordedMarket, vo: VOrder, bid: int | None, ask: int | None, trade: int | None
) -> None:
    """Trigger ``vo`` if the prices reach it (``trade`` is given alone, by a trade)."""
    stop = vo.stop
    if stop is None:
        return
    if vo.otype in _TOUCHED:
        hit = (
            ((ask is not None and ask <= stop) or (trade is not None and trade <= stop))
            if vo.side > 0
            else ((bid is not None and bid >= stop) or (trade is not None and trade >= stop))
        )
    else:
        hit = (
            ((ask is not None and ask >= stop) or (trade is not None and trade >= stop))
            if vo.side > 0
            else ((bid is not None and bid <= stop) or (trade is not None and trade <= stop))
        )
    if hit:
        mark_triggered(m, vo)
        m.execute(vo, trade if vo.otype in AS_MARKET else None)


def mark_triggered(m: RecordedMarket, vo: VOrder) -> None:
    """``vo`` stops waiting: reported triggered (it works as market or limit from now)."""
    if vo in m.stops:
        m.stops.remove(vo)
    vo.triggered = True
    m.emit(OrderTriggered(vo.oid, m.now, m.now))
