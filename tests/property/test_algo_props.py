"""Properties of the execution algos, through a real kernel and the simulated venue (or a venue
the test plays): child fills add up to the parent and never exceed it, TWAP slices land on
their schedule, POV stays in its band, an iceberg never shows more than its display size, and
canceling a parent leaves no open child."""

from __future__ import annotations

from algo_helpers import AlgoHarness, S
from hypothesis import given
from hypothesis import strategies as st
from sim_helpers import T0, quotes, trades

from kernel.algos import AlgoEngine, AlgoStatus
from kernel.clock import SimClock
from kernel.journal import Journal, MemorySink
from kernel.kernel import Kernel
from kernel.strategy import Strategy
from kernel.units import Instrument
from sim.broker import SimBroker
from sim.driver import Driver, Source
from sim.feeds import merge
from sim.models import ConstantLatency, Faults

ALGO_SPECS = st.sampled_from(
    [
        ("twap", {"duration_ns": 20 * S, "slices": 5}),
        ("twap", {"duration_ns": 20 * S, "slices": 7, "time_jitter": "0.5", "size_jitter": "0.5"}),
        ("twap", {"duration_ns": 15 * S, "slices": 4, "limit_offset_ticks": 1, "at_end": "market"}),
        ("vwap", {"duration_ns": 20 * S, "profile": (1, 3, 2, 0, 4)}),
        ("pov", {"rate": "0.3", "min_child_lots": 2, "max_child_lots": 9}),
        ("pov", {"rate": "0.5", "duration_ns": 10 * S, "at_end": "market"}),
        ("iceberg", {"display_lots": 7, "limit_ticks": 103}),
        ("iceberg", {"display_lots": 4, "duration_ns": 12 * S, "at_end": "market"}),
        ("sor", {"fees_bps": {"a": 2, "b": 1}}),
        (
            "sor",
            {"fees_bps": {"a": 1}, "sweep_ticks": 2, "duration_ns": 10 * S, "at_end": "market"},
        ),
    ]
)


class Checker(Strategy):
    """Starts the parents, then checks the books after every market event and at the end."""

    strategy_id = "p"

    def __init__(self, starts: list[tuple[float, str, int, int, dict]]) -> None:
        super().__init__()
        self.starts = starts
        self.pids: list[str] = []
        self.fills = 0

    def on_start(self) -> None:
        for i, (t, *_rest) in enumerate(self.starts):
            self.ctx.set_timer(T0 + int(t * S), str(i))

    def on_timer(self, timer) -> None:
        _t, algo, side, qty, params = self.starts[int(timer.name)]
        self.pids.append(self.ctx.execute("X", side, qty, algo, **params))

    def on_order_event(self, event) -> None:
        if type(event).__name__ == "OrderFilled":
            self.fills += event.qty_lots * event.side

    def on_quote(self, quote) -> None:
        self.check()

    def on_trade(self, trade) -> None:
        self.check()

    def check(self) -> None:
        engine = AlgoEngine.find(self.ctx._k)
        if engine is None:
            return
        engine._check()
        for p in engine.parents.values():
            assert 0 <= p.filled_lots <= p.quantity
            if p.NAME == "iceberg":
                assert p.displayed_lots() <= p.p.display_lots
            if p.NAME == "pov" and p.status == AlgoStatus.WORKING:
                assert p.filled_lots + p.working_lots() <= int(p.p.rate * p.observed_lots())


def _market(draw_rows, n: int):
    """Quotes with sizes at two venues and prints, around 100-104 ticks."""
    q = [(t, 100 + m, 102 + m, s1, s2) for t, m, s1, s2 in draw_rows]
    tr = [(t + 0.5, 101 + m, s1) for t, m, s1, _ in draw_rows]
    return q, tr


@st.composite
def runs(draw):
    n = draw(st.integers(5, 30))
    rows = [
        (t, draw(st.integers(0, 2)), draw(st.integers(1, 15)), draw(st.integers(1, 15)))
        for t in range(n)
    ]
    starts = []
    for _ in range(draw(st.integers(1, 3))):
        algo, params = draw(ALGO_SPECS)
        t = draw(st.floats(0.1, 3.0))
        starts.append((t, algo, draw(st.sampled_from([1, -1])), draw(st.integers(1, 60)), params))
    latency = draw(st.integers(0, 3))
    reject = draw(st.sampled_from([0.0, 0.0, 0.2]))
    cancel_at = draw(st.one_of(st.none(), st.floats(0.5, 25.0)))
    seed = draw(st.integers(0, 2**16))
    return rows, starts, latency, reject, cancel_at, seed


def _drive(rows, starts, latency, reject, cancel_at, seed):
    inst = Instrument("X", "0.01", "1")
    clock = SimClock(T0 - S)
    brokers = [
        SimBroker(
            name,
            [inst],
            {"X": "quotes"},
            clock,
            latency=ConstantLatency(latency * 1_000_000, latency * 1_000_000),
            faults=Faults(reject, [], __import__("kernel.rng").rng.named_stream(seed, name)),
        )
        for name in ("a", "b")
    ]
    journal = Journal(MemorySink())
    kernel = Kernel(clock, [inst], {b.name: b for b in brokers}, journal, seed=seed,
                    journal_market_data=False, default_venue="a")  # fmt: skip
    checker = Checker(starts)
    kernel.add_strategy(checker)
    if cancel_at is not None:

        class Canceler(Strategy):
            strategy_id = "c"

            def on_start(self) -> None:
                self.ctx.set_timer(T0 + int(cancel_at * S), "x")

            def on_timer(self, timer) -> None:
                engine = AlgoEngine.find(self.ctx._k)
                for p in [] if engine is None else engine.working():
                    p.cancel()

        kernel.add_strategy(Canceler())
    q_rows, t_rows = _market(rows, len(rows))
    qa, qb, tr = quotes(*q_rows), quotes(*q_rows), trades(*t_rows)
    for i, c in enumerate((qa, qb, tr)):
        c.source = i
    sources = [
        Source("quotes", "X", venues=("a",)),
        Source("quotes", "X", venues=("b",)),
        Source("trades", "X", venues=()),
    ]
    Driver(kernel, clock, brokers, sources, journal).run(
        merge([[qa], [qb], [tr]]), T0 + int((len(rows) + 30) * S)
    )
    return kernel, checker, cancel_at


@given(runs())
def test_algo_child_fills_sum_to_parent_and_never_exceed_it(case):
    kernel, checker, cancel_at = _drive(*case)
    engine = AlgoEngine.find(kernel)
    assert engine is not None
    engine._check()
    kernel.oms._check()
    checker.check()
    total = 0
    for p in engine.parents.values():
        kids = [kernel.oms.orders[o] for o in p.child_ids]
        assert sum(k.filled_lots for k in kids) == p.filled_lots <= p.quantity
        assert p.overfill_lots == 0
        total += p.side * p.filled_lots
        if p.status == AlgoStatus.FILLED:
            assert p.filled_lots == p.quantity
        if cancel_at is not None and p.ts_start <= T0 + int(cancel_at * S):
            assert p.is_done and p.status != AlgoStatus.WORKING
            assert not [k for k in kids if k.is_open]  # canceling leaves no open child
    assert kernel.portfolio.position_qty("X", "p") == total == checker.fills


@given(
    qty=st.integers(1, 500),
    slices=st.integers(1, 12),
    duration_s=st.integers(1, 120),
    jitter=st.sampled_from(["0", "0.25", "0.9"]),
    size_jitter=st.sampled_from(["0", "0.5"]),
    seed=st.integers(0, 1000),
)
def test_twap_slices_land_at_their_scheduled_times(
    qty, slices, duration_s, jitter, size_jitter, seed
):
    h = AlgoHarness()
    h.kernel.seed = seed
    pid = h.start(
        "twap", qty, duration_ns=duration_s * S, slices=slices, time_jitter=jitter,
        size_jitter=size_jitter,
    )  # fmt: skip
    p = h.parent(pid)
    for t in p.slice_times:
        h.at(t)
        h.fill_all_open()
    expected = [t for t, a, b in zip(p.slice_times, [0, *p.targets], p.targets) if b > a]
    assert [c.ts_init for c in h.submits()] == expected
    assert p.slice_times == sorted(p.slice_times)
    assert all(p.ts_start <= t < p.ts_start + duration_s * S for t in p.slice_times)
    assert p.status == AlgoStatus.FILLED and p.filled_lots == qty


@given(
    rate=st.sampled_from(["0.05", "0.1", "0.25", "0.5", "1"]),
    min_child=st.integers(1, 10),
    prints=st.lists(st.integers(1, 200), min_size=1, max_size=60),
    partial=st.lists(st.booleans(), min_size=60, max_size=60),
)
def test_pov_stays_in_its_band_over_any_window_of_volume(rate, min_child, prints, partial):
    from fractions import Fraction

    h = AlgoHarness()
    pid = h.start("pov", 10**9, rate=rate, min_child_lots=min_child)
    p = h.parent(pid)
    r = Fraction(rate)
    volume, filled = [0], [0]
    for i, size in enumerate(prints):
        h.trade(100, size)
        for o in h.open_children(pid):  # the venue fills children, sometimes in two parts
            if partial[i] and o.leaves_lots > 1:
                h.fill(o.client_order_id, 100, o.leaves_lots // 2)
            h.fill(o.client_order_id, 100, o.leaves_lots)
        volume.append(p.observed_lots())
        filled.append(p.filled_lots)
        assert filled[-1] <= r * volume[-1]  # never ahead of its share
        assert filled[-1] > r * volume[-1] - min_child  # behind by less than one min child
    for i in range(len(volume)):
        for j in range(i + 1, len(volume)):
            window = r * (volume[j] - volume[i])
            assert window - min_child < filled[j] - filled[i] < window + min_child


EVENTS = st.lists(st.sampled_from(["fill", "part", "reject", "cancel", "ack", "time"]), max_size=40)


@given(display=st.integers(1, 20), qty=st.integers(1, 100), events=EVENTS, cancel=st.booleans())
def test_iceberg_never_shows_more_than_its_display_and_cancel_leaves_no_child(
    display, qty, events, cancel
):
    h = AlgoHarness()
    pid = h.start("iceberg", qty, display_lots=display, limit_ticks=100, retry_ns=S)
    p = h.parent(pid)
    for ev in events:
        kids = h.open_children(pid)
        if ev == "time" or not kids:
            h.at(h.clock.now_ns() + S)
        else:
            oid = kids[0].client_order_id
            leaves = kids[0].leaves_lots
            if ev == "fill":
                h.fill(oid, 100, leaves)
            elif ev == "part":
                h.fill(oid, 100, max(1, leaves // 2))
            elif ev == "reject" and kids[0].status.name == "SUBMITTED":
                h.reject(oid)
            elif ev == "cancel":
                h.cancel_confirm(oid)
            elif ev == "ack" and kids[0].status.name == "SUBMITTED":
                h.accept(oid)
        assert p.displayed_lots() == p.working_lots() <= display
        assert len(h.open_children(pid)) <= 1
        h.check()
    if cancel and not p.is_done:
        h.ctx.cancel_algo(pid)
        for o in h.open_children(pid):
            h.cancel_confirm(o.client_order_id)
        assert p.status in (AlgoStatus.CANCELED, AlgoStatus.FILLED)
        assert h.open_children(pid) == []
        h.at(h.clock.now_ns() + 5 * S)
        assert h.open_children(pid) == []  # nothing sent after the end
    assert p.filled_lots <= qty
    h.check()
