"""TWAP and VWAP: slice times, slice sizes, profiles, pricing, re-pricing."""

from __future__ import annotations

from fractions import Fraction

from algo_helpers import AlgoHarness, S

from kernel.algos import AlgoStatus
from kernel.algos.schedule import cumulative
from kernel.algos.tape import MINUTE_NS
from kernel.enums import OrderType

DAY = 1440 * MINUTE_NS


def _run_filling(h: AlgoHarness, pid: str, until: int, price: int = 100) -> None:
    """Advance second by second to ``until``, the venue filling every child at once."""
    t = h.clock.now_ns()
    while t <= until:
        h.at(t)
        h.fill_all_open(price)
        t += S // 2


def test_twap_slices_fire_at_scheduled_times_with_equal_sizes():
    h = AlgoHarness()
    pid = h.start("twap", 100, duration_ns=10 * S, slices=5)
    t0 = h.parent(pid).ts_start
    _run_filling(h, pid, t0 + 10 * S)
    sends = h.submits()
    assert [c.ts_init - t0 for c in sends] == [0, 2 * S, 4 * S, 6 * S, 8 * S]
    assert [c.order.quantity for c in sends] == [20] * 5
    assert all(c.order.order_type == OrderType.MARKET for c in sends)
    assert h.parent(pid).status == AlgoStatus.FILLED
    h.check()


def test_twap_time_jitter_is_seeded_and_stays_inside_each_interval():
    def schedule(seed: int) -> list[int]:
        h = AlgoHarness()
        h.kernel.seed = seed
        pid = h.start("twap", 100, duration_ns=10 * S, slices=5, time_jitter="0.9")
        p = h.parent(pid)
        return [t - p.ts_start for t in p.slice_times]

    a, b, c = schedule(1), schedule(1), schedule(2)
    assert a == b and a != c
    assert a[0] == 0
    for i, t in enumerate(a[1:], start=1):
        assert i * 2 * S <= t < (i + 1) * 2 * S


def test_twap_size_jitter_varies_slices_and_still_sums_to_the_quantity():
    h = AlgoHarness()
    pid = h.start("twap", 1000, duration_ns=10 * S, slices=5, size_jitter="0.5")
    p = h.parent(pid)
    sizes = [b - a for a, b in zip([0, *p.targets], p.targets)]
    assert p.targets[-1] == 1000 and sum(sizes) == 1000
    assert len(set(sizes)) > 1 and all(s > 0 for s in sizes)


def test_twap_min_child_carries_small_remainders_to_later_slices():
    h = AlgoHarness()
    pid = h.start("twap", 10, duration_ns=4 * S, slices=4, min_child_lots=4)
    assert h.parent(pid).targets == [2, 5, 7, 10]
    _run_filling(h, pid, h.parent(pid).ts_start + 4 * S)
    assert [c.order.quantity for c in h.submits()] == [5, 5]
    assert h.parent(pid).filled_lots == 10


def test_twap_limit_offset_children_join_the_touch_and_are_repriced_as_one():
    h = AlgoHarness()
    h.quote(100, 104)
    pid = h.start("twap", 40, duration_ns=4 * S, slices=2, limit_offset_ticks=1)
    t0 = h.parent(pid).ts_start
    h.at(t0)
    first = h.submits()[0].order
    assert (first.order_type, first.limit_ticks, first.quantity) == (OrderType.LIMIT, 101, 20)
    h.accept(first.client_order_id)
    h.fill(first.client_order_id, 101, 5)
    h.quote(102, 105)
    h.at(t0 + 2 * S)
    assert [c.client_order_id for c in h.cancels()] == [first.client_order_id]
    assert len(h.submits()) == 1  # nothing new until the cancel is confirmed
    h.cancel_confirm(first.client_order_id)
    second = h.submits()[1].order
    assert (second.limit_ticks, second.quantity) == (103, 35)
    h.check()


def test_twap_parent_limit_caps_every_child():
    h = AlgoHarness()
    h.quote(100, 104)
    pid = h.start("twap", 40, duration_ns=4 * S, slices=2, limit_offset_ticks=10, limit_ticks=103)
    h.at(h.parent(pid).ts_start)
    assert h.submits()[0].order.limit_ticks == 103
    h2 = AlgoHarness()
    pid2 = h2.start("twap", 40, duration_ns=4 * S, slices=2, limit_ticks=103)
    h2.at(h2.parent(pid2).ts_start)
    assert h2.submits()[0].order.order_type == OrderType.LIMIT  # market slices become limits


def test_cumulative_targets_floor_and_end_exactly_at_the_quantity():
    assert cumulative(10, [Fraction(1)] * 3) == [3, 6, 10]
    assert cumulative(7, [Fraction(0), Fraction(1), Fraction(0)]) == [0, 7, 7]
    assert cumulative(5, [Fraction(0)] * 2) == [2, 5]  # all zero: uniform


def test_vwap_given_profile_sizes_the_slices():
    h = AlgoHarness()
    pid = h.start("vwap", 60, duration_ns=3 * S, profile=(1, 2, 3))
    p = h.parent(pid)
    assert p.targets == [10, 30, 60] and p.profile_source == "given"
    _run_filling(h, pid, p.ts_start + 3 * S)
    assert [c.order.quantity for c in h.submits()] == [10, 20, 30]
    assert [c.ts_init - p.ts_start for c in h.submits()] == [0, S, 2 * S]


def test_vwap_historical_profile_follows_yesterday_volume_at_the_same_times():
    h = AlgoHarness()
    assert h.engine is not None  # watching from the start
    h.clock.advance_to(10 * MINUTE_NS)
    h.trade(100, 30)
    h.clock.advance_to(20 * MINUTE_NS)
    h.trade(100, 10)
    h.clock.advance_to(DAY + 10 * MINUTE_NS)
    pid = h.start("vwap", 40, duration_ns=20 * MINUTE_NS, slices=2)
    p = h.parent(pid)
    assert p.profile_source == "historical"
    assert p.targets == [30, 40]


def test_vwap_historical_without_history_is_uniform():
    h = AlgoHarness()
    pid = h.start("vwap", 40, duration_ns=20 * MINUTE_NS, slices=4)
    p = h.parent(pid)
    assert p.profile_source == "uniform (no history)"
    assert p.targets == [10, 20, 30, 40]


def test_twap_child_that_fills_instead_of_being_repriced_lets_the_slice_go_on():
    h = AlgoHarness()
    h.quote(100, 104)
    pid = h.start("twap", 40, duration_ns=4 * S, slices=2, limit_offset_ticks=1)
    t0 = h.parent(pid).ts_start
    h.at(t0)
    first = h.submits()[0].order.client_order_id
    h.accept(first)
    h.at(t0 + 2 * S)  # the slice asks to cancel it to re-price...
    h.fill(first, 101, 20)  # ...but it filled first
    second = h.submits()[1].order
    assert second.quantity == 20
    h.fill_all_open(101)
    assert h.parent(pid).status == AlgoStatus.FILLED
    h.check()


def test_twap_refused_cancel_of_a_working_child_still_sends_the_new_slice():
    from kernel.events import OrderCancelRejected

    h = AlgoHarness()
    h.quote(100, 104)
    pid = h.start("twap", 40, duration_ns=4 * S, slices=2, limit_offset_ticks=1)
    t0 = h.parent(pid).ts_start
    h.at(t0)
    first = h.submits()[0].order.client_order_id
    h.accept(first)
    h.at(t0 + 2 * S)
    now = h.tick()
    h.kernel.on_order_event(OrderCancelRejected(first, "BUSY", now, now))
    assert [c.order.quantity for c in h.submits()] == [20, 20]  # the old one keeps working
    assert h.parent(pid).free_lots() == 0
    h.check()
