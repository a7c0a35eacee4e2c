"""The recorded venue's record of one of our orders (``sim.recorded``)."""

from __future__ import annotations

from kernel.orders import Order
from sim.book import BookOrder
from sim.recorded_triggers import AS_MARKET, TRIGGERED_TYPES

try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython


class VOrder:
    """The venue's record of one of our orders."""

    __slots__ = (
        "ahead",
        "arrival_ns",
        "book_order",
        "closed",
        "display",
        "expire_ns",
        "filled",
        "limit",
        "oid",
        "otype",
        "post_only",
        "qty",
        "queue_known",
        "reduce_only",
        "side",
        "stop",
        "tif",
        "trail_ppm",
        "trail_ref",
        "trail_ticks",
        "triggered",
        "vid",
    )

    @cython.locals(order=Order)
    def __init__(self, order: Order, vid: str, now_ns: int) -> None:
        self.oid = order.client_order_id
        self.vid = vid
        self.side = int(order.side)
        self.otype = order.order_type
        self.qty = order.quantity
        self.filled = 0
        self.limit = order.limit_ticks
        self.stop = order.stop_ticks
        self.trail_ticks = order.trail_ticks
        self.trail_ppm = order.trail_ppm
        self.trail_ref: int | None = None
        self.tif = order.time_in_force
        self.expire_ns = order.expire_ns
        self.post_only = order.post_only
        self.reduce_only = order.reduce_only
        self.display = order.display_lots
        self.arrival_ns = now_ns
        self.triggered = order.order_type not in TRIGGERED_TYPES
        self.book_order: BookOrder | None = None
        self.ahead = 0
        self.queue_known = False
        self.closed = False

    @property
    def leaves(self) -> int:
        return self.qty - self.filled

    @property
    def working_limit(self) -> int | None:
        """The limit that applies now (None for a market order or a triggered stop)."""
        return None if self.otype in AS_MARKET else self.limit
