"""The simulated clock only moves forward; timers fire in (ts, schedule order)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.clock import ClockError, SimClock
from kernel.timers import TimerQueue


# --- SimClock -----------------------------------------------------------------------------------
def test_simclock_start_time_is_now():
    assert SimClock(1_700_000_000_000_000_000).now_ns() == 1_700_000_000_000_000_000
    assert SimClock().now_ns() == 0


def test_simclock_advance_forward_moves_time():
    clock = SimClock(100)
    clock.advance_to(250)
    assert clock.now_ns() == 250


def test_simclock_advance_to_same_time_is_allowed():
    clock = SimClock(100)
    clock.advance_to(100)
    assert clock.now_ns() == 100


def test_simclock_advance_backwards_raises_clock_error_and_keeps_time():
    clock = SimClock(100)
    with pytest.raises(ClockError, match="from 100 to 99"):
        clock.advance_to(99)
    assert clock.now_ns() == 100


# --- TimerQueue ---------------------------------------------------------------------------------
def test_timerqueue_schedule_returns_increasing_handles():
    q = TimerQueue()
    handles = [q.schedule(ts, f"t{ts}") for ts in (30, 10, 20)]
    assert handles == [0, 1, 2]
    assert len(q) == 3


def test_timerqueue_due_orders_by_time_then_schedule_order():
    q = TimerQueue()
    q.schedule(20, "b")
    q.schedule(10, "a")
    q.schedule(20, "c")
    q.schedule(10, "d")
    assert [p for _, _, p in q.due(20)] == ["a", "d", "b", "c"]
    assert len(q) == 0
    q._check()


def test_timerqueue_equal_times_fire_in_schedule_order():
    q = TimerQueue()
    for i in range(50):
        q.schedule(5, i)
    assert [p for _, _, p in q.due(5)] == list(range(50))


def test_timerqueue_due_includes_now_excludes_future():
    q = TimerQueue()
    q.schedule(10, "now")
    q.schedule(11, "later")
    assert [(ts, p) for ts, _, p in q.due(10)] == [(10, "now")]
    assert q.next_ns() == 11
    assert len(q) == 1


def test_timerqueue_pop_due_not_due_returns_none_and_keeps_timer():
    q = TimerQueue()
    h = q.schedule(100, "x")
    assert q.pop_due(99) is None
    assert q.pop_due(100) == (100, h, "x")
    assert q.pop_due(10**18) is None


def test_timerqueue_cancel_pending_returns_true_and_skips_it():
    q = TimerQueue()
    a = q.schedule(10, "a")
    q.schedule(20, "b")
    assert q.cancel(a) is True
    assert len(q) == 1
    assert q.next_ns() == 20
    assert [p for _, _, p in q.due(100)] == ["b"]
    q._check()


def test_timerqueue_cancel_twice_or_after_firing_returns_false():
    q = TimerQueue()
    a = q.schedule(10, "a")
    b = q.schedule(20, "b")
    assert q.cancel(a) is True
    assert q.cancel(a) is False
    q.due(20)
    assert q.cancel(b) is False
    assert q.cancel(12345) is False


def test_timerqueue_empty_next_ns_is_none():
    q = TimerQueue()
    assert q.next_ns() is None
    h = q.schedule(7, None)
    q.cancel(h)
    assert q.next_ns() is None
    assert q.due(10**18) == []


def test_timerqueue_unorderable_payloads_never_compared():
    # why: the seq breaks every tie, so payloads (dicts, objects) never need an order
    q = TimerQueue()
    q.schedule(1, {"a": 1})
    q.schedule(1, {"b": 2})
    q.schedule(1, object())
    assert len(q.due(1)) == 3


# --- property: against a sorted-list model ------------------------------------------------------
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("schedule"), st.integers(0, 50)),
        st.tuples(st.just("cancel"), st.integers(0, 60)),
        st.tuples(st.just("pop_due"), st.integers(0, 50)),
        st.tuples(st.just("due"), st.integers(0, 50)),
        st.tuples(st.just("next"), st.just(0)),
    ),
    max_size=80,
)


@given(ops=OPS)
def test_timerqueue_matches_sorted_list_model(ops):
    q = TimerQueue()
    model: list[tuple[int, int, str]] = []  # (ts, handle, payload), kept sorted
    next_handle = 0
    for op, arg in ops:
        if op == "schedule":
            payload = f"p{next_handle}"
            handle = q.schedule(arg, payload)
            assert handle == next_handle
            model.append((arg, handle, payload))
            model.sort()
            next_handle += 1
        elif op == "cancel":
            expected = any(h == arg for _, h, _ in model)
            assert q.cancel(arg) is expected
            model = [e for e in model if e[1] != arg]
        elif op == "pop_due":
            got = q.pop_due(arg)
            if model and model[0][0] <= arg:
                assert got == model.pop(0)
            else:
                assert got is None
        elif op == "due":
            expected_due = [e for e in model if e[0] <= arg]
            assert q.due(arg) == expected_due
            model = [e for e in model if e[0] > arg]
        else:
            assert q.next_ns() == (model[0][0] if model else None)
        assert len(q) == len(model)
        q._check()
