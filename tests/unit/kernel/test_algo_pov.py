"""POV: the target follows the observed volume; child sizes; never ahead; re-pricing."""

from __future__ import annotations

from algo_helpers import AlgoHarness

from kernel.algos import AlgoStatus
from kernel.enums import OrderType
from kernel.events import Bar


def test_pov_sends_its_share_of_each_print():
    h = AlgoHarness()
    pid = h.start("pov", 50, rate="0.1")
    h.trade(100, 100)
    assert [c.order.quantity for c in h.submits()] == [10]
    h.fill_all_open()
    h.trade(100, 55)  # 155 seen: target 15
    assert [c.order.quantity for c in h.submits()] == [10, 5]
    h.fill_all_open()
    h.trade(100, 1000)  # target capped at the parent's 50
    assert [c.order.quantity for c in h.submits()] == [10, 5, 35]
    h.fill_all_open()
    assert h.parent(pid).status == AlgoStatus.FILLED
    assert h.submits()[0].order.order_type == OrderType.MARKET
    h.check()


def test_pov_never_runs_ahead_of_its_share_while_children_work():
    h = AlgoHarness()
    pid = h.start("pov", 1000, rate="0.2")
    p = h.parent(pid)
    for size in (10, 3, 7, 40, 1, 1, 1, 12):
        h.trade(100, size)
        assert p.filled_lots + p.working_lots() <= int(p.p.rate * p.observed_lots())
    assert p.working_lots() == int(p.p.rate * 75)  # nothing filled: all of it working


def test_pov_min_child_waits_and_max_child_splits():
    h = AlgoHarness()
    h.start("pov", 100, rate="0.5", min_child_lots=5, max_child_lots=8)
    h.trade(100, 6)  # target 3 < 5: wait
    assert h.submits() == []
    h.trade(100, 6)  # target 6
    h.trade(100, 30)  # target 21: 15 more, at most 8 per child
    assert [c.order.quantity for c in h.submits()] == [6, 8]


def test_pov_last_piece_below_min_child_is_sent():
    h = AlgoHarness()
    pid = h.start("pov", 12, rate="1", min_child_lots=10)
    h.trade(100, 10)
    h.fill_all_open()
    h.trade(100, 10)
    assert [c.order.quantity for c in h.submits()] == [10, 2]
    h.fill_all_open()
    assert h.parent(pid).status == AlgoStatus.FILLED


def test_pov_ignores_prints_before_it_arrived_and_counts_bars():
    h = AlgoHarness()
    h.trade(100, 500)
    pid = h.start("pov", 100, rate="0.5")
    assert h.parent(pid).observed_lots() == 0
    now = h.tick()
    h.kernel.on_bar(Bar("X", 100, 101, 99, 100, 40, 60, now, now))
    assert [c.order.quantity for c in h.submits()] == [20]


def test_pov_limit_children_are_repriced_when_the_touch_moves():
    h = AlgoHarness()
    h.quote(100, 102)
    pid = h.start("pov", 100, rate="0.5", limit_offset_ticks=0)
    h.trade(101, 20)
    first = h.submits()[0].order
    assert (first.order_type, first.limit_ticks) == (OrderType.LIMIT, 100)
    h.accept(first.client_order_id)
    h.quote(103, 105)
    assert [c.client_order_id for c in h.cancels()] == [first.client_order_id]
    h.cancel_confirm(first.client_order_id)
    second = h.submits()[1].order
    assert (second.limit_ticks, second.quantity) == (103, 10)
    h.check()
    assert h.parent(pid).status == AlgoStatus.WORKING
