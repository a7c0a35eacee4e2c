"""A small market maker on L2 book data: one bid and one ask around the book, inventory-capped.

On each book update it wants a bid ``edge_ticks`` under the best bid and an ask ``edge_ticks``
over the best ask (with a one-sided book, ``2 x edge_ticks`` around the side it has). A quote
whose price is no longer wanted is canceled and a new one sent; a side is not quoted when the
inventory has reached ``max_position``.

Parameters: ``symbol``; ``quantity`` per quote (instrument units); ``edge_ticks``;
``max_position`` (instrument units).
"""

from __future__ import annotations

from kernel.enums import Side, TradingState
from kernel.strategy import Strategy


class BookMarketMaker(Strategy):
    strategy_id = "mm"

    def __init__(
        self,
        symbol: str,
        quantity: object = 1,
        edge_ticks: int = 1,
        max_position: object = None,
        strategy_id: str | None = None,
    ) -> None:
        super().__init__(strategy_id)
        self.symbol = symbol
        self.symbols = (symbol,)
        self.quantity = quantity
        self.edge = edge_ticks
        self.max_position = max_position
        self._lots = 0
        self._cap = 0

    def on_start(self) -> None:
        inst = self.ctx.instrument(self.symbol)
        self._lots = inst.qty_to_lots(self.quantity)
        self._cap = (
            inst.qty_to_lots(self.max_position)
            if self.max_position is not None
            else 10 * self._lots
        )

    def on_book(self, book) -> None:  # type: ignore[no-untyped-def]
        view = self.ctx.book(self.symbol)
        bid, ask = view.best_bid, view.best_ask
        if (bid is None and ask is None) or self.ctx.trading_state != TradingState.ACTIVE:
            return
        want_bid = (bid if bid is not None else ask - self.edge) - self.edge
        want_ask = (ask if ask is not None else bid + self.edge) + self.edge
        pos = self.ctx.position(self.symbol)
        self._quote(Side.BUY, want_bid if pos < self._cap else None)
        self._quote(Side.SELL, want_ask if pos > -self._cap else None)

    def _quote(self, side: Side, price: int | None) -> None:
        keep = False
        for order in self.ctx.open_orders(self.symbol):
            if order.side != side or order.status.name == "PENDING_CANCEL":
                continue
            if price is not None and order.limit_ticks == price and not keep:
                keep = True
            else:
                self.ctx.cancel(order)
        if price is not None and not keep:
            self.ctx.limit(self.symbol, side, self._lots, price)
