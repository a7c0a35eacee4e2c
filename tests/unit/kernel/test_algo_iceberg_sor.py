"""Iceberg (display, refill on fill) and smart order routing (net price, split, re-route)."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

from algo_helpers import AlgoHarness, S
from sim_helpers import T0, quotes, run

from kernel.algos import AlgoEngine, AlgoStatus
from kernel.enums import OrderType, Side, TimeInForce
from kernel.events import BookUpdate, VenueStatus


# --- iceberg ----------------------------------------------------------------------------------
def test_iceberg_shows_one_slice_and_refills_only_when_it_has_filled():
    h = AlgoHarness()
    pid = h.start("iceberg", 25, display_lots=10, limit_ticks=99)
    first = h.submits()[0].order.client_order_id
    h.fill(first, 99, 4)  # partial: the rest of the slice stays shown, nothing new
    assert len(h.submits()) == 1 and h.parent(pid).displayed_lots() == 6
    h.fill(first, 99, 6)
    assert [c.order.quantity for c in h.submits()] == [10, 10]
    h.fill_all_open(99)
    assert [c.order.quantity for c in h.submits()] == [10, 10, 5]  # the last slice is the rest
    h.fill_all_open(99)
    assert h.parent(pid).status == AlgoStatus.FILLED
    h.check()


def test_iceberg_without_limit_joins_our_touch_and_waits_for_a_price():
    h = AlgoHarness()
    pid = h.start("iceberg", 20, display_lots=10)
    assert h.submits() == []  # no market data yet
    h.quote(100, 102)
    child = h.submits()[0].order
    assert (child.order_type, child.limit_ticks) == (OrderType.LIMIT, 100)
    h.fill(child.client_order_id, 100, 10)
    h.quote(101, 103)
    h.fill_all_open(101)  # the refill was priced at the bid when it was sent (100)
    assert [c.order.limit_ticks for c in h.submits()] == [100, 100]
    sell = h.start("iceberg", 10, side=-1, display_lots=10)
    assert h.engine.parents[sell].open_children[h.submits()[-1].order.client_order_id]
    assert h.submits()[-1].order.limit_ticks == 103
    assert h.parent(pid).status == AlgoStatus.FILLED


def test_iceberg_through_the_simulated_venue_fills_slice_by_slice():
    pids = {}

    def go(ctx):
        pids["p"] = ctx.execute("X", Side.SELL, 30, "iceberg", display_lots=10, limit_ticks=105)

    rows = [(t, 100 + t, 102 + t, 50, 50) for t in range(10)]
    _log, k, _ = run([quotes(*rows)], [(0.5, go)])
    engine = AlgoEngine.of(k)
    p = engine.parents[pids["p"]]
    assert p.status == AlgoStatus.FILLED
    kids = [k.oms.orders[oid] for oid in p.child_ids]
    assert [c.quantity for c in kids] == [10, 10, 10]
    assert all(c.limit_ticks == 105 for c in kids)
    # each refill was sent only once the previous slice had filled
    assert all(a.ts_last <= b.ts_init for a, b in pairwise(kids))
    engine._check()


# --- smart order routing ----------------------------------------------------------------------
def _sor(**kw) -> tuple[AlgoHarness, str]:
    h = AlgoHarness(venues=("a", "b"))
    h.quote(99, 100, 30, 30)
    pid = h.start("sor", 50, venues=("a", "b"), fees_bps={"a": 5, "b": 1}, **kw)
    return h, pid


def test_sor_cheapest_net_venue_first_split_by_displayed_size():
    h, _pid = _sor()
    (b,) = h.submits("b")
    (a,) = h.submits("a")
    assert (b.order.quantity, a.order.quantity) == (30, 20)
    for cmd in (a, b):
        o = cmd.order
        assert (o.order_type, o.limit_ticks, o.time_in_force) == (
            OrderType.LIMIT,
            100,
            TimeInForce.IOC,
        )
    assert b.ts_init <= a.ts_init
    h.check()


def test_sor_without_fees_takes_each_venues_own_fee_model():
    h = AlgoHarness(venues=("a", "b"))
    h.kernel.venue_fees.update({"a": Fraction(5), "b": Fraction(1)})
    h.quote(99, 100, 30, 30)
    h.start("sor", 50, venues=("a", "b"))
    (b,) = h.submits("b")
    (a,) = h.submits("a")
    assert (b.order.quantity, a.order.quantity) == (30, 20)  # b is cheaper net of fees
    assert b.ts_init <= a.ts_init
    h.check()


def test_sor_leaves_out_a_venue_that_is_down():
    h = AlgoHarness(risk={"reduce_on_disconnect": False}, venues=("a", "b"))
    h.kernel.on_event(VenueStatus("b", False, False, T0, T0))
    h.quote(99, 100, 30, 30)
    h.start("sor", 50, venues=("a", "b"), fees_bps={"a": 5, "b": 1})
    assert h.submits("b") == [] and [c.order.quantity for c in h.submits("a")] == [30]
    h.check()


def test_sor_reroutes_a_reject_to_the_venue_with_spare_size_then_waits_for_data():
    h, pid = _sor()
    b = h.submits("b")[0].order.client_order_id
    h.reject(b)
    assert [c.order.quantity for c in h.submits("a")] == [20, 10]  # a shows 30: 10 were spare
    h.fill_all_open(100)
    p = h.parent(pid)
    assert p.filled_lots == 30 and p.status == AlgoStatus.WORKING
    h.quote(99, 100, 30, 30)  # the next round
    assert [c.order.quantity for c in h.submits("b")] == [30, 20]
    h.fill_all_open(100)
    assert p.status == AlgoStatus.FILLED
    h.check()


def test_sor_unfilled_ioc_remainder_goes_to_the_next_venue():
    h, pid = _sor()
    b = h.submits("b")[0].order.client_order_id
    a = h.submits("a")[0].order.client_order_id
    h.fill(b, 100, 25)
    h.cancel_confirm(b)  # the IOC's remainder of 5
    assert [c.order.quantity for c in h.submits("a")] == [20, 5]
    h.fill(a, 100, 20)
    assert h.parent(pid).filled_lots == 45
    h.check()


def test_sor_no_venue_inside_the_parent_limit_sends_nothing():
    h = AlgoHarness(venues=("a", "b"))
    h.quote(99, 100, 30, 30)
    h.start("sor", 50, limit_ticks=98)
    assert h.submits("a") == h.submits("b") == h.submits("sim") == []


def test_sor_unlimited_quote_size_sends_everything_to_the_best_venue():
    h = AlgoHarness(venues=("a", "b"))
    h.quote(99, 100, None, None)
    h.start("sor", 50, venues=("a", "b"), fees_bps={"a": 1, "b": 2})
    assert [c.order.quantity for c in h.submits("a")] == [50]
    assert h.submits("b") == []


class PerVenue:
    """Per-venue touches, as a host with venue-tagged data would give."""

    def __init__(self, asks: dict[str, tuple[int, int]]) -> None:
        self.asks = asks

    def best(self, venue, symbol, side):
        return self.asks[venue][0]

    def displayed(self, venue, symbol, side, cap):
        px, size = self.asks[venue]
        return size if px <= cap else 0


def test_sor_per_venue_prices_rank_by_price_net_of_fees():
    h = AlgoHarness(venues=("a", "b"))
    h.engine.venue_quotes = PerVenue({"a": (101, 40), "b": (100, 40)})
    h.start("sor", 50, venues=("a", "b"), fees_bps={"a": 0, "b": 5}, limit_ticks=101)
    assert [c.order.quantity for c in h.submits("b")] == [40]  # 100 x 1.0005 < 101
    assert [c.order.quantity for c in h.submits("a")] == [10]
    h2 = AlgoHarness(venues=("a", "b"))
    h2.engine.venue_quotes = PerVenue({"a": (101, 40), "b": (100, 40)})
    h2.start("sor", 50, venues=("a", "b"), fees_bps={"a": 0, "b": 200}, limit_ticks=101)
    assert [c.order.quantity for c in h2.submits("a")] == [40]  # 100 x 1.02 > 101
    assert [c.order.quantity for c in h2.submits("b")] == [10]


def test_sor_sweeps_book_levels_up_to_sweep_ticks():
    h = AlgoHarness(venues=("a",))
    now = h.tick()
    h.kernel.on_book(BookUpdate("X", ((-1, 100, 5), (-1, 101, 7), (-1, 103, 9)), True, now, now))
    h.start("sor", 50, venues=("a",), sweep_ticks=2)
    (cmd,) = h.submits("a")
    assert (cmd.order.quantity, cmd.order.limit_ticks) == (12, 102)


def test_sor_through_two_simulated_venues_fills_the_parent():
    from sim_helpers import Log
    from sim_helpers import S as SS

    from kernel.clock import SimClock
    from kernel.kernel import Kernel
    from kernel.units import Instrument
    from sim.broker import SimBroker
    from sim.driver import Driver, Source
    from sim.feeds import merge

    inst = Instrument("X", "0.01", "1")
    clock = SimClock(T0 - SS)
    a = SimBroker("a", [inst], {"X": "quotes"}, clock)
    b = SimBroker("b", [inst], {"X": "quotes"}, clock)
    kernel = Kernel(clock, [inst], {"a": a, "b": b}, None)
    pids = {}
    log = Log(
        [(1, lambda c: pids.setdefault("p", c.execute("X", 1, 45, "sor", fees_bps={"b": -1})))]
    )
    kernel.add_strategy(log)
    qa = quotes(*[(t, 100, 101, 20, 20) for t in range(5)])
    qb = quotes(*[(t, 100, 101, 20, 20) for t in range(5)])
    qa.source, qb.source = 0, 1
    sources = [Source("quotes", "X", venues=("a",)), Source("quotes", "X", venues=("b",))]
    Driver(kernel, clock, [a, b], sources, None).run(merge([[qa], [qb]]))
    p = AlgoEngine.of(kernel).parents[pids["p"]]
    assert p.status == AlgoStatus.FILLED and p.filled_lots == 45
    first = [kernel.oms.orders[o] for o in p.child_ids[:2]]
    assert [(o.venue, o.quantity) for o in first] == [("b", 20), ("a", 20)]
    assert kernel.portfolio.position_qty("X", "t") == 45
    assert p.ts_end is not None and p.ts_end - p.ts_start < 5 * S
