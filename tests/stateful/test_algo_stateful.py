"""Execution algos in a kernel whose venue is played by the test, checked against a model after
every step.

The venue answers only what a real one could: acks, partial and full fills within what is open,
rejects of orders not yet acknowledged, cancels (asked for or not), refused cancels. Market
prints and quotes arrive, time passes (timers fire), parents are started and canceled. The
model adds up the fills the venue sent per parent; the kernel and the algos must agree with it
exactly, and every algo's invariants must hold, after every step.
"""

from __future__ import annotations

from algo_helpers import AlgoHarness, S
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from kernel.algos import AlgoStatus
from kernel.enums import OrderStatus
from kernel.events import OrderCancelRejected

SPECS = [
    ("twap", {"duration_ns": 6 * S, "slices": 3}),
    ("twap", {"duration_ns": 6 * S, "slices": 4, "limit_offset_ticks": 0, "at_end": "market"}),
    ("vwap", {"duration_ns": 6 * S, "profile": (2, 1, 3)}),
    ("pov", {"rate": "0.25", "min_child_lots": 2, "max_child_lots": 6}),
    ("pov", {"rate": "0.5", "duration_ns": 4 * S, "at_end": "market", "limit_offset_ticks": 1}),
    ("iceberg", {"display_lots": 5, "limit_ticks": 100}),
    ("iceberg", {"display_lots": 3, "duration_ns": 5 * S, "at_end": "market"}),
    ("sor", {"venues": ("sim", "b"), "fees_bps": {"b": 1}}),
]


class AlgoMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.h = AlgoHarness(venues=("sim", "b"))
        self.h.kernel.default_venue = "sim"  # why: two venues: children without one go here
        self.h.quote(99, 101, 20, 20)
        self.model: dict[str, int] = {}  # parent id -> lots the venue filled for it
        self.signed = 0

    # --- the world --------------------------------------------------------------------------
    @initialize(spec=st.sampled_from(SPECS), qty=st.integers(1, 40), side=st.sampled_from([1, -1]))
    def first(self, spec, qty, side):
        self.start(spec, qty, side)

    @precondition(lambda self: len(self.model) < 4)
    @rule(spec=st.sampled_from(SPECS), qty=st.integers(1, 40), side=st.sampled_from([1, -1]))
    def start(self, spec, qty, side):
        algo, params = spec
        pid = self.h.start(algo, qty, side=side, **params)
        self.model[pid] = 0

    @rule(size=st.integers(1, 30), price=st.integers(98, 102))
    def trade(self, size, price):
        self.h.trade(price, size)

    @rule(mid=st.integers(98, 102), size=st.one_of(st.none(), st.integers(1, 30)))
    def quote(self, mid, size):
        self.h.quote(mid - 1, mid + 1, size, size)

    @rule(seconds=st.integers(1, 3))
    def wait(self, seconds):
        self.h.at(self.h.clock.now_ns() + seconds * S)

    @rule(data=st.data(), roll=st.integers(0, 7))
    def cancel_parent(self, data, roll):
        if roll:
            return  # why: a cancel on every other step would end parents before they work
        pid = data.draw(st.sampled_from(sorted(self.model) or ["none"]))
        if pid in self.model:
            self.h.ctx.cancel_algo(pid)

    # --- the venue ----------------------------------------------------------------------------
    def _child(self, data, statuses=None):
        kids = [o for o in self.h.kernel.oms.open_orders() if o.algo_id in self.model]
        if statuses is not None:
            kids = [o for o in kids if o.status in statuses]
        if not kids:
            return None
        return data.draw(st.sampled_from(kids))

    @rule(data=st.data())
    def ack(self, data):
        o = self._child(data, {OrderStatus.SUBMITTED})
        if o is not None:
            self.h.accept(o.client_order_id)

    @rule(data=st.data(), whole=st.booleans())
    def fill(self, data, whole):
        o = self._child(data)
        if o is None:
            return
        qty = o.leaves_lots if whole else data.draw(st.integers(1, o.leaves_lots))
        self.model[o.algo_id] += qty
        self.signed += o.side * qty
        self.h.fill(o.client_order_id, 100, qty)

    @rule(data=st.data())
    def reject(self, data):
        o = self._child(data, {OrderStatus.SUBMITTED})
        if o is not None:
            self.h.reject(o.client_order_id)

    @rule(data=st.data())
    def cancel(self, data):
        o = self._child(data)
        if o is not None:
            self.h.cancel_confirm(o.client_order_id)

    @rule(data=st.data())
    def refuse_cancel(self, data):
        o = self._child(data, {OrderStatus.PENDING_CANCEL})
        if o is not None:
            now = self.h.tick()
            self.h.kernel.on_order_event(OrderCancelRejected(o.client_order_id, "NO", now, now))

    # --- checks ---------------------------------------------------------------------------------
    @invariant()
    def books_agree_with_the_model(self):
        self.h.check()
        engine = self.h.engine if self.model else None
        for pid, lots in self.model.items():
            p = engine.parents[pid]
            assert p.filled_lots == lots <= p.quantity
            assert p.working_lots() >= 0 and p.filled_lots + p.working_lots() <= p.quantity
            if p.is_done:
                assert not self.h.open_children(pid)
                assert p.ts_end is not None and p.tape_end is not None
            if p.status == AlgoStatus.FILLED:
                assert p.filled_lots == p.quantity
            if p.NAME == "iceberg":
                assert p.displayed_lots() <= p.p.display_lots
            if p.NAME == "pov" and p.status == AlgoStatus.WORKING:
                assert p.filled_lots + p.working_lots() <= int(p.p.rate * p.observed_lots())
        assert self.h.kernel.portfolio.position_qty("X", "o") == self.signed
        finished = {e.parent_id for e in self.h.owner.finished()}
        assert finished == {pid for pid in self.model if engine.parents[pid].is_done}


TestAlgoMachine = AlgoMachine.TestCase
TestAlgoMachine.settings = settings(stateful_step_count=80)
