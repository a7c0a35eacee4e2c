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

``Auctions`` keeps this clock-driven state (open or closed, the next session event, the expiry
schedule, the collected orders) and reaches the engine only through
``sim.exchange_protocol.AuctionsEngine``.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from kernel.events import OrderCanceled, OrderExpired
from sim.auction import clearing_price, pair
from sim.exchange_orders import (
    BUY,
    CLS,
    FOK,
    GTD,
    IOC,
    OPG,
    R_EXPIRED_ON_ARRIVAL,
    R_MARKET_CLOSED,
    R_OPG_AFTER_OPEN,
    STP_POLICIES,
    W_AUCTION,
    W_BOOK,
    Rec,
)
from sim.session import utc_midnight_after

if TYPE_CHECKING:
    from sim.exchange_protocol import AuctionsEngine
    from sim.session import Session

INF = 1 << 62  # "never" as a time in ns


class Auctions:
    """Sessions, auctions and expiries of one engine (the rules above).

    ``session`` is a ``sim.session.Session`` or None; ``is_open`` whether the market is open now
    (the engine reads it; only session events change it).
    """

    __slots__ = (
        "_close",
        "_eng",
        "_exp_n",
        "_expiries",
        "_next_session",
        "_open",
        "_started",
        "is_open",
        "session",
    )

    def __init__(self, eng: AuctionsEngine, session: Session | None) -> None:
        self._eng = eng
        self.session = session
        self.is_open = True
        self._started = session is None  # why: the first call learns whether it is open
        self._next_session = INF
        self._expiries: list[tuple[int, int, str]] = []  # heap (ts, n, oid)
        self._exp_n = 0
        self._open: list[Rec] = []  # collected for the opening auction
        self._close: list[Rec] = []  # collected for the closing auction

    # --- admission and the schedule ---------------------------------------------------------
    def refusal(self, tif: int, post_only: bool, expire_ns: int | None, now: int) -> str | None:
        """Why a valid new order cannot be accepted now (session and expiry rules), or None."""
        if tif == OPG and self.session is not None and self.is_open:
            return R_OPG_AFTER_OPEN
        if not self.is_open and (tif in (IOC, FOK) or post_only):
            return R_MARKET_CLOSED
        if tif == GTD and expire_ns <= now:  # type: ignore[operator]
            return R_EXPIRED_ON_ARRIVAL
        return None

    def day_end(self, now: int) -> int:
        """When a DAY order accepted at ``now`` expires: the session close, else UTC midnight."""
        s = self.session
        return s.close_after(now) if s is not None else utc_midnight_after(now)

    def expire_at(self, ts: int, oid: str) -> None:
        """Schedule the expiry of ``oid`` at ``ts`` (it is skipped if the order closed by then)."""
        self._exp_n += 1
        heapq.heappush(self._expiries, (ts, self._exp_n, oid))

    def next_due(self) -> int:
        """When the next expiry or session event falls due (``INF``: none)."""
        heap = self._expiries
        return min(heap[0][0] if heap else INF, self._next_session)

    def run_due(self, now: int, out: list) -> None:
        """Process session events and expiries due at or before ``now``, in time order."""
        if not self._started:
            session = self.session
            assert session is not None  # why: without one, it started open, never to change
            self._started = True
            self.is_open = session.is_open(now)
            self._next_session = (
                session.close_after(now) if self.is_open else session.open_after(now)
            )
        eng = self._eng
        heap = self._expiries
        while True:
            t_exp = heap[0][0] if heap else INF
            t_ses = self._next_session
            if t_ses <= t_exp:
                if t_ses > now:
                    break
                if self.is_open:
                    self._close_at(t_ses, out)
                else:
                    self._open_at(t_ses, out)
            else:
                if t_exp > now:
                    break
                oid = heapq.heappop(heap)[2]
                rec = eng.order(oid)
                if rec is not None:
                    eng.kill(rec, t_exp, out, OrderExpired)
                    eng.settle(t_exp, out)

    def _open_at(self, ts: int, out: list) -> None:
        self.is_open = True
        self._next_session = self.session.close_after(ts)  # type: ignore[union-attr]
        self.run("open", ts, out)
        self._eng.settle(ts, out)

    def _close_at(self, ts: int, out: list) -> None:
        self.run("close", ts, out)
        self.is_open = False
        self._next_session = self.session.open_after(ts + 1)  # type: ignore[union-attr]
        self._eng.settle(ts, out)

    # --- the collected orders ---------------------------------------------------------------
    def collect(self, rec: Rec) -> None:
        """Add a record (already ``W_AUCTION`` in the engine) to its auction."""
        (self._close if rec.tif == CLS else self._open).append(rec)

    def discard(self, rec: Rec) -> None:
        """Take a collected record out (canceled or expired before its auction)."""
        (self._close if rec.tif == CLS else self._open).remove(rec)

    def collected(self) -> list[Rec]:
        """Every collected record: the opening auction's, then the closing auction's."""
        return self._open + self._close

    def run(self, kind: str | None, now: int, out: list) -> None:
        """Uncross the collected orders of ``kind`` (open, close, None: both) with the book."""
        if kind not in ("open", "close", None):
            raise ValueError(f"auction kind must be 'open', 'close' or None, got {kind!r}")
        lists = []
        if kind != "close":
            lists.append(self._open)
        if kind != "open":
            lists.append(self._close)
        collected = [r for lst in lists for r in lst]
        if collected:
            self._uncross(collected, now, out)
        leftovers = sorted((r for lst in lists for r in lst if r.where == W_AUCTION), key=_by_seq)
        for lst in lists:
            lst.clear()
        eng = self._eng
        for r in leftovers:
            eng.detach(r)
            if r.tif == OPG or r.tif == CLS:
                eng.kill(r, now, out, OrderExpired)
            elif r.price is None:
                eng.kill(r, now, out, OrderCanceled)
            else:
                eng.work(r, now, out)

    def _uncross(self, collected: list[Rec], now: int, out: list) -> None:
        eng = self._eng
        parts = list(collected)
        book = eng.book
        for side in (book.bids, book.asks):
            for level in side.iter_levels():
                parts.extend(o for o in level.queue if o.live)  # type: ignore[misc]
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
            STP_POLICIES[eng.stp],
        )
        traded = False
        for i, j, qty in actions:
            if qty == 0:
                eng.kill(eb[i] if j < 0 else es[j], now, out, OrderCanceled)
                continue
            b, s = eb[i], es[j]
            if b.where == W_BOOK or (s.where != W_BOOK and b.seq < s.seq):
                eng.cross(b, s, qty, price, now, out)
            else:
                eng.cross(s, b, qty, price, now, out)
            traded = True
        if traded:
            eng.traded(price, now, out)


def _by_seq(r: Rec) -> int:
    return r.seq


def _buy_priority(r: Rec) -> tuple[bool, int, int]:
    return (r.price is not None, -(r.price or 0), r.seq)


def _sell_priority(r: Rec) -> tuple[bool, int, int]:
    return (r.price is not None, r.price or 0, r.seq)
