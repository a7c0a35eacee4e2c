"""The pure ExecutionCore kernel: exact units, orders and their state machine, OMS, journal."""

from kernel.clock import Clock, ClockError, SimClock
from kernel.enums import Liquidity, OrderStatus, OrderType, Side, TimeInForce, TradingState
from kernel.orders import InvalidOrder, Order, make_order
from kernel.units import Instrument

__all__ = [
    "Clock",
    "ClockError",
    "Instrument",
    "InvalidOrder",
    "Liquidity",
    "Order",
    "OrderStatus",
    "OrderType",
    "Side",
    "SimClock",
    "TimeInForce",
    "TradingState",
    "make_order",
]
