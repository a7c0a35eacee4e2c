"""Execution algorithms: parent orders that work through child orders (TWAP, VWAP, POV,
iceberg, smart order routing), driven only by kernel timers, market data and real fills.

Start one from a strategy with ``ctx.execute(symbol, side, qty_lots, algo="twap", ...)``
(see ``kernel.algos.params`` for the parameters), or from a scenario's ``algo:`` on an order.
"""

from kernel.algos.base import ExecAlgo
from kernel.algos.engine import ALGOS, ENGINE_ID, AlgoEngine
from kernel.algos.params import AlgoParamError, AlgoParams, build_params
from kernel.algos.sor import ConsolidatedQuotes, VenueQuotes
from kernel.algos.states import AlgoFinished, AlgoStatus

__all__ = [
    "ALGOS",
    "ENGINE_ID",
    "AlgoEngine",
    "AlgoFinished",
    "AlgoParamError",
    "AlgoParams",
    "AlgoStatus",
    "ConsolidatedQuotes",
    "ExecAlgo",
    "VenueQuotes",
    "build_params",
]
