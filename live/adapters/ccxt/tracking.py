"""What the adapter knows of its orders at the exchange: ids, what is under way, what each
order has filled, and terminal events waiting for their fills.

The exchange knows an order by its ``orderId`` (Binance: per symbol) and by the client order id
it was sent with (the kernel's: the key that survives a lost answer, a reconnect, a restart).
``OrderBook`` maps both to the kernel's id, and per order keeps:

- ``submitting``: a submission under way (never resent by a reconciliation); ``unknown``: one
  whose outcome could not be read (a timeout, then the look-up failed too): a reconciliation
  looks it up and sends it again when the exchange does not have it.
- ``delivered`` (fill lots the kernel was given) against ``executed`` (what the exchange says
  the order has filled, when that is more): an order ahead of its fills has its trades read
  after ``fill_wait_s``; a terminal event (canceled, expired) of such an order is ``held`` until
  the fills it counts are in, so the kernel sees the fills first.
- ``expiry``: when the adapter cancels a DAY / GTD order (sent GTC) and ``expiring``: those it
  canceled for that (their cancel is reported as ``OrderExpired``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class OrderBook:
    """The adapter's orders (see the module docstring). Single-threaded."""

    venue_ids: dict[str, tuple[str, str]] = field(default_factory=dict)  # coid -> (symbol, id)
    by_venue_id: dict[tuple[str, str], str] = field(default_factory=dict)  # (symbol, id) -> coid
    submitting: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    delivered: dict[str, int] = field(default_factory=dict)
    executed: dict[str, tuple[int, float]] = field(default_factory=dict)  # lots, since
    held: dict[str, tuple[Any, int]] = field(default_factory=dict)  # event, lots it waits for
    triggered: set[str] = field(default_factory=set)
    expiry: dict[str, int] = field(default_factory=dict)  # coid -> ns
    expiring: set[str] = field(default_factory=set)
    external: dict[tuple[str, str], bool] = field(default_factory=dict)  # looked up, not ours

    def track(self, coid: str, symbol: str, order_id: str) -> None:
        self.venue_ids[coid] = (symbol, order_id)
        self.by_venue_id[(symbol, order_id)] = coid

    def coid_of(self, symbol: str, order_id: str) -> str | None:
        return self.by_venue_id.get((symbol, order_id))

    def venue_id(self, coid: str) -> str | None:
        known = self.venue_ids.get(coid)
        return None if known is None else known[1]

    def in_flight(self) -> set[str]:
        return set(self.submitting)

    # --- fills against what the exchange says was executed ----------------------------------
    def on_fill(self, coid: str, lots: int) -> Any | None:
        """A fill delivered: the held terminal event it completes, if any."""
        n = self.delivered.get(coid, 0) + lots
        self.delivered[coid] = n
        ex = self.executed.get(coid)
        if ex is not None and n >= ex[0]:
            del self.executed[coid]
        held = self.held.get(coid)
        if held is not None and n >= held[1]:
            del self.held[coid]
            return held[0]
        return None

    def note_executed(self, coid: str, lots: int, now: float) -> bool:
        """The exchange says ``coid`` has ``lots`` filled; True when that is ahead of the fills
        delivered (its trades are read if they do not come within ``fill_wait_s``)."""
        if lots <= self.delivered.get(coid, 0):
            return False
        prev = self.executed.get(coid)
        if prev is None or prev[0] < lots:
            self.executed[coid] = (lots, prev[1] if prev is not None else now)
        return True

    def hold(self, coid: str, event: Any, lots: int) -> bool:
        """Hold a terminal event until ``lots`` are delivered (True: held, False: send now)."""
        if lots <= self.delivered.get(coid, 0):
            return False
        self.held[coid] = (event, lots)
        return True

    def overdue(self, now: float, wait_s: float) -> list[str]:
        """Orders ahead of their fills for ``wait_s`` or more."""
        return [c for c, (_, since) in self.executed.items() if now - since >= wait_s]

    def release(self, coid: str) -> Any | None:
        """A held terminal event given up waiting for (its fills were read and are not there)."""
        held = self.held.pop(coid, None)
        self.executed.pop(coid, None)
        return None if held is None else held[0]
