"""ib_async's order events (its own Trade, Order, OrderStatus, Fill, Execution,
CommissionReport objects) -> kernel events, in order, and the adapter's follow-ups."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kernel.enums import Liquidity
from kernel.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderModified,
    OrderModifyRejected,
    OrderRejected,
    OrderTriggered,
    VenueNotice,
)
from kernel.reconcile import Reconciler
from kernel.units import Instrument
from live.adapters.ibkr import ib_api
from live.adapters.ibkr.fills import FillAssembler
from live.adapters.ibkr.order_stream import (
    CANCEL_AGAIN,
    LOOKUP,
    RECONCILE,
    RESUBSCRIBE,
    OrderStream,
)
from live.adapters.ibkr.tracking import OrderBook, PendingModify

XYZ = Instrument("XYZ", Decimal("0.01"), Decimal("1"))
STOCK = ib_api.Stock("XYZ", "SMART", "USD")
WHEN = datetime(2024, 1, 2, 14, 30, 5, tzinfo=UTC)
WHEN_NS = 1_704_205_805_000_000_000


class Clock:
    def __init__(self) -> None:
        self.wall, self.mono = 1_000, 0.0


def make_stream(
    known: dict[str, int] | None = None, wait_s: float = 1.0
) -> tuple[OrderStream, Clock]:
    clock = Clock()
    kernel_orders = {"k-1": 0, "k-2": 0} if known is None else known
    stream = OrderStream(
        "ib", OrderBook(), FillAssembler(wait_s), kernel_orders.__contains__,
        lambda coid: kernel_orders.get(coid, 0), {"XYZ": XYZ}.get, lambda c: c.symbol,
        lambda: clock.wall, lambda: clock.mono,
    )  # fmt: skip
    return stream, clock


def trade(coid: str = "k-1", order_id: int = 7, status: str = "PendingSubmit", otype: str = "LMT",
          filled: float = 0.0, perm: int = 0, qty: float = 10.0) -> ib_api.Trade:  # fmt: skip
    order = ib_api.Order(orderId=order_id, clientId=1, action="BUY", totalQuantity=qty,
                         orderType=otype, lmtPrice=99.5, orderRef=coid, permId=perm)  # fmt: skip
    st = ib_api.OrderStatus(orderId=order_id, status=status, filled=filled, permId=perm)
    return ib_api.Trade(STOCK, order, st, [], [])


def placed(stream: OrderStream, t: ib_api.Trade, at: float = 0.0) -> None:
    stream.book.placed(t.order.orderRef, STOCK, t.order, at)


def set_status(
    t: ib_api.Trade, status: str, filled: float = 0.0, perm: int = 1_000_000_007
) -> ib_api.Trade:
    t.orderStatus.status, t.orderStatus.filled, t.orderStatus.permId = status, filled, perm
    t.log.append(ib_api.TradeLogEntry(WHEN, status, ""))
    return t


def fill(exec_id: str, shares: float = 4.0, price: float = 99.5, t: ib_api.Trade | None = None,
         side: str = "BOT", liquidity: int = 2) -> ib_api.Fill:  # fmt: skip
    ex = ib_api.Execution(execId=exec_id, time=WHEN, side=side, shares=shares, price=price,
                          permId=1_000_000_007, orderId=7, clientId=1,
                          orderRef=t.order.orderRef if t else "k-1", lastLiquidity=liquidity)  # fmt: skip
    return ib_api.Fill(STOCK, ex, ib_api.CommissionReport(), WHEN)


def report(exec_id: str, commission: float) -> ib_api.CommissionReport:
    return ib_api.CommissionReport(execId=exec_id, commission=commission, currency="USD")


def drain(stream: OrderStream) -> list:  # type: ignore[type-arg]
    out, stream.out = stream.out, []
    return out


# --- statuses ------------------------------------------------------------------------------------
def test_presubmitted_is_accepted_with_perm_id_and_submitted_after_it_triggers_a_stop():
    stream, _ = make_stream()
    t = trade(otype="STP")
    placed(stream, t)
    stream.on_status(set_status(t, "PreSubmitted"))
    stream.on_status(set_status(t, "Submitted"))
    assert drain(stream) == [
        OrderAccepted("k-1", "1000000007", 1_000, 1_000),
        OrderAccepted("k-1", "1000000007", 1_000, 1_000),
        OrderTriggered("k-1", 1_000, 1_000),
    ]
    assert stream.book.in_flight() == set()  # answered


def test_submitted_after_presubmitted_does_not_trigger_a_limit_order():
    stream, _ = make_stream()
    t = trade()
    stream.on_status(set_status(t, "PreSubmitted"))
    stream.on_status(set_status(t, "Submitted"))
    assert [type(e) for e in drain(stream)] == [OrderAccepted, OrderAccepted]


def test_a_repeated_order_status_is_ignored():
    stream, _ = make_stream()
    t = trade()
    for _ in range(3):
        stream.on_status(set_status(t, "Submitted"))
    assert len(drain(stream)) == 1


@pytest.mark.parametrize("status", ["Cancelled", "ApiCancelled"])
def test_cancelled_is_canceled(status):
    stream, _ = make_stream()
    stream.on_status(set_status(trade(), status))
    assert drain(stream) == [OrderCanceled("k-1", 1_000, 1_000)]


def test_201_then_inactive_rejects_with_ibs_reason_delivered_once_through_the_gate():
    stream, _ = make_stream()
    t = trade()
    placed(stream, t)
    stream.on_error(7, 201, "Order rejected - reason:NO_SESSION")
    # the library marks the trade Cancelled from the error: not IB's status, ignored
    t.orderStatus.status = "Cancelled"
    t.log.append(ib_api.TradeLogEntry(WHEN, "Cancelled", "Error 201", 201))
    stream.on_status(t)
    stream.on_status(set_status(t, "Inactive"))
    events = drain(stream)
    reason = "IB 201: Order rejected - reason:NO_SESSION"
    assert events == [OrderRejected("k-1", reason, 1_000, 1_000)] * 2
    gate = Reconciler("ib")
    assert [gate.admit(e) for e in events] == [True, False]


def test_statuses_the_library_sets_itself_map_to_nothing():
    stream, _ = make_stream()
    t = trade()
    for status in ("PendingSubmit", "PendingCancel", "ValidationError", "ApiPending"):
        stream.on_status(set_status(t, status))
    assert drain(stream) == []


def test_events_of_orders_that_are_not_the_kernels_are_ignored():
    stream, _ = make_stream()
    stream.on_status(set_status(trade(coid="someone-else", order_id=99), "Submitted"))
    stream.on_execution(trade(coid="someone-else"), fill("e1", t=trade(coid="someone-else")))
    assert drain(stream) == []


def test_an_order_is_known_by_its_order_id_when_the_order_ref_is_missing():
    stream, _ = make_stream()
    t = trade()
    placed(stream, t)
    t.order.orderRef = ""
    stream.on_status(set_status(t, "Submitted"))
    assert drain(stream)[0].client_order_id == "k-1"


# --- executions and commissions -------------------------------------------------------------------
def test_execution_then_commission_is_one_fill_with_the_commission():
    stream, _ = make_stream()
    t = trade()
    stream.on_execution(t, fill("e1", liquidity=1))
    assert drain(stream) == []  # held for its commission
    stream.on_commission(t, fill("e1"), report("e1", 1.25))
    assert drain(stream) == [
        OrderFilled("k-1", "1000000007", "e1", "XYZ", 1, 9950, 4, int(Liquidity.MAKER),
                    1_250_000_000, WHEN_NS, 1_000),
    ]  # fmt: skip


def test_a_commission_that_comes_first_waits_for_its_execution():
    stream, _ = make_stream()
    t = trade()
    stream.on_commission(t, fill("e1"), report("e1", 0.5))
    stream.on_execution(t, fill("e1", side="SLD"))
    (f,) = drain(stream)
    assert (f.commission, f.side, f.trade_id) == (500_000_000, -1, "e1")


def test_a_fill_whose_commission_never_comes_is_booked_once_without_it():
    stream, clock = make_stream(wait_s=1.0)
    t = trade()
    stream.on_execution(t, fill("e1"))
    clock.mono = 0.9
    stream.expire()
    assert drain(stream) == []
    clock.mono = 1.0
    stream.expire()
    (f,) = drain(stream)
    assert f.commission == 0 and stream.assembler.without_commission == 1
    stream.on_commission(t, fill("e1"), report("e1", 1.0))  # too late: nothing more
    stream.on_execution(t, fill("e1"))  # the same execution again (a reconnect): held again,
    clock.mono = 5.0
    stream.expire()
    again = drain(stream)
    gate = Reconciler("ib")
    assert [gate.admit(e) for e in [f, *again]] == [True] + [False] * len(again)


def test_a_terminal_status_waits_behind_the_orders_held_fills():
    stream, _ = make_stream()
    t = trade()
    stream.on_execution(t, fill("e1"))
    stream.on_status(set_status(t, "Cancelled", filled=4.0))
    assert drain(stream) == []
    stream.on_commission(t, fill("e1"), report("e1", 0.0))
    assert [type(e) for e in drain(stream)] == [OrderFilled, OrderCanceled]


def test_ib_counting_more_filled_than_the_fills_seen_asks_for_a_reconciliation():
    stream, _ = make_stream()
    t = trade()
    stream.on_status(set_status(t, "Submitted", filled=4.0))  # its execDetails was lost
    assert [a.kind for a in stream.actions] == [RECONCILE]
    stream.actions.clear()
    stream.on_execution(t, fill("e2", shares=6.0))
    stream.on_status(set_status(t, "Filled", filled=6.0))
    assert stream.actions == []


# --- errors --------------------------------------------------------------------------------------
def accepted(stream: OrderStream, otype: str = "LMT") -> ib_api.Trade:
    t = trade(otype=otype)
    placed(stream, t)
    stream.on_status(set_status(t, "Submitted"))
    drain(stream)
    return t


def test_202_is_canceled():
    stream, _ = make_stream()
    accepted(stream)
    stream.on_error(7, 202, "Order Canceled - reason:")
    assert drain(stream) == [OrderCanceled("k-1", 1_000, 1_000)]


def test_10147_10148_answer_a_pending_cancel_with_ibs_text():
    stream, _ = make_stream()
    accepted(stream)
    stream.book.cancels["k-1"] = 0.0
    stream.on_error(
        7, 10148, "OrderId 7 that needs to be cancelled cannot be cancelled, state: Filled."
    )
    (e,) = drain(stream)
    assert isinstance(e, OrderCancelRejected) and e.reason.startswith("IB 10148: OrderId 7")
    assert "k-1" not in stream.book.cancels


def test_10147_before_ib_showed_the_order_keeps_the_cancel_for_later():
    stream, _ = make_stream()
    placed(stream, trade())
    stream.book.cancels["k-1"] = 0.0
    stream.on_error(7, 10147, "OrderId 7 that needs to be cancelled is not found.")
    assert drain(stream) == [] and stream.book.cancels["k-1"] is None


def test_a_cancel_error_with_nothing_pending_is_a_notice_never_a_reject():
    stream, _ = make_stream()
    placed(stream, trade())
    stream.on_error(7, 10147, "OrderId 7 that needs to be cancelled is not found.")
    (e,) = drain(stream)
    assert isinstance(e, VenueNotice) and e.code == "IB_ORDER_ERROR"


@pytest.mark.parametrize("code", [104, 105, 110])
def test_modify_refusals_reject_the_change_not_the_order(code):
    stream, _ = make_stream()
    accepted(stream)
    stream.book.modifies["k-1"] = PendingModify((20, None, None), (20.0, None, None), None, 0.0)
    stream.on_error(7, code, "Order being modified does not match original order")
    (e,) = drain(stream)
    assert isinstance(e, OrderModifyRejected) and e.reason.startswith(f"IB {code}:")
    assert "k-1" not in stream.book.modifies


@pytest.mark.parametrize(("code", "text"), [
    (110, "The price does not conform to the minimum price variation for this contract."),
    (200, "No security definition has been found for the request"),
    (387, "Unsupported order type for this exchange and security type."),
    (434, "The order size cannot be zero"),
    (999, "something new"),
])  # fmt: skip
def test_errors_about_a_new_order_reject_it(code, text):
    stream, _ = make_stream()
    placed(stream, trade())
    stream.on_error(7, code, text)
    assert drain(stream) == [OrderRejected("k-1", f"IB {code}: {text}", 1_000, 1_000)]


def test_an_unknown_error_about_a_working_order_is_a_notice():
    stream, _ = make_stream()
    accepted(stream)
    stream.on_error(7, 999, "something new")
    assert [type(e) for e in drain(stream)] == [VenueNotice]


def test_103_duplicate_id_looks_the_order_up_by_order_ref():
    stream, _ = make_stream()
    placed(stream, trade())
    stream.on_error(7, 103, "Duplicate order id")
    assert drain(stream) == [] and [(a.kind, a.coid) for a in stream.actions] == [(LOOKUP, "k-1")]


def test_100_pacing_about_a_new_order_and_its_cancel_looks_up_and_cancels_again():
    stream, _ = make_stream()
    placed(stream, trade())
    stream.book.cancels["k-1"] = 0.0
    stream.on_error(7, 100, "Max rate of messages per second has been exceeded:max=50 rec=51 (1)")
    assert drain(stream) == []
    assert [(a.kind, a.coid) for a in stream.actions] == [(LOOKUP, "k-1"), (CANCEL_AGAIN, "k-1")]
    assert "k-1" in stream.book.in_flight()  # still unanswered: never resent by a reconciliation


def test_100_pacing_about_a_market_data_request_subscribes_again():
    stream, _ = make_stream()
    stream.on_error(42, 100, "Max rate of messages per second has been exceeded")
    assert [(a.kind, a.req_id) for a in stream.actions] == [(RESUBSCRIBE, 42)]


def test_warnings_and_connectivity_codes_are_not_order_events():
    stream, _ = make_stream()
    accepted(stream)
    stream.on_error(7, 399, "Order message: warning")
    for code in (1100, 1101, 1102, 2104):
        stream.on_error(-1, code, "connectivity")
    events = drain(stream)
    assert [e.code for e in events] == ["IB_WARNING"]


# --- modifies ------------------------------------------------------------------------------------
def test_a_modify_is_confirmed_when_ib_shows_the_new_terms():
    stream, _ = make_stream()
    t = accepted(stream)
    new = ib_api.Order(**{**t.order.__dict__, "lmtPrice": 99.0})
    stream.book.modifies["k-1"] = PendingModify((None, 9900, None), (None, 99.0, None), new, 0.0)
    stream.on_open_order(t)  # an echo of the old terms: not yet
    assert drain(stream) == []
    t.order.lmtPrice = 99.0  # what openOrder carries once TWS applied the change
    stream.on_open_order(t)
    assert drain(stream) == [OrderModified("k-1", None, 9900, None, 1_000, 1_000)]
    assert stream.book.placements["k-1"].order is new
