"""Helpers for execution-algo tests: a kernel whose venue the test plays, and an owner strategy.

``AlgoHarness`` wraps ``kernel_helpers.Harness`` (instrument X, tick 0.01, lot 1, one recording
venue): ``start`` launches a parent through the strategy context, ``at(ns)`` moves the clock and
fires due timers, ``trade``/``quote`` feed market data, and ``accept``/``fill``/``cancel``/
``reject`` answer for the venue. Or run through the real simulated venue with ``sim_helpers``.
"""

from __future__ import annotations

from kernel_helpers import Harness, RecordingVenue

from kernel.algos import AlgoEngine, AlgoFinished
from kernel.commands import CancelOrder, SubmitOrder
from kernel.events import OrderFilled, QuoteTick, TradeTick
from kernel.strategy import Strategy

S = 1_000_000_000


class Owner(Strategy):
    """Records what the kernel and its algos tell the strategy."""

    strategy_id = "o"

    def __init__(self) -> None:
        super().__init__()
        self.events: list = []

    def on_order_event(self, event) -> None:
        self.events.append(event)

    def fills(self) -> list[OrderFilled]:
        return [e for e in self.events if isinstance(e, OrderFilled)]

    def finished(self) -> list[AlgoFinished]:
        return [e for e in self.events if isinstance(e, AlgoFinished)]


class AlgoHarness(Harness):
    def __init__(self, risk: dict | None = None, venues: tuple[str, ...] = ("sim",)) -> None:
        super().__init__(risk=risk)
        for name in venues:
            if name not in self.kernel.venues:
                self.kernel.add_venue(name, RecordingVenue(name))
        self.owner = Owner()
        self.ctx = self.kernel.add_strategy(self.owner)
        self.kernel.start()
        self.trade_no = 0

    @property
    def engine(self) -> AlgoEngine:
        return AlgoEngine.of(self.kernel)

    def start(self, algo: str, qty: int, side: int = 1, **params) -> str:
        return self.ctx.execute("X", side, qty, algo, **params)

    def parent(self, pid: str):
        return self.engine.parents[pid]

    def at(self, ts: int) -> None:
        """Move the clock to ``ts`` firing every timer due on the way, in order."""
        k = self.kernel
        while True:
            nxt = k.next_timer_ns()
            if nxt is None or nxt > ts:
                break
            self.clock.advance_to(max(nxt, self.clock.now_ns()))
            k.run_timers()
        self.clock.advance_to(max(ts, self.clock.now_ns()))
        k.run_timers()

    def trade(self, price: int, size: int) -> None:
        now = self.tick()
        self.kernel.on_trade(TradeTick("X", price, size, 1, None, now, now))

    def quote(self, bid: int, ask: int, bid_size: int | None = 100, ask_size: int | None = 100):
        now = self.tick()
        self.kernel.on_quote(QuoteTick("X", bid, ask, bid_size, ask_size, now, now))

    def submits(self, venue: str = "sim") -> list[SubmitOrder]:
        port = self.kernel.venues[venue]
        return [c for c in port.commands if isinstance(c, SubmitOrder)]  # type: ignore[attr-defined]

    def cancels(self, venue: str = "sim") -> list[CancelOrder]:
        port = self.kernel.venues[venue]
        return [c for c in port.commands if isinstance(c, CancelOrder)]  # type: ignore[attr-defined]

    def open_children(self, pid: str) -> list:
        return [o for o in self.kernel.oms.open_orders() if o.algo_id == pid]

    def fill_all_open(self, price: int = 100) -> None:
        """The venue fills every open order completely."""
        for o in self.kernel.oms.open_orders():
            if o.leaves_lots:
                self.fill(o.client_order_id, price, o.leaves_lots)

    def check(self) -> None:
        self.kernel.oms._check()
        self.engine._check()
