"""What a run leaves for its report: equity, positions and prices over time, orders, fills.

``RunRecorder`` watches a kernel without acting (it sends nothing and schedules nothing, so the
journal and its digest are the same with or without it). It samples equity, positions and marks

- on a fixed UTC clock: the first market-data event at or after each multiple of ``step_ns``
  (it schedules no timer, so a stretch with no data at all has no samples: nothing moved);
- at every fill (after the fill is booked).

Memory stays bounded however long the run. When the clock samples pass ``max_points`` the step
doubles and only the first clock sample of each new step is kept, so the clock samples stay
evenly spread over the whole run (thinning every other sample regardless of time, as before,
left the early part of a long run hours apart). When the fill samples pass ``max_points`` they
are thinned to each bucket's first, last, lowest and highest equity (``thinning``). The running
equity peak and the peak and trough of the maximum drawdown are never thinned away.

Max drawdown is measured on every sample taken (clock and fills), before any thinning; it is the
summary's ``max_drawdown`` and the report's, and because its peak and trough are kept, the
drawdown chart reaches exactly that value.

Values in ``RunRecord`` are plain floats and strings: it is the edge, made for reports and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from executioncore.thinning import bucket_indices
from kernel.enums import OrderType
from kernel.kernel import Kernel
from kernel.strategy import Strategy
from kernel.units import MONEY_SCALE

RECORDER_ID = "_recorder"
CLOCK, FILL = 0, 1  # why a sample was taken


@dataclass
class RunRecord:
    """Everything a report shows about one run (floats in the account currency / instrument
    units; times are int ns UTC).

    ``equity`` and ``positions[sym]`` hold one row per sample; ``prices[sym]`` one per sample
    from the first mark of ``sym`` on. ``max_drawdown`` is the recorder's exact value (None for
    a hand-built record); ``step_ns`` the final clock step; ``tick_sizes`` each instrument's
    tick as a decimal string; ``user_ids`` maps a client order id to the user's own id
    (scenario ``orders:`` entries; bracket legs and algo children as ``id › role``).
    """

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
    max_drawdown: float | None = None
    step_ns: int = 0
    tick_sizes: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, str] = field(default_factory=dict)


class RunRecorder(Strategy):
    """Samples the kernel's state; register with ``attach`` (after the user's strategies)."""

    strategy_id = RECORDER_ID

    def __init__(self, max_points: int = 4000, step_ns: int = 1_000_000_000) -> None:
        super().__init__()
        self.max_points = max_points
        self.step_ns = step_ns
        self.next_ns = 0
        self.kernel: Kernel | None = None
        self.record = RunRecord(step_ns=step_ns)
        self.peak: float | None = None
        self.max_drawdown = 0.0
        self._fills_cap = 200_000
        self._kinds: list[int] = []  # CLOCK or FILL, one per sample
        self._counts = [0, 0]  # samples per kind
        self._peak_at: tuple[int, float] | None = None  # the running peak's sample
        self._dd_at: tuple[tuple[int, float], tuple[int, float]] | None = None  # peak, trough
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
        for sym, inst in kernel.instruments.items():
            self.record.positions[sym] = []
            self.record.prices[sym] = []
            self.record.tick_sizes[sym] = str(Decimal(str(inst.tick_size)))

    # --- sampling -------------------------------------------------------------------------------
    def _tick(self, ts: int) -> None:
        if ts >= self.next_ns:
            self.sample(ts, CLOCK)
            step = self.step_ns
            self.next_ns = (ts // step + 1) * step

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
            self.sample(self.kernel.clock.now_ns(), CLOCK)
            self.record.user_ids = user_order_ids(self.kernel)

    def sample(self, ts: int, kind: int = CLOCK) -> None:
        """Record equity, positions and marks at ``ts`` (and the drawdown so far)."""
        k = self.kernel
        assert k is not None
        pf = k.portfolio
        equity = pf.equity() / MONEY_SCALE
        rec = self.record
        rec.equity.append((ts, equity))
        self._kinds.append(kind)
        self._counts[kind] += 1
        if self.peak is None or equity > self.peak:
            self.peak = equity
            self._peak_at = (ts, equity)
        if self.peak and self.peak > 0:
            dd = (self.peak - equity) / self.peak
            if dd > self.max_drawdown:
                self.max_drawdown = dd
                self._dd_at = (self._peak_at, (ts, equity))  # type: ignore[assignment]
        rec.max_drawdown = self.max_drawdown
        for sym, inst in k.instruments.items():
            rec.positions[sym].append((ts, inst.lots_to_float(pf.positions[sym].qty)))
            mark2 = pf.markets[sym].mark2
            prices = rec.prices[sym]
            if mark2 is not None:
                prices.append((ts, float(inst.tick_size * mark2) / 2))
            elif prices:  # why: a mark that went away (an emptied book) holds its last value
                prices.append((ts, prices[-1][1]))
        if self._counts[CLOCK] > self.max_points or self._counts[FILL] > self.max_points:
            self._thin()

    def _thin(self) -> None:
        rec = self.record
        equity, kinds = rec.equity, self._kinds
        pinned = {self._peak_at, *(self._dd_at or ())}
        thin_clock = self._counts[CLOCK] > self.max_points
        if thin_clock:
            self.step_ns *= 2
        step = self.step_ns
        fill_keep: set[int] | None = None
        if self._counts[FILL] > self.max_points:
            at = [i for i, kd in enumerate(kinds) if kd == FILL]
            picked = bucket_indices([equity[i][1] for i in at], max(1, self.max_points // 8))
            fill_keep = {at[j] for j in picked}
        keep, cell, last_clock = [], None, None
        for i, (sample, kd) in enumerate(zip(equity, kinds)):
            if kd == CLOCK:
                c = sample[0] // step
                if not thin_clock or c != cell or sample in pinned:
                    keep.append(i)
                    cell, last_clock = c, sample[0]
            elif fill_keep is None or i in fill_keep or sample in pinned:
                keep.append(i)
        n = len(equity)
        rec.equity = [equity[i] for i in keep]
        self._kinds = [kinds[i] for i in keep]
        self._counts = [self._kinds.count(CLOCK), self._kinds.count(FILL)]
        for sym, series in rec.positions.items():
            rec.positions[sym] = [series[i] for i in keep]
        for sym, series in rec.prices.items():
            # why: a price series starts at the symbol's first mark, so it is the samples' tail
            offset = n - len(series)
            rec.prices[sym] = [series[i - offset] for i in keep if i >= offset]
        if last_clock is not None:
            self.next_ns = max(self.next_ns, (last_clock // step + 1) * step)
        rec.step_ns = step

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
        self.sample(event.ts_init, FILL)


def user_order_ids(kernel: Kernel) -> dict[str, str]:
    """Map client order ids to the ids users gave their scripted orders (``orders:`` entries):
    the order itself, and ``id › take profit`` / ``id › stop loss`` / ``id › child`` for its
    bracket legs and algo children."""
    from executioncore.orders_spec import ScriptedOrders

    direct: dict[str, str] = {}
    for strategy in kernel.strategies.values():
        if isinstance(strategy, ScriptedOrders):
            direct.update((coid, uid) for uid, coid in strategy.ids.items())
    if not direct:
        return {}
    out = dict(direct)
    for order in kernel.oms.orders.values():
        coid = order.client_order_id
        if coid in out:
            continue
        if order.parent_id in direct:
            role = "take profit" if order.order_type == OrderType.LIMIT else "stop loss"
            out[coid] = f"{direct[order.parent_id]} › {role}"
        elif order.algo_id in direct:
            out[coid] = f"{direct[order.algo_id]} › child"
    return out
