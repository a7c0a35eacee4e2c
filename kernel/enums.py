"""The kernel's enumerations: sides, order types, time in force, statuses, trading states."""

from __future__ import annotations

from enum import IntEnum


class Side(IntEnum):
    """Order side; the value is the sign of the position change."""

    BUY = 1
    SELL = -1


class OrderType(IntEnum):
    MARKET = 1
    LIMIT = 2
    STOP = 3
    STOP_LIMIT = 4
    TRAILING_STOP = 5
    MIT = 6  # market-if-touched: trigger price in stop_ticks, then a market order
    LIT = 7  # limit-if-touched: trigger price in stop_ticks, then a limit order


class TimeInForce(IntEnum):
    DAY = 1
    GTC = 2
    IOC = 3
    FOK = 4
    GTD = 5
    OPG = 6
    CLS = 7


class OrderStatus(IntEnum):
    INITIALIZED = 0
    DENIED = 1
    SUBMITTED = 2
    ACCEPTED = 3
    REJECTED = 4
    TRIGGERED = 5
    PENDING_CANCEL = 6
    PENDING_UPDATE = 7
    PARTIALLY_FILLED = 8
    FILLED = 9
    CANCELED = 10
    EXPIRED = 11


class Liquidity(IntEnum):
    NONE = 0
    MAKER = 1
    TAKER = 2


class Contingency(IntEnum):
    NONE = 0
    OCO = 1  # one-cancels-other: a fill, cancel, expiry or reject of one cancels the siblings
    OTO = 2  # one-triggers-other: children are held until the parent is done, sized to its fill


class TradingState(IntEnum):
    ACTIVE = 1
    REDUCING = 2
    HALTED = 3


class BookSide(IntEnum):
    BID = 1
    ASK = -1


ORDER_TYPE_BY_NAME = {t.name.lower(): t for t in OrderType}
TIF_BY_NAME = {t.name.lower(): t for t in TimeInForce}
SIDE_BY_NAME = {"buy": Side.BUY, "sell": Side.SELL}
