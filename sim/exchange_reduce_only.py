"""Reduce-only orders of the exchange engine.

The engine keeps each owner's net position from its own fills. A reduce-only order is rejected
when the position is flat or on the order's side, and trimmed (``OrderModified``) to the
position when larger. While it works, every change of the position re-checks it: it is trimmed
to what still reduces, or canceled once nothing does. Each order is checked on its own (two
reduce-only orders may each be as large as the position). Stops are checked when triggered.

(Contingent orders, OCO, OTO and brackets, are the kernel's: it emulates them on every venue, so
the engine has none.)

``ReduceOnly`` keeps the index of working reduce-only orders and reaches the engine only through
``sim.exchange_protocol.ReduceOnlyEngine``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.events import OrderCanceled, OrderModified
from sim.exchange_orders import W_AUCTION, W_BOOK, W_DONE, W_TRIGGER, Rec

if TYPE_CHECKING:
    from sim.exchange_protocol import ReduceOnlyEngine


class ReduceOnly:
    """The reduce-only orders of one engine (the rules above).

    ``orders`` maps owner -> {oid: live reduce-only record}, in arrival order; the engine reads
    it (never writes it) to know whether a position change needs a re-check.
    """

    __slots__ = ("_eng", "orders")

    def __init__(self, eng: ReduceOnlyEngine) -> None:
        self._eng = eng
        self.orders: dict[object, dict[str, Rec]] = {}

    def add(self, rec: Rec) -> None:
        """Register an accepted reduce-only order."""
        self.orders.setdefault(rec.owner, {})[rec.oid] = rec

    def closed(self, rec: Rec) -> None:
        """After ``rec`` (a record with ``ext``) filled or closed: forget it once it is done."""
        if rec.where == W_DONE and rec.ext.reduce_only:  # type: ignore[union-attr]
            recs = self.orders.get(rec.owner)
            if recs is not None and recs.get(rec.oid) is rec:
                del recs[rec.oid]
                if not recs:
                    del self.orders[rec.owner]

    def replace(self, old: Rec, new: Rec) -> None:
        """Point the index at a re-created record (a modify that lost priority)."""
        ext = old.ext
        if ext is not None and ext.reduce_only:
            self.orders[old.owner][old.oid] = new

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
        for recs in list(self.orders.values()):
            for rec in list(recs.values()):
                if rec.where == W_BOOK or rec.where == W_TRIGGER or rec.where == W_AUCTION:
                    self.enforce(rec, now, out)
