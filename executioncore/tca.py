"""Transaction-cost analysis of parent (algo) orders: one row per parent for the summary JSON
and the report.

Definitions (side s = +1 buy, -1 sell; prices in the instrument's currency; bps = 1e-4):

- ``arrival_price``: the mid when the parent arrived (last quote or L2 book), else the mark
  (last trade, else last bar close); the first mark after arrival if there was none yet.
- ``avg_price``: the average price of the child fills (``filled`` is their total).
- ``shortfall_bps``: implementation shortfall of what was executed, ``s x (avg - arrival) /
  arrival x 1e4`` (positive is a cost); ``shortfall_money`` the same in money, ``s x (avg -
  arrival) x filled x multiplier``. Commissions are not in it: ``commission`` is apart, and
  what was left unfilled shows in ``fill_ratio``.
- The *horizon* runs from arrival to the parent's end (filled, canceled, expired, stopped), or
  to the end of the run for a parent still working. ``market_vwap``: the market's volume-
  weighted price over it (trades; else bars at (high + low + close) / 3); ``market_twap``: the
  time-weighted mark over it (the arrival price for a parent that ended at once).
  ``slippage_vs_vwap_bps`` / ``slippage_vs_twap_bps``: ``s x (avg - benchmark) / benchmark x
  1e4``.
- ``participation``: ``filled / market volume`` over the horizon (our fills are not in the
  recorded volume); ``fill_ratio``: ``filled / qty``; ``children``: child orders sent;
  ``time_to_complete_s``: arrival to the end (None while working).

Values are None where they cannot exist (no fill, no volume, no price). The ``TcaObserver``
only listens (a fill listener; it schedules and sends nothing): the journal and its digest are
the same with or without it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from kernel.algos.base import ExecAlgo
from kernel.algos.engine import AlgoEngine
from kernel.algos.tape import twap_between, volume_between, vwap_between
from kernel.kernel import RISK_ID, Kernel
from kernel.units import MONEY_SCALE, Instrument

BPS = 10_000


class ChildFills:
    """The fills of one parent's children, as the observer saw them."""

    __slots__ = ("commission", "cost", "count", "first_ns", "last_ns", "lots")

    def __init__(self) -> None:
        self.lots = 0
        self.cost = 0  # price_ticks x lots
        self.commission = 0
        self.count = 0
        self.first_ns: int | None = None
        self.last_ns: int | None = None


class TcaObserver:
    """Collects every algo child fill (``attach`` registers a fill listener); ``rows()``
    computes the TCA of every parent order of the run."""

    def __init__(self) -> None:
        self.kernel: Kernel | None = None
        self.fills: dict[str, ChildFills] = {}

    def attach(self, kernel: Kernel) -> None:
        self.kernel = kernel
        kernel.fill_listeners.append(self._on_fill)

    def _on_fill(self, order: Any, event: Any, realized: int) -> None:
        parent = order.algo_id
        if parent is None or parent == RISK_ID:
            return
        agg = self.fills.get(parent)
        if agg is None:
            agg = self.fills[parent] = ChildFills()
            agg.first_ns = event.ts_event
        agg.lots += event.qty_lots
        agg.cost += event.price_ticks * event.qty_lots
        agg.commission += event.commission
        agg.count += 1
        agg.last_ns = event.ts_event

    def rows(self) -> list[dict[str, Any]]:
        """One row per parent order, in start order (empty when the run had none)."""
        k = self.kernel
        engine = None if k is None else AlgoEngine.find(k)
        if k is None or engine is None:
            return []
        now = k.clock.now_ns()
        return [
            tca_row(p, k.instruments[p.symbol], now, self.fills.get(p.parent_id) or ChildFills())
            for p in engine.parents.values()
        ]


def _sig(x: float) -> float:
    return float(f"{x:.6g}")


def _bps(side: int, price: Fraction, bench: Fraction | None) -> float | None:
    if bench is None or bench == 0:
        return None
    return round(float(side * (price - bench) / bench * BPS), 4)


def tca_row(parent: ExecAlgo, inst: Instrument, now_ns: int, fills: ChildFills) -> dict[str, Any]:
    """The TCA of one parent order (see the module docstring for the definitions)."""
    side = int(parent.side)
    tick = Fraction(inst.tick_size)
    tape_end = parent.tape_end
    if tape_end is None:
        tape_end = parent.engine.tapes[parent.symbol].mark(now_ns)
    start = parent.tape_start
    arrival2 = parent.arrival_mark2
    arrival = None if arrival2 is None else Fraction(arrival2, 2)
    avg = Fraction(fills.cost, fills.lots) if fills.lots else None
    vwap = vwap_between(start, tape_end)
    twap = twap_between(start, tape_end)
    if twap is None:
        twap = arrival
    volume = volume_between(start, tape_end)
    shortfall_money = None
    if avg is not None and arrival is not None:
        ticks = side * (2 * fills.cost - arrival2 * fills.lots)  # type: ignore[operator]
        shortfall_money = ticks * inst.ticklot_money / 2 / MONEY_SCALE
    end = parent.ts_end

    def price(x: Fraction | None) -> float | None:
        return None if x is None else float(x * tick)

    return {
        "parent_id": parent.parent_id,
        "algo": parent.NAME,
        "strategy": parent.strategy_id,
        "symbol": parent.symbol,
        "side": "buy" if side > 0 else "sell",
        "status": parent.status.name.lower(),
        "qty": inst.lots_to_float(parent.quantity),
        "filled": inst.lots_to_float(fills.lots),
        "arrival_price": price(arrival),
        "avg_price": price(avg),
        "shortfall_bps": None if avg is None else _bps(side, avg, arrival),
        "shortfall_money": None if shortfall_money is None else round(shortfall_money, 9),
        "commission": fills.commission / MONEY_SCALE,
        "market_vwap": price(vwap),
        "market_twap": price(twap),
        "slippage_vs_vwap_bps": None if avg is None else _bps(side, avg, vwap),
        "slippage_vs_twap_bps": None if avg is None else _bps(side, avg, twap),
        "participation": _sig(fills.lots / volume) if volume > 0 else None,
        "fill_ratio": _sig(fills.lots / parent.quantity),
        "children": parent.child_count,
        "child_fills": fills.count,
        "market_volume": inst.lots_to_float(volume),
        "time_to_complete_s": None if end is None else (end - parent.ts_start) / 1e9,
        "start_ns": parent.ts_start,
        "end_ns": end,
        "reason": parent.reason,
    }
