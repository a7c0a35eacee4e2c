"""The reference workloads' strategies (shared/bench README, "Workload rules"), on our API.

- ``NullQuotes`` (W1): subscribed to quotes, does nothing.
- ``QuoteMaker`` (W2): on quote k (1-based): every 10th, cancel the open buy and sell and forget
  them; then a LIMIT BUY 10 at the bid if no buy is open, a LIMIT SELL 10 at the ask if no sell
  is; a partly filled order stays open and is not topped up.
- ``SmaCross`` (W3): SMA(10) and SMA(30) of closes compared exactly in integer ticks
  (3 x sum10 vs sum30); from bar 30 on, target +100 / -100 / unchanged on a tie; a target change
  sends a MARKET order for the difference (it fills at the next bar's open, rule 4).
"""

from __future__ import annotations

from kernel.enums import OrderType, Side, TimeInForce
from kernel.fsm import CLOSED_STATUSES
from kernel.orders import Order
from kernel.strategy import Strategy

_BUY = Side.BUY
_SELL = Side.SELL
_LIMIT = OrderType.LIMIT
_GTC = TimeInForce.GTC


class NullQuotes(Strategy):
    strategy_id = "w1"

    def on_quote(self, quote) -> None:  # type: ignore[no-untyped-def]
        pass


class QuoteMaker(Strategy):
    strategy_id = "w2"

    def __init__(self, symbol: str = "XYZ", qty: int = 10) -> None:
        super().__init__()
        self.symbol = symbol
        self.qty = qty
        self.k = 0
        self.buy: Order | None = None
        self.sell: Order | None = None

    def on_quote(self, q) -> None:  # type: ignore[no-untyped-def]
        self.k += 1
        ctx = self.ctx
        buy, sell = self.buy, self.sell
        if buy is not None and buy.status in CLOSED_STATUSES:
            buy = None
        if sell is not None and sell.status in CLOSED_STATUSES:
            sell = None
        if self.k % 10 == 0:
            if buy is not None:
                ctx.cancel(buy)
                buy = None
            if sell is not None:
                ctx.cancel(sell)
                sell = None
        if buy is None:
            buy = ctx.submit(self.symbol, _BUY, self.qty, _LIMIT, _GTC, limit_ticks=q.bid_ticks)
        if sell is None:
            sell = ctx.submit(self.symbol, _SELL, self.qty, _LIMIT, _GTC, limit_ticks=q.ask_ticks)
        self.buy, self.sell = buy, sell


class SmaCross(Strategy):
    strategy_id = "w3"

    def __init__(self, symbol: str = "XYZ", size: int = 100) -> None:
        super().__init__()
        self.symbol = symbol
        self.size = size
        self.closes: list[int] = []
        self.sum10 = 0
        self.sum30 = 0
        self.target = 0
        self.orders = 0

    def on_bar(self, bar) -> None:  # type: ignore[no-untyped-def]
        closes = self.closes
        c = bar.close_ticks
        closes.append(c)
        n = len(closes)
        self.sum10 += c
        self.sum30 += c
        if n > 10:
            self.sum10 -= closes[n - 11]
        if n > 30:
            self.sum30 -= closes[n - 31]
        if n < 30:
            return
        d = 3 * self.sum10 - self.sum30
        if d > 0:
            target = self.size
        elif d < 0:
            target = -self.size
        else:
            return
        if target != self.target:
            qty = target - self.target
            self.target = target
            self.orders += 1
            self.ctx.submit(self.symbol, _BUY if qty > 0 else _SELL, abs(qty), OrderType.MARKET)
