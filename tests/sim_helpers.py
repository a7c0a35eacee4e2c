"""A small harness for venue tests: in-memory data rows, scripted actions, a recorded event log."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kernel.clock import SimClock
from kernel.journal import Journal, MemorySink
from kernel.kernel import Kernel
from kernel.strategy import Strategy
from kernel.units import Instrument
from sim.broker import SimBroker
from sim.driver import Driver, Source
from sim.feeds import CHUNK_COLUMNS, Chunk, merge
from sim.models import BpsFees, ConstantLatency, Faults
from sim.session import Session

S = 1_000_000_000
T0 = 1_700_000_000 * S  # 2023-11-14 22:13:20 UTC


def chunk(kind: str, rows: list[tuple], source: int = 0, symbol: str = "X") -> Chunk:
    """Rows are (ts, *columns in CHUNK_COLUMNS[kind] order); None sizes become -1."""
    names = CHUNK_COLUMNS[kind]
    ts = np.array([r[0] for r in rows], dtype=np.int64)
    cols = {
        name: np.array([(-1 if r[i + 1] is None else r[i + 1]) for r in rows], dtype=np.int64)
        for i, name in enumerate(names)
    }
    return Chunk(kind, symbol, source, ts, cols)


def quotes(*rows: tuple) -> Chunk:
    """(t_seconds, bid, ask[, bid_sz, ask_sz]) in ticks/lots; t is seconds after T0."""
    full = [
        (T0 + int(r[0] * S), r[1], r[2], *(r[3:5] if len(r) >= 5 else (None, None))) for r in rows
    ]
    return chunk("quotes", full)


def trades(*rows: tuple, source: int = 0) -> Chunk:
    """(t_seconds, price, size[, side])."""
    full = [(T0 + int(r[0] * S), r[1], r[2], r[3] if len(r) > 3 else 0) for r in rows]
    return chunk("trades", full, source)


def bars(*rows: tuple, interval: int = 60 * S) -> Chunk:
    """(t_seconds of the bar OPEN, o, h, l, c[, volume]): ts of the chunk is the close."""
    full = [(T0 + int(r[0] * S) + interval, *r[1:5], r[5] if len(r) > 5 else 0) for r in rows]
    return chunk("bars", full)


def book(*rows: tuple) -> Chunk:
    """(t_seconds, side, price, size, snap)."""
    return chunk("book", [(T0 + int(r[0] * S), *r[1:]) for r in rows])


class Log(Strategy):
    """Runs ``actions`` (t_seconds, fn(ctx)) on timers and logs every order event."""

    strategy_id = "t"

    def __init__(self, actions: list[tuple[float, Callable]]) -> None:
        super().__init__()
        self.actions = actions
        self.events: list = []

    def on_start(self) -> None:
        for i, (t, _) in enumerate(self.actions):
            self.ctx.set_timer(T0 + int(t * S), str(i))

    def on_timer(self, timer) -> None:
        self.actions[int(timer.name)][1](self.ctx)

    def on_order_event(self, event) -> None:
        self.events.append(event)

    def fills(self) -> list[tuple[int, int]]:
        return [
            (e.price_ticks, e.qty_lots) for e in self.events if type(e).__name__ == "OrderFilled"
        ]

    def kinds(self) -> list[str]:
        return [type(e).__name__.removeprefix("Order") for e in self.events]


def run(
    data: list[Chunk],
    actions: list[tuple[float, Callable]],
    *,
    kind: str | None = None,
    interval: int = 60 * S,
    fees: BpsFees | None = None,
    latency: ConstantLatency | None = None,
    faults: Faults | None = None,
    queue_position: bool = False,
    queue_ahead_default: int = 0,
    session: Session | None = None,
    instrument: Instrument | None = None,
    end: float | None = None,
    check: bool = True,
) -> tuple[Log, Kernel, SimBroker]:
    inst = instrument or Instrument("X", "0.01", "1")
    clock = SimClock(T0 - S)
    kinds = {inst.symbol: kind or data[0].kind}
    broker = SimBroker(
        "sim",
        [inst],
        kinds,
        clock,
        fees=fees,
        latency=latency,
        faults=faults,
        queue_position=queue_position,
        queue_ahead_default=queue_ahead_default,
        session=session,
    )
    journal = Journal(MemorySink())
    kernel = Kernel(clock, [inst], {"sim": broker}, journal, journal_market_data=False)
    log = Log(actions)
    kernel.add_strategy(log)
    for i, c in enumerate(data):
        c.source = i
    sources = [Source(c.kind, c.symbol, interval if c.kind == "bars" else 0) for c in data]
    driver = Driver(kernel, clock, [broker], sources, journal)
    if end is None:
        last = max(int(c.ts[-1]) for c in data)
        end_ns = max([last] + [T0 + int((t + 10) * S) for t, _ in actions])
    else:
        end_ns = T0 + int(end * S)
    driver.run(merge([[c] for c in data]), end_ns)
    if check:  # the venue's and the OMS's invariants (``check=False``: the state as left)
        broker._check()
        kernel.oms._check()
    return log, kernel, broker


class Collected:
    """A market (``RecordedMarket``/``ExchangeMarket``) whose entry points' returned reports
    accumulate in ``out``, for tests that read the reports after several calls."""

    ENTRIES = frozenset({"arrive", "cancel", "modify", "on_quote", "on_trade", "on_book", "wake"})

    def __init__(self, market) -> None:  # type: ignore[no-untyped-def]
        object.__setattr__(self, "market", market)
        object.__setattr__(self, "out", [])

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        attr = getattr(self.market, name)
        if name not in self.ENTRIES:
            return attr

        def call(*args, **kw):  # type: ignore[no-untyped-def]
            reports = attr(*args, **kw)
            if reports:
                self.out.extend(reports)
            return reports

        return call

    def __setattr__(self, name: str, value) -> None:  # type: ignore[no-untyped-def]
        if name == "out":
            object.__setattr__(self, name, value)
        else:
            setattr(self.market, name, value)
