"""The engine's clock-driven side: session open/close, auctions for OPG/CLS, and expiries.

Sessions (a ``sim.session.Session``; without one the market is always open and auctions run
only when ``run_auction`` is called):

- Outside ``[open, close)`` the market is closed. OPG orders are accepted only while it is
  closed (after the open they are rejected) and wait for the next opening auction; CLS orders
  are accepted at any time and wait for the next closing auction. Other market and limit orders
  sent while closed are collected for the opening auction too (a pre-open phase); IOC, FOK and
  post-only are rejected (``MARKET_CLOSED``); stops wait as usual (nothing trades while closed).
- The opening auction uncrosses, at one price (``sim.auction.clearing_price``), the collected
  orders together with everything resting in the book; the closing auction the CLS orders with
  the book. Resting book orders are makers; between two auction orders the earlier is the maker.
  After the auction what is left of OPG/CLS orders expires, of market orders is canceled, and
  other collected limits are worked (they rest in the book, or match if they still can).
- At the close, after the auction, the market closes; orders triggered by the closing price
  wait for the next open. DAY orders expire at the close, after the closing auction.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from kernel.enums import Liquidity
from kernel.events import OrderCanceled, OrderExpired, OrderFilled
from sim.auction import clearing_price, pair
from sim.exchange_orders import BUY, CLS, OPG, W_AUCTION, W_BOOK, W_DONE, W_NEW, Rec

if TYPE_CHECKING:
    from sim.exchange import MatchingEngine

INF = 1 << 62


def run_due(eng: MatchingEngine, now: int, out: list) -> None:
    """Process session events and expiries due at or before ``now``, in time order."""
    session = eng.session
    if not eng._session_init:
        eng._session_init = True
        eng._is_open = session.is_open(now)  # type: ignore[attr-defined]
        eng._next_session = (
            session.close_after(now) if eng._is_open else session.open_after(now)  # type: ignore[attr-defined]
        )
    heap = eng._expiries
    while True:
        t_exp = heap[0][0] if heap else INF
        t_ses = eng._next_session
        if t_ses <= t_exp:
            if t_ses > now:
                break
            if eng._is_open:
                _close(eng, t_ses, out)
            else:
                _open(eng, t_ses, out)
        else:
            if t_exp > now:
                break
            oid = heapq.heappop(heap)[2]
            rec = eng.order(oid)
            if rec is not None:
                eng._kill(rec, t_exp, out, OrderExpired)
                eng._settle(t_exp, out)
    eng._next_due = min(heap[0][0] if heap else INF, eng._next_session)
    eng._fast_until = eng._next_due if eng._is_open else -1


def _open(eng: MatchingEngine, ts: int, out: list) -> None:
    eng._is_open = True
    eng._next_session = eng.session.close_after(ts)  # type: ignore[attr-defined]
    run(eng, "open", ts, out)
    eng._settle(ts, out)


def _close(eng: MatchingEngine, ts: int, out: list) -> None:
    run(eng, "close", ts, out)
    eng._is_open = False
    eng._next_session = eng.session.open_after(ts + 1)  # type: ignore[attr-defined]
    eng._settle(ts, out)


def run(eng: MatchingEngine, kind: str | None, now: int, out: list) -> None:
    """Uncross the collected orders of ``kind`` (open, close, None: both) with the book."""
    if kind not in ("open", "close", None):
        raise ValueError(f"auction kind must be 'open', 'close' or None, got {kind!r}")
    lists = []
    if kind != "close":
        lists.append(eng._auction_open)
    if kind != "open":
        lists.append(eng._auction_close)
    collected = [r for lst in lists for r in lst]
    if collected:
        _uncross(eng, collected, now, out)
    leftovers = sorted((r for lst in lists for r in lst if r.where == W_AUCTION), key=_by_seq)
    for lst in lists:
        lst.clear()
    for r in leftovers:
        del eng._other[r.oid]
        r.where = W_NEW
        if r.tif == OPG or r.tif == CLS:
            eng._kill(r, now, out, OrderExpired)
        elif r.price is None:
            eng._kill(r, now, out, OrderCanceled)
        else:
            eng._work(r, now, out)


def _by_seq(r: Rec) -> int:
    return r.seq


def _buy_priority(r: Rec) -> tuple[bool, int, int]:
    return (r.price is not None, -(r.price or 0), r.seq)


def _sell_priority(r: Rec) -> tuple[bool, int, int]:
    return (r.price is not None, r.price or 0, r.seq)


def _uncross(eng: MatchingEngine, collected: list[Rec], now: int, out: list) -> None:
    parts = list(collected)
    for side in (eng._bids, eng._asks):
        for level in side.iter_levels():
            parts.extend(o for o in level.queue if o.live)
    buys = [r for r in parts if r.side == BUY]
    sells = [r for r in parts if r.side != BUY]
    cleared = clearing_price(
        [(r.price, r.qty - r.filled) for r in buys],
        [(r.price, r.qty - r.filled) for r in sells],
        eng.last_price,
    )
    if cleared is None:
        return
    price = cleared[0]
    eb = sorted((r for r in buys if r.price is None or r.price >= price), key=_buy_priority)
    es = sorted((r for r in sells if r.price is None or r.price <= price), key=_sell_priority)
    actions = pair(
        [(r.owner, r.seq, r.qty - r.filled) for r in eb],
        [(r.owner, r.seq, r.qty - r.filled) for r in es],
        eng._stp,
    )
    traded = False
    for i, j, qty in actions:
        if qty == 0:
            eng._kill(eb[i] if j < 0 else es[j], now, out, OrderCanceled)
            continue
        b, s = eb[i], es[j]
        if b.where == W_BOOK or (s.where != W_BOOK and b.seq < s.seq):
            maker, taker = b, s
        else:
            maker, taker = s, b
        eng.trades += 1
        tid = eng._tid + str(eng.trades)
        _fill(eng, maker, qty, price, tid, int(Liquidity.MAKER), now, out)
        _fill(eng, taker, qty, price, tid, int(Liquidity.TAKER), now, out)
        traded = True
    if traded:
        eng.last_price = price
        eng._pos_dirty = bool(eng._ro)
        if len(eng._triggers):
            eng._on_trades(price, price, now, out)


def _fill(
    eng: MatchingEngine, r: Rec, qty: int, price: int, tid: str, liq: int, now: int, out: list
) -> None:
    r.filled += qty
    out.append(OrderFilled(r.oid, r.void, tid, eng.symbol, r.side, price, qty, liq, 0, now, now))
    eng.positions[r.owner] = eng.positions.get(r.owner, 0) + r.side * qty
    leaves = r.qty - r.filled
    if r.where == W_BOOK:
        side = eng._bids if r.side == BUY else eng._asks
        if leaves == 0:
            del eng._resting[r.oid]
            side.remove(r)
            r.where = W_DONE
        else:
            side.reduce(r, leaves)
    elif leaves == 0:
        del eng._other[r.oid]
        r.where = W_DONE  # why: stays in its auction list until the leftovers are swept
    if r.ext is not None:
        eng._pending.append(r)
