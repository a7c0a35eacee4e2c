"""Kernel core micro-benchmarks (pytest-benchmark): order events, timers, ids, journal appends.

Run with ``.venv/bin/python -m pytest benches --benchmark-enable -q``. The issue's target is an
order event applied through the state machine and the OMS in under 2 microseconds; the cycle
benchmarks apply four events (submitted, accepted, partial fill, fill), so their per-event time
is the median divided by four, reported in ``extra_info["per_event_ns"]``.
"""

from __future__ import annotations

from kernel.enums import OrderType, Side
from kernel.events import OrderAccepted, OrderFilled, OrderSubmitted
from kernel.ids import OrderIdGenerator
from kernel.journal import Journal, NullSink
from kernel.oms import OrderManager
from kernel.orders import Order
from kernel.timers import TimerQueue

CYCLE = 4  # events per order lifecycle
ROUNDS = 5_000
ORDERS_PER_ROUND = 50  # why: one timed call covers many orders, so timer overhead is negligible


def _new_order(oid: str) -> Order:
    return Order(oid, "bench", "AAPL", Side.BUY, OrderType.LIMIT, 100, limit_ticks=18_725)


def _events(oid: str) -> tuple:
    return (
        OrderSubmitted(oid, "SIM", 1, 1),
        OrderAccepted(oid, "V-" + oid, 2, 2),
        OrderFilled(oid, "V-" + oid, oid + "-t1", "AAPL", 1, 18_725, 40, 1, 12, 3, 3),
        OrderFilled(oid, "V-" + oid, oid + "-t2", "AAPL", 1, 18_724, 60, 1, 18, 4, 4),
    )


def _per_event(benchmark, events_per_call: int) -> None:
    stats = benchmark.stats
    if stats is not None:  # None when benchmarks are disabled (a plain test run)
        benchmark.extra_info["per_event_ns"] = round(stats.stats.median / events_per_call * 1e9)


def test_bench_order_apply_cycle(benchmark):
    ids = [f"b-{i}" for i in range(ORDERS_PER_ROUND)]
    events = [_events(oid) for oid in ids]

    def setup():
        return ([_new_order(oid) for oid in ids],), {}

    def cycle(orders):
        for order, evs in zip(orders, events):
            apply = order.apply
            for e in evs:
                apply(e)
        return orders

    orders = benchmark.pedantic(cycle, setup=setup, rounds=ROUNDS // 10, iterations=1)
    assert all(o.filled_lots == 100 for o in orders)
    _per_event(benchmark, ORDERS_PER_ROUND * CYCLE)


def test_bench_oms_apply_cycle(benchmark):
    ids = [f"b-{i}" for i in range(ORDERS_PER_ROUND)]
    events = [e for oid in ids for e in _events(oid)]

    def setup():
        oms = OrderManager()
        for oid in ids:
            oms.add(_new_order(oid))
        return (oms,), {}

    def cycle(oms):
        apply = oms.apply
        for e in events:
            apply(e)
        return oms

    oms = benchmark.pedantic(cycle, setup=setup, rounds=ROUNDS // 10, iterations=1)
    assert oms.events_applied == len(events)
    assert oms.open_orders() == []
    _per_event(benchmark, len(events))


def test_bench_oms_apply_single_fill(benchmark):
    # one partial fill on a working order: the commonest event of a live session
    oms = OrderManager()
    oms.add(Order("b-1", "bench", "AAPL", Side.BUY, OrderType.LIMIT, 10**12, limit_ticks=1))
    oms.apply(OrderSubmitted("b-1", "SIM", 1, 1))
    oms.apply(OrderAccepted("b-1", "V", 2, 2))
    fills = iter(
        [OrderFilled("b-1", "V", f"t{i}", "AAPL", 1, 1, 1, 1, 0, 3, 3) for i in range(10**6)]
    )
    apply = oms.apply
    calls = [0]

    def one():
        calls[0] += 1
        apply(next(fills))

    benchmark.pedantic(one, rounds=20_000, iterations=1, warmup_rounds=100)
    assert oms.orders["b-1"].filled_lots == calls[0] > 0


def test_bench_timer_schedule_pop(benchmark):
    q = TimerQueue()
    for i in range(1_000):  # a standing population of pending timers
        q.schedule(10**12 + i, i)
    schedule, pop_due = q.schedule, q.pop_due
    state = {"now": 0}

    def schedule_pop():
        now = state["now"] = state["now"] + 1
        schedule(now, None)
        return pop_due(now)

    entry = benchmark(schedule_pop)
    assert entry is not None
    assert len(q) == 1_000
    q._check()


def test_bench_id_generator_next_id(benchmark):
    gen = OrderIdGenerator("bench", prefix="run.")
    first = benchmark(gen.next_id)
    assert first.startswith("run.bench-")


def test_bench_journal_append(benchmark):
    journal = Journal(NullSink(), block_records=8192)
    record = (0, 22, "b-1", "V-1", "t1", "AAPL", 1, 18_725, 40, 1, 12, 3, 3)
    benchmark(journal.append, record)
    assert journal.count + journal.pending > 0


def test_bench_journal_record_with_flush(benchmark):
    # encode + append, with the JSON and SHA-256 of each block amortised over its records
    journal = Journal(NullSink(), block_records=1024)
    fill = OrderFilled("b-1", "V-1", "t1", "AAPL", 1, 18_725, 40, 1, 12, 3, 3)
    benchmark(journal.record, 0, fill)
    assert journal.count > 0 or journal.pending > 0


def _kernel_with_working_order(journal: Journal | None):
    """A kernel with risk limits on (the daily-loss watch runs on every fill) and one huge
    working buy order, so each benchmark call is one partial fill through the whole kernel."""
    from kernel.clock import SimClock
    from kernel.kernel import Kernel
    from kernel.risk import RiskConfig
    from kernel.strategy import Strategy
    from kernel.units import Instrument

    class Port:
        name = "SIM"

        def submit(self, cmd):
            pass

        def cancel(self, cmd):
            pass

        def modify(self, cmd):
            pass

    clock = SimClock(1)
    risk = RiskConfig.from_mapping({"max_order_value": 10**15, "daily_loss_limit": 0.5})
    inst = Instrument("AAPL", "0.01", "1")
    kernel = Kernel(clock, [inst], {"SIM": Port()}, journal, starting_cash=10**15, risk=risk)
    strategy = Strategy("bench")
    ctx = kernel.add_strategy(strategy)
    order = ctx.submit("AAPL", Side.BUY, 10**9, OrderType.LIMIT, limit_ticks=18_725)
    kernel.on_order_event(OrderAccepted(order.client_order_id, "V", 2, 2))
    return kernel, order


def _bench_fill(benchmark, journal: Journal | None) -> None:
    kernel, order = _kernel_with_working_order(journal)
    oid = order.client_order_id
    fills = iter(
        [OrderFilled(oid, "V", f"t{i}", "AAPL", 1, 18_725, 1, 1, 12, 3, 3) for i in range(10**6)]
    )
    on_event = kernel.on_order_event
    calls = [0]

    def one():
        calls[0] += 1
        on_event(next(fills))

    benchmark.pedantic(one, rounds=20_000, iterations=1, warmup_rounds=100)
    assert order.filled_lots == calls[0] > 0
    assert kernel.portfolio.positions["AAPL"].qty == calls[0]


def test_bench_kernel_fill_end_to_end(benchmark):
    # OMS + order state machine + position and P&L + risk bookkeeping (loss watch), no journal
    _bench_fill(benchmark, None)


def test_bench_kernel_fill_end_to_end_journaled(benchmark):
    # the same with the journal on (the default): the fill is encoded and buffered
    _bench_fill(benchmark, Journal(NullSink()))
