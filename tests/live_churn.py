"""The churning strategy the live adapter tests run (written beside each test's config as
``churn_strategy.py``): fills and cancels on a schedule of quote counts."""

CHURN = '''
from kernel.enums import Side, OrderType, TimeInForce
from kernel.strategy import Strategy


class Churn(Strategy):
    """Every ``every`` quotes: a marketable buy, a resting buy far away, its cancel, a
    marketable sell -- fills and cancels on a schedule of quote counts."""

    strategy_id = "churn"

    def __init__(self, symbol="USDJPY", every=4, qty=1000, **params):
        super().__init__(**params)
        self.symbol, self.every, self.qty, self.n, self.rest = symbol, every, qty, 0, None
        self.symbols = (symbol,)

    def on_start(self):
        self.lots = self.ctx.instrument(self.symbol).qty_to_lots(self.qty)

    def on_quote(self, q):
        self.n += 1
        if self.n % self.every:
            return
        phase = (self.n // self.every) % 4
        c = self.ctx
        if phase == 0:
            c.limit(self.symbol, Side.BUY, self.lots, q.ask_ticks)
        elif phase == 1:
            self.rest = c.limit(self.symbol, Side.BUY, self.lots, q.bid_ticks - 50)
        elif phase == 2:
            if self.rest is not None and self.rest.is_open and self.rest.status.name != "PENDING_CANCEL":
                c.cancel(self.rest)
        else:
            c.limit(self.symbol, Side.SELL, self.lots, q.bid_ticks)
'''
