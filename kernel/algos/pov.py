"""POV (percentage of volume): trade a fixed share of the volume the market trades.

After each print (or bar) of its symbol the parent's target is ``floor(rate x V)`` lots, where
``V`` is the market volume observed since the parent arrived (the tape: trades, else bars; our
own fills are not in it). It sends ``target - filled - working`` when that is at least
``min_child_lots`` (or is all that is left), at most ``max_child_lots`` per child. So, at every
moment, ``filled + working <= floor(rate x V)``: the parent never runs ahead of its share, and
it falls behind by less than ``min_child_lots`` (or ``max_child_lots`` per print in a burst)
plus what is still on its way to the venue. Children are market orders unless a limit offset is
given; limit children are re-priced when the touch moves (canceled, then replaced).
"""

from __future__ import annotations

from typing import Any

from kernel.algos.base import ExecAlgo
from kernel.algos.tape import volume_between
from kernel.events import Bar, TradeTick


class Pov(ExecAlgo):
    """Participate at ``rate`` of the observed volume."""

    NAME = "pov"
    WANTS_DATA = True
    __slots__ = ("target",)

    def on_start(self) -> None:
        self.target = 0

    def observed_lots(self) -> int:
        """Market volume since the parent arrived."""
        tape = self.engine.tapes[self.symbol]
        return volume_between(self.tape_start, tape.mark(self.kernel.clock.now_ns()))

    def on_data(self, event: Any) -> None:
        if type(event) not in (TradeTick, Bar):
            if self.p.limit_offset_ticks is not None:
                self._reprice()
            return
        rate = self.p.rate
        assert rate is not None
        self.target = min(self.quantity, int(rate * self.observed_lots()))
        if self.p.limit_offset_ticks is not None:
            self._reprice()
        self.top_up()

    def _reprice(self) -> None:
        _, price = self.child_terms()
        for order in list(self.open_children.values()):
            if order.limit_ticks is not None and order.limit_ticks != price:
                self.cancel_children(passive_only=True)
                return

    def top_up(self) -> None:
        if self.repricing:
            return  # why: once the cancels are confirmed, one child replaces them all
        free = self.free_lots()
        qty = min(self.target - self.filled_lots - self.working_lots(), free)
        if self.p.max_child_lots is not None:
            qty = min(qty, self.p.max_child_lots)
        if qty <= 0 or (qty < self.p.min_child_lots and qty < free):
            return
        self.send_child(qty)
