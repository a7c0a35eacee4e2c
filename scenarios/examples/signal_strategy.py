"""A moving-average crossover on quotes: long when the fast average of the mid is above the slow
one, short when below, and flat when its trading window ends.

Run it from the project's root: ``executioncore run scenarios/examples/signal.yaml``.

Everything is in kernel units: the mid is kept as ``bid_ticks + ask_ticks`` (twice the mid, so
it stays an exact int) and the averages are compared as exact integer sums, so no float rounding
can flip a signal. Orders go through ``ctx.target_position``, which counts what is already
working: calling it on every quote never sends a second order for the same move.

Parameters (the scenario's ``strategy.params``): ``symbol``; ``fast`` and ``slow`` window
lengths in quotes; ``quantity`` in instrument units (a string keeps it exact, e.g. "10000");
``trade_for_s``: seconds after the start at which it goes flat and stops trading.
"""

from __future__ import annotations

from collections import deque

from kernel.enums import TradingState
from kernel.events import OrderDenied, OrderFilled, QuoteTick, TimerFired
from kernel.strategy import Strategy

NS_PER_S = 1_000_000_000


class MovingAverageCross(Strategy):
    strategy_id = "ma_cross"  # names its orders (ma_cross-1, ...) and its positions

    def __init__(
        self,
        symbol: str,
        fast: int = 10,
        slow: int = 40,
        quantity: str | int = 10000,
        trade_for_s: int = 1800,
    ) -> None:
        super().__init__()
        if not 0 < fast < slow:
            raise ValueError(f"need 0 < fast < slow, got fast={fast} slow={slow}")
        self.symbol = symbol
        self.symbols = (symbol,)  # callbacks for this symbol only (set before the run starts)
        self.fast = fast
        self.slow = slow
        self.quantity = quantity
        self.trade_for_ns = trade_for_s * NS_PER_S
        self.mids2: deque[int] = deque(maxlen=slow)  # 2 x mid in ticks, newest last
        self.fast_sum = 0
        self.slow_sum = 0
        self.lots = 0
        self.trading = True
        self.fills = 0

    def on_start(self) -> None:
        # the instrument converts user units to kernel units, exactly (off the grid raises)
        self.lots = self.ctx.instrument(self.symbol).qty_to_lots(self.quantity)
        self.ctx.set_timer_in(self.trade_for_ns, "stop_trading")

    def on_quote(self, quote: QuoteTick) -> None:
        mid2 = quote.bid_ticks + quote.ask_ticks
        mids = self.mids2
        if len(mids) == self.slow:
            self.slow_sum -= mids[0]
        if len(mids) >= self.fast:
            self.fast_sum -= mids[-self.fast]
        mids.append(mid2)
        self.slow_sum += mid2
        self.fast_sum += mid2
        if len(mids) < self.slow or not self.trading:
            return
        # fast_avg - slow_avg, scaled by fast x slow: exact
        diff = self.fast_sum * self.slow - self.slow_sum * self.fast
        if diff == 0 or self.ctx.trading_state != TradingState.ACTIVE:
            return
        target = self.lots if diff > 0 else -self.lots
        if self.ctx.position(self.symbol) != target:
            self.ctx.target_position(self.symbol, target)

    def on_timer(self, timer: TimerFired) -> None:
        if timer.name == "stop_trading":
            self.trading = False
            self.ctx.target_position(self.symbol, 0)  # cancels what works against it, then flat

    def on_order_event(self, event: object) -> None:
        if isinstance(event, OrderFilled):
            self.fills += 1
        elif isinstance(event, OrderDenied):
            # a notice is journaled and listed in the report's risk events
            self.ctx.notice("MA_CROSS_DENIED", f"{event.client_order_id}: {event.reason}")
