"""The order state machine: the literal table, the real-world rows, duplicates and overfills."""

from __future__ import annotations

import contextlib
import itertools

import pytest

from kernel.enums import OrderStatus, OrderType, Side
from kernel.events import (
    K_ACCEPTED,
    K_CANCEL_REJECTED,
    K_CANCELED,
    K_DENIED,
    K_EXPIRED,
    K_FILLED,
    K_MODIFIED,
    K_MODIFY_REJECTED,
    K_PARTIALLY_FILLED,
    K_PENDING_CANCEL,
    K_PENDING_UPDATE,
    K_REJECTED,
    K_SUBMITTED,
    K_TRIGGERED,
    KIND_NAMES,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderModifyRejected,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderRejected,
    OrderSubmitted,
    OrderTriggered,
)
from kernel.fsm import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    PENDING_STATUSES,
    RESTORE,
    TRANSITIONS,
    InvalidTransition,
)
from kernel.orders import InvalidModify, Order, Overfill

S = OrderStatus
OID = "S-1"
QTY = 10

ALL_KINDS = [
    K_DENIED,
    K_SUBMITTED,
    K_ACCEPTED,
    K_REJECTED,
    K_TRIGGERED,
    K_PENDING_CANCEL,
    K_PENDING_UPDATE,
    K_MODIFIED,
    K_CANCEL_REJECTED,
    K_MODIFY_REJECTED,
    K_CANCELED,
    K_EXPIRED,
    K_PARTIALLY_FILLED,
    K_FILLED,
]


# --- event builders (ts increases so ts_last is checked too) ------------------------------------
_ts = itertools.count(1)
_trade = itertools.count(1)


def fill(qty: int, price: int = 100, trade_id: str | None = None, commission: int = 7):
    ts = next(_ts)
    tid = trade_id if trade_id is not None else f"T{next(_trade)}"
    return OrderFilled(OID, "V1", tid, "AAPL", 1, price, qty, 2, commission, ts, ts)


def ev(kind: int, order: Order | None = None):
    """An event of ``kind``; a fill of 1 lot (partial) or of the order's remainder (complete)."""
    ts = next(_ts)
    if kind == K_PARTIALLY_FILLED:
        return fill(1)
    if kind == K_FILLED:
        assert order is not None
        return fill(order.quantity - order.filled_lots)
    return {
        K_DENIED: lambda: OrderDenied(OID, "MAX_ORDER_VALUE", ts, ts),
        K_SUBMITTED: lambda: OrderSubmitted(OID, "SIM", ts, ts),
        K_ACCEPTED: lambda: OrderAccepted(OID, "V1", ts, ts),
        K_REJECTED: lambda: OrderRejected(OID, "NO_LIQUIDITY", ts, ts),
        K_TRIGGERED: lambda: OrderTriggered(OID, ts, ts),
        K_PENDING_CANCEL: lambda: OrderPendingCancel(OID, ts, ts),
        K_PENDING_UPDATE: lambda: OrderPendingUpdate(OID, ts, ts),
        K_MODIFIED: lambda: OrderModified(OID, None, 101, None, ts, ts),
        K_CANCEL_REJECTED: lambda: OrderCancelRejected(OID, "TOO_LATE", ts, ts),
        K_MODIFY_REJECTED: lambda: OrderModifyRejected(OID, "TOO_LATE", ts, ts),
        K_CANCELED: lambda: OrderCanceled(OID, ts, ts),
        K_EXPIRED: lambda: OrderExpired(OID, ts, ts),
    }[kind]()


def new_order(order_type: OrderType = OrderType.LIMIT) -> Order:
    prices = {
        OrderType.LIMIT: {"limit_ticks": 100},
        OrderType.STOP: {"stop_ticks": 95},
        OrderType.STOP_LIMIT: {"stop_ticks": 95, "limit_ticks": 94},
    }[order_type]
    return Order(OID, "S", "AAPL", Side.BUY, order_type, QTY, **prices)


def run(kinds: list[int], order: Order | None = None) -> Order:
    o = order if order is not None else new_order()
    for kind in kinds:
        o.apply(ev(kind, o))
    return o


def state(o: Order) -> tuple:
    """Everything an event may change, to show that a refused event changed nothing."""
    return (
        o.status,
        o._restore,
        o.filled_lots,
        o.fill_cost,
        o.commission,
        o.quantity,
        o.limit_ticks,
        o.stop_ticks,
        o.venue_order_id,
        o.reason,
        o.duplicate_fills,
        o.event_count,
        o.ts_last,
        frozenset(o._trade_ids or ()),
    )


SUB, ACK, PART, FULL = K_SUBMITTED, K_ACCEPTED, K_PARTIALLY_FILLED, K_FILLED
PCAN, PUPD, CAN, CREJ = K_PENDING_CANCEL, K_PENDING_UPDATE, K_CANCELED, K_CANCEL_REJECTED
MOD, MREJ, TRIG, EXP = K_MODIFIED, K_MODIFY_REJECTED, K_TRIGGERED, K_EXPIRED


# --- the table itself ---------------------------------------------------------------------------
def test_transitions_table_keys_and_targets_are_known_statuses():
    statuses = set(S)
    for (status, kind), nxt in TRANSITIONS.items():
        assert status in statuses
        assert kind in KIND_NAMES
        assert nxt == RESTORE or nxt in statuses


def test_transitions_closed_status_never_reopens():
    for (status, _), nxt in TRANSITIONS.items():
        if status in CLOSED_STATUSES:
            assert nxt in CLOSED_STATUSES, (status, nxt)


def test_transitions_denied_is_terminal_and_rejected_only_repeats():
    assert not [k for k in TRANSITIONS if k[0] == S.DENIED]
    # a reject repeated, or the answer to a cancel that crossed the reject on the wire
    assert [k for k in TRANSITIONS if k[0] == S.REJECTED] == [
        (S.REJECTED, K_REJECTED),
        (S.REJECTED, K_CANCEL_REJECTED),
    ]


def test_transitions_restore_only_from_pending_statuses():
    for (status, _), nxt in TRANSITIONS.items():
        if nxt == RESTORE:
            assert status in PENDING_STATUSES


def test_status_sets_partition_the_statuses():
    assert OPEN_STATUSES.isdisjoint(CLOSED_STATUSES)
    assert set(S) == OPEN_STATUSES | CLOSED_STATUSES | {S.INITIALIZED}
    assert PENDING_STATUSES <= OPEN_STATUSES


def _order_in(status: OrderStatus, restore: OrderStatus = S.ACCEPTED) -> Order:
    # white-box: put an order straight into a status, with a partial fill where the status has one
    o = new_order()
    o.status = status
    o._restore = restore
    if status in (S.PARTIALLY_FILLED, S.CANCELED, S.EXPIRED) or restore == S.PARTIALLY_FILLED:
        o.filled_lots, o.fill_cost, o._trade_ids = 2, 200, {"T-old"}
    if status == S.FILLED:
        o.filled_lots, o.fill_cost, o._trade_ids = QTY, QTY * 100, {"T-old"}
    return o


@pytest.mark.parametrize(
    ("status", "kind"),
    sorted(
        (s, k)
        for s in S
        for k in ALL_KINDS
        if (s, k) not in TRANSITIONS
        # why: a FILLED order has nothing left, so a fill is an Overfill (tested below)
        and not (s == S.FILLED and k in (K_PARTIALLY_FILLED, K_FILLED))
    ),
)
def test_apply_every_missing_row_raises_invalid_transition_and_changes_nothing(status, kind):
    o = _order_in(status)
    before = state(o)
    with pytest.raises(InvalidTransition) as info:
        o.apply(ev(kind, o))
    assert str(info.value) == f"{status.name} -> {KIND_NAMES[kind]}"
    assert state(o) == before


@pytest.mark.parametrize(("status", "kind"), sorted(TRANSITIONS))
def test_apply_every_row_moves_to_its_target(status, kind):
    o = _order_in(status, restore=S.ACCEPTED)
    assert o.apply(ev(kind, o)) is True
    nxt = TRANSITIONS[(status, kind)]
    assert o.status == (S.ACCEPTED if nxt == RESTORE else nxt)
    assert o.event_count == 1


# --- the real-world rows, as sequences ----------------------------------------------------------
SCENARIOS = [
    # (name, kinds, final status, filled)
    ("happy path", [SUB, ACK, PART, FULL], S.FILLED, QTY),
    ("fill overtook the ack", [SUB, PART, ACK], S.PARTIALLY_FILLED, 1),
    ("fill after cancel request", [SUB, ACK, PCAN, PART], S.PENDING_CANCEL, 1),
    ("fill after cancel request, then canceled", [SUB, ACK, PCAN, PART, CAN], S.CANCELED, 1),
    ("filled before the cancel arrived", [SUB, ACK, PCAN, FULL], S.FILLED, QTY),
    ("fill after cancel", [SUB, ACK, CAN, PART], S.CANCELED, 1),
    ("late fill completes a canceled order", [SUB, ACK, PART, CAN, FULL], S.FILLED, QTY),
    ("cancel rejected restores accepted", [SUB, ACK, PCAN, CREJ], S.ACCEPTED, 0),
    ("cancel rejected restores partial", [SUB, ACK, PART, PCAN, CREJ], S.PARTIALLY_FILLED, 1),
    (
        "cancel rejected after a fill while pending",
        [SUB, ACK, PCAN, PART, CREJ],
        S.PARTIALLY_FILLED,
        1,
    ),
    ("cancel rejected before any ack", [SUB, PCAN, CREJ], S.SUBMITTED, 0),
    ("late ack while pending cancel", [SUB, PCAN, ACK], S.PENDING_CANCEL, 0),
    ("late ack while pending cancel, rejected", [SUB, PCAN, ACK, CREJ], S.ACCEPTED, 0),
    ("late ack while pending cancel, canceled", [SUB, PCAN, ACK, CAN], S.CANCELED, 0),
    (
        "late ack after a fill while pending cancel",
        [SUB, PCAN, PART, ACK, CREJ],
        S.PARTIALLY_FILLED,
        1,
    ),
    (
        "late ack after the fill, pending cancel",
        [SUB, PART, PCAN, ACK, CREJ],
        S.PARTIALLY_FILLED,
        1,
    ),
    ("modify rejected restores accepted", [SUB, ACK, PUPD, MREJ], S.ACCEPTED, 0),
    ("modify rejected restores partial", [SUB, ACK, PART, PUPD, MREJ], S.PARTIALLY_FILLED, 1),
    ("fill while modifying, rejected", [SUB, ACK, PUPD, PART, MREJ], S.PARTIALLY_FILLED, 1),
    ("modified restores accepted", [SUB, ACK, PUPD, MOD], S.ACCEPTED, 0),
    ("cancel while modifying keeps the first status", [SUB, ACK, PUPD, PCAN, CREJ], S.ACCEPTED, 0),
    ("modify answered while pending cancel", [SUB, ACK, PUPD, PCAN, MOD, CAN], S.CANCELED, 0),
    ("modify refused while pending cancel", [SUB, ACK, PUPD, PCAN, MREJ], S.PENDING_CANCEL, 0),
    ("cancel requested twice", [SUB, ACK, PCAN, PCAN, CAN], S.CANCELED, 0),
    ("cancel requested twice, both rejected", [SUB, ACK, PCAN, PCAN, CREJ, CREJ], S.ACCEPTED, 0),
    ("modify answer after cancel rejected", [SUB, ACK, PUPD, PCAN, CREJ, MREJ], S.ACCEPTED, 0),
    (
        "modify requested twice, both rejected",
        [SUB, ACK, PART, PUPD, PUPD, MREJ, MREJ],
        S.PARTIALLY_FILLED,
        1,
    ),
    ("late ack after the fill completed", [SUB, FULL, ACK], S.FILLED, QTY),
    ("too late to cancel", [SUB, ACK, FULL, CREJ], S.FILLED, QTY),
    ("too late to modify", [SUB, ACK, FULL, MREJ], S.FILLED, QTY),
    ("cancel repeated after reconnect", [SUB, ACK, CAN, CAN], S.CANCELED, 0),
    ("ack repeated after reconnect", [SUB, ACK, ACK], S.ACCEPTED, 0),
    ("reject repeated after reconnect", [SUB, K_REJECTED, K_REJECTED], S.REJECTED, 0),
    ("submitted then expired", [SUB, ACK, PART, EXP], S.EXPIRED, 1),
    ("fill reported after expiry", [SUB, ACK, EXP, PART], S.EXPIRED, 1),
    ("held child canceled", [CAN], S.CANCELED, 0),
    ("held child expired", [EXP], S.EXPIRED, 0),
    ("denied", [K_DENIED], S.DENIED, 0),
    ("ioc remainder canceled without ack", [SUB, CAN], S.CANCELED, 0),
    ("rejected after the ack", [SUB, ACK, K_REJECTED], S.REJECTED, 0),
]


@pytest.mark.parametrize(
    ("kinds", "final", "filled"), [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS]
)
def test_apply_real_world_sequence_reaches_expected_status(kinds, final, filled):
    o = run(kinds)
    assert o.status == final
    assert o.filled_lots == filled
    if o.status in OPEN_STATUSES and o.status not in PENDING_STATUSES and o.filled_lots:
        assert o.status == S.PARTIALLY_FILLED  # an open order with fills says so


TRIGGER_SCENARIOS = [
    ("triggered", [SUB, ACK, TRIG], S.TRIGGERED, 0),
    ("stop through on arrival", [SUB, TRIG], S.TRIGGERED, 0),
    ("trigger overtook the ack", [SUB, TRIG, ACK], S.TRIGGERED, 0),
    ("modify answer after cancel rejected", [SUB, TRIG, PUPD, PCAN, CREJ, MREJ], S.TRIGGERED, 0),
    ("trigger repeated", [SUB, ACK, TRIG, TRIG], S.TRIGGERED, 0),
    ("triggered then filled", [SUB, ACK, TRIG, PART, FULL], S.FILLED, QTY),
    ("cancel rejected restores triggered", [SUB, ACK, TRIG, PCAN, CREJ], S.TRIGGERED, 0),
    ("triggered while pending cancel", [SUB, ACK, PCAN, TRIG, CREJ], S.TRIGGERED, 0),
    ("triggered while modifying", [SUB, ACK, PUPD, TRIG, MOD], S.TRIGGERED, 0),
    ("late ack while triggered pending", [SUB, TRIG, PCAN, ACK, CREJ], S.TRIGGERED, 0),
    ("rejected at trigger", [SUB, ACK, TRIG, K_REJECTED], S.REJECTED, 0),
]


@pytest.mark.parametrize("order_type", [OrderType.STOP, OrderType.STOP_LIMIT])
@pytest.mark.parametrize(
    ("kinds", "final", "filled"),
    [s[1:] for s in TRIGGER_SCENARIOS],
    ids=[s[0] for s in TRIGGER_SCENARIOS],
)
def test_apply_stop_order_sequence_reaches_expected_status(order_type, kinds, final, filled):
    o = run(kinds, new_order(order_type))
    assert o.status == final
    assert o.filled_lots == filled


# --- what each event records --------------------------------------------------------------------
def test_apply_accept_records_venue_order_id_and_time():
    o = run([SUB])
    e = OrderAccepted(OID, "VENUE-42", 555, 556)
    assert o.apply(e) is True
    assert (o.venue_order_id, o.ts_last, o.event_count) == ("VENUE-42", 555, 2)


@pytest.mark.parametrize(
    ("kind", "before", "reason"),
    [(K_REJECTED, [SUB], "NO_LIQUIDITY"), (K_DENIED, [], "MAX_ORDER_VALUE")],
)
def test_apply_reject_or_deny_records_reason(kind, before, reason):
    o = run(before)
    o.apply(ev(kind))
    assert o.reason == reason
    assert o.is_closed
    assert o.leaves_lots == 0


def test_apply_fills_accumulate_cost_and_commission():
    o = run([SUB, ACK])
    o.apply(fill(3, price=100, commission=5))
    o.apply(fill(7, price=110, commission=11))
    assert (o.filled_lots, o.fill_cost, o.commission) == (10, 3 * 100 + 7 * 110, 16)
    assert o.avg_price_ticks() == 107.0
    assert o.status == S.FILLED
    assert o.leaves_lots == 0


def test_apply_modified_updates_quantity_and_prices():
    o = run([SUB, ACK, PART, PUPD])
    ts = next(_ts)
    o.apply(OrderModified(OID, 20, 105, None, ts, ts))
    assert (o.status, o.quantity, o.limit_ticks, o.leaves_lots) == (S.PARTIALLY_FILLED, 20, 105, 19)


@pytest.mark.parametrize("new_qty", [1, 0, -3])
def test_apply_modified_quantity_not_above_filled_raises_and_changes_nothing(new_qty):
    o = run([SUB, ACK, PUPD, PART])
    before = state(o)
    ts = next(_ts)
    with pytest.raises(InvalidModify):
        o.apply(OrderModified(OID, new_qty, 105, 1, ts, ts))
    assert state(o) == before


# --- duplicates and overfills -------------------------------------------------------------------
def test_apply_duplicate_trade_id_is_ignored_and_counted():
    o = run([SUB, ACK])
    first = fill(3, trade_id="X-1")
    assert o.apply(first) is True
    before = state(o)
    assert o.apply(fill(3, trade_id="X-1")) is False
    assert o.apply(first) is False
    after = state(o)
    assert after[10] == before[10] + 2 == o.duplicate_fills == 2
    assert after[:10] + after[11:] == before[:10] + before[11:]  # nothing else moved
    assert (o.filled_lots, o.event_count, o.ts_last) == (3, 3, first.ts_event)


def test_apply_duplicate_of_completing_fill_after_filled_is_ignored():
    o = run([SUB, ACK])
    last = fill(QTY, trade_id="ALL")
    o.apply(last)
    assert o.apply(last) is False
    assert (o.status, o.filled_lots, o.duplicate_fills) == (S.FILLED, QTY, 1)


@pytest.mark.parametrize(("prior", "qty"), [(0, 11), (4, 7), (10, 1), (0, 0), (3, -1)])
def test_apply_overfill_raises_and_changes_nothing(prior, qty):
    o = run([SUB, ACK])
    if prior:
        o.apply(fill(prior))
    before = state(o)
    bad = fill(qty, trade_id="BAD")
    with pytest.raises(Overfill):
        o.apply(bad)
    assert state(o) == before
    if prior < QTY:  # the refused trade id was not remembered: a correct fill may reuse it
        assert o.apply(fill(QTY - prior, trade_id="BAD")) is True
        assert o.status == S.FILLED


def test_invalid_transition_message_is_status_arrow_trigger():
    o = run([SUB, ACK, FULL])
    with pytest.raises(InvalidTransition, match=r"^FILLED -> CANCELED$"):
        o.apply(ev(K_CANCELED))
    o2 = new_order()
    with pytest.raises(InvalidTransition, match=r"^INITIALIZED -> PARTIALLY_FILLED$"):
        o2.apply(fill(1))
    with pytest.raises(InvalidTransition, match=r"^INITIALIZED -> FILLED$"):
        o2.apply(fill(QTY))
    assert o2.filled_lots == 0


# --- principles from DESIGN.md's prose, checked through Order.apply (not read from the table) ---
# Where the order could have traded at the venue: every status after it was sent. A fill from
# there is never refused ("never lose a fill"); from INITIALIZED, DENIED or REJECTED it cannot
# have happened, and a FILLED order has nothing left (an overfill, booked by the kernel).
COULD_HAVE_TRADED = {
    S.SUBMITTED,
    S.ACCEPTED,
    S.TRIGGERED,
    S.PARTIALLY_FILLED,
    S.PENDING_CANCEL,
    S.PENDING_UPDATE,
    S.CANCELED,
    S.EXPIRED,
}
WORKING = {S.SUBMITTED, S.ACCEPTED, S.TRIGGERED, S.PARTIALLY_FILLED}
FINAL = {S.DENIED, S.REJECTED, S.FILLED}


@pytest.mark.parametrize("status", sorted(S))
def test_principle_a_fill_is_taken_wherever_the_order_could_have_traded(status):
    for kind in (K_PARTIALLY_FILLED, K_FILLED):
        o = _order_in(status)
        try:
            o.apply(ev(kind, o))
            taken = True
        except (InvalidTransition, Overfill):
            taken = False
        assert taken == (status in COULD_HAVE_TRADED), (status.name, KIND_NAMES[kind])
        if taken and kind == K_FILLED:
            assert o.status == S.FILLED and o.filled_lots == QTY


@pytest.mark.parametrize("status", sorted(FINAL))
def test_principle_final_statuses_never_move(status):
    """Late answers (an ack overtaken by the fill, "too late to cancel") may be taken, but a
    final status never changes and nothing is filled again."""
    for kind in ALL_KINDS:
        o = _order_in(status)
        filled = o.filled_lots
        with contextlib.suppress(InvalidTransition, Overfill):
            o.apply(ev(kind, o))
        assert o.status == status and o.filled_lots == filled, KIND_NAMES[kind]


@pytest.mark.parametrize("status", sorted(WORKING))
def test_principle_a_refused_cancel_or_modify_restores_the_status_before_it(status):
    for pending, refusal in (
        (K_PENDING_CANCEL, K_CANCEL_REJECTED),
        (K_PENDING_UPDATE, K_MODIFY_REJECTED),
    ):
        o = _order_in(status)
        o.apply(ev(pending, o))
        o.apply(ev(refusal, o))
        assert o.status == status, (status.name, KIND_NAMES[pending])


@pytest.mark.parametrize("status", sorted(WORKING | {S.PENDING_CANCEL, S.PENDING_UPDATE}))
def test_principle_a_working_order_can_always_end(status):
    """No trap: a cancel, an expiry or the rest filled closes any order still at the venue."""
    for kind in (K_CANCELED, K_EXPIRED, K_FILLED):
        o = _order_in(status)
        o.apply(ev(kind, o))
        assert o.status in {S.CANCELED, S.EXPIRED, S.FILLED}


@pytest.mark.parametrize("status", sorted(S.__members__.values()))
def test_principle_an_answer_repeated_after_a_reconnect_changes_nothing(status):
    """An ack, trigger, cancel or expiry delivered twice: the second one is taken or refused,
    and either way the order is where the first one left it."""
    for kind in (K_ACCEPTED, K_TRIGGERED, K_CANCELED, K_EXPIRED):
        o = _order_in(status)
        try:
            o.apply(ev(kind, o))
        except InvalidTransition:
            continue
        after_first = o.status
        with contextlib.suppress(InvalidTransition):
            o.apply(ev(kind, o))
        assert o.status == after_first, (status.name, KIND_NAMES[kind])
