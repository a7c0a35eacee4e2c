"""A bracket strategy with a planted partial-fill bug, and its fix (docs/TESTING.md).

``BracketBuyer`` buys ``quantity`` with a limit order at the ask when it is flat and protects
each fill with a take-profit ``take_ticks`` above it; its stop is ``stop_ticks`` below the
lowest fill: when the bid reaches it, the strategy cancels its orders and, once they are done,
sells what it holds at market (a stop held by the strategy: no second exit resting at the venue
that could race the first). Flat again, it buys again.

The bug: on each fill of the entry it sends a take-profit for the entry's whole quantity, where
it should cover what that fill bought. With one complete fill that is the same thing; when the
entry fills in pieces (a quote showing less than it wants, a small print), each piece sends a
take-profit for the whole quantity, and the exits sell more than was bought: the position
flips short. ``FixedBracketBuyer`` sizes each take-profit to its fill.

    executioncore fuzz "bracket:BracketBuyer" --params '{"symbol": "XYZ"}'      # finds it
    executioncore fuzz "bracket:FixedBracketBuyer" --params '{"symbol": "XYZ"}' # passes
"""

from __future__ import annotations

from typing import Any

from executioncore.testing import invariant
from kernel.enums import Side
from kernel.events import OrderFilled
from kernel.orders import Order
from kernel.strategy import Strategy


class BracketBuyer(Strategy):
    strategy_id = "bracket"

    def __init__(
        self, symbol: str = "XYZ", quantity: int = 10, take_ticks: int = 20, stop_ticks: int = 20
    ) -> None:
        super().__init__()
        self.symbol = symbol
        self.symbols = (symbol,)
        self.quantity = quantity
        self.take_ticks = take_ticks
        self.stop_ticks = stop_ticks
        self.entry: Order | None = None
        self.exits: set[str] = set()  # ids of this strategy's exit orders
        self.stop_level: int | None = None  # the stop: sell what is held at or below it
        self.stopping = False
        self.bought = 0  # lots the entries bought
        self.sold = 0  # lots the exits sold

    def on_quote(self, quote: Any) -> None:
        ctx, sym = self.ctx, self.symbol
        pos = ctx.position(sym)
        stop = self.stop_level
        if pos > 0 and not self.stopping and stop is not None and quote.bid_ticks <= stop:
            self.stopping = True  # cancel the take-profits first, then sell what is held
            ctx.cancel_all(sym)
        if self.stopping and not ctx.open_orders(sym):
            if pos > 0:
                self.exits.add(ctx.market(sym, Side.SELL, pos).client_order_id)
                return
            self.stopping = False
        if pos or ctx.open_orders(sym) or self.stopping:
            return
        self.stop_level = None
        self.entry = ctx.limit(sym, Side.BUY, self.quantity, quote.ask_ticks)

    def on_order_event(self, event: Any) -> None:
        if not isinstance(event, OrderFilled):
            return
        if event.client_order_id in self.exits:
            self.sold += event.qty_lots
        elif self.entry is not None and event.client_order_id == self.entry.client_order_id:
            self.bought += event.qty_lots
            take = self.ctx.limit(self.symbol, Side.SELL, self.exit_size(event),
                                  event.price_ticks + self.take_ticks)  # fmt: skip
            self.exits.add(take.client_order_id)
            stop = event.price_ticks - self.stop_ticks
            self.stop_level = stop if self.stop_level is None else min(stop, self.stop_level)

    def exit_size(self, fill: OrderFilled) -> int:
        return self.quantity  # BUG: the whole entry, not what this fill bought

    @invariant
    def exits_never_exceed_entries(self) -> None:
        """The exits close what the entries bought, never more."""
        assert self.sold <= self.bought, (
            f"the exits sold {self.sold} lots of {self.symbol} but the entries bought {self.bought}"
        )


class FixedBracketBuyer(BracketBuyer):
    def exit_size(self, fill: OrderFilled) -> int:
        return fill.qty_lots  # each take-profit covers what its fill bought
