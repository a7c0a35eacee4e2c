"""Order entry for the exchange engine: accepting a new order, and the checks of a modify.

A new order is checked in this order, the first failure being its reject reason: a client order
id used before (``DUPLICATE_ORDER_ID``); the order's own fields (the kernel's rules,
``invalid`` below); the session and expiry (``sim.exchange_auction``); post-only (it would take)
and reduce-only (nothing to reduce, ``sim.exchange_reduce_only``). An accepted order gets the
next sequence number and venue order id, its DAY or GTD expiry is scheduled, and it is routed
(after a reduce-only trim).
"""

from __future__ import annotations

from kernel.events import OrderAccepted, OrderRejected
from kernel.orders import field_problem
from sim.exchange_orders import (
    BUY,
    DAY,
    GTD,
    LIMIT_TYPES,
    R_CONFLICT,
    R_DUPLICATE,
    R_INVALID,
    R_NO_LIMIT,
    R_NO_STOP,
    R_NOT_ABOVE_FILLED,
    R_POST_ONLY,
    R_REDUCE_ONLY,
    SELL,
    STOP,
    STOP_LIMIT,
    TRAILING_STOP,
    TRIGGER_TYPES,
    W_BOOK,
    Ext,
    Rec,
)
from sim.matching import MatchingCore

# the kernel's reason -> the engine's (where they are named differently)
_ENGINE_REASON = {
    "INVALID_PRICE": R_INVALID,
    "GTD_WITHOUT_EXPIRY": R_INVALID,
    "EXPIRY_WITHOUT_GTD": R_CONFLICT,
}


def invalid(
    side: int,
    otype: int,
    qty: int,
    limit: int | None,
    stop: int | None,
    trail_ticks: int | None,
    trail_ppm: int | None,
    tif: int,
    expire_ns: int | None,
    post_only: bool,
    display: int | None,
) -> str | None:
    """The reason an order cannot exist as given, or None: the kernel's own rules
    (``kernel.orders.field_problem``), its reasons in the engine's codes."""
    if side not in (BUY, SELL) or not 1 <= otype <= 7 or not 1 <= tif <= 7:
        return R_INVALID
    problem = field_problem(
        "",
        side,
        otype,
        qty,
        limit,
        stop,
        trail_ticks,
        trail_ppm,
        tif,
        expire_ns,
        post_only,
        display,
    )
    if problem is None:
        return None
    return _ENGINE_REASON.get(problem.reason, problem.reason)


class OrderEntry(MatchingCore):
    """Admission and modify checks of ``sim.exchange.MatchingEngine`` (see there)."""

    def _admit(
        self,
        out: list,
        now: int,
        oid: str,
        owner: object,
        side: int,
        otype: int,
        qty: int,
        limit: int | None,
        stop: int | None,
        trail_ticks: int | None,
        trail_ppm: int | None,
        tif: int,
        expire_ns: int | None,
        post_only: bool,
        reduce_only: bool,
        display: int | None,
    ) -> None:
        """Validate, accept and route a new order (or reject it with a reason)."""
        if oid in self._seen:
            out.append(OrderRejected(oid, R_DUPLICATE, now, now))
            return
        self._seen.add(oid)
        reduce = self._reduce
        reason = invalid(
            side,
            otype,
            qty,
            limit,
            stop,
            trail_ticks,
            trail_ppm,
            tif,
            expire_ns,
            post_only,
            display,
        )
        if reason is None:
            reason = self._auctions.refusal(tif, post_only, expire_ns, now)
        if reason is None:
            if post_only and self._auctions.is_open and self._would_take(side, limit):
                reason = R_POST_ONLY
            elif reduce_only and reduce.allowed(owner, side) == 0:
                reason = R_REDUCE_ONLY
        if reason is not None:
            out.append(OrderRejected(oid, reason, now, now))
            return
        self._seq = seq = self._seq + 1
        vid = self._vid + str(seq)
        price = limit if otype in LIMIT_TYPES else None
        rec = Rec(oid, side, price, qty, display, owner, seq, otype, tif, vid)
        if otype in TRIGGER_TYPES or post_only or reduce_only:
            rec.ext = ext = Ext()
            ext.stop = stop
            ext.trail_ticks, ext.trail_ppm = trail_ticks, trail_ppm
            ext.up = (side == BUY) == (otype in (STOP, STOP_LIMIT, TRAILING_STOP))
            ext.post_only, ext.reduce_only = post_only, reduce_only
            if reduce_only:
                reduce.add(rec)
        out.append(OrderAccepted(oid, vid, now, now))
        if tif == DAY:
            self._push_expiry(self._auctions.day_end(now), oid)
        elif tif == GTD:
            self._push_expiry(expire_ns, oid)  # type: ignore[arg-type]
        if not reduce_only or reduce.enforce(rec, now, out):
            self.route(rec, now, out)

    def _modify_problem(
        self, rec: Rec, qty: int | None, limit: int | None, stop: int | None
    ) -> str | None:
        """Why a modify of the live ``rec`` is refused (None keeps a value), or None."""
        if qty is not None and (not isinstance(qty, int) or qty <= rec.filled):
            return R_NOT_ABOVE_FILLED
        if limit is not None and rec.otype not in LIMIT_TYPES:
            return R_NO_LIMIT
        ext = rec.ext
        if stop is not None and (
            rec.otype not in TRIGGER_TYPES or ext is None or ext.triggered or rec.where == W_BOOK
        ):
            return R_NO_STOP
        if ext is not None:
            new_leaves = (rec.qty if qty is None else qty) - rec.filled
            if ext.reduce_only and new_leaves > self._reduce.allowed(rec.owner, rec.side):
                return R_REDUCE_ONLY
            if (
                ext.post_only
                and limit is not None
                and self._auctions.is_open
                and rec.where == W_BOOK
                and self._would_take(rec.side, limit)
            ):
                return R_POST_ONLY
        return None

    def _would_take(self, side: int, price: int | None) -> bool:
        best = (self._asks if side == BUY else self._bids).best
        if best is None:
            return False
        return price is None or (price >= best if side == BUY else price <= best)
