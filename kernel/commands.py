"""Commands: what the kernel wants a venue to do. Venues must not mutate what they are given."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernel import _nocython as cython  # the type checker reads them as dataclasses
    from kernel.orders import Order
else:
    try:
        import cython
    except ImportError:  # Cython is not installed: the same classes, as plain dataclasses
        from kernel import _nocython as cython

# why: extension types when compiled (as kernel/events.py's records): the kernel builds one per
# command, in C instead of a dataclass's Python ``__init__``


@cython.dataclasses.dataclass
@cython.cclass
class SubmitOrder:
    """Send ``order`` (its fields as of ``ts_init``) to ``venue``."""

    order: Order
    venue: str
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class CancelOrder:
    client_order_id: str
    symbol: str
    venue: str
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class ModifyOrder:
    """Change quantity and/or prices; None keeps the current value."""

    client_order_id: str
    symbol: str
    venue: str
    quantity_lots: int | None
    limit_ticks: int | None
    stop_ticks: int | None
    ts_init: int


@cython.dataclasses.dataclass
@cython.cclass
class CancelAllOrders:
    """Cancel every open order, optionally only for one symbol and/or one strategy."""

    symbol: str | None
    strategy_id: str | None
    ts_init: int
