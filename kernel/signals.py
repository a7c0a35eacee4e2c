"""Signals: time-stamped targets (``ts, symbol, value``) that become orders (CONTRACT.md "Strategy
inputs"). The ``SignalFollower`` is a strategy of the kernel (id ``signals``): each row sets the
symbol's target - a position in instrument units (``target_position``) or a fraction of equity
(``target_weight``) - and what it takes to reach it is sent through the risk guard like any
order: one market order (``algo: market``), or a parent order of the named execution algo (a
new target cancels the parent still working toward the last one).

In a backtest the rows come from the scenario's file, read by the host when the kernel is built
(a replay reads the same file), each applied at its time by a kernel timer. Live, rows arrive as
journaled inputs (``OperatorAction("signal", JSON)``: the host follows the file as it grows,
the dashboard's ``/api/signals`` takes rows), so a replay repeats every decision.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from kernel.strategy import Strategy

SIGNALS_ID = "signals"
MARKET = "market"


class SignalFollower(Strategy):
    """Follow signal rows: ``rows`` (``(ts_ns, symbol, value)``, sorted by time) applied at
    their times; ``kind`` ``target_position`` or ``target_weight``; ``algo`` ``market`` or an
    execution algo's name (its other parameters: the configured defaults)."""

    strategy_id = SIGNALS_ID

    def __init__(
        self,
        kind: str = "target_position",
        algo: str = MARKET,
        rows: list[tuple[int, str, str]] | None = None,
    ) -> None:
        super().__init__()
        if kind not in ("target_position", "target_weight"):
            raise ValueError(f"signals: kind must be target_position or target_weight, got {kind}")
        self.kind = kind
        self.algo = algo
        self.uses_algos = algo != MARKET  # why: the host installs the algo engine before start
        self.rows = sorted(rows or [], key=lambda r: r[0])
        self._next = 0
        self.applied = 0
        self.refused: list[str] = []
        self._parents: dict[str, str] = {}  # symbol -> the algo parent working toward a target

    def on_start(self) -> None:
        self._arm()

    def on_timer(self, event: Any) -> None:
        now = self.ctx.now_ns()
        rows = self.rows
        while self._next < len(rows) and rows[self._next][0] <= now:
            _, symbol, value = rows[self._next]
            self._next += 1
            self.apply(symbol, value)
        self._arm()

    def _arm(self) -> None:
        if self._next < len(self.rows):
            self.ctx.set_timer(self.rows[self._next][0], "signal")

    def apply_json(self, text: str) -> None:
        """Rows from a live input: a JSON list of ``{"symbol": ..., "value": ...}`` (or one)."""
        try:
            rows = json.loads(text)
        except ValueError:
            self._refuse(f"not JSON: {text[:80]!r}")
            return
        for row in rows if isinstance(rows, list) else [rows]:
            if not isinstance(row, dict) or "symbol" not in row or "value" not in row:
                self._refuse(f"a row needs symbol and value: {str(row)[:80]}")
                continue
            self.apply(str(row["symbol"]), str(row["value"]))

    def apply(self, symbol: str, value: str) -> None:
        """Move ``symbol`` toward the target ``value`` says."""
        ctx = self.ctx
        try:
            inst = ctx.instrument(symbol)
        except KeyError:
            self._refuse(f"unknown symbol {symbol!r}")
            return
        try:
            number = Decimal(value)
        except (InvalidOperation, ValueError):
            self._refuse(f"{symbol}: value {value!r} is not a number")
            return
        self.applied += 1
        parent = self._parents.pop(symbol, None)
        if parent is not None and ctx.algo(parent) is not None:
            ctx.cancel_algo(parent)
        if self.kind == "target_weight":
            if self.algo == MARKET:
                ctx.target_weight(symbol, number)
                return
            target = ctx.weight_lots(symbol, number)
            if target is None:
                return
        else:
            # why: a target off the lot grid goes toward zero to the grid (never beyond it)
            target = int(number / inst.lot_size)
        if self.algo == MARKET:
            ctx.target_position(symbol, target)
            return
        need = target - ctx.position(symbol)
        for o in ctx.open_orders(symbol):
            if o.algo_id is None:
                ctx.cancel(o)
        if need:
            self._parents[symbol] = ctx.execute(symbol, 1 if need > 0 else -1, abs(need), self.algo)

    def _refuse(self, why: str) -> None:
        self.refused.append(why)
        self.ctx.notice("SIGNAL_REFUSED", why[:300])
