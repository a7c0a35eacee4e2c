"""Generated markets: Hypothesis strategies for price paths and the data files made from them.

A market is one path of mid prices in ticks (trends, gaps and spikes, halts as long silences)
with the spreads and sizes seen along it; ``rows`` turns it into quote, trade, bar or L2 rows on
an instrument's tick and lot grid, in the columns of the contract's data files. Crossed quotes
appear on purpose: the data loader must reject them (``on_bad_row: skip``), never trade on them.

Every choice shrinks toward the plain case (no move, no gap, no halt, one lot), so a failure
shrinks to a short, quiet market.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

T0_NS = 1_767_621_600 * 10**9  # 2026-01-05T14:00:00Z: generated markets start here
MIN_MID = 50  # ticks: a path never goes below this
KINDS = ("quotes", "trades", "bars", "book")
BAR_NS = 60 * 10**9
HALT_MS = (300_000, 1_800_000)  # a halt: 5 to 30 minutes without data


@dataclass(frozen=True)
class Step:
    """One market event: time since the last (ms), mid move (ticks), spread (ticks), the size
    on each side (lots), whether the quote is crossed (a bad row), the aggressor (+1/-1)."""

    dt_ms: int
    move: int
    spread: int
    bid_lots: int
    ask_lots: int
    trade_lots: int
    crossed: bool
    aggressor: int


@dataclass(frozen=True)
class Market:
    """A generated market for one symbol: a starting mid and its steps."""

    symbol: str
    start_ticks: int
    steps: tuple[Step, ...]

    def mids(self) -> list[int]:
        out = []
        mid = self.start_ticks
        for s in self.steps:
            mid = max(MIN_MID, mid + s.move)
            out.append(mid)
        return out

    def times(self) -> list[int]:
        out = []
        ts = T0_NS
        for s in self.steps:
            ts += s.dt_ms * 1_000_000
            out.append(ts)
        return out

    def end_ns(self) -> int:
        times = self.times()
        return times[-1] if times else T0_NS


@st.composite
def steps(draw: Any, trend: int = 0) -> Step:
    """One step: mostly small moves a few ms to 2 s apart; sometimes a gap or spike (a move of up
    to 200 ticks) or a halt (5 to 30 minutes without data)."""
    dt = draw(st.one_of(st.integers(1, 2000), st.integers(*HALT_MS)))
    move = draw(st.one_of(st.integers(-3, 3), st.integers(-200, 200))) + trend
    return Step(
        dt_ms=dt,
        move=move,
        spread=draw(st.integers(1, 4)),
        bid_lots=draw(st.integers(1, 50)),
        ask_lots=draw(st.integers(1, 50)),
        trade_lots=draw(st.integers(1, 30)),
        crossed=draw(st.booleans()) and draw(st.booleans()),  # about one quote in four
        aggressor=draw(st.sampled_from((1, -1))),
    )


@st.composite
def markets(
    draw: Any,
    symbol: str = "XYZ",
    start_ticks: int = 10_000,
    min_steps: int = 2,
    max_steps: int = 60,
) -> Market:
    """A market for ``symbol`` starting at ``start_ticks``: a trend (-2..2 ticks a step) and
    ``min_steps``..``max_steps`` steps."""
    trend = draw(st.integers(-2, 2))
    path = draw(st.lists(steps(trend), min_size=min_steps, max_size=max_steps))
    return Market(symbol, start_ticks, tuple(path))


def rows(
    market: Market, kind: str, tick: Decimal, lot: Decimal
) -> tuple[list[str], list[list[Any]]]:
    """The data file's header and rows of ``kind`` for ``market`` (prices and sizes as decimal
    text on the grid; times in int ns)."""
    mids, times = market.mids(), market.times()
    if kind == "quotes":
        return ["ts", "bid_px", "ask_px", "bid_sz", "ask_sz"], _quotes(
            market, mids, times, tick, lot
        )
    if kind == "trades":
        return ["ts", "px", "sz", "side"], _trades(market, mids, times, tick, lot)
    if kind == "bars":
        return ["ts", "open", "high", "low", "close", "volume"], _bars(market, mids, tick, lot)
    if kind == "book":
        return ["ts", "side", "px", "sz", "update_type"], _book(market, mids, times, tick, lot)
    raise ValueError(f"unknown market data kind {kind!r} (known: {', '.join(KINDS)})")


def _px(ticks: int, tick: Decimal) -> str:
    return str(ticks * tick)


def _sz(lots: int, lot: Decimal) -> str:
    return str(lots * lot)


def _quotes(
    m: Market, mids: list[int], times: list[int], tick: Decimal, lot: Decimal
) -> list[list[Any]]:
    out = []
    for s, mid, ts in zip(m.steps, mids, times, strict=True):
        bid = mid - (s.spread // 2)
        ask = bid + s.spread
        if s.crossed:
            bid, ask = ask + 1, bid  # a crossed quote: a bad row the loader must skip
        out.append([ts, _px(bid, tick), _px(ask, tick), _sz(s.bid_lots, lot), _sz(s.ask_lots, lot)])
    return out


def _trades(
    m: Market, mids: list[int], times: list[int], tick: Decimal, lot: Decimal
) -> list[list[Any]]:
    out = []
    for s, mid, ts in zip(m.steps, mids, times, strict=True):
        bid = mid - (s.spread // 2)
        px = bid + s.spread if s.aggressor > 0 else bid
        side = "buy" if s.aggressor > 0 else "sell"
        out.append([ts + 1, _px(px, tick), _sz(s.trade_lots, lot), side])
    return out


def _bars(m: Market, mids: list[int], tick: Decimal, lot: Decimal) -> list[list[Any]]:
    """One 1-minute bar per step (a halt skips its minutes); open at the last close."""
    out = []
    prev = m.start_ticks
    ts = T0_NS
    for s, mid in zip(m.steps, mids, strict=True):
        ts += BAR_NS * (1 + (s.dt_ms // 60_000 if s.dt_ms >= HALT_MS[0] else 0))
        high = max(prev, mid) + s.spread // 2
        low = max(1, min(prev, mid) - (s.spread - s.spread // 2))
        out.append([ts, _px(prev, tick), _px(high, tick), _px(low, tick), _px(mid, tick),
                    _sz(s.trade_lots, lot)])  # fmt: skip
        prev = mid
    return out


def _book(
    m: Market, mids: list[int], times: list[int], tick: Decimal, lot: Decimal
) -> list[list[Any]]:
    """Three levels a side: a snapshot first, then each step sets its levels and deletes the
    ones it no longer has."""
    out: list[list[Any]] = []
    levels: dict[tuple[str, int], int] = {}
    for i, (s, mid, ts) in enumerate(zip(m.steps, mids, times, strict=True)):
        bid = mid - (s.spread // 2)
        ask = bid + s.spread
        new = {("b", bid - j): s.bid_lots + j for j in range(3)}
        new |= {("a", ask + j): s.ask_lots + j for j in range(3)}
        kind = "snap" if i == 0 else "set"
        if i:
            for key in sorted(set(levels) - set(new)):
                out.append([ts, key[0], _px(key[1], tick), "0", "set"])
        for key in sorted(new):
            out.append([ts, key[0], _px(key[1], tick), _sz(new[key], lot), kind])
        levels = new
    return out
