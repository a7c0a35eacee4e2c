"""Contingent orders (OCO, OTO, brackets) and reduce-only orders of the exchange engine.

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

``Links`` keeps all of this state (the OCO groups, the parents, the reduce-only index) and
reaches the engine only through ``sim.exchange_protocol.LinksEngine``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.events import OrderCanceled, OrderModified
from sim.exchange_orders import (
    R_OCO_DONE,
    R_PARENT_CLOSED,
    R_UNKNOWN_PARENT,
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

if TYPE_CHECKING:
    from sim.exchange_protocol import LinksEngine


class Links:
    """The contingent and reduce-only orders of one engine (the rules above).

    ``reduce_only`` maps owner -> {oid: live reduce-only record}, in arrival order; the engine
    reads it (never writes it) to know whether a position change needs a re-check.
    """

    __slots__ = ("_eng", "_groups", "_parents", "reduce_only")

    def __init__(self, eng: LinksEngine) -> None:
        self._eng = eng
        self._groups: dict[str, OcoGroup] = {}  # oid -> its OCO group
        self._parents: dict[str, Rec | None] = {}  # OTO parents (None: rejected)
        self.reduce_only: dict[object, dict[str, Rec]] = {}

    # --- admission --------------------------------------------------------------------------
    def check(
        self, reason: str | None, oid: str, oco: tuple[str, ...], parent_id: str | None
    ) -> tuple[str | None, Rec | None, OcoGroup | None]:
        """Add the link rules to a new order's ``reason`` (None so far: acceptable); return
        (reason, its parent record if it names one, its OCO group if one exists already)."""
        parent: Rec | None = None
        if reason is None and parent_id is not None:
            parents = self._parents
            parent = parents[parent_id] if parent_id in parents else self._eng.order(parent_id)
            if parent is None:
                reason = R_PARENT_CLOSED if parent_id in parents else R_UNKNOWN_PARENT
            elif parent.where == W_DONE and parent.filled == 0:
                reason = R_PARENT_CLOSED
        group = self._find_group(oid, oco) if oco else None
        if reason is None and group is not None and group.fired:
            reason = R_OCO_DONE
        return reason, parent, group

    def rejected(
        self, oid: str, is_parent: bool, group: OcoGroup | None, now: int, out: list
    ) -> None:
        """A new order was rejected: its children will be too; its OCO group fires."""
        if is_parent:
            self._parents[oid] = None
        if group is not None and not group.fired:
            self._fire_group(group, oid, now, out)

    def attach(
        self, rec: Rec, oco: tuple[str, ...], group: OcoGroup | None, is_parent: bool
    ) -> None:
        """Register an accepted order's links (``rec.ext`` is set)."""
        ext = rec.ext
        assert ext is not None
        oid = rec.oid
        if oco:
            if group is None:
                group = OcoGroup()
            groups = self._groups
            for m in (oid, *oco):
                if m not in groups:
                    groups[m] = group
                    group.members.append(m)
            ext.oco = group
        if is_parent:
            ext.is_parent = True
            self._parents[oid] = rec
        if ext.reduce_only:
            self.reduce_only.setdefault(rec.owner, {})[oid] = rec

    def adopt(self, parent: Rec, child: Rec, now: int, out: list) -> None:
        """An accepted OTO child: hold it while its parent works, else release it now."""
        pext = parent.ext
        if pext is None:
            parent.ext = pext = Ext()
        if not pext.is_parent:
            pext.is_parent = True
            self._parents[parent.oid] = parent
        if parent.where != W_DONE:
            if pext.children is None:
                pext.children = []
            pext.children.append(child.oid)
            self._eng.hold(child)
            return
        self.release(child, parent.filled, now, out)

    def _find_group(self, oid: str, oco: tuple[str, ...]) -> OcoGroup | None:
        for m in (oid, *oco):
            group = self._groups.get(m)
            if group is not None:
                return group
        return None

    def _fire_group(self, group: OcoGroup, oid: str, now: int, out: list) -> None:
        group.fired = True
        eng = self._eng
        for m in group.members:
            if m != oid:
                other = eng.order(m)
                if other is not None:
                    eng.kill(other, now, out, OrderCanceled)

    # --- after a sweep, a cancel or an expiry -----------------------------------------------
    def follow(self, rec: Rec, now: int, out: list) -> None:
        """After ``rec`` filled or closed: fire its OCO group, release or cancel its children."""
        ext = rec.ext
        assert ext is not None
        done = rec.where == W_DONE
        group = ext.oco
        if group is not None and not group.fired and (rec.filled > 0 or done):
            self._fire_group(group, rec.oid, now, out)
        if not done:
            return
        if ext.children:
            eng = self._eng
            children, ext.children = ext.children, []
            for cid in children:
                child = eng.order(cid)
                if child is None or child.where != W_HELD:
                    continue
                if rec.filled > 0:
                    eng.detach(child)
                    self.release(child, rec.filled, now, out)
                else:
                    eng.kill(child, now, out, OrderCanceled)
        if ext.reduce_only:
            recs = self.reduce_only.get(rec.owner)
            if recs is not None and recs.get(rec.oid) is rec:
                del recs[rec.oid]
                if not recs:
                    del self.reduce_only[rec.owner]

    def release(self, child: Rec, parent_filled: int, now: int, out: list) -> None:
        """Release an OTO child sized to what its parent filled."""
        child.where = W_NEW
        if child.qty > parent_filled:
            child.qty = parent_filled
            out.append(OrderModified(child.oid, parent_filled, None, None, now, now))
        ext = child.ext
        if ext is not None and ext.reduce_only and not self.enforce(child, now, out):
            return
        self._eng.route(child, now, out)

    def replace(self, old: Rec, new: Rec) -> None:
        """Point the indexes that hold records (not ids) at a re-created record."""
        ext = old.ext
        if ext is None:
            return
        if ext.reduce_only:
            self.reduce_only[old.owner][old.oid] = new
        if ext.is_parent:
            self._parents[old.oid] = new

    # --- reduce-only ------------------------------------------------------------------------
    def allowed(self, owner: object, side: int) -> int:
        """How many lots a reduce-only order of ``owner`` on ``side`` may still trade."""
        allowed = -self._eng.positions.get(owner, 0) * side
        return allowed if allowed > 0 else 0

    def enforce(self, rec: Rec, now: int, out: list) -> bool:
        """Trim or cancel a reduce-only order to the position; return whether it is still live."""
        allowed = self.allowed(rec.owner, rec.side)
        if allowed == 0:
            self._eng.kill(rec, now, out, OrderCanceled)
            return False
        if rec.qty - rec.filled > allowed:
            self._eng.shrink(rec, allowed)
            out.append(OrderModified(rec.oid, rec.qty, None, None, now, now))
        return True

    def check_all(self, now: int, out: list) -> None:
        """Positions changed: re-check every working reduce-only order (in arrival order)."""
        for recs in list(self.reduce_only.values()):
            for rec in list(recs.values()):
                if rec.where == W_BOOK or rec.where == W_TRIGGER or rec.where == W_AUCTION:
                    self.enforce(rec, now, out)
