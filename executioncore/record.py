"""What a run leaves for its report: equity, positions and prices over time, orders, fills.

``RunRecorder`` watches a kernel without acting (it sends nothing and schedules nothing, so the
journal and its digest are the same with or without it). It samples equity, positions and marks
on a time grid and at every fill; when the samples pass ``max_points`` it drops every other one
and doubles the grid step, so memory stays bounded however long the run. Max drawdown is measured
on those samples (the grid and every fill).

Values in ``RunRecord`` are plain floats and strings: it is the edge, made for reports and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kernel.kernel import Kernel
from kernel.strategy import Strategy
from kernel.units import MONEY_SCALE

RECORDER_ID = "_recorder"


@dataclass
class RunRecord:
    """Everything a report shows about one run (floats in the account currency / instrument
    units; times are int ns UTC)."""

    scenario: str = ""
    seed: int = 0
    currency: str = "USD"
    starting_cash: float = 0.0
    equity: list[tuple[int, float]] = field(default_factory=list)
    positions: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    prices: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    fills: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    risk_events: list[dict[str, Any]] = field(default_factory=list)
    tca: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


class RunRecorder(Strategy):
    """Samples the kernel's state; register with ``attach`` (after the user's strategies)."""

    strategy_id = RECORDER_ID

    def __init__(self, max_points: int = 4000, step_ns: int = 1_000_000_000) -> None:
        super().__init__()
        self.max_points = max_points
        self.step_ns = step_ns
        self.next_ns = 0
        self.kernel: Kernel | None = None
        self.record = RunRecord()
        self.peak = None
        self.max_drawdown = 0.0
        self._fills_cap = 200_000
        # live: one time axis, the wall clock the kernel ran on (``ts_init``); the venue's own
        # timestamp of a fill is kept apart as ``venue_ts``
        self.live_times = False

    def attach(self, kernel: Kernel) -> None:
        self.kernel = kernel
        kernel.add_strategy(self)
        kernel.fill_listeners.append(self._on_fill)
        self.record.currency = kernel.portfolio.currency
        self.record.starting_cash = (
            kernel.portfolio.start_cash[kernel.portfolio.currency] / MONEY_SCALE
        )
        for sym in kernel.instruments:
            self.record.positions[sym] = []
            self.record.prices[sym] = []

    # --- sampling -------------------------------------------------------------------------------
    def _tick(self, ts: int) -> None:
        if ts >= self.next_ns:
            self.sample(ts)
            self.next_ns = ts + self.step_ns

    def on_quote(self, quote) -> None:  # type: ignore[no-untyped-def]
        if quote.ts_init >= self.next_ns:
            self._tick(quote.ts_init)

    def on_trade(self, trade) -> None:  # type: ignore[no-untyped-def]
        if trade.ts_init >= self.next_ns:
            self._tick(trade.ts_init)

    def on_bar(self, bar) -> None:  # type: ignore[no-untyped-def]
        if bar.ts_init >= self.next_ns:
            self._tick(bar.ts_init)

    def on_book(self, book) -> None:  # type: ignore[no-untyped-def]
        if book.ts_init >= self.next_ns:
            self._tick(book.ts_init)

    def on_stop(self) -> None:
        if self.kernel is not None:
            self.sample(self.kernel.clock.now_ns())

    def sample(self, ts: int) -> None:
        """Record equity, positions and marks at ``ts`` (and the drawdown so far)."""
        k = self.kernel
        assert k is not None
        pf = k.portfolio
        equity = pf.equity() / MONEY_SCALE
        rec = self.record
        rec.equity.append((ts, equity))
        if self.peak is None or equity > self.peak:
            self.peak = equity
        if self.peak and self.peak > 0:
            self.max_drawdown = max(self.max_drawdown, (self.peak - equity) / self.peak)
        for sym, inst in k.instruments.items():
            rec.positions[sym].append((ts, inst.lots_to_float(pf.positions[sym].qty)))
            mark2 = pf.markets[sym].mark2
            if mark2 is not None:
                rec.prices[sym].append((ts, float(inst.tick_size * mark2) / 2))
        if len(rec.equity) > self.max_points:
            self._decimate()

    def _decimate(self) -> None:
        rec = self.record
        rec.equity = rec.equity[::2]
        for sym in rec.positions:
            rec.positions[sym] = rec.positions[sym][::2]
            rec.prices[sym] = rec.prices[sym][::2]
        self.step_ns *= 2

    def _on_fill(self, order, event, realized: int) -> None:  # type: ignore[no-untyped-def]
        k = self.kernel
        assert k is not None
        inst = k.instruments[order.symbol]
        if len(self.record.fills) < self._fills_cap:
            self.record.fills.append(
                {
                    "ts": event.ts_init if self.live_times else event.ts_event,
                    "order_id": order.client_order_id,
                    "strategy": order.strategy_id,
                    "symbol": order.symbol,
                    "side": "buy" if order.side > 0 else "sell",
                    "qty": inst.lots_to_float(event.qty_lots),
                    "price": inst.ticks_to_float(event.price_ticks),
                    "liquidity": "maker" if event.liquidity == 1 else "taker",
                    "commission": event.commission / MONEY_SCALE,
                    "realized": realized / MONEY_SCALE,
                    "trade_id": event.trade_id,
                    "algo": order.algo_id,
                }
            )
            if self.live_times:
                self.record.fills[-1]["venue_ts"] = event.ts_event
        self.sample(event.ts_init)
