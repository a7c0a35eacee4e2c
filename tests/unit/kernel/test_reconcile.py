"""The shared reconciler (kernel/reconcile.py) and the broker's account as the truth
(Kernel.on_account): pure logic, driven with made-up reports as any adapter would send them."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.clock import SimClock
from kernel.enums import OrderStatus, OrderType, Side, TradingState
from kernel.events import AccountReport, OrderAccepted, OrderFilled, VenueNotice, VenueStatus
from kernel.kernel import Kernel
from kernel.orders import Order
from kernel.reconcile import (
    FillReport,
    OrderState,
    OrderStatusReport,
    OrderView,
    Reconciler,
)
from kernel.risk import RiskConfig
from kernel.units import Instrument

INST = Instrument("AAPL", "0.01", "1", "USD", venue=None)
M = 10**9  # money units per USD


class Port:
    name = "v"

    def __init__(self) -> None:
        self.sent: list = []

    def submit(self, cmd):  # type: ignore[no-untyped-def]
        self.sent.append(cmd)

    def cancel(self, cmd):  # type: ignore[no-untyped-def]
        self.sent.append(cmd)

    def modify(self, cmd):  # type: ignore[no-untyped-def]
        self.sent.append(cmd)


def kernel(**risk) -> Kernel:  # type: ignore[no-untyped-def]
    k = Kernel(
        SimClock(10**18),
        [INST],
        {"v": Port()},
        risk=RiskConfig.from_mapping(risk),
        deny_when_down=True,
    )
    return k


def account(cash: float, positions=(), final=False, bp=None) -> AccountReport:  # type: ignore[no-untyped-def]
    c = int(cash * M)
    return AccountReport(
        "v", "USD", c, c, c * 2 if bp is None else int(bp * M), tuple(positions), final, 1, 1
    )


def state(coid: str, status=OrderStatus.SUBMITTED, filled=0, trades=()) -> OrderState:  # type: ignore[no-untyped-def]
    return OrderState(coid, "AAPL", 1, 10, filled, status, "v", None, frozenset(trades))


def test_plan_recovers_missed_fills_first_then_the_terminal_event():
    rec = Reconciler("v")
    rec.acked.add("a")
    opens = [state("a", OrderStatus.ACCEPTED, filled=0)]
    fills = [
        FillReport("V1", "t2", "AAPL", 1, 100, 4, 20, "a"),
        FillReport("V1", "t1", "AAPL", 1, 100, 6, 10, "a"),
    ]
    reports = {"a": OrderStatusReport("a", "V1", "filled", 10, 30)}
    plan = rec.plan(opens, reports, fills, 99)
    assert [type(e).__name__ for e in plan.events] == ["OrderFilled", "OrderFilled"]
    assert [e.trade_id for e in plan.events] == ["t1", "t2"]  # venue time order
    assert not plan.notices and not plan.resend


def test_plan_holds_a_terminal_event_until_its_fills_are_shown():
    rec = Reconciler("v")
    rec.acked.add("a")
    reports = {"a": OrderStatusReport("a", "V1", "canceled", 5, 30)}
    plan = rec.plan([state("a", OrderStatus.ACCEPTED)], reports, [], 99)
    assert plan.events == [] and plan.notices[0][0] == "FILL_GAP"
    fills = [FillReport("V1", "t1", "AAPL", 1, 100, 5, 10, "a")]
    plan = rec.plan([state("a", OrderStatus.ACCEPTED)], reports, fills, 99)
    assert [type(e).__name__ for e in plan.events] == ["OrderFilled", "OrderCanceled"]


def test_plan_resends_only_journaled_orders_the_venue_never_saw():
    rec = Reconciler("v")
    opens = [state("a"), state("b"), state("c", OrderStatus.ACCEPTED)]
    rec.acked.add("c")
    plan = rec.plan(opens, {"a": None, "b": None, "c": None}, [], 1, in_flight={"b"})
    assert plan.resend == ["a"]


def test_plan_acknowledges_once_and_the_gate_drops_repeats():
    rec = Reconciler("v")
    reports = {"a": OrderStatusReport("a", "V1", "working", 0, 5)}
    plan = rec.plan([state("a")], reports, [], 9)
    assert [type(e).__name__ for e in plan.events] == ["OrderAccepted"]
    assert rec.admit(plan.events[0]) and not rec.admit(plan.events[0])
    assert rec.plan([state("a")], reports, [], 9).events == []
    assert rec.duplicates == 1


@given(
    st.lists(
        st.tuples(st.sampled_from(["t1", "t2", "t3", "t4"]), st.integers(1, 5)),
        min_size=1,
        max_size=12,
    )
)
def test_every_trade_id_reaches_the_kernel_exactly_once(deliveries):
    """Whatever mix of stream deliveries and reconciliation reports repeats them, each
    execution passes the once-gate one time."""
    rec = Reconciler("v")
    passed = []
    for i, (tid, qty) in enumerate(deliveries):
        if i % 2:
            plan = rec.plan([], {}, [FillReport("V", tid, "AAPL", 1, 100, qty, i, "a")], i)
            events = plan.events
        else:
            events = [OrderFilled("a", "V", tid, "AAPL", 1, 100, qty, 2, 0, i, i)]
        passed += [e.trade_id for e in events if rec.admit(e)]
    assert sorted(passed) == sorted({t for t, _ in deliveries})


def test_status_reports_are_checked():
    with pytest.raises(ValueError, match="order status"):
        OrderStatusReport("a", "V", "gone", 0, 0)


# --- the account as the truth -------------------------------------------------------------------
def test_first_account_report_adopts_cash_and_positions_at_their_average_cost():
    k = kernel(max_position_pct=0.2)
    k.on_event(account(100_000, [("AAPL", 10, 10 * 15000)]))  # 10 shares at 150.00
    pf = k.portfolio
    assert pf.positions["AAPL"].qty == 10 and pf.positions["AAPL"].cost == 150000
    assert pf.account_cash("USD") == 100_000 * M
    assert pf.equity() == (100_000 + 1_500) * M  # cash + the position at cost (no mark yet)
    assert pf.strategy_positions[("AAPL", "external")].qty == 10
    assert k.risk.start_of_day_equity == pf.equity()
    pf._check()


def test_equity_from_the_broker_lets_max_position_pct_pass():
    k = kernel(max_position_pct=0.2)
    k.on_event(account(100_000))
    order = Order("o1", "s", "AAPL", Side.BUY, OrderType.LIMIT, 100, 15000)  # 15,000 USD
    assert k.submit_order(order)
    big = Order("o2", "s", "AAPL", Side.BUY, OrderType.LIMIT, 100, 15000)  # 30,000 with o1
    assert not k.submit_order(big) and big.status == OrderStatus.DENIED


def test_an_order_beyond_buying_power_is_denied_locally():
    k = kernel()
    k.on_event(account(100_000, bp=10_000))
    order = Order("o1", "s", "AAPL", Side.BUY, OrderType.LIMIT, 100, 15000)
    assert not k.submit_order(order)
    assert k.oms.get("o1").status == OrderStatus.DENIED  # type: ignore[union-attr]


def test_a_mismatch_is_adopted_only_when_it_repeats_with_no_fill_between():
    k = kernel()
    k.on_event(account(100_000))
    k.on_event(account(99_000, [("AAPL", 5, 5 * 20000)]))  # a fill in flight could explain it
    assert k.portfolio.positions["AAPL"].qty == 0
    k.on_event(account(99_000, [("AAPL", 5, 5 * 20000)]))  # the same again: the broker is right
    assert k.portfolio.positions["AAPL"].qty == 5
    assert k.portfolio.account_cash("USD") == 99_000 * M
    assert any(code == "ACCOUNT_ADOPTED" for _, code, _ in k.risk_events)
    k.portfolio._check()


def test_the_final_report_is_adopted_and_the_kill_switch_flattens_adopted_positions():
    k = kernel()
    k.on_event(account(100_000, [("AAPL", 10, 150000)]))
    k.kill_switch()
    port = k.venues["v"]
    sent = [c.order for c in port.sent if type(c).__name__ == "SubmitOrder"]  # type: ignore[attr-defined]
    assert [(o.side, o.quantity) for o in sent] == [(Side.SELL, 10)]
    k.on_event(OrderAccepted(sent[0].client_order_id, "V9", 2, 2))
    k.on_event(OrderFilled(sent[0].client_order_id, "V9", "x1", "AAPL", -1, 15100, 10, 2, 0, 3, 3))
    assert k.portfolio.positions["AAPL"].qty == 0
    assert len([c for c in port.sent if type(c).__name__ == "SubmitOrder"]) == 1  # type: ignore[attr-defined]
    k.on_event(account(101_510, final=True))
    assert k.portfolio.account_cash("USD") == 101_510 * M


def test_broker_down_denies_orders_for_its_symbols_and_notices_it():
    k = kernel()
    k.on_event(account(100_000))
    k.on_event(VenueStatus("v", False, False, 5, 5))
    order = Order("o1", "s", "AAPL", Side.BUY, OrderType.MARKET, 1)
    assert not k.submit_order(order)
    assert k.oms.get("o1").status == OrderStatus.DENIED  # type: ignore[union-attr]
    assert k.risk.state == TradingState.REDUCING
    assert any(code == "BROKER_DOWN" for _, code, _ in k.risk_events)
    k.on_event(VenueStatus("v", True, True, 6, 6))
    assert k.submit_order(Order("o2", "s", "AAPL", Side.BUY, OrderType.LIMIT, 1, 100))


def test_a_venue_notice_is_recorded_and_changes_nothing_else():
    k = kernel()
    k.on_event(VenueNotice("v", "RECONCILE_FAILED", "HTTP 503", 1, 1))
    assert k.risk_events[-1][1:] == ("RECONCILE_FAILED", "v: HTTP 503")
    assert k.risk.state == TradingState.ACTIVE and not k.oms.orders


def _drive(adapter_cls, steps):  # type: ignore[no-untyped-def]
    """A kernel, an adapter of ``adapter_cls`` bound to it (every event it emits recorded and
    handed to the kernel) and ``steps(adapter)`` run: (kernel, events, what steps returned)."""
    k = kernel()
    got: list = []

    async def emit(ev):  # type: ignore[no-untyped-def]
        got.append(ev)
        k.on_event(ev)

    async def main():  # type: ignore[no-untyped-def]
        a = adapter_cls("v", "http://127.0.0.1:1")
        a.bind(emit, OrderView(k))
        return await steps(a)

    return k, got, asyncio.run(main())


async def _finished(a):  # type: ignore[no-untyped-def]
    """``steps`` for ``_drive``: the session ends (``finish``, bounded here as by the runner)."""
    await asyncio.wait_for(a.finish(), 5)
    return a


def test_the_template_reports_a_failed_reconciliation_and_goes_on():
    """A venue whose REST is down: ``reconcile`` emits a notice and returns False; the next one
    (REST back) delivers the account and the venue's status, reconciled."""
    from live.adapters.template import VenueAdapter, VenueUnavailable

    class Flaky(VenueAdapter):
        kind = "test"
        down = True

        async def fetch_fills(self):  # type: ignore[no-untyped-def]
            if self.down:
                raise VenueUnavailable("HTTP 503")
            return []

        async def fetch_account(self, final):  # type: ignore[no-untyped-def]
            return account(100_000, final=final)

        async def fetch_order(self, order):  # type: ignore[no-untyped-def]
            return None

    async def steps(a):  # type: ignore[no-untyped-def]
        first = await a.reconcile()
        a.down = False
        second = await a.reconcile()
        return [first, second]

    k, got, result = _drive(Flaky, steps)
    assert result == [False, True]
    assert [type(e).__name__ for e in got] == ["VenueNotice", "AccountReport", "VenueStatus"]
    assert k.portfolio.account_cash("USD") == 100_000 * M


def test_finish_asks_a_venue_that_cannot_be_read_again_until_it_answers(monkeypatch):
    """The session ends while the venue's REST is down: the final reconciliation is tried again
    until the venue answers (the runner bounds it by its grace period), so a fill only the
    venue's fills list holds still reaches the kernel."""
    from live.adapters import template
    from live.adapters.template import VenueAdapter, VenueUnavailable

    monkeypatch.setattr(template, "FINAL_RETRY_S", 0.01)

    class DownAtTheEnd(VenueAdapter):
        kind = "test"
        refusals = 3

        async def fetch_fills(self):  # type: ignore[no-untyped-def]
            if self.refusals:
                self.refusals -= 1
                raise VenueUnavailable("503 Service Unavailable")
            return [FillReport("V9", "T9", "AAPL", 1, 100, 1, 5)]  # not the stream's

        async def fetch_account(self, final):  # type: ignore[no-untyped-def]
            return account(100_000, final=final)

        async def fetch_order(self, order):  # type: ignore[no-untyped-def]
            return None

    _, got, a = _drive(DownAtTheEnd, _finished)
    assert a.refusals == 0 and a.counts["reconcile_failures"] == 3
    assert a.counts["reconciliations"] == 4
    assert [e.trade_id for e in got if isinstance(e, OrderFilled)] == ["T9"]
    assert any(type(e).__name__ == "AccountReport" and e.final for e in got)


def test_finish_gives_up_on_a_venue_that_never_answers(monkeypatch):
    """Bounded: a venue that stays unreadable is asked for ``FINAL_RETRY_FOR_S`` at most."""
    from live.adapters import template
    from live.adapters.template import VenueAdapter, VenueUnavailable

    monkeypatch.setattr(template, "FINAL_RETRY_S", 0.01)
    monkeypatch.setattr(template, "FINAL_RETRY_FOR_S", 0.05)

    class Down(VenueAdapter):
        kind = "test"

        async def fetch_fills(self):  # type: ignore[no-untyped-def]
            raise VenueUnavailable("503 Service Unavailable")

    _, got, a = _drive(Down, _finished)
    assert 2 <= a.counts["reconcile_failures"] <= 10
    assert not any(type(e).__name__ == "AccountReport" for e in got)


def test_a_fill_streamed_while_the_final_account_is_read_makes_finish_read_again():
    """The stream delivers a fill after the fills were read and while the account is: the
    account may predate it though the kernel booked it, so the final reading is taken again
    (adopted last, it is the one the summary keeps)."""
    from live.adapters.template import VenueAdapter

    class Racy(VenueAdapter):
        kind = "test"
        accounts = 0

        async def fetch_fills(self):  # type: ignore[no-untyped-def]
            return []

        async def fetch_account(self, final):  # type: ignore[no-untyped-def]
            self.accounts += 1
            if self.accounts == 1:  # the stream's fill lands while this read is under way
                fill = OrderFilled("x-1", "V1", "T1", "AAPL", 1, 100, 1, 0, 0, 5, 5)
                await self.put(fill)
            return account(100_000, final=final)

        async def fetch_order(self, order):  # type: ignore[no-untyped-def]
            return None

    _, got, a = _drive(Racy, _finished)
    assert a.fills_admitted == 1 and a.accounts == 2 and a.fill_gaps == 0
    finals = [e for e in got if type(e).__name__ == "AccountReport"]
    assert len(finals) == 2 and all(e.final for e in finals)
