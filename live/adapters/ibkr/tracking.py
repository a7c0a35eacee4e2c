"""What the adapter knows of its orders at IB: ids, what was sent, what is still unanswered.

IB knows an order by the sending client's ``orderId`` (per client id, increasing), by its
``permId`` (account-wide, permanent, given on acceptance) and by ``orderRef`` (free text: the
kernel's client order id, the key that survives a reconnect, a restart and another client id).
``OrderBook`` maps all three to the kernel's id and keeps, per order, the command in flight:

- ``Placement``: the IB ``Order`` as sent and when (``sent_at``; None: not sent on the current
  connection, or answered). An answer (``openOrder``, ``orderStatus`` or an error about it)
  clears ``sent_at``; a lost socket clears it too, but then the effect is unknown: the
  reconciliation after the reconnect finds the order by ``orderRef`` or sends it again.
- ``cancels`` / ``modifies``: a cancel or modify asked for and when it was last sent; cleared by
  the answer (terminal status, 202, 10147/10148; the modified order echoed back, 104/105/110).
  One left unanswered past the ack timeout, or lost with a socket, is sent again (both are
  idempotent at IB: a second cancel is refused, a second modify with the same terms changes
  nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Placement:
    """One kernel order placed (or to be placed) at IB."""

    coid: str
    contract: Any
    order: Any  # the IB Order: orderId is set once sent
    sent_at: float | None = None
    sends: int = 0


@dataclass(slots=True)
class PendingModify:
    """A modify asked for: the kernel's new values and the IB values they became."""

    kernel: tuple[int | None, int | None, int | None]  # (qty lots, limit ticks, stop ticks)
    ib: tuple[float | None, float | None, float | None]  # (totalQuantity, lmtPrice, stop)
    order: Any  # the IB Order with the new terms (the placement's once confirmed)
    sent_at: float | None = None


@dataclass
class OrderBook:
    """The adapter's orders at IB (see the module docstring). Single-threaded."""

    placements: dict[str, Placement] = field(default_factory=dict)
    by_order_id: dict[int, str] = field(default_factory=dict)
    by_perm_id: dict[int, str] = field(default_factory=dict)
    status: dict[str, tuple[str, float]] = field(default_factory=dict)  # last (status, filled)
    reasons: dict[str, str] = field(default_factory=dict)  # the last error about each order
    cancels: dict[str, float | None] = field(default_factory=dict)
    modifies: dict[str, PendingModify] = field(default_factory=dict)
    client_id: int = 0  # this client's id at TWS (order ids are per client id)
    queued: set[str] = field(default_factory=set)  # waiting for the socket or the throttle
    looking: set[str] = field(default_factory=set)  # being looked up by orderRef

    def placed(self, coid: str, contract: Any, order: Any, now: float) -> Placement:
        """``order`` (with its ``orderId``) was sent for ``coid`` at ``now``."""
        p = self.placements.get(coid)
        if p is None or p.order is not order:
            p = self.placements[coid] = Placement(coid, contract, order)
        p.sent_at, p.sends = now, p.sends + 1
        self.by_order_id[order.orderId] = coid
        return p

    def adopt(self, coid: str, trade: Any) -> None:
        """Learn an order IB has (a reconnect's open orders, a lookup by ``orderRef``). Order
        ids are per client id: only this client's are learnt (``client_id``; 0 = any)."""
        order = trade.order
        p = self.placements.get(coid)
        if p is None or p.order.orderId != order.orderId:
            self.placements[coid] = Placement(coid, trade.contract, order)
        else:
            p.order, p.sent_at = order, None
        if order.orderId and (not self.client_id or order.clientId in (0, self.client_id)):
            self.by_order_id[order.orderId] = coid
        perm = trade.orderStatus.permId or order.permId
        if perm:
            self.by_perm_id[perm] = coid

    def answered(self, coid: str, perm_id: int = 0) -> None:
        p = self.placements.get(coid)
        if p is not None:
            p.sent_at = None
        if perm_id:
            self.by_perm_id[perm_id] = coid

    def coid_of_order_id(self, order_id: int) -> str | None:
        return self.by_order_id.get(order_id)

    def unanswered(self, now: float, timeout_s: float) -> list[str]:
        """Orders whose placement got no answer within ``timeout_s`` (oldest first)."""
        late = [(p.sent_at, c) for c, p in self.placements.items()
                if p.sent_at is not None and now - p.sent_at >= timeout_s]  # fmt: skip
        return [c for _, c in sorted(late)]

    def in_flight(self) -> set[str]:
        """Orders whose submission is under way: queued, being looked up, or sent with no
        answer yet (the reconciliation never sends those again)."""
        sent = {c for c, p in self.placements.items() if p.sent_at is not None}
        return self.queued | self.looking | sent

    def connection_lost(self) -> None:
        """The socket is gone: what was sent and unanswered has an unknown effect now."""
        for p in self.placements.values():
            p.sent_at = None
        for coid in self.cancels:
            self.cancels[coid] = None
        for m in self.modifies.values():
            m.sent_at = None

    def forget(self, coid: str) -> None:
        """The order is closed: keep its ids (late messages), drop what was pending."""
        self.cancels.pop(coid, None)
        self.modifies.pop(coid, None)
        p = self.placements.get(coid)
        if p is not None:
            p.sent_at = None
