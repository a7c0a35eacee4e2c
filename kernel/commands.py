"""Commands: what the kernel wants a venue to do. Venues must not mutate what they are given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernel.orders import Order


@dataclass(slots=True)
class SubmitOrder:
    """Send ``order`` (its fields as of ``ts_init``) to ``venue``."""

    order: Order
    venue: str
    ts_init: int


@dataclass(slots=True)
class CancelOrder:
    client_order_id: str
    symbol: str
    venue: str
    ts_init: int


@dataclass(slots=True)
class ModifyOrder:
    """Change quantity and/or prices; None keeps the current value."""

    client_order_id: str
    symbol: str
    venue: str
    quantity_lots: int | None
    limit_ticks: int | None
    stop_ticks: int | None
    ts_init: int


@dataclass(slots=True)
class CancelAllOrders:
    """Cancel every open order, optionally only for one symbol and/or one strategy."""

    symbol: str | None
    strategy_id: str | None
    ts_init: int
