"""The venue's FIFO message queue (one constant latency, no jitter) delivers exactly what the
heap delivers: same events, same order, same times, same journal digest."""

from __future__ import annotations

import pytest
import sim_helpers
from hypothesis import given, settings
from hypothesis import strategies as st
from sim_helpers import quotes, run

from kernel.enums import OrderType, Side
from sim.broker import SimBroker
from sim.models import ConstantLatency

ACTION = st.tuples(
    st.integers(0, 40),  # time, in tenths of a second
    st.sampled_from(["limit", "market", "cancel_last", "cancel_all"]),
    st.sampled_from([Side.BUY, Side.SELL]),
    st.integers(1, 5),  # lots
    st.integers(-2, 2),  # limit offset from 100
)


def _actions(spec):
    out = []
    for t, what, side, lots, off in spec:

        def act(c, what=what, side=side, lots=lots, off=off):
            if what == "limit":
                c.submit("X", side, lots, OrderType.LIMIT, limit_ticks=100 + off)
            elif what == "market":
                c.submit("X", side, lots, OrderType.MARKET)
            elif what == "cancel_last":
                open_ = c.open_orders("X")
                if open_:
                    c.cancel(open_[-1])
            else:
                c.cancel_all("X")

        out.append((t / 10, act))
    return out


class _HeapOnly(SimBroker):
    """A broker that keeps its message heap (a compiled SimBroker takes no patched method)."""

    def use_fifo(self) -> bool:
        return False


def _run(spec, rows, latency_ms, fifo, monkeypatch):
    if not fifo:
        monkeypatch.setattr(sim_helpers, "SimBroker", _HeapOnly)
    lat = ConstantLatency(latency_ms * 1_000_000, latency_ms * 1_000_000)
    log, kernel, broker = run([quotes(*rows)], _actions(spec), latency=lat)
    assert broker.fifo is fifo
    events = [(type(e).__name__, e.client_order_id, e.ts_event, e.ts_init) for e in log.events]
    return events, kernel.journal.digest()


@pytest.mark.parametrize("latency_ms", [0, 3])
@settings(max_examples=40, deadline=None)
@given(
    spec=st.lists(ACTION, min_size=1, max_size=12),
    moves=st.lists(st.tuples(st.integers(-2, 2), st.integers(1, 3)), min_size=3, max_size=30),
)
def test_fifo_queue_gives_the_heap_order(latency_ms, spec, moves):
    rows, bid = [], 100
    for i, (step, spread) in enumerate(moves):
        bid += step
        rows.append((i * 0.2, bid, bid + spread, 3, 3))
    with pytest.MonkeyPatch.context() as mp:
        heap = _run(spec, rows, latency_ms, False, mp)
    with pytest.MonkeyPatch.context() as mp:
        fifo = _run(spec, rows, latency_ms, True, mp)
    assert fifo == heap
