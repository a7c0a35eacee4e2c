"""Admission of new orders, contingent orders (OCO, OTO, brackets) and reduce-only, for the engine.

Venue-native contingent orders, by client order id:

- OCO: an order's ``oco`` names its siblings; members form one group whichever arrives first.
  The first fill of any member (a partial fill is enough), or a member closing without a fill
  (canceled, expired, rejected), cancels every other live member, once. A member that arrives
  after its group fired is rejected (``OCO_GROUP_DONE``). This mirrors the kernel's own OCO rule.
- OTO / bracket: a child names its ``parent_id`` (the parent must have been submitted first;
  a bracket is a parent plus two children that are OCO with each other). Children are accepted
  and held until the parent is done: when it fills completely, or is canceled/expired with a
  partial fill, each child is released sized to ``min(child quantity, parent filled)`` (an
  ``OrderModified`` reports the new quantity); a parent that closes unfilled cancels them.

Reduce-only: the engine keeps each owner's net position from its own fills. A reduce-only order
is rejected when the position is flat or on the order's side, and trimmed (``OrderModified``)
to the position when larger. While it works, every change of the position re-checks it: it is
trimmed to what still reduces, or canceled once nothing does. Each order is checked on its own
(two reduce-only orders may each be as large as the position). Held OTO children are checked
when released, stops when triggered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.events import OrderAccepted, OrderCanceled, OrderModified, OrderRejected
from kernel.orders import field_problem
from sim.exchange_orders import (
    BUY,
    DAY,
    FOK,
    GTD,
    IOC,
    LIMIT_TYPES,
    OPG,
    R_CONFLICT,
    R_DUPLICATE,
    R_EXPIRED_ON_ARRIVAL,
    R_INVALID,
    R_MARKET_CLOSED,
    R_OCO_DONE,
    R_OPG_AFTER_OPEN,
    R_PARENT_CLOSED,
    R_POST_ONLY,
    R_REDUCE_ONLY,
    R_UNKNOWN_PARENT,
    SELL,
    STOP,
    STOP_LIMIT,
    TRAILING_STOP,
    TRIGGER_TYPES,
    W_AUCTION,
    W_BOOK,
    W_DONE,
    W_HELD,
    W_NEW,
    W_TRIGGER,
    Ext,
    OcoGroup,
    Rec,
)
from sim.session import utc_midnight_after

if TYPE_CHECKING:
    from sim.exchange import MatchingEngine


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


# the kernel's reason -> the engine's (where they are named differently)
_ENGINE_REASON = {
    "INVALID_PRICE": R_INVALID,
    "GTD_WITHOUT_EXPIRY": R_INVALID,
    "EXPIRY_WITHOUT_GTD": R_CONFLICT,
}


def admit(
    eng: MatchingEngine,
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
    oco: tuple[str, ...],
    parent_id: str | None,
    is_parent: bool,
) -> None:
    """Validate, accept and route a new order (or reject it with a reason)."""
    if oid in eng._seen:
        out.append(OrderRejected(oid, R_DUPLICATE, now, now))
        return
    eng._seen.add(oid)
    reason = invalid(
        side, otype, qty, limit, stop, trail_ticks, trail_ppm, tif, expire_ns, post_only, display
    )
    if reason is None:
        if tif == OPG and eng.session is not None and eng._is_open:
            reason = R_OPG_AFTER_OPEN
        elif not eng._is_open and (tif in (IOC, FOK) or post_only):
            reason = R_MARKET_CLOSED
        elif tif == GTD and expire_ns <= now:  # type: ignore[operator]
            reason = R_EXPIRED_ON_ARRIVAL
    parent: Rec | None = None
    if reason is None and parent_id is not None:
        parent = eng._parents[parent_id] if parent_id in eng._parents else eng.order(parent_id)
        if parent is None:
            reason = R_PARENT_CLOSED if parent_id in eng._parents else R_UNKNOWN_PARENT
        elif parent.where == W_DONE and parent.filled == 0:
            reason = R_PARENT_CLOSED
    group = _find_group(eng, oid, oco) if oco else None
    if reason is None and group is not None and group.fired:
        reason = R_OCO_DONE
    held = parent is not None and parent.where != W_DONE
    if reason is None and not held:
        if post_only and eng._is_open and eng._would_take(side, limit):
            reason = R_POST_ONLY
        elif reduce_only and ro_allowed(eng, owner, side) == 0:
            reason = R_REDUCE_ONLY
    if reason is not None:
        out.append(OrderRejected(oid, reason, now, now))
        if is_parent:
            eng._parents[oid] = None
        if group is not None and not group.fired:
            _fire_group(eng, group, oid, now, out)
        return
    eng._seq = seq = eng._seq + 1
    vid = eng._vid + str(seq)
    price = limit if otype in LIMIT_TYPES else None
    rec = Rec(oid, side, price, qty, display, owner, seq, otype, tif, vid)
    if otype in TRIGGER_TYPES or post_only or reduce_only or oco or parent_id or is_parent:
        rec.ext = ext = Ext()
        ext.stop = stop
        ext.trail_ticks, ext.trail_ppm = trail_ticks, trail_ppm
        ext.up = (side == BUY) == (otype in (STOP, STOP_LIMIT, TRAILING_STOP))
        ext.post_only, ext.reduce_only = post_only, reduce_only
        ext.parent = parent_id
        if oco:
            if group is None:
                group = OcoGroup()
            for m in (oid, *oco):
                if m not in eng._oco:
                    eng._oco[m] = group
                    group.members.append(m)
            ext.oco = group
        if is_parent:
            ext.is_parent = True
            eng._parents[oid] = rec
        if reduce_only:
            eng._ro.setdefault(owner, {})[oid] = rec
    out.append(OrderAccepted(oid, vid, now, now))
    if tif == DAY:
        s = eng.session
        eng._push_expiry(s.close_after(now) if s is not None else utc_midnight_after(now), oid)  # type: ignore[attr-defined]
    elif tif == GTD:
        eng._push_expiry(expire_ns, oid)  # type: ignore[arg-type]
    if parent is not None:
        pext = parent.ext
        if pext is None:
            parent.ext = pext = Ext()
        if not pext.is_parent:
            pext.is_parent = True
            eng._parents[parent.oid] = parent
        if held:
            if pext.children is None:
                pext.children = []
            pext.children.append(oid)
            rec.where = W_HELD
            eng._other[oid] = rec
            return
        release(eng, rec, parent.filled, now, out)
        return
    if reduce_only and not ro_enforce(eng, rec, now, out):
        return
    eng._route(rec, now, out)


def _find_group(eng: MatchingEngine, oid: str, oco: tuple[str, ...]) -> OcoGroup | None:
    for m in (oid, *oco):
        group = eng._oco.get(m)
        if group is not None:
            return group  # type: ignore[return-value]
    return None


def _fire_group(eng: MatchingEngine, group: OcoGroup, oid: str, now: int, out: list) -> None:
    group.fired = True
    for m in group.members:
        if m != oid:
            other = eng.order(m)
            if other is not None:
                eng._kill(other, now, out, OrderCanceled)


def follow(eng: MatchingEngine, rec: Rec, now: int, out: list) -> None:
    """After ``rec`` filled or closed: fire its OCO group, release or cancel its children."""
    ext = rec.ext
    assert ext is not None
    done = rec.where == W_DONE
    group = ext.oco
    if group is not None and not group.fired and (rec.filled > 0 or done):
        _fire_group(eng, group, rec.oid, now, out)
    if not done:
        return
    if ext.children:
        children, ext.children = ext.children, []
        for cid in children:
            child = eng._other.get(cid)
            if child is None or child.where != W_HELD:
                continue
            if rec.filled > 0:
                del eng._other[cid]
                release(eng, child, rec.filled, now, out)
            else:
                eng._kill(child, now, out, OrderCanceled)
    if ext.reduce_only:
        recs = eng._ro.get(rec.owner)
        if recs is not None and recs.get(rec.oid) is rec:
            del recs[rec.oid]
            if not recs:
                del eng._ro[rec.owner]


def release(eng: MatchingEngine, child: Rec, parent_filled: int, now: int, out: list) -> None:
    """Release an OTO child sized to what its parent filled."""
    child.where = W_NEW
    if child.qty > parent_filled:
        child.qty = parent_filled
        out.append(OrderModified(child.oid, parent_filled, None, None, now, now))
    ext = child.ext
    if ext is not None and ext.reduce_only and not ro_enforce(eng, child, now, out):
        return
    eng._route(child, now, out)


def replace(eng: MatchingEngine, old: Rec, new: Rec) -> None:
    """Point the indexes that hold records (not ids) at a re-created record."""
    ext = old.ext
    if ext is None:
        return
    if ext.reduce_only:
        eng._ro[old.owner][old.oid] = new
    if ext.is_parent:
        eng._parents[old.oid] = new


def ro_allowed(eng: MatchingEngine, owner: object, side: int) -> int:
    """How many lots a reduce-only order of ``owner`` on ``side`` may still trade."""
    allowed = -eng.positions.get(owner, 0) * side
    return allowed if allowed > 0 else 0


def ro_enforce(eng: MatchingEngine, rec: Rec, now: int, out: list) -> bool:
    """Trim or cancel a reduce-only order to the position; return whether it is still live."""
    allowed = ro_allowed(eng, rec.owner, rec.side)
    if allowed == 0:
        eng._kill(rec, now, out, OrderCanceled)
        return False
    leaves = rec.qty - rec.filled
    if leaves > allowed:
        if rec.where == W_BOOK:
            (eng._bids if rec.side == BUY else eng._asks).reduce(rec, allowed)
        rec.qty = rec.filled + allowed
        out.append(OrderModified(rec.oid, rec.qty, None, None, now, now))
    return True


def ro_check_all(eng: MatchingEngine, now: int, out: list) -> None:
    """Positions changed: re-check every working reduce-only order (in arrival order)."""
    for recs in list(eng._ro.values()):
        for rec in list(recs.values()):
            if rec.where == W_BOOK or rec.where == W_TRIGGER or rec.where == W_AUCTION:
                ro_enforce(eng, rec, now, out)
