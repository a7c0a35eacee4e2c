"""A quote-driven market maker: one bid and one ask around the mid, skewed by inventory, re-priced
with modifies, a side pulled at the inventory limit, flat at the end of its quoting window.

Run it from the project's root: ``executioncore run scenarios/examples/market_maker.yaml``.

On every quote it wants a bid ``half_spread_ticks`` under the mid and an ask as far over it,
both shifted down by ``skew_ticks`` per quote size of long inventory (up when short), so
inventory leans it toward trading back to flat. Prices stay passive (never at or through the
opposite touch) and orders are post-only. A working quote more than ``requote_ticks`` from where
it should be is modified in place; a side is canceled when one more fill would take the
inventory past ``max_inventory``. After ``quote_for_s`` seconds it cancels both quotes and, once
they are gone, flattens with one market order.

Parameters (the scenario's ``strategy.params``): ``symbol``; ``quantity`` and ``max_inventory``
in instrument units; ``half_spread_ticks``, ``skew_ticks``, ``requote_ticks`` in ticks;
``quote_for_s`` in seconds.
"""

from __future__ import annotations

from kernel.enums import OrderStatus, Side, TradingState
from kernel.events import OrderDenied, OrderRejected, QuoteTick, TimerFired
from kernel.orders import Order
from kernel.strategy import Strategy

NS_PER_S = 1_000_000_000
IN_FLIGHT = (OrderStatus.PENDING_CANCEL, OrderStatus.PENDING_UPDATE)


class InventoryMarketMaker(Strategy):
    strategy_id = "mm"

    def __init__(
        self,
        symbol: str,
        quantity: str | int = 10000,
        max_inventory: str | int = 20000,
        half_spread_ticks: int = 1,
        skew_ticks: int = 2,
        requote_ticks: int = 8,
        quote_for_s: int = 1800,
    ) -> None:
        super().__init__()
        self.symbol = symbol
        self.symbols = (symbol,)
        self.quantity = quantity
        self.max_inventory = max_inventory
        self.half_spread = half_spread_ticks
        self.skew = skew_ticks
        self.requote = requote_ticks
        self.quote_for_ns = quote_for_s * NS_PER_S
        self.lots = 0
        self.max_lots = 0
        self.quotes: dict[Side, str | None] = {Side.BUY: None, Side.SELL: None}  # order ids
        self.quoting = True

    def on_start(self) -> None:
        inst = self.ctx.instrument(self.symbol)
        self.lots = inst.qty_to_lots(self.quantity)
        self.max_lots = inst.qty_to_lots(self.max_inventory)
        if self.max_lots < self.lots:
            raise ValueError("max_inventory must be at least one quantity")
        self.ctx.set_timer_in(self.quote_for_ns, "stop_quoting")

    # --- quoting ------------------------------------------------------------------------------
    def on_quote(self, quote: QuoteTick) -> None:
        if not self.quoting:
            self.flatten()
            return
        if self.ctx.trading_state != TradingState.ACTIVE:
            return
        pos = self.ctx.position(self.symbol)
        shift = self.skew * pos // self.lots  # ticks; long inventory lowers both prices
        mid2 = quote.bid_ticks + quote.ask_ticks  # twice the mid, in ticks
        bid = (mid2 - 2 * self.half_spread) // 2 - shift
        ask = -((-mid2 - 2 * self.half_spread) // 2) - shift  # rounded up
        bid = min(bid, quote.ask_ticks - 1)  # passive: never at or through the other side
        ask = max(ask, quote.bid_ticks + 1)
        self.work(Side.BUY, bid if pos + self.lots <= self.max_lots else None)
        self.work(Side.SELL, ask if pos - self.lots >= -self.max_lots else None)

    def working(self, side: Side) -> Order | None:
        """This side's quote while it is open, else None."""
        oid = self.quotes[side]
        order = self.ctx.order(oid) if oid is not None else None
        return order if order is not None and order.is_open else None

    def work(self, side: Side, price: int | None) -> None:
        """Make this side's quote rest at ``price`` (None: no quote on this side)."""
        order = self.working(side)
        if order is not None and order.status in IN_FLIGHT:
            return  # wait for the venue's answer to the last request
        if price is None:
            if order is not None:
                self.ctx.cancel(order)
        elif order is None:
            new = self.ctx.limit(self.symbol, side, self.lots, price, post_only=True)
            self.quotes[side] = new.client_order_id
        elif order.limit_ticks is not None and abs(order.limit_ticks - price) >= self.requote:
            self.ctx.modify(order, limit_ticks=price)

    # --- inventory and the end of the window -----------------------------------------------------
    def on_order_event(self, event: object) -> None:
        # a cancel or fill of the last quotes: maybe nothing is open now. Not on a denial or a
        # reject: the flattening order itself may be refused (halted, a venue outage), and
        # asking again at once would recurse or flood the venue; the next quote tries again
        # (executioncore fuzz found both)
        if not self.quoting and not isinstance(event, (OrderDenied, OrderRejected)):
            self.flatten()

    def on_timer(self, timer: TimerFired) -> None:
        if timer.name == "stop_quoting":
            self.quoting = False
            self.ctx.cancel_all(self.symbol)
            self.flatten()

    def flatten(self) -> None:
        """Once no order is open, close the inventory with one market order."""
        if self.ctx.open_orders(self.symbol):
            return  # cancels (or the flattening order) still on their way
        pos = self.ctx.position(self.symbol)
        if pos:
            self.ctx.market(self.symbol, Side.SELL if pos > 0 else Side.BUY, abs(pos))
