"""The kernel with a recording venue: callbacks, routing, timers, signals, links, journal."""

from __future__ import annotations

import pytest
from kernel_helpers import Harness, RecordingVenue

from kernel.clock import SimClock
from kernel.codec import IN, OUT, decode
from kernel.commands import CancelOrder, ModifyOrder, SubmitOrder
from kernel.enums import OrderStatus, OrderType, Side, TimeInForce, TradingState
from kernel.events import (
    Bar,
    BookUpdate,
    OrderCanceled,
    OrderDenied,
    OrderFilled,
    QuoteTick,
    TimerFired,
    TradeTick,
)
from kernel.journal import read_records
from kernel.kernel import Kernel
from kernel.oms import UnknownOrder
from kernel.orders import InvalidOrder, Order
from kernel.strategy import Strategy
from kernel.units import Instrument


class Collect(Strategy):
    strategy_id = "c"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.seen = []

    def on_start(self):
        self.seen.append("start")

    def on_stop(self):
        self.seen.append("stop")

    def on_quote(self, q):
        self.seen.append(("quote", q.bid_ticks))

    def on_trade(self, t):
        self.seen.append(("trade", t.price_ticks))

    def on_bar(self, b):
        self.seen.append(("bar", b.close_ticks))

    def on_book(self, u):
        self.seen.append(("book", len(u.deltas)))

    def on_order_event(self, e):
        self.seen.append(type(e).__name__)

    def on_timer(self, t):
        self.seen.append(("timer", t.name, t.ts_event))


def _with(strategy=None, **kw):
    h = Harness(**kw)
    s = strategy or Collect()
    h.kernel.add_strategy(s)
    return h, s


def test_kernel_delivers_each_kind_of_market_data_to_overriding_strategy():
    h, s = _with()
    k = h.kernel
    k.start()
    h.quote(100, 101)
    k.on_trade(TradeTick("X", 102, 1, 1, "a", 5, 5))
    k.on_bar(Bar("X", 1, 2, 1, 2, 3, 60, 60, 60))
    k.on_book(BookUpdate("X", ((1, 99, 5),), True, 7, 7))
    k.stop()
    assert s.seen == ["start", ("quote", 100), ("trade", 102), ("bar", 2), ("book", 1), "stop"]
    assert k.stats.md_events == 4


def test_kernel_strategy_only_gets_its_symbols():
    clock = SimClock()
    k = Kernel(clock, [Instrument("A", 1, 1), Instrument("B", 1, 1)], {"v": RecordingVenue("v")})
    s = Collect()
    s.symbols = ("B",)
    k.add_strategy(s)
    k.on_quote(QuoteTick("A", 1, 2, None, None, 0, 0))
    k.on_quote(QuoteTick("B", 3, 4, None, None, 0, 0))
    assert s.seen == [("quote", 3)]


def test_kernel_rejects_duplicate_strategy_ids_and_unknown_symbols():
    h, _ = _with()
    with pytest.raises(ValueError, match="already used"):
        h.kernel.add_strategy(Collect())
    bad = Collect(strategy_id="b")
    bad.symbols = ("NOPE",)
    with pytest.raises(ValueError, match="unknown symbol"):
        h.kernel.add_strategy(bad)


def test_kernel_order_ids_are_deterministic_per_strategy():
    _h, s = _with()
    ids = [s.ctx.limit("X", Side.BUY, 1, 90).client_order_id for _ in range(3)]
    assert ids == ["c-1", "c-2", "c-3"]


def test_kernel_routes_to_the_order_venue_else_instrument_else_only_venue():
    clock = SimClock()
    a, b = RecordingVenue("a"), RecordingVenue("b")
    k = Kernel(clock, [Instrument("X", 1, 1, venue="b"), Instrument("Y", 1, 1)], {"a": a, "b": b})
    s = Collect()
    k.add_strategy(s)
    s.ctx.limit("X", Side.BUY, 1, 5)
    s.ctx.limit("X", Side.BUY, 1, 5, venue="a")
    denied = s.ctx.limit("Y", Side.BUY, 1, 5)  # two venues, no default: nowhere to go
    assert [len(a.submits()), len(b.submits())] == [1, 1]
    assert denied.status == OrderStatus.DENIED and denied.reason == "NO_VENUE"


def test_kernel_venue_events_reach_owner_and_update_position():
    h, s = _with()
    o = s.ctx.limit("X", Side.BUY, 10, 100)
    h.accept(o.client_order_id)
    h.fill(o.client_order_id, 100, 4)
    h.fill(o.client_order_id, 99, 6)
    assert s.seen == ["OrderAccepted", "OrderFilled", "OrderFilled"]
    assert o.status == OrderStatus.FILLED
    assert h.kernel.portfolio.positions["X"].qty == 10 and s.ctx.position("X") == 10
    assert h.kernel.stats.fills == 2


def test_kernel_duplicate_fill_is_ignored_not_delivered_twice():
    h, s = _with()
    o = s.ctx.limit("X", Side.BUY, 10, 100)
    now = h.tick()
    fill = OrderFilled(o.client_order_id, "v", "T1", "X", 1, 100, 4, 2, 0, now, now)
    h.kernel.on_order_event(fill)
    h.kernel.on_order_event(fill)
    assert h.kernel.portfolio.positions["X"].qty == 4
    assert s.seen.count("OrderFilled") == 1 and h.kernel.oms.duplicate_fills == 1


def test_kernel_fill_of_unknown_order_is_booked_as_external():
    h, _s = _with()
    now = h.tick()
    h.kernel.on_order_event(OrderFilled("zz-1", "v", "T9", "X", -1, 100, 3, 2, 0, now, now))
    assert h.kernel.portfolio.positions["X"].qty == -3
    assert h.kernel.portfolio.position_qty("X", "external") == -3
    assert h.kernel.risk_events[-1][1] == "EXTERNAL_FILL"


def test_kernel_refused_event_is_counted_and_noticed_the_same_everywhere():
    h, s = _with()
    o = s.ctx.limit("X", Side.BUY, 1, 100)
    h.cancel_confirm(o.client_order_id)
    h.accept(o.client_order_id)  # CANCELED -> ACCEPTED is not a row: refused, never fatal
    assert h.kernel.risk_events[-1][1] == "EVENT_REFUSED"
    assert h.kernel.stats.refused_events == 1
    assert o.status == OrderStatus.CANCELED


def test_kernel_books_an_overfill_and_flags_it():
    """A fill beyond the order's quantity (a live venue's word): the order takes what it had
    open, the position takes all of it, and the excess is an overfill notice, counted."""
    h, s = _with()
    o = s.ctx.limit("X", Side.BUY, 5, 100)
    h.accept(o.client_order_id)
    h.fill(o.client_order_id, 100, 3)
    h.fill(o.client_order_id, 100, 4)  # 2 open: 2 more than the order
    k = h.kernel
    assert o.status == OrderStatus.FILLED and o.filled_lots == 5
    assert k.portfolio.positions["X"].qty == 7
    assert k.stats.overfills == 1 and k.risk_events[-1][1] == "OVERFILL"
    h.fill(o.client_order_id, 100, 1)  # a fill for a FILLED order: booked as well
    assert k.portfolio.positions["X"].qty == 8 and k.stats.overfills == 2


def test_kernel_late_fill_of_a_rejected_order_is_booked_counted_and_recorded():
    """A submit refused while its outcome was in doubt, that the venue had taken after all: its
    fill is booked whole, counted, and reaches the fill listeners (the run's record)."""
    h, s = _with()
    k = h.kernel
    seen = []
    k.fill_listeners.append(lambda order, event, realized: seen.append(event.trade_id))
    o = s.ctx.limit("X", Side.BUY, 5, 100)
    h.reject(o.client_order_id, "VENUE_UNREACHABLE")
    fills_before = k.stats.fills
    h.fill(o.client_order_id, 100, 5)
    assert k.portfolio.positions["X"].qty == 5 and k.stats.fills == fills_before + 1
    assert len(seen) == 1 and k.risk_events[-1][1] == "LATE_FILL"
    assert k.stats.overfills == 0


def test_kernel_cancel_sends_once_and_modify_validates():
    h, s = _with()
    o = s.ctx.limit("X", Side.BUY, 10, 100)
    h.accept(o.client_order_id)
    s.ctx.modify(o, quantity_lots=12, limit_ticks=101)
    assert isinstance(h.venue.commands[-1], ModifyOrder)
    assert o.status == OrderStatus.PENDING_UPDATE
    with pytest.raises(InvalidOrder, match="no stop price"):
        s.ctx.modify(o, stop_ticks=5)
    s.ctx.cancel(o)
    s.ctx.cancel(o)
    assert len(h.venue.cancels()) == 1 and o.status == OrderStatus.PENDING_CANCEL
    with pytest.raises(InvalidOrder, match="cannot modify"):
        s.ctx.modify(o, quantity_lots=20)
    with pytest.raises(UnknownOrder):
        s.ctx.cancel("nope")


def test_kernel_timers_fire_in_order_and_are_journaled():
    h, s = _with()
    k = h.kernel
    t0 = h.clock.now_ns()
    s.ctx.set_timer(t0 + 50, "b")
    s.ctx.set_timer(t0 + 10, "a")
    gone = s.ctx.set_timer(t0 + 20, "x")
    s.ctx.cancel_timer(gone)
    assert k.next_timer_ns() == t0 + 10
    h.clock.advance_to(t0 + 100)
    assert k.run_timers() == 2
    assert s.seen == [("timer", "a", t0 + 10), ("timer", "b", t0 + 50)]
    records = list(read_records(_blocks(h)))
    timers = [decode(r)[1] for r in records if r[0] == IN and r[1] == 30]
    assert all(isinstance(t, TimerFired) for t in timers) and len(timers) == 2


def _blocks(h):
    h.journal.flush()
    return h.sink.blocks


def test_kernel_journal_holds_inputs_and_outputs_in_order():
    h, s = _with()
    h.quote(100, 101)
    o = s.ctx.limit("X", Side.BUY, 1, 100)
    h.accept(o.client_order_id)
    s.ctx.cancel(o)
    kinds = [(d, type(obj).__name__) for d, obj in map(decode, read_records(_blocks(h)))]
    assert kinds == [
        (IN, "QuoteTick"),
        (OUT, "SubmitOrder"),
        (IN, "OrderAccepted"),
        (OUT, "CancelOrder"),
    ]


def test_kernel_target_position_respects_open_orders():
    h, s = _with()
    h.quote(100, 101)
    a = s.ctx.target_position("X", 10)
    assert a.side == Side.BUY and a.quantity == 10 and a.order_type == OrderType.MARKET
    assert s.ctx.target_position("X", 10) is None  # already working
    b = s.ctx.target_position("X", 15)
    assert b.quantity == 5
    c = s.ctx.target_position("X", -5)  # the working buys are now against the target
    assert {x.client_order_id for x in h.venue.cancels()} == {a.client_order_id, b.client_order_id}
    assert c.side == Side.SELL and c.quantity == 5


def test_kernel_target_weight_sizes_from_equity_and_mark():
    h, s = _with()
    h.quote(9_999, 10_001)  # mid 100.00; equity 100,000
    o = s.ctx.target_weight("X", 0.25)
    assert o.quantity == 250 and o.side == Side.BUY
    h.fill(o.client_order_id, 10_000, 250)
    assert s.ctx.target_weight("X", 0.1).quantity == 150  # sells down to 100 lots


def test_kernel_bracket_children_released_sized_to_partial_fill_then_oco():
    h, s = _with()
    ctx = s.ctx
    entry = Order(ctx.new_order_id(), "c", "X", Side.BUY, OrderType.LIMIT, 10, limit_ticks=100)
    tp = Order(ctx.new_order_id(), "c", "X", Side.SELL, OrderType.LIMIT, 10, limit_ticks=110)
    sl = Order(ctx.new_order_id(), "c", "X", Side.SELL, OrderType.STOP, 10, stop_ticks=95)
    ctx.submit_bracket(entry, tp, sl)
    assert [c.order.client_order_id for c in h.venue.submits()] == [entry.client_order_id]
    h.accept(entry.client_order_id)
    h.fill(entry.client_order_id, 100, 4)
    s.ctx.cancel(entry)
    h.cancel_confirm(entry.client_order_id)
    sent = [c.order for c in h.venue.submits()]
    assert [o.client_order_id for o in sent[1:]] == [tp.client_order_id, sl.client_order_id]
    assert tp.quantity == 4 and sl.quantity == 4
    h.accept(tp.client_order_id)
    h.accept(sl.client_order_id)
    h.fill(tp.client_order_id, 110, 4)
    assert [c.client_order_id for c in h.venue.cancels()][-1] == sl.client_order_id
    assert h.kernel.portfolio.positions["X"].qty == 0


def test_kernel_bracket_with_unfilled_entry_cancels_children_locally():
    h, s = _with()
    ctx = s.ctx
    entry = Order(ctx.new_order_id(), "c", "X", Side.BUY, OrderType.LIMIT, 10, limit_ticks=100)
    tp = Order(ctx.new_order_id(), "c", "X", Side.SELL, OrderType.LIMIT, 10, limit_ticks=110)
    ctx.submit_bracket(entry, tp, None)
    h.accept(entry.client_order_id)
    h.cancel_confirm(entry.client_order_id)
    assert tp.status == OrderStatus.CANCELED
    assert len(h.venue.submits()) == 1
    assert s.seen[-1] == "OrderCanceled"


def test_kernel_denied_order_is_delivered_and_counted():
    h, s = _with(risk={"max_daily_orders": 0})
    o = s.ctx.limit("X", Side.BUY, 1, 100)
    assert o.status == OrderStatus.DENIED
    assert s.seen == ["OrderDenied"] and h.kernel.stats.denied == 1


def test_kernel_set_trading_state_resumes_after_halt():
    h, s = _with()
    h.kernel.kill_switch()
    assert s.ctx.limit("X", Side.BUY, 1, 100).status == OrderStatus.DENIED
    h.kernel.set_trading_state(TradingState.ACTIVE)
    assert s.ctx.limit("X", Side.BUY, 1, 100).status == OrderStatus.SUBMITTED


def test_kernel_rng_stream_is_seeded_and_per_strategy():
    h1, s1 = _with()
    _h2, s2 = _with()
    assert s1.ctx.rng.integers(0, 10**9) == s2.ctx.rng.integers(0, 10**9)
    other = Collect(strategy_id="d")
    h1.kernel.add_strategy(other)
    assert other.ctx.rng.integers(0, 10**9, 4).tolist() != s1.ctx.rng.integers(0, 10**9, 4).tolist()


def test_kernel_commands_carry_clock_time_and_venue():
    h, s = _with()
    now = h.tick(7)
    o = s.ctx.submit("X", Side.SELL, 3, OrderType.LIMIT, TimeInForce.DAY, limit_ticks=120)
    cmd = h.venue.commands[-1]
    assert isinstance(cmd, SubmitOrder) and cmd.ts_init == now and cmd.venue == "sim"
    s.ctx.cancel(o)
    assert isinstance(h.venue.commands[-1], CancelOrder)


def test_kernel_local_cancel_event_is_an_output():
    h, s = _with()
    ctx = s.ctx
    entry = Order(ctx.new_order_id(), "c", "X", Side.BUY, OrderType.LIMIT, 1, limit_ticks=100)
    tp = Order(ctx.new_order_id(), "c", "X", Side.SELL, OrderType.LIMIT, 1, limit_ticks=110)
    ctx.submit_bracket(entry, tp, None)
    ctx.cancel(tp)
    outs = [obj for d, obj in map(decode, read_records(_blocks(h))) if d == OUT]
    assert isinstance(outs[-1], OrderCanceled) and outs[-1].client_order_id == tp.client_order_id
    assert not any(isinstance(o, OrderDenied) for o in outs)


def test_kernel_strategy_cannot_cancel_or_modify_another_owners_order():
    h, s = _with()
    other = Collect(strategy_id="other")
    h.kernel.add_strategy(other)
    o = other.ctx.limit("X", Side.BUY, 1, 100)
    with pytest.raises(PermissionError, match="belongs to 'other'"):
        s.ctx.cancel(o)
    with pytest.raises(PermissionError):
        s.ctx.modify(o.client_order_id, quantity_lots=5)
    assert o.status == OrderStatus.SUBMITTED


def test_kernel_strategy_cannot_send_an_order_built_for_another_strategy():
    h, s = _with()
    other = Order("other-1", "other", "X", Side.BUY, OrderType.LIMIT, 1, limit_ticks=100)
    for send in (
        lambda: s.ctx.submit_order(other),
        lambda: s.ctx.submit_oco([other]),
        lambda: s.ctx.submit_bracket(other, None, None),
    ):
        with pytest.raises(PermissionError, match="is not 'c'"):
            send()
    assert h.kernel.oms.get("other-1") is None


def test_kernel_order_from_decimals_takes_the_kernel_default_time_in_force():
    h, s = _with()
    h.kernel.default_tif = TimeInForce.DAY
    o = s.ctx.order_from_decimals("X", "buy", "1", "limit", limit_price="1.00")
    assert o.time_in_force == TimeInForce.DAY
    o = s.ctx.order_from_decimals("X", "buy", "1", "limit", limit_price="1.00", time_in_force="ioc")
    assert o.time_in_force == TimeInForce.IOC


def test_kernel_kill_switch_retries_a_refused_cancel_then_gives_up():
    h, s = _with()
    o = s.ctx.limit("X", Side.BUY, 1, 100)
    h.accept(o.client_order_id)
    h.kernel.kill_switch()
    from kernel.events import OrderCancelRejected

    for _ in range(3):
        now = h.tick()
        h.kernel.on_order_event(OrderCancelRejected(o.client_order_id, "BUSY", now, now))
    assert len(h.venue.cancels()) == 3
    assert o.status == OrderStatus.ACCEPTED
    assert h.kernel.risk_events[-1][1] == "CANCEL_FAILED"
