"""Time at the recorded venue (rule 5): expiries and the opening and closing auctions.

DAY orders expire at the session close after acceptance (no session: 00:00 UTC after the day of
acceptance); GTD at ``expire_ns``. OPG orders execute at the first price of the session (the
opposite touch of the first quote or L2 update, the first trade, or the first bar's open) and
are rejected after the open; CLS orders at the last price at or before the close
(``Touch.close_price``: the opposite touch, the last trade, or the last bar's close). A limit
OPG/CLS that the price does not satisfy expires. Auction fills are taker fills.

Expiries wait in ``m.expiries``, a heap of ``(due_ns, seq, client_order_id)``; an entry whose
order has closed is dropped when it reaches the top.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from kernel.enums import Liquidity, TimeInForce
from kernel.events import OrderExpired
from sim.session import utc_midnight_after

if TYPE_CHECKING:
    from sim.recorded import RecordedMarket
    from sim.recorded_order import VOrder

_TAKER = int(Liquidity.TAKER)


def schedule_expiry(m: RecordedMarket, vo: VOrder, now: int) -> None:
    """Queue the time ``vo`` (DAY, GTD, OPG, CLS) stops working; OPG also waits for the open."""
    session = m.session
    if vo.tif == TimeInForce.DAY:
        at = session.close_after(now) if session else utc_midnight_after(now)
    elif vo.tif == TimeInForce.GTD:
        at = vo.expire_ns  # type: ignore[assignment]
    elif vo.tif in (TimeInForce.OPG, TimeInForce.CLS) and session is not None:
        at = session.close_after(now)
        if vo.tif == TimeInForce.OPG:
            m.next_open = session.open_after(now)
    else:
        return
    m.seq += 1
    heapq.heappush(m.expiries, (at, m.seq, vo.oid))


def next_wakeup(m: RecordedMarket) -> int | None:
    """When the next expiry (or closing auction) is due, None if none."""
    exp = m.expiries
    orders = m.orders
    while exp and exp[0][2] not in orders:
        heapq.heappop(exp)
    return exp[0][0] if exp else None


def wake(m: RecordedMarket, now: int) -> None:
    """Expire what is due; a CLS order first takes part in the closing auction."""
    m.now = now
    exp = m.expiries
    while exp and exp[0][0] <= now:
        _, _, oid = heapq.heappop(exp)
        vo = m.orders.get(oid)
        if vo is None:
            continue
        if vo.tif == TimeInForce.CLS:
            auction_fill(m, vo, m.touch.close_price(m, vo.side))
            if vo.closed:
                continue
        m.detach(vo)
        m.close(vo)
        m.emit(OrderExpired(vo.oid, now, now))


def open_auction(m: RecordedMarket, price: int | None = None) -> None:
    """The session opened: OPG orders fill at ``price`` (default: the touch) or expire."""
    m.next_open = None
    for vo in list(m.opg):
        auction_fill(m, vo, price if price is not None else m.touch.close_price(m, vo.side))
        if not vo.closed:
            m.opg.remove(vo)
            m.close(vo)
            m.emit(OrderExpired(vo.oid, m.now, m.now))


def auction_fill(m: RecordedMarket, vo: VOrder, price: int | None) -> None:
    if price is None:
        return
    if vo.limit is not None and (price > vo.limit if vo.side > 0 else price < vo.limit):
        return
    m.detach(vo)
    m.fill(vo, price, vo.leaves, _TAKER)
