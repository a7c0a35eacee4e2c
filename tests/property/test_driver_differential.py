"""The sim driver's specialised loops (one venue, no outages: inline due-checks, the FIFO drain)
against its generic loops (``Driver(generic=True)``): on generated markets, orders and latencies
both must journal exactly the same run, record for record (same digest)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sim_helpers import T0, Log, S, bars, quotes, trades

from kernel.clock import SimClock
from kernel.enums import OrderType, Side, TimeInForce
from kernel.journal import Journal, MemorySink
from kernel.kernel import Kernel
from kernel.units import Instrument
from sim.broker import SimBroker
from sim.driver import Driver, Source
from sim.feeds import merge
from sim.models import ConstantLatency


@st.composite
def runs(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(3, 25))
    px = 1000
    q_rows, t_rows = [], []
    t = 0.0
    for _ in range(n):
        t += draw(st.sampled_from([0.25, 0.5, 1.0, 1.0, 2.0]))
        px += draw(st.integers(-3, 3))
        spread = draw(st.integers(1, 3))
        q_rows.append((t, px, px + spread, draw(st.integers(1, 9)), draw(st.integers(1, 9))))
        if draw(st.booleans()):
            t_rows.append((t, px + draw(st.integers(0, spread)), draw(st.integers(1, 5))))
    actions = []
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.floats(0.1, t + 1, allow_nan=False)).__round__(3)
        kind = draw(st.sampled_from(["market", "limit", "stop", "cancel", "ioc"]))
        side = draw(st.sampled_from([Side.BUY, Side.SELL]))
        qty = draw(st.integers(1, 12))
        off = draw(st.integers(-3, 3))
        actions.append((at, kind, side, qty, off))
    latency = (draw(st.sampled_from([0, 1, 5])), draw(st.sampled_from([0, 1, 5])))
    with_bars = draw(st.booleans()) and not t_rows
    return q_rows, t_rows, actions, latency, with_bars


def _act(kind, side, qty, off):  # type: ignore[no-untyped-def]
    def go(ctx):  # type: ignore[no-untyped-def]
        q = ctx.quote("X")
        ref = (q.ask_ticks if side > 0 else q.bid_ticks) if q is not None else 1000
        if kind == "market":
            ctx.market("X", side, qty)
        elif kind == "limit":
            ctx.limit("X", side, qty, ref + off)
        elif kind == "ioc":
            ctx.limit("X", side, qty, ref + off, TimeInForce.IOC)
        elif kind == "stop":
            ctx.submit("X", side, qty, OrderType.STOP, stop_ticks=ref + side * (abs(off) + 1))
        else:
            mine = ctx.open_orders("X")
            if mine:
                ctx.cancel(mine[-1])

    return go


def _digest(example, generic: bool) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    q_rows, t_rows, actions, (order_ms, response_ms), with_bars = example
    inst = Instrument("X", "0.01", "1")
    data = [quotes(*q_rows)]
    if t_rows:
        data.append(trades(*t_rows))
    if with_bars:
        data.append(bars(*[(r[0], r[1], r[2], r[1], r[2], 5) for r in q_rows[:3]], interval=S))
    kinds = {"X": "quotes"}
    clock = SimClock(T0 - S)
    broker = SimBroker(
        "sim",
        [inst],
        kinds,
        clock,
        latency=ConstantLatency(order_ms * 1_000_000, response_ms * 1_000_000),
    )
    journal = Journal(MemorySink())
    kernel = Kernel(clock, [inst], {"sim": broker}, journal, journal_market_data=False)
    log = Log([(at, _act(kind, side, qty, off)) for at, kind, side, qty, off in actions])
    kernel.add_strategy(log)
    for i, c in enumerate(data):
        c.source = i
    sources = [Source(c.kind, c.symbol, S if c.kind == "bars" else 0) for c in data]
    driver = Driver(kernel, clock, [broker], sources, journal, generic=generic)
    end = T0 + int((max(r[0] for r in q_rows) + 5) * S)
    driver.run(merge([[c] for c in data]), end)
    return journal.digest(), len(log.events)


@settings(max_examples=60, deadline=None)
@given(runs())
def test_the_fast_loops_journal_exactly_what_the_generic_loops_do(example):  # type: ignore[no-untyped-def]
    fast = _digest(example, generic=False)
    generic = _digest(example, generic=True)
    assert fast == generic
