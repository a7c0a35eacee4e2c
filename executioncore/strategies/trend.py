"""A moving-average trend follower on bars: long when the fast average is above the slow one,
short when below, flat when equal; it trades through ``target_position``.

Averages are compared as exact integer sums of ticks (``fast_sum x slow - slow_sum x fast``), so
a tie is a tie: no float rounding flips the signal.

Parameters: ``symbol``; ``fast`` and ``slow`` window lengths in bars; ``quantity`` (instrument
units, e.g. "0.5" BTC); ``allow_short`` (default true).
"""

from __future__ import annotations

from collections import deque

from kernel.enums import TradingState
from kernel.strategy import Strategy


class TrendFollower(Strategy):
    strategy_id = "trend"

    def __init__(
        self,
        symbol: str,
        fast: int = 20,
        slow: int = 100,
        quantity: object = 1,
        allow_short: bool = True,
        strategy_id: str | None = None,
    ) -> None:
        super().__init__(strategy_id)
        if not 0 < fast < slow:
            raise ValueError("need 0 < fast < slow")
        self.symbol = symbol
        self.symbols = (symbol,)
        self.fast = fast
        self.slow = slow
        self.quantity = quantity
        self.allow_short = allow_short
        self._closes: deque[int] = deque(maxlen=slow)
        self._fast_sum = 0
        self._slow_sum = 0
        self._lots = 0

    def on_start(self) -> None:
        self._lots = self.ctx.instrument(self.symbol).qty_to_lots(self.quantity)

    def on_bar(self, bar) -> None:  # type: ignore[no-untyped-def]
        closes = self._closes
        c = bar.close_ticks
        if len(closes) == self.slow:
            self._slow_sum -= closes[0]
        if len(closes) >= self.fast:
            self._fast_sum -= closes[-self.fast]
        closes.append(c)
        self._slow_sum += c
        self._fast_sum += c
        if len(closes) < self.slow:
            return
        d = self._fast_sum * self.slow - self._slow_sum * self.fast
        if d > 0:
            target = self._lots
        elif d < 0:
            target = -self._lots if self.allow_short else 0
        else:
            return
        if self.ctx.trading_state != TradingState.ACTIVE:
            return  # halted or reducing: the guard would refuse a new position
        if self.ctx.position(self.symbol) != target:
            self.ctx.target_position(self.symbol, target)
