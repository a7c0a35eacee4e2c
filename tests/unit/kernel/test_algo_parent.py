"""The parent order every algo shares: children, real fills, cancel, horizon, rejects, states."""

from __future__ import annotations

import pytest
from algo_helpers import AlgoHarness, S

from kernel.algos import AlgoParamError, AlgoStatus
from kernel.algos.states import TERMINAL, TRANSITIONS, Trigger
from kernel.commands import CancelOrder
from kernel.enums import OrderType, TimeInForce
from kernel.events import OrderFilled
from kernel.strategy import Strategy


def test_parent_children_go_through_the_kernel_in_the_owner_name_with_algo_id():
    h = AlgoHarness()
    pid = h.start("iceberg", 30, display_lots=10, limit_ticks=99)
    (cmd,) = h.submits()
    assert cmd.order.algo_id == pid and cmd.order.strategy_id == "o"
    assert (cmd.order.order_type, cmd.order.limit_ticks, cmd.order.quantity) == (
        OrderType.LIMIT,
        99,
        10,
    )
    assert h.kernel.stats.orders == 1  # counted like any order
    h.check()


def test_parent_owner_hears_child_fills_and_one_algo_finished():
    h = AlgoHarness()
    pid = h.start("iceberg", 20, display_lots=10, limit_ticks=99)
    for _ in range(2):
        h.fill_all_open(99)
    assert [type(e) for e in h.owner.fills()] == [OrderFilled, OrderFilled]
    (done,) = h.owner.finished()
    assert (done.parent_id, done.client_order_id, done.status) == (pid, pid, "filled")
    assert done.filled_lots == done.quantity == 20
    assert h.parent(pid).status == AlgoStatus.FILLED
    assert h.kernel.portfolio.position_qty("X", "o") == 20
    h.check()


def test_parent_partial_fill_then_foreign_cancel_resends_only_the_rest_after_retry():
    h = AlgoHarness()
    pid = h.start("twap", 100, duration_ns=10 * S, slices=2, retry_ns=S)
    h.at(h.clock.now_ns())
    (first,) = h.submits()
    t0 = h.parent(pid).ts_start
    h.fill(first.order.client_order_id, 100, 30)
    h.cancel_confirm(first.order.client_order_id)  # the venue canceled it on its own
    assert len(h.submits()) == 1  # nothing at once: a foreign cancel waits for the retry
    h.at(t0 + S + 10)
    assert [c.order.quantity for c in h.submits()] == [50, 20]
    h.fill_all_open()
    h.at(t0 + 5 * S)
    assert [c.order.quantity for c in h.submits()] == [50, 20, 50]
    h.fill_all_open()
    assert h.parent(pid).status == AlgoStatus.FILLED and h.parent(pid).filled_lots == 100
    h.check()


def test_cancel_parent_cancels_its_children_and_ends_once_they_are_done():
    h = AlgoHarness()
    pid = h.start("iceberg", 50, display_lots=10, limit_ticks=99)
    child = h.submits()[0].order.client_order_id
    h.accept(child)
    h.ctx.cancel_algo(pid)
    assert [c.client_order_id for c in h.cancels()] == [child]
    assert h.parent(pid).status == AlgoStatus.CANCELING
    h.cancel_confirm(child)
    assert h.parent(pid).status == AlgoStatus.CANCELED
    assert h.open_children(pid) == []
    assert h.owner.finished()[0].status == "canceled"
    h.ctx.cancel_algo(pid)  # no-op once ended
    assert len(h.cancels()) == 1
    h.check()


def test_cancel_parent_a_fill_racing_the_cancel_completes_it():
    h = AlgoHarness()
    pid = h.start("iceberg", 10, display_lots=10, limit_ticks=99)
    child = h.submits()[0].order.client_order_id
    h.ctx.cancel_algo(pid)
    h.fill(child, 99, 10)
    assert h.parent(pid).status == AlgoStatus.FILLED
    h.check()


def test_parent_gives_up_after_max_rejects_denials_in_a_row():
    h = AlgoHarness(risk={"max_order_value": 1})
    pid = h.start("iceberg", 10, display_lots=5, limit_ticks=99, max_rejects=3, retry_ns=S)
    for _ in range(4):
        h.at(h.clock.now_ns() + S)
    p = h.parent(pid)
    assert p.status == AlgoStatus.STOPPED
    assert p.child_count == 3 and p.reject_count == 3
    assert "3 child orders rejected in a row" in (p.reason or "")
    assert "MAX_ORDER_VALUE" in (p.reason or "")
    assert h.kernel.stats.denied == 3
    h.check()


def test_parent_venue_rejects_are_retried_and_an_ack_resets_the_count():
    h = AlgoHarness()
    pid = h.start("iceberg", 10, display_lots=10, limit_ticks=99, max_rejects=2, retry_ns=S)
    h.reject(h.submits()[0].order.client_order_id)
    h.at(h.clock.now_ns() + S)
    second = h.submits()[1].order.client_order_id
    h.accept(second)
    h.cancel_confirm(second)  # canceled by someone else: retried, not counted
    h.at(h.clock.now_ns() + S)
    h.reject(h.submits()[2].order.client_order_id)
    assert h.parent(pid).status == AlgoStatus.WORKING
    h.at(h.clock.now_ns() + S)
    h.fill_all_open(99)
    assert h.parent(pid).status == AlgoStatus.FILLED
    h.check()


def test_parent_horizon_leave_cancels_children_and_expires_unfilled():
    h = AlgoHarness()
    pid = h.start("iceberg", 30, display_lots=10, limit_ticks=99, duration_ns=5 * S)
    child = h.submits()[0].order.client_order_id
    h.fill(child, 99, 4)
    h.at(h.parent(pid).ts_start + 5 * S)
    assert h.parent(pid).status == AlgoStatus.FINISHING
    assert [c.client_order_id for c in h.cancels()] == [child]
    h.cancel_confirm(child)
    p = h.parent(pid)
    assert p.status == AlgoStatus.EXPIRED and p.filled_lots == 4
    assert h.owner.finished()[0].status == "expired"
    h.check()


def test_parent_horizon_market_finishes_with_one_marketable_child():
    h = AlgoHarness()
    pid = h.start(
        "iceberg", 30, display_lots=10, limit_ticks=99, duration_ns=5 * S, at_end="market"
    )
    child = h.submits()[0].order.client_order_id
    h.fill(child, 99, 4)
    h.at(h.parent(pid).ts_start + 5 * S)
    h.cancel_confirm(child)
    final = h.submits()[-1].order
    # the parent's limit is kept: the finish is an IOC at it, taking what is there
    assert (final.order_type, final.limit_ticks, final.quantity) == (OrderType.LIMIT, 99, 26)
    assert final.time_in_force == TimeInForce.IOC
    h.fill(final.client_order_id, 99, 26)
    assert h.parent(pid).status == AlgoStatus.FILLED
    h.check()


def test_parent_horizon_market_without_limit_sends_a_market_order():
    h = AlgoHarness()
    h.quote(99, 101)
    pid = h.start("pov", 30, rate="0.5", duration_ns=S, at_end="market")
    h.at(h.parent(pid).ts_start + S)
    final = h.submits()[-1].order
    assert (final.order_type, final.quantity) == (OrderType.MARKET, 30)


def test_parent_finish_denied_by_the_guard_expires():
    h = AlgoHarness(risk={"max_order_value": 10})
    h.quote(99, 101)
    pid = h.start("pov", 30, rate="0.5", duration_ns=S, at_end="market")
    h.at(h.parent(pid).ts_start + S)
    assert h.parent(pid).status == AlgoStatus.EXPIRED
    assert h.kernel.stats.denied == 1
    h.check()


def test_execute_bad_request_raises_naming_the_key():
    h = AlgoHarness()
    with pytest.raises(AlgoParamError, match=r"^algo: unknown algo"):
        h.start("magic", 10)
    with pytest.raises(AlgoParamError, match=r"^venue: unknown venue"):
        h.start("iceberg", 10, display_lots=5, venue="nowhere")
    with pytest.raises(AlgoParamError, match=r"^side"):
        h.ctx.execute("X", "long", 10, "iceberg", display_lots=5)
    with pytest.raises(AlgoParamError, match=r"^quantity_lots"):
        h.ctx.execute("X", 1, 0, "iceberg", display_lots=5)
    with pytest.raises(AlgoParamError, match=r"^algo: no algo given"):
        h.ctx.execute("X", 1, 10)
    assert h.engine.parents == {}


def test_execute_default_algo_and_defaults_from_the_engine():
    h = AlgoHarness()
    h.engine.default_algo = "iceberg"
    h.engine.defaults = {"iceberg": {"display": 7}}
    h.engine.param_converter = lambda name, inst, d: {"display_lots": d["display"]}
    pid = h.ctx.execute("X", 1, 20, limit_ticks=99)
    assert h.parent(pid).NAME == "iceberg"
    assert h.submits()[0].order.quantity == 7


def test_cancel_algo_of_another_strategy_is_refused():
    h = AlgoHarness()

    class Other(Strategy):
        strategy_id = "other"

    ctx2 = h.kernel.add_strategy(Other())
    pid = h.start("iceberg", 10, display_lots=5, limit_ticks=99)
    with pytest.raises(PermissionError):
        ctx2.cancel_algo(pid)
    with pytest.raises(KeyError):
        ctx2.cancel_algo("o-A99")
    assert ctx2.algo(pid) is h.parent(pid)


def test_parent_ids_are_deterministic_and_never_order_ids():
    h = AlgoHarness()
    a = h.start("iceberg", 10, display_lots=5, limit_ticks=99)
    b = h.start("iceberg", 10, display_lots=5, limit_ticks=99)
    assert (a, b) == ("o-A1", "o-A2")
    assert all(not oid.startswith("o-A") for oid in h.kernel.oms.orders)


def test_parent_state_table_closing_states_take_every_trigger_terminal_ignore():
    closing = {AlgoStatus.CANCELING, AlgoStatus.FINISHING, AlgoStatus.STOPPING}
    for state in closing:
        for trig in Trigger:
            assert (state, trig) in TRANSITIONS, (state, trig)
    assert (AlgoStatus.WORKING, Trigger.IDLE) not in TRANSITIONS
    assert not any(s in TERMINAL for s, _ in TRANSITIONS)


def test_parent_cancel_refused_while_canceling_is_asked_again():
    h = AlgoHarness()
    pid = h.start("iceberg", 10, display_lots=10, limit_ticks=99)
    child = h.submits()[0].order.client_order_id
    h.accept(child)
    h.ctx.cancel_algo(pid)
    from kernel.events import OrderCancelRejected

    now = h.tick()
    h.kernel.on_order_event(OrderCancelRejected(child, "BUSY", now, now))
    assert len([c for c in h.kernel.venues["sim"].commands if isinstance(c, CancelOrder)]) == 2
    h.cancel_confirm(child)
    assert h.parent(pid).status == AlgoStatus.CANCELED


def test_cancel_parent_child_rejected_while_its_cancel_is_in_flight():
    h = AlgoHarness()
    pid = h.start("iceberg", 10, display_lots=10, limit_ticks=99)
    child = h.submits()[0].order.client_order_id
    h.ctx.cancel_algo(pid)
    h.reject(child)  # the reject crossed our cancel on the wire
    from kernel.events import OrderCancelRejected

    now = h.tick()
    h.kernel.on_order_event(OrderCancelRejected(child, "UNKNOWN_ORDER", now, now))
    assert h.parent(pid).status == AlgoStatus.CANCELED
    assert h.kernel.oms.orders[child].status.name == "REJECTED"
    h.check()
