"""Run statistics from a ``RunRecord``: returns, risk-adjusted ratios, drawdown, trading activity.

Definitions (every ratio is ``None``, never NaN or inf, when it is undefined):

- Sharpe and Sortino are computed over *daily* returns: the equity at each UTC midnight (the
  last sample at or before it; the run's first sample opens the first day, its last sample closes
  the last one, so the first and last days may be partial), ``r = e[d] / e[d-1] - 1`` where
  ``e[d-1] > 0``, annualised with ``sqrt(365)`` (markets such as crypto and FX trade every day;
  a weekday-only market's weekends add zero returns, which scales mean and deviation alike).
  Below ``MIN_RETURN_PERIODS`` daily returns (a run shorter than about three weeks) they are
  ``None`` (``n/a`` in the report): annualising minutes or hours of P&L gives numbers in the
  hundreds that mean nothing.
- Sharpe = ``mean(r) / stdev(r) * sqrt(periods_per_year)`` (sample standard deviation, risk-free
  0); Sortino = ``mean(r) / dd * sqrt(periods_per_year)`` with the downside deviation ``dd =
  sqrt(sum(min(r, 0)^2) / N)`` over all N periods (target 0). ``sharpe_ratio`` and
  ``sortino_ratio`` take any evenly spaced series (``periods_per_year`` from its mean spacing)
  and need at least 3 samples, a positive time span and a deviation above ``DEVIATION_EPS``.
- Max drawdown is the recorder's (``RunRecord.max_drawdown``: every sample, before thinning),
  rounded to ``DRAWDOWN_DECIMALS`` like the summary's, so the two are one number; a hand-built
  record without it gets the drawdown of its samples.
- P&L per fill is the fill's ``realized`` (before commissions), so the hit rate, average win and
  loss and the profit factor count fills that closed something, not round trips; the profit
  factor (gross profit / gross loss) is the same either way.

The functions are pure and small; ``compute_stats`` only gathers them into one JSON-ready dict.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from executioncore.record import RunRecord

SECONDS_PER_YEAR = 365 * 24 * 3600
DEVIATION_EPS = 1e-12  # why: compounding constant returns leaves ~1e-17 noise, not a risk
NS = 1_000_000_000
DAY_NS = 86_400 * NS
MIN_RETURN_PERIODS = 20  # daily returns needed for Sharpe / Sortino
DRAWDOWN_DECIMALS = 6  # as the summary's max_drawdown

Samples = Sequence[tuple[int, float]]


def simple_returns(equity: Samples) -> list[float]:
    """Return ``e[i] / e[i-1] - 1`` for consecutive samples whose earlier equity is positive."""
    return [b / a - 1.0 for (_, a), (_, b) in pairwise(equity) if a > 0]


def periods_per_year(equity: Samples) -> float | None:
    """Return how many mean sample spacings fit in a year (``None`` for < 2 samples or no span)."""
    if len(equity) < 2:
        return None
    span_s = (equity[-1][0] - equity[0][0]) / NS
    if span_s <= 0:
        return None
    return SECONDS_PER_YEAR / (span_s / (len(equity) - 1))


def sharpe_ratio(equity: Samples) -> float | None:
    """Return the annualised Sharpe ratio of the sampled equity (risk-free 0)."""
    ppy = periods_per_year(equity)
    returns = simple_returns(equity)
    if len(equity) < 3 or ppy is None or len(returns) < 2:
        return None
    sd = statistics.stdev(returns)
    if not sd > DEVIATION_EPS:
        return None
    return _finite(statistics.fmean(returns) / sd * math.sqrt(ppy))


def downside_deviation(returns: Sequence[float]) -> float:
    """Return ``sqrt(sum(min(r, 0)^2) / N)`` over all N returns (0 for none)."""
    if not returns:
        return 0.0
    return math.sqrt(math.fsum(min(r, 0.0) ** 2 for r in returns) / len(returns))


def sortino_ratio(equity: Samples) -> float | None:
    """Return the annualised Sortino ratio (target 0, downside deviation over all periods)."""
    ppy = periods_per_year(equity)
    returns = simple_returns(equity)
    if len(equity) < 3 or ppy is None or len(returns) < 2:
        return None
    dd = downside_deviation(returns)
    if not dd > DEVIATION_EPS:
        return None
    return _finite(statistics.fmean(returns) / dd * math.sqrt(ppy))


def daily_equity(equity: Samples) -> list[tuple[int, float]]:
    """Return the equity at each UTC midnight from the day of the first sample to the midnight
    after the last (the last sample at or before each; the first sample before the first)."""
    if not equity:
        return []
    day = equity[0][0] // DAY_NS * DAY_NS
    out, value, i = [(day, equity[0][1])], equity[0][1], 0
    end = equity[-1][0]
    while day < end:
        day += DAY_NS
        while i < len(equity) and equity[i][0] <= day:
            value = equity[i][1]
            i += 1
        out.append((day, value))
    return out


def daily_ratios(equity: Samples) -> tuple[float | None, float | None, int]:
    """Return (Sharpe, Sortino, number of daily returns) of the sampled equity; both ratios are
    ``None`` below ``MIN_RETURN_PERIODS`` returns."""
    days = daily_equity(equity)
    n = len(simple_returns(days))
    if n < MIN_RETURN_PERIODS:
        return None, None, n
    return sharpe_ratio(days), sortino_ratio(days), n


def drawdown_series(equity: Samples) -> list[tuple[int, float]]:
    """Return ``(ts, (peak - e) / peak)`` per sample, peak the running maximum (0 while peak <= 0)."""
    out = []
    peak = -math.inf
    for ts, e in equity:
        peak = max(peak, e)
        out.append((ts, (peak - e) / peak if peak > 0 else 0.0))
    return out


def max_drawdown(equity: Samples) -> float | None:
    """Return the largest drawdown as a fraction of peak equity (``None`` without samples)."""
    if not equity:
        return None
    return max(dd for _, dd in drawdown_series(equity))


def total_return(equity_end: float | None, starting_cash: float) -> float | None:
    """Return ``equity_end / starting_cash - 1`` (``None`` if either is missing or cash is 0)."""
    if equity_end is None or not starting_cash:
        return None
    return _finite(equity_end / starting_cash - 1.0)


def turnover(fills: Iterable[dict[str, Any]], starting_cash: float) -> float | None:
    """Return traded notional (sum of ``|qty| x price``) over the starting cash."""
    if not starting_cash:
        return None
    notional = math.fsum(abs(f.get("qty", 0.0)) * f.get("price", 0.0) for f in fills)
    return _finite(notional / starting_cash)


def realized_outcomes(fills: Iterable[dict[str, Any]]) -> tuple[list[float], list[float]]:
    """Return (wins, losses): the positive and the negative ``realized`` values of the fills."""
    realized = [float(f.get("realized") or 0.0) for f in fills]
    return [r for r in realized if r > 0], [r for r in realized if r < 0]


def hit_rate(wins: Sequence[float], losses: Sequence[float]) -> float | None:
    """Return the fraction of realizing fills that won (``None`` if none realized anything)."""
    n = len(wins) + len(losses)
    return len(wins) / n if n else None


def profit_factor(wins: Sequence[float], losses: Sequence[float]) -> float | None:
    """Return gross profit / gross loss (``None`` when there are no losses)."""
    if not losses:
        return None
    return _finite(math.fsum(wins) / -math.fsum(losses))


def round_trips(fills: Iterable[dict[str, Any]]) -> int:
    """Count per-symbol round trips: the net position returns to zero or flips through it."""
    position: dict[str, float] = {}
    count = 0
    for f in fills:
        sym = f.get("symbol", "")
        before = position.get(sym, 0.0)
        signed = f.get("qty", 0.0) * (1.0 if f.get("side") == "buy" else -1.0)
        after = before + signed
        if abs(after) < 1e-9 * max(1.0, abs(before)):  # why: float lots, 0.1 + 0.2 - 0.3 != 0
            after = 0.0
        if before != 0.0 and (after == 0.0 or (after > 0) != (before > 0)):
            count += 1
        position[sym] = after
    return count


def exposure(equity: Samples, positions: dict[str, list[tuple[int, float]]]) -> float | None:
    """Return the fraction of equity samples at which any symbol's position is non-zero.

    A symbol's position at a sample is the one recorded with it (RunRecorder writes one row per
    sample), or for a series not aligned with the equity samples the last one at or before it.
    """
    if not equity:
        return None
    open_at = [False] * len(equity)
    times = [ts for ts, _ in equity]
    for series in positions.values():
        if len(series) == len(times) and [ts for ts, _ in series] == times:
            held = [q != 0 for _, q in series]
        else:
            held = _step_lookup(series, times)
        open_at = [a or b for a, b in zip(open_at, held)]
    return sum(open_at) / len(equity)


def _step_lookup(series: Samples, times: list[int]) -> list[bool]:
    # why: a hand-built or thinned series holds its last value until the next sample
    out, j, qty = [], 0, 0.0
    for ts in times:
        while j < len(series) and series[j][0] <= ts:
            qty = series[j][1]
            j += 1
        out.append(qty != 0)
    return out


def compute_stats(record: RunRecord) -> dict[str, Any]:
    """Compute the run statistics of ``record`` as a JSON-ready dict (see the module docstring)."""
    equity = record.equity
    equity_end = equity[-1][1] if equity else record.summary.get("equity")
    wins, losses = realized_outcomes(record.fills)
    sharpe, sortino, periods = daily_ratios(equity)
    mdd = record.max_drawdown
    mdd = max_drawdown(equity) if mdd is None else round(mdd, DRAWDOWN_DECIMALS)
    stats: dict[str, Any] = {
        "total_return": total_return(equity_end, record.starting_cash),
        "sharpe": sharpe,
        "sortino": sortino,
        "return_period": "1d",
        "return_periods": periods,
        "max_drawdown": mdd,
        "turnover": turnover(record.fills, record.starting_cash),
        "hit_rate": hit_rate(wins, losses),
        "commissions": math.fsum(float(f.get("commission") or 0.0) for f in record.fills),
        "fills": len(record.fills),
        "orders": len(record.orders),
        "round_trips": round_trips(record.fills),
        "avg_win": statistics.fmean(wins) if wins else None,
        "avg_loss": statistics.fmean(losses) if losses else None,
        "profit_factor": profit_factor(wins, losses),
        "exposure": exposure(equity, record.positions),
        "risk_events": len(record.risk_events),
        "samples": len(equity),
    }
    return {k: _finite(v) if isinstance(v, float) else v for k, v in stats.items()}


def _finite(x: float | None) -> float | None:
    # why: JSON has no NaN/inf; an overflowed ratio is as undefined as a missing one
    return x if x is not None and math.isfinite(x) else None
