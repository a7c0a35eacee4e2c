"""Iceberg: show at most ``display_lots`` at a time; refill when the shown slice has filled.

One child at a time: a limit for ``min(display, quantity - filled)`` lots at the parent's limit
(CONTRACT rule 7), or, for a parent without a limit, at our side's touch when the slice is sent.
When that child has filled completely the next slice is sent at once (refill on fill); what is
left is always recomputed from the real fills, so a partial fill keeps showing the rest of the
slice. A slice that is rejected, or canceled or expired by someone else, is sent again after the
retry delay (or when market data arrives, for a parent still waiting for a price). So the
displayed quantity (the resting children's leaves) never exceeds ``display_lots``; the at-end
finish (``at_end=market``) is a market order or an IOC, which takes and never rests.
"""

from __future__ import annotations

from typing import Any

from kernel.algos.base import ExecAlgo
from kernel.enums import OrderType, TimeInForce
from kernel.orders import Order


class Iceberg(ExecAlgo):
    """A large limit shown in slices of ``display_lots``."""

    NAME = "iceberg"
    WANTS_DATA = True
    __slots__ = ("_waiting_price",)

    def on_start(self) -> None:
        self._waiting_price = False
        self.top_up()

    def slice_price(self) -> int | None:
        if self.p.limit_ticks is not None:
            return self.p.limit_ticks
        return self.near_touch()

    def top_up(self) -> None:
        if self.open_children:
            return
        display = self.p.display_lots
        assert display is not None
        qty = min(display, self.free_lots())
        if qty <= 0:
            return
        price = self.slice_price()
        if price is None:
            self._waiting_price = True  # why: no market data yet: the first print prices it
            return
        self._waiting_price = False
        self.send_child(qty, OrderType.LIMIT, price)

    def on_child_fill(self, order: Order, event: Any) -> None:
        if not order.is_open:
            self.top_up()

    def on_data(self, event: Any) -> None:
        if self._waiting_price:
            self.top_up()

    def displayed_lots(self) -> int:
        """What the book shows of the parent: the leaves of its resting limit children (the
        at-end finish is a market order or an IOC, which never rest)."""
        return sum(
            o.quantity - o.filled_lots
            for o in self.open_children.values()
            if o.order_type == OrderType.LIMIT and o.time_in_force != TimeInForce.IOC
        )
