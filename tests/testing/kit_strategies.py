"""Strategies the kit runs in make test: one execution algo parent each (TWAP, VWAP, POV,
iceberg, SOR), started on the first quote and optionally canceled part way."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from kernel.strategy import Strategy

SECOND = 1_000_000_000
ALGO_PARAMS: dict[str, dict[str, Any]] = {
    "twap": {"duration_ns": 5 * SECOND, "slices": 5},
    "vwap": {"duration_ns": 5 * SECOND, "slices": 4},
    "pov": {"rate": Fraction(1, 3)},
    "iceberg": {"display_lots": 3},
    "sor": {},
}


class AlgoOnce(Strategy):
    strategy_id = "algo"
    uses_algos = True

    def __init__(self, symbol: str = "XYZ", algo: str = "twap", side: int = 1,
                 quantity: int = 40, cancel_after: int | None = None) -> None:  # fmt: skip
        super().__init__()
        self.symbol = symbol
        self.symbols = (symbol,)
        self.algo_name = algo
        self.side = side
        self.quantity = quantity
        self.cancel_after = cancel_after
        self.parent: str | None = None
        self.quotes = 0

    def on_quote(self, quote: Any) -> None:
        self.quotes += 1
        if self.parent is None:
            params = dict(ALGO_PARAMS[self.algo_name])
            if self.algo_name in ("iceberg", "sor"):
                params["limit_ticks"] = (
                    quote.ask_ticks + 2 if self.side > 0 else quote.bid_ticks - 2
                )
            self.parent = self.ctx.execute(self.symbol, self.side, self.quantity, self.algo_name,
                                           **params)  # fmt: skip
        elif self.cancel_after is not None and self.quotes == self.cancel_after:
            self.ctx.cancel_algo(self.parent)
