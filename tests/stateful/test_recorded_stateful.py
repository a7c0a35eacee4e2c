"""The recorded-data venue under random quotes, trades, orders, modifies and cancels.

Invariants after every step: fills never worse than the limit; what is taken at a quote never
exceeds its displayed size; FOK all or nothing; IOC never rests; post-only never takes; an
iceberg never shows more than its display; our own resting book is never crossed; quantities
add up per order; the market's own ``_check``.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sim_helpers import Collected

from kernel.enums import Liquidity, OrderType, Side, TimeInForce
from kernel.events import OrderFilled, QuoteTick, TradeTick
from kernel.orders import Order
from kernel.units import Instrument
from sim.recorded import RecordedMarket

TIFS = [TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK]


class RecordedMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        ids = iter(range(1, 10**9))
        self.m = Collected(
            RecordedMarket(
                Instrument("X", "0.01", "1"),
                "v",
                "quotes",
                fee=lambda *a: 0,
                next_id=lambda k: f"{k}{next(ids)}",
                queue_position=True,
            )
        )
        self.now = 1
        self.n = 0
        self.orders: dict[str, Order] = {}
        self.filled: dict[str, int] = {}
        self.quote: QuoteTick | None = None
        self.taken_at_quote = {1: 0, -1: 0}

    def _drain(self):
        out, self.m.out = self.m.out, []
        for ev in out:
            if isinstance(ev, OrderFilled):
                o = self.orders[ev.client_order_id]
                self.filled[o.client_order_id] = self.filled.get(o.client_order_id, 0) + ev.qty_lots
                if o.limit_ticks is not None and o.order_type == OrderType.LIMIT:
                    assert (
                        ev.price_ticks <= o.limit_ticks
                        if o.side > 0
                        else ev.price_ticks >= o.limit_ticks
                    )
                if o.post_only:
                    assert ev.liquidity == Liquidity.MAKER
                if ev.liquidity == Liquidity.TAKER and self.quote is not None:
                    self.taken_at_quote[o.side] += ev.qty_lots
                    size = self.quote.ask_lots if o.side > 0 else self.quote.bid_lots
                    assert self.taken_at_quote[o.side] <= size
        return out

    @rule(
        bid=st.integers(95, 105),
        spread=st.integers(1, 3),
        bsz=st.integers(0, 8),
        asz=st.integers(0, 8),
    )
    def quote_arrives(self, bid, spread, bsz, asz):
        self.now += 1
        self.quote = QuoteTick("X", bid, bid + spread, bsz, asz, self.now, self.now)
        self.taken_at_quote = {1: 0, -1: 0}
        self.m.on_quote(self.quote)
        self._drain()

    @rule(px=st.integers(93, 107), size=st.integers(1, 6))
    def trade_prints(self, px, size):
        self.now += 1
        self.m.on_trade(TradeTick("X", px, size, 0, None, self.now, self.now))
        self._drain()

    @rule(
        side=st.sampled_from([Side.BUY, Side.SELL]),
        qty=st.integers(1, 12),
        px=st.integers(94, 106),
        market=st.booleans(),
        tif=st.sampled_from(TIFS),
        post_only=st.booleans(),
        display=st.one_of(st.none(), st.integers(1, 4)),
    )
    def order_arrives(self, side, qty, px, market, tif, post_only, display):
        self.n += 1
        oid = f"o{self.n}"
        kw = {}
        if market:
            otype, post_only, display = OrderType.MARKET, False, None
        else:
            otype = OrderType.LIMIT
            kw["limit_ticks"] = px
        if tif != TimeInForce.GTC:
            post_only, display = False, None
        if display is not None and display > qty:
            display = qty
        order = Order(
            oid,
            "s",
            "X",
            side,
            otype,
            qty,
            time_in_force=tif,
            post_only=post_only,
            display_lots=display,
            **kw,
        )
        self.orders[oid] = order
        self.m.arrive(order, self.now)
        out = self._drain()
        fills = sum(e.qty_lots for e in out if isinstance(e, OrderFilled))
        kinds = [type(e).__name__ for e in out]
        if tif == TimeInForce.FOK:
            assert fills in (0, qty)
        if tif in (TimeInForce.IOC, TimeInForce.FOK) and "OrderRejected" not in kinds:
            assert oid not in self.m.orders  # never rests
        if post_only and "OrderRejected" in kinds:
            assert fills == 0

    @rule(data=st.data())
    def cancel(self, data):
        if self.m.orders:
            oid = data.draw(st.sampled_from(sorted(self.m.orders)))
            self.m.cancel(oid, self.now)
            assert oid not in self.m.orders
            self._drain()

    @rule(data=st.data(), cut=st.integers(1, 5))
    def reduce(self, data, cut):
        resting = sorted(o for o, vo in self.m.orders.items() if vo.book_order is not None)
        if resting:
            oid = data.draw(st.sampled_from(resting))
            vo = self.m.orders[oid]
            if vo.qty - cut > vo.filled:
                self.m.modify(oid, vo.qty - cut, None, None, self.now)
                self._drain()

    @invariant()
    def consistent(self):
        m = self.m
        m._check()
        assert not m.book.is_crossed()
        for bo in m.book.orders.values():
            assert bo.display is None or bo.visible <= bo.display
        for oid, vo in m.orders.items():
            assert vo.filled == self.filled.get(oid, 0) < vo.qty
        for oid, filled in self.filled.items():
            assert filled <= self.orders[oid].quantity


TestRecordedStateful = RecordedMachine.TestCase
