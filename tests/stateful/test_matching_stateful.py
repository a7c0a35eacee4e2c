"""The exchange engine beside kernel orders: every engine event is applied to a real kernel ``Order``.

Random flow of every order type and option (limits with each TIF, icebergs, post-only,
reduce-only, markets, stops, stop-limits, trailing stops, MIT, LIT; contingent orders are the
kernel's, never the engine's), cancels, modifies, time jumps across session opens/closes and UTC
midnights, and explicit auctions, through ``MatchingEngine.submit`` (the kernel path). The
kernel's state machine is the model of what may happen to an order: an event it refuses fails
the test. After every step: ``engine._check()``; every order open in the kernel is live in the
engine with the same quantity and filled lots, every closed one is gone; positions equal the
fills; no self-trade unless the policy is ``none``; no fill worse than the order's limit.
"""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from matching_helpers import trades

from kernel.enums import OrderType, Side, TimeInForce
from kernel.events import (
    OrderCancelRejected,
    OrderFilled,
    OrderModifyRejected,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderSubmitted,
)
from kernel.orders import InvalidOrder, Order
from sim.exchange import MatchingEngine
from sim.session import Session

SESSION = Session("09:30", "16:00", "America/New_York")
T0 = SESSION.open_on(date(2024, 3, 4)) - 3 * 3600 * 10**9  # three hours before an open
OWNERS = ("a", "b", "c")
SIDES = st.sampled_from((Side.BUY, Side.SELL))
QTY = st.integers(1, 8)
PRICE = st.integers(96, 104)
TIFS = st.sampled_from(list(TimeInForce))
TRIGGERED = (
    OrderType.STOP,
    OrderType.STOP_LIMIT,
    OrderType.TRAILING_STOP,
    OrderType.MIT,
    OrderType.LIT,
)
STEPS = st.sampled_from((0, 1, 10**9, 3600 * 10**9, 7 * 3600 * 10**9))


class MatchingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.eng = MatchingEngine("XYZ")
        self.policy = "cancel_newest"
        self.t = T0
        self.n = 0
        self.orders: dict[str, Order] = {}
        self.owner: dict[str, str] = {}
        self.positions: dict[str, int] = {}

    @initialize(
        policy=st.sampled_from(("cancel_newest", "cancel_oldest", "cancel_both", "none")),
        session=st.booleans(),
    )
    def setup(self, policy: str, session: bool) -> None:
        self.policy = policy
        self.eng = MatchingEngine(
            "XYZ", stp=policy, venue="V", session=SESSION if session else None
        )

    # --- plumbing -----------------------------------------------------------------------------
    def _tick(self, dt: int) -> int:
        self.t += dt
        return self.t

    def _apply(self, events: list) -> None:
        for e in events:
            o = self.orders[e.client_order_id]
            o.apply(e)
            if isinstance(e, OrderFilled):
                owner = self.owner[e.client_order_id]
                self.positions[owner] = self.positions.get(owner, 0) + e.side * e.qty_lots
                if o.limit_ticks is not None and o.order_type in (
                    OrderType.LIMIT,
                    OrderType.STOP_LIMIT,
                    OrderType.LIT,
                ):
                    assert (
                        (e.price_ticks <= o.limit_ticks)
                        if e.side == 1
                        else (e.price_ticks >= o.limit_ticks)
                    ), e
        if self.policy != "none":
            for taker, maker, _, _ in trades(events):
                assert self.owner[taker] != self.owner[maker], (taker, maker)

    def _send(self, order: Order, owner: str, dt: int) -> None:
        oid = order.client_order_id
        self.orders[oid] = order
        self.owner[oid] = owner
        order.apply(OrderSubmitted(oid, "V", self.t, self.t))
        self._apply(self.eng.submit(order, self._tick(dt), owner=owner))

    def _make(self, owner: str, **kw) -> Order | None:
        self.n += 1
        kw.setdefault("time_in_force", TimeInForce.GTC)
        if kw["time_in_force"] == TimeInForce.GTD:
            kw["expire_ns"] = self.t + 2 * 3600 * 10**9
        try:
            return Order(f"o{self.n}", owner, "XYZ", order_type=kw.pop("order_type"), **kw)
        except InvalidOrder:
            return None

    def _pick(self, idx: int) -> Order | None:
        if not self.orders:
            return None
        return list(self.orders.values())[idx % len(self.orders)]

    # --- rules --------------------------------------------------------------------------------
    @rule(owner=st.sampled_from(OWNERS), side=SIDES, qty=QTY, px=PRICE, tif=TIFS, post=st.booleans(),
          disp=st.one_of(st.none(), st.integers(1, 3)), ro=st.booleans(), dt=STEPS)  # fmt: skip
    def limit(self, owner, side, qty, px, tif, post, disp, ro, dt) -> None:  # type: ignore[no-untyped-def]
        o = self._make(owner, side=side, order_type=OrderType.LIMIT, quantity=qty, limit_ticks=px,
                       time_in_force=tif, post_only=post, display_lots=disp, reduce_only=ro)  # fmt: skip
        if o is not None:
            self._send(o, owner, dt)

    @rule(owner=st.sampled_from(OWNERS), side=SIDES, qty=QTY, tif=TIFS, ro=st.booleans(), dt=STEPS)
    def market(self, owner, side, qty, tif, ro, dt) -> None:  # type: ignore[no-untyped-def]
        o = self._make(
            owner,
            side=side,
            order_type=OrderType.MARKET,
            quantity=qty,
            time_in_force=tif,
            reduce_only=ro,
        )
        if o is not None:
            self._send(o, owner, dt)

    @rule(owner=st.sampled_from(OWNERS), side=SIDES, qty=QTY, otype=st.sampled_from(TRIGGERED), stop=PRICE,
          off=st.integers(-2, 2), trail=st.integers(1, 3), tif=st.sampled_from((TimeInForce.GTC, TimeInForce.DAY, TimeInForce.IOC)),
          dt=STEPS)  # fmt: skip
    def trigger_order(self, owner, side, qty, otype, stop, off, trail, tif, dt) -> None:  # type: ignore[no-untyped-def]
        kw: dict = {"side": side, "order_type": otype, "quantity": qty, "time_in_force": tif}
        if otype == OrderType.TRAILING_STOP:
            kw["trail_ticks"] = trail
        else:
            kw["stop_ticks"] = stop
        if otype in (OrderType.STOP_LIMIT, OrderType.LIT):
            kw["limit_ticks"] = stop + off
        o = self._make(owner, **kw)
        if o is not None:
            self._send(o, owner, dt)

    @rule(idx=st.integers(0, 10_000), dt=STEPS)
    def cancel(self, idx: int, dt: int) -> None:
        o = self._pick(idx)
        if o is None:
            return
        oid = o.client_order_id
        if not o.is_open:
            out = self.eng.cancel(oid, self._tick(dt))
            assert [type(e) for e in out[-1:]] == [OrderCancelRejected], out
            self._apply(out[:-1])  # what fell due before the cancel arrived
            return
        o.apply(OrderPendingCancel(oid, self.t, self.t))
        self._apply(self.eng.cancel(oid, self._tick(dt)))

    @rule(idx=st.integers(0, 10_000), qty=st.one_of(st.none(), st.integers(1, 10)),
          px=st.one_of(st.none(), PRICE), dt=STEPS)  # fmt: skip
    def modify(self, idx: int, qty, px, dt: int) -> None:  # type: ignore[no-untyped-def]
        o = self._pick(idx)
        if o is None or not o.is_open:
            return
        oid = o.client_order_id
        o.apply(OrderPendingUpdate(oid, self.t, self.t))
        out = self.eng.modify(oid, qty, px, None, self._tick(dt))
        self._apply(out)
        if out and isinstance(out[0], OrderModifyRejected):
            assert qty is None or qty <= o.filled_lots or px is not None or o.reduce_only, out

    @rule(dt=STEPS)
    def advance(self, dt: int) -> None:
        self._apply(self.eng.advance_time(self._tick(dt)))

    @rule(dt=STEPS)
    def auction(self, dt: int) -> None:
        self._apply(self.eng.run_auction(self._tick(dt)))

    # --- invariants ---------------------------------------------------------------------------
    @invariant()
    def engine_invariants_hold(self) -> None:
        self.eng._check()

    @invariant()
    def kernel_orders_agree_with_the_engine(self) -> None:
        for oid, o in self.orders.items():
            rec = self.eng.order(oid)
            if o.is_open:
                assert rec is not None, (oid, o.status)
                assert (rec.qty, rec.filled) == (o.quantity, o.filled_lots), (oid, rec, o)
            else:
                assert rec is None, (oid, o.status, rec)

    @invariant()
    def positions_equal_the_fills(self) -> None:
        got = {k: v for k, v in self.eng.positions.items() if v}
        assert got == {k: v for k, v in self.positions.items() if v}


TestMatchingMachine = MatchingMachine.TestCase
