"""The one import of the TWS API library: ``ib_async``, else ``ib_insync`` (the same API).

ib_async is the maintained fork of ib_insync; both expose the names below with the same
signatures (the adapter uses nothing else). Which one was found is ``LIBRARY``. They cannot share
a virtualenv (both install ``eventkit``): ``make check-ib-insync`` runs the adapter's tests in a
venv of its own with ib_insync. Both log a TWS error at ERROR level; a ``NullHandler`` keeps those
lines off a user's terminal unless the application configures logging (the adapter reports every
error it acts on as a kernel event or notice).
"""

from __future__ import annotations

import logging

try:
    import ib_async as lib
except ImportError:  # pragma: no cover - exercised by make check-ib-insync
    import ib_insync as lib  # type: ignore[no-redef]

LIBRARY: str = lib.__name__
logging.getLogger(LIBRARY).addHandler(logging.NullHandler())

IB = lib.IB
Contract = lib.Contract
ContractDetails = lib.ContractDetails
Stock = lib.Stock
Forex = lib.Forex
Crypto = lib.Crypto
Order = lib.Order
OrderStatus = lib.OrderStatus
Trade = lib.Trade
Fill = lib.Fill
Execution = lib.Execution
CommissionReport = lib.CommissionReport
ExecutionFilter = lib.ExecutionFilter
Position = lib.Position
AccountValue = lib.AccountValue
Ticker = lib.Ticker
TradeLogEntry = lib.TradeLogEntry
RequestError = lib.RequestError
UNSET_DOUBLE: float = lib.util.UNSET_DOUBLE
UNSET_INTEGER: int = lib.util.UNSET_INTEGER

__all__ = [
    "IB",
    "LIBRARY",
    "UNSET_DOUBLE",
    "UNSET_INTEGER",
    "AccountValue",
    "CommissionReport",
    "Contract",
    "ContractDetails",
    "Crypto",
    "Execution",
    "ExecutionFilter",
    "Fill",
    "Forex",
    "Order",
    "OrderStatus",
    "Position",
    "RequestError",
    "Stock",
    "Ticker",
    "Trade",
    "TradeLogEntry",
    "lib",
]
