"""``StrategyMachine``: a Hypothesis ``RuleBasedStateMachine`` base over a live simulated session.

Subclass it and write rules that move the market (``quote``, ``trade``, ``advance``) and use the
order API (``ctx``: ``submit``, ``cancel``, ``modify``, ``submit_bracket``, ...; ``kill_switch``,
``halt``, ``resume``). Each machine runs one session on the real kernel, risk guard and
simulated venue (a scenario written to a scratch folder; ``venue`` and ``risk`` are its
mappings); after every step the built-in invariants (``checked_invariants``: names, None: all) are
checked, and a failure raises ``AssertionError`` naming the invariant, which Hypothesis then
shrinks to the shortest sequence of steps. ``OrderApiMachine`` is a ready one with rules for
limit, market, cancel, modify and the kill switch: ``TestOrderApi = OrderApiMachine.TestCase``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from executioncore.invariants import InvariantChecker
from executioncore.testing.markets import T0_NS
from kernel.enums import OrderType, Side, TradingState
from kernel.strategy import Strategy


class Hands(Strategy):
    """The machine's own strategy: it does nothing by itself; the rules act through its ctx."""

    strategy_id = "machine"


class StrategyMachine(RuleBasedStateMachine):
    symbol = "XYZ"
    tick_size = "0.01"
    lot_size = "1"
    start_ticks = 10_000
    cash = 1_000_000
    venue: dict[str, Any] = {"latency": {"order_ms": 1, "response_ms": 1}}
    risk: dict[str, Any] = {}
    checked_invariants: list[str] | None = None

    def __init__(self) -> None:
        super().__init__()
        from executioncore.runner import prepare
        from executioncore.scenario import parse_scenario
        from sim.driver import Driver

        self._dir = Path(tempfile.mkdtemp(prefix="executioncore-machine-"))
        bid, ask = self.start_ticks - 1, self.start_ticks + 1
        tick = float(self.tick_size)
        (self._dir / "q.csv").write_text(
            f"ts,bid_px,ask_px\n{T0_NS},{bid * tick:.10g},{ask * tick:.10g}\n"
        )
        (self._dir / "t.csv").write_text(f"ts,px,sz\n{T0_NS},{bid * tick:.10g},{self.lot_size}\n")
        raw = {
            "name": "machine",
            "seed": 1,
            "account": {"currency": "USD", "cash": self.cash},
            "instruments": [
                {"symbol": self.symbol, "tick_size": self.tick_size, "lot_size": self.lot_size}
            ],
            "data": [
                {"kind": "quotes", "symbol": self.symbol, "path": "q.csv"},
                {"kind": "trades", "symbol": self.symbol, "path": "t.csv"},
            ],
            "venue": self.venue,
            "expect": {
                "invariants": True if self.checked_invariants is None else self.checked_invariants
            },
        }
        if self.risk:
            raw["risk"] = self.risk
        (self._dir / "scenario.yaml").write_text(yaml.safe_dump(raw))
        scenario = parse_scenario(raw, self._dir / "scenario.yaml")
        self.hands = Hands()
        self.run = run = prepare(scenario, out_dir=self._dir / "run")
        self.checker: InvariantChecker = run.invariants
        run.kernel.add_strategy(self.hands)
        self.checker.strategy = self.hands
        self.driver = Driver(run.kernel, run.clock, run.brokers, run.sources, run.journal)
        chunks = run.chunks()
        self.driver.begin(next(chunks, None))
        for chunk in chunks:
            self.driver.feed(chunk)
        self.ctx = self.hands.ctx
        self.kernel = run.kernel
        self.now = T0_NS
        self.bid, self.ask = bid, ask

    # --- the market ---------------------------------------------------------------------------
    def quote(
        self, bid: int, ask: int, bid_lots: int = -1, ask_lots: int = -1, dt_ms: int = 1
    ) -> None:
        """Feed one quote ``dt_ms`` after the last event (sizes in lots; -1: none)."""
        self.now += dt_ms * 1_000_000
        self.bid, self.ask = bid, ask
        self._feed(
            "quotes", {"bid": [bid], "ask": [ask], "bid_sz": [bid_lots], "ask_sz": [ask_lots]}
        )

    def trade(self, price: int, lots: int, aggressor: int = 0, dt_ms: int = 1) -> None:
        self.now += dt_ms * 1_000_000
        self._feed("trades", {"px": [price], "sz": [lots], "side": [aggressor]})

    def advance(self, dt_ms: int = 1) -> None:
        """Let ``dt_ms`` pass (the venue answers, timers fire): the same quote again."""
        self.quote(self.bid, self.ask, dt_ms=dt_ms)

    def _feed(self, kind: str, cols: dict[str, list[int]]) -> None:
        from sim.feeds import Chunk

        chunk = Chunk(kind, self.symbol, 0 if kind == "quotes" else 1, np.array([self.now], dtype=np.int64),
                      {k: np.array(v, dtype=np.int64) for k, v in cols.items()})  # fmt: skip
        self.driver.feed(chunk)
        self.checker.after(chunk)

    # --- the operator -------------------------------------------------------------------------
    def kill_switch(self) -> None:
        self.kernel.kill_switch("KILL_SWITCH")

    def halt(self) -> None:
        self.kernel.set_trading_state(TradingState.HALTED, "OPERATOR")

    def resume(self) -> None:
        self.kernel.set_trading_state(TradingState.ACTIVE, "OPERATOR")

    # --- checks -------------------------------------------------------------------------------
    @invariant()
    def invariants_hold(self) -> None:
        self.checker.check_state()
        if self.checker.failures:
            raise AssertionError(self.checker.failures[0].sentence())

    def teardown(self) -> None:
        try:
            self.driver.finish(None)
            self.checker.finish()
            self.run.journal.close()
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)
        if self.checker.failures:
            raise AssertionError(self.checker.failures[0].sentence())


_SIDES = st.sampled_from([Side.BUY, Side.SELL])


class OrderApiMachine(StrategyMachine):
    """Random use of the order API against a moving market, every invariant checked."""

    @rule(move=st.integers(-3, 3), spread=st.integers(1, 3), size=st.integers(-1, 20))
    def market_moves(self, move: int, spread: int, size: int) -> None:
        bid = max(10, self.bid + move)
        self.quote(bid, bid + spread, size, size)

    @rule(side=_SIDES, lots=st.integers(1, 30), offset=st.integers(-3, 3))
    def limit(self, side: Side, lots: int, offset: int) -> None:
        touch = self.bid if side > 0 else self.ask
        self.ctx.limit(self.symbol, side, lots, max(1, touch + offset * side))

    @rule(side=_SIDES, lots=st.integers(1, 30))
    def market(self, side: Side, lots: int) -> None:
        self.ctx.submit(self.symbol, side, lots, OrderType.MARKET)

    @precondition(lambda self: bool(self._mine()))
    @rule(which=st.integers(0, 100))
    def cancel(self, which: int) -> None:
        opened = self._mine()
        self.ctx.cancel(opened[which % len(opened)])

    def _mine(self) -> list[Any]:
        return [o for o in self.ctx.open_orders() if o.algo_id != "risk"]  # not the guard's

    @rule(ms=st.integers(1, 50))
    def wait(self, ms: int) -> None:
        self.advance(ms)

    @rule()
    def press_kill_switch(self) -> None:
        self.kill_switch()

    @rule()
    def operator_resumes(self) -> None:
        self.resume()
