"""Alpaca JSON <-> kernel (``live.adapters.alpaca.parse`` and ``errors``), against alpaca-py's
models: every fixture validates into the SDK's model, every request body into its request."""

from __future__ import annotations

import warnings
from decimal import Decimal

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # websockets.legacy, imported by alpaca
    from alpaca.data.models import Bar as APBar
    from alpaca.data.models import Quote as APQuote
    from alpaca.data.models import Trade as APTrade
    from alpaca.trading import models as am
    from alpaca.trading import requests as ar

import payloads as P

from kernel.enums import Liquidity, OrderStatus, OrderType, Side, TimeInForce
from kernel.events import (
    Bar,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderModifyRejected,
    OrderPendingUpdate,
    OrderRejected,
    OrderSubmitted,
    QuoteTick,
    TradeTick,
)
from kernel.orders import Order, make_order
from kernel.units import MONEY_SCALE, Instrument
from live.adapters.alpaca import parse
from live.adapters.alpaca.errors import (
    AlpacaError,
    Forbidden,
    MalformedMessage,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
    Unprocessable,
    Unsupported,
    error_from_response,
    redact,
)

AAPL = Instrument("AAPL", "0.01", "1")
INSTRUMENTS = {"AAPL": AAPL}
NS = 1_000_000_000


def instrument_of(symbol: str) -> Instrument | None:
    return INSTRUMENTS.get(symbol)


def kernel_id(alpaca_coid: str) -> str | None:
    """Our ids; a replacement ``<id>~r<n>`` maps to its original; others are not ours."""
    base = alpaca_coid.split("~r", 1)[0]
    return base if base.startswith("strat1-") else None


def ts(text: str) -> int:
    return parse.parse_timestamp(text)


# --- fixtures are real shapes ---------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(P.ORDERS))
def test_order_fixture_validates_as_alpaca_py_order(name: str) -> None:
    model = am.Order.model_validate(P.ORDERS[name])
    assert str(model.id) == P.ORDERS[name]["id"]


@pytest.mark.parametrize("event", sorted(P.UPDATES))
def test_trade_update_fixture_validates_as_alpaca_py_trade_update(event: str) -> None:
    msg = P.UPDATES[event]
    model = am.TradeUpdate(**msg["data"])
    assert model.event == event and msg["stream"] == "trade_updates"


def test_other_fixtures_validate_as_alpaca_py_models() -> None:
    am.TradeUpdate(**P.UPDATE_REPLACEMENT_NEW["data"])
    am.TradeUpdate(**P.UPDATE_REPLACEMENT_REJECTED["data"])
    assert am.Position.model_validate(P.POSITION_LONG).side == "long"
    assert am.Position.model_validate(P.POSITION_SHORT).side == "short"
    assert am.TradeAccount.model_validate(P.ACCOUNT).status == "ACTIVE"
    assert am.Clock.model_validate(P.CLOCK).is_open
    act = am.TradeActivity.model_validate({**P.FILL_ACTIVITY, "account_id": P.ACCOUNT_ID})
    assert act.qty == 60
    assert APQuote("AAPL", P.QUOTE_MSG).bid_price == 126.54
    assert APTrade("AAPL", P.TRADE_MSG).size == 100
    assert APBar("AAPL", P.BAR_MSG).close == 126.6


# --- timestamps -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:00.000000001Z", 1),
        ("2021-02-22T15:51:45.335689322Z", 1614009105 * NS + 335689322),
        ("2021-03-16T14:38:05.1234567-04:00", 1615919885 * NS + 123456700),
        ("2021-03-16T18:38:05.1234567+00:00", 1615919885 * NS + 123456700),
        ("2021-03-16T20:08:05.5+01:30", 1615919885 * NS + 500000000),
        ("2021-03-16T18:38:05.123456789000Z", 1615919885 * NS + 123456789),
    ],
)
def test_parse_timestamp_rfc3339_is_exact_to_the_nanosecond(text: str, expected: int) -> None:
    assert parse.parse_timestamp(text) == expected


def test_parse_timestamp_msgpack_timestamp_reads_exactly() -> None:
    value = msgpack.Timestamp.from_unix_nano(1614009105 * NS + 335689322)
    assert parse.parse_timestamp(value) == 1614009105 * NS + 335689322


@pytest.mark.parametrize(
    "bad", ["2021-02-30T00:00:00Z", "yesterday", "2021-02-22T15:51:45.1234567891Z", None, 12]
)
def test_parse_timestamp_bad_value_raises_malformed(bad: object) -> None:
    with pytest.raises(MalformedMessage):
        parse.parse_timestamp(bad)


# --- order requests -----------------------------------------------------------------------------
def _order(otype: str, tif: str = "day", inst: Instrument = AAPL, **kw: object) -> Order:
    return make_order(
        inst,
        "strat1-1",
        "strat1",
        kw.pop("side", "buy"),
        otype,
        kw.pop("qty", 10),
        time_in_force=tif,
        **kw,
    )  # type: ignore[arg-type]


_REQUESTS = {
    "market": ar.MarketOrderRequest,
    "limit": ar.LimitOrderRequest,
    "stop": ar.StopOrderRequest,
    "stop_limit": ar.StopLimitOrderRequest,
    "trailing_stop": ar.TrailingStopOrderRequest,
}


@pytest.mark.parametrize(
    ("otype", "prices", "expected"),
    [
        ("market", {}, {}),
        ("limit", {"limit_price": "126.55"}, {"limit_price": "126.55"}),
        ("stop", {"stop_price": "120.5"}, {"stop_price": "120.5"}),
        (
            "stop_limit",
            {"stop_price": "120.25", "limit_price": "120.1"},
            {"stop_price": "120.25", "limit_price": "120.1"},
        ),
        ("trailing_stop", {"trail_price": "1.25"}, {"trail_price": "1.25"}),
        ("trailing_stop", {"trail_percent": "2.5"}, {"trail_percent": "2.5"}),
    ],
)
def test_order_request_each_type_matches_alpaca_py_request(
    otype: str, prices: dict[str, str], expected: dict[str, str]
) -> None:
    body = parse.order_request(_order(otype, "gtc", **prices), AAPL, "strat1-1")
    assert body == {
        "symbol": "AAPL",
        "qty": "10",
        "side": "buy",
        "type": otype,
        "time_in_force": "gtc",
        "client_order_id": "strat1-1",
        **expected,
    }
    model = _REQUESTS[otype](**body)  # the SDK's own validation accepts the body
    assert model.type == otype


@pytest.mark.parametrize("tif", ["day", "gtc", "opg", "cls", "ioc", "fok"])
def test_order_request_each_time_in_force_is_sent(tif: str) -> None:
    body = parse.order_request(_order("limit", tif, limit_price="1.5"), AAPL, "strat1-1")
    assert body["time_in_force"] == tif
    assert ar.LimitOrderRequest(**body).time_in_force == tif


def test_order_request_decimals_are_exact_strings_from_ticks_and_lots() -> None:
    btc = Instrument("BTCUSD", "0.0001", "0.00001")
    order = _order("limit", "gtc", btc, qty="0.12345", limit_price="43210.0001", side="sell")
    body = parse.order_request(order, btc, "c1", extended_hours=True)
    assert body["qty"] == "0.12345" and body["limit_price"] == "43210.0001"
    assert body["side"] == "sell" and body["extended_hours"] is True
    big = _order("limit", "gtc", qty=1200, limit_price="100")
    assert parse.order_request(big, AAPL, "c2")["qty"] == "1200"  # never "1.2E+3"
    assert parse.order_request(big, AAPL, "c2")["limit_price"] == "100"


@given(ticks=st.integers(1, 10**12), lots=st.integers(1, 10**12))
def test_price_and_qty_text_round_trip_exactly(ticks: int, lots: int) -> None:
    inst = Instrument("X", "0.0005", "0.001")
    assert inst.price_to_ticks(parse.price_text(inst, ticks)) == ticks
    assert inst.qty_to_lots(parse.qty_text(inst, lots)) == lots
    assert "E" not in parse.price_text(inst, ticks) + parse.qty_text(inst, lots)


@pytest.mark.parametrize(
    ("field", "order"),
    [
        ("type", lambda: _order("mit", "gtc", stop_price="120")),
        ("type", lambda: _order("lit", "gtc", stop_price="120", limit_price="121")),
        ("time_in_force", lambda: _order("limit", "gtd", limit_price="1", expire_ns=10**18)),
        ("post_only", lambda: _order("limit", "gtc", limit_price="1", post_only=True)),
        ("display_qty", lambda: _order("limit", "gtc", limit_price="1", display_qty=5)),
        ("reduce_only", lambda: _order("market", "gtc", reduce_only=True)),
    ],
)
def test_order_request_kernel_feature_alpaca_lacks_raises_unsupported_naming_field(
    field: str, order
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Unsupported) as info:
        parse.order_request(order(), AAPL, "strat1-1")
    assert info.value.field == field and field in str(info.value)


def test_order_request_client_order_id_too_long_raises_unsupported() -> None:
    with pytest.raises(Unsupported) as info:
        parse.order_request(_order("market"), AAPL, "x" * 129)
    assert info.value.field == "client_order_id"


def _leg(otype: str, side: str, **prices: object) -> Order:
    return make_order(
        AAPL, f"leg-{otype}", "strat1", side, otype, 10, time_in_force="gtc", **prices
    )  # type: ignore[arg-type]


def test_bracket_request_both_legs_is_bracket_alpaca_py_accepts() -> None:
    entry = _order("limit", "gtc", limit_price="126.55")
    tp = _leg("limit", "sell", limit_price="130")
    sl = _leg("stop_limit", "sell", stop_price="120", limit_price="119.5")
    body = parse.bracket_request(entry, tp, sl, AAPL, "strat1-1")
    assert body["order_class"] == "bracket" and body["type"] == "limit"
    assert body["take_profit"] == {"limit_price": "130"}
    assert body["stop_loss"] == {"stop_price": "120", "limit_price": "119.5"}
    assert ar.LimitOrderRequest(**body).order_class == "bracket"


def test_bracket_request_one_leg_is_oto_alpaca_py_accepts() -> None:
    entry = _order("market", "day")
    body = parse.bracket_request(entry, None, _leg("stop", "sell", stop_price="120"), AAPL, "c")
    assert body["order_class"] == "oto" and body["stop_loss"] == {"stop_price": "120"}
    assert "take_profit" not in body
    assert ar.MarketOrderRequest(**body).order_class == "oto"


def test_bracket_request_without_entry_is_oco_alpaca_py_accepts() -> None:
    tp = _leg("limit", "sell", limit_price="130")
    sl = _leg("stop", "sell", stop_price="120")
    body = parse.bracket_request(None, tp, sl, AAPL, "strat1-9")
    assert body["order_class"] == "oco" and body["type"] == "limit" and body["side"] == "sell"
    assert "limit_price" not in body  # the limit travels in take_profit, as alpaca-py sends it
    assert ar.LimitOrderRequest(**body).order_class == "oco"


@pytest.mark.parametrize(
    ("entry", "tp", "sl", "field"),
    [
        ("limit", ("limit", "buy"), None, "take_profit.side"),
        ("limit", ("stop", "sell"), None, "take_profit"),
        ("limit", None, ("limit", "sell"), "stop_loss"),
        ("limit", None, None, "order_class"),
        (None, ("limit", "sell"), None, "order_class"),
    ],
)
def test_bracket_request_malformed_legs_raise_unsupported(entry, tp, sl, field) -> None:  # type: ignore[no-untyped-def]
    prices = {"limit": {"limit_price": "130"}, "stop": {"stop_price": "120"}}
    e = _order(entry, "gtc", limit_price="126") if entry else None
    t = _leg(tp[0], tp[1], **prices[tp[0]]) if tp else None
    s = _leg(sl[0], sl[1], **prices[sl[0]]) if sl else None
    with pytest.raises(Unsupported) as info:
        parse.bracket_request(e, t, s, AAPL, "c")
    assert info.value.field == field


def test_replace_request_sends_only_changes_alpaca_py_accepts() -> None:
    body = parse.replace_request(150, 12650, None, AAPL, "strat1-17~r1")
    assert body == {"qty": "150", "limit_price": "126.5", "client_order_id": "strat1-17~r1"}
    # why: the SDK's validator compares qty with 0 before coercing, so hand it numbers; the
    # REST API itself documents qty and prices as strings
    sdk = {k: v if k == "client_order_id" else Decimal(v) for k, v in body.items()}
    assert ar.ReplaceOrderRequest(**sdk).qty == 150
    trail = parse.replace_request(None, None, None, AAPL, "c", trail_ppm=12_500)
    assert trail["trail"] == "1.25"
    stop = parse.replace_request(None, None, 12000, AAPL, "c", time_in_force=TimeInForce.GTC)
    assert stop == {"stop_price": "120", "time_in_force": "gtc", "client_order_id": "c"}
    with pytest.raises(ValueError, match="must change"):
        parse.replace_request(None, None, None, AAPL, "c")


# --- trade updates ---------------------------------------------------------------------------------
def _events(msg: dict) -> list:  # type: ignore[type-arg]
    return parse.parse_trade_update(msg, instrument_of, kernel_id, ts_init=7)


EXPECTED = {
    "new": [OrderAccepted],
    "partial_fill": [OrderFilled],
    "fill": [OrderFilled],
    "canceled": [OrderCanceled],
    "expired": [OrderExpired],
    "done_for_day": [],
    "replaced": [],
    "rejected": [OrderRejected],
    "pending_new": [],
    "accepted": [],
    "pending_cancel": [],
    "pending_replace": [],
    "stopped": [],
    "suspended": [],
    "calculated": [],
    "restated": [OrderModified],
    "order_replace_rejected": [OrderModifyRejected],
    "order_cancel_rejected": [OrderCancelRejected],
}


@pytest.mark.parametrize("event", sorted(EXPECTED))
def test_parse_trade_update_every_event_maps_as_documented(event: str) -> None:
    events = _events(P.UPDATES[event])
    assert [type(e) for e in events] == EXPECTED[event]
    for e in events:
        assert e.client_order_id == "strat1-17" and e.ts_init == 7
        assert e.ts_event == ts(P.UPDATES[event]["data"]["timestamp"])
    notice = parse.trade_update_notice(P.UPDATES[event])
    assert (notice is None) == bool(EXPECTED[event])
    if notice is not None:
        assert notice.event == event and notice.alpaca_id == P.ORDER_ID


def test_every_documented_event_is_known() -> None:
    documented = set(P.UPDATES) - {"restated"}
    assert documented <= parse.TRADE_EVENTS
    assert len(documented) == 17


def test_parse_trade_update_fill_uses_event_price_and_qty_not_order_totals() -> None:
    (fill,) = _events(P.UPDATES["fill"])
    assert fill == OrderFilled(
        "strat1-17",
        P.ORDER_ID,
        P.EXEC_2,
        "AAPL",
        Side.BUY,
        12655,  # the event's price, not filled_avg_price 126.5460
        60,  # the event's qty, not filled_qty 100
        Liquidity.NONE,
        0,
        ts("2021-03-16T18:38:06.000000001Z"),
        7,
    )
    (partial,) = _events(P.UPDATES["partial_fill"])
    assert (partial.price_ticks, partial.qty_lots, partial.trade_id) == (12654, 40, P.EXEC_1)
    assert partial.ts_event == 1615919885 * NS + 123456700  # -04:00 offset, exact


def test_parse_trade_update_bare_data_is_accepted() -> None:
    assert _events(P.UPDATES["canceled"]["data"]) == _events(P.UPDATES["canceled"])


def test_parse_trade_update_replacement_new_confirms_modify_with_new_values() -> None:
    accepted, modified = _events(P.UPDATE_REPLACEMENT_NEW)
    assert accepted == OrderAccepted(
        "strat1-17", P.ORDER_REPLACEMENT["id"], ts("2021-03-16T18:39:00.000000002Z"), 7
    )
    assert (modified.quantity_lots, modified.limit_ticks, modified.stop_ticks) == (150, 12650, None)
    assert modified.client_order_id == "strat1-17"


def test_parse_trade_update_rejected_replacement_is_modify_rejected() -> None:
    (event,) = _events(P.UPDATE_REPLACEMENT_REJECTED)
    assert isinstance(event, OrderModifyRejected) and event.client_order_id == "strat1-17"


def test_parse_trade_update_restated_carries_the_venue_change() -> None:
    (event,) = _events(P.UPDATES["restated"])
    assert (event.quantity_lots, event.limit_ticks) == (100, 12645)


def test_parse_trade_update_not_our_order_gives_nothing() -> None:
    msg = P.trade_update(
        "fill", P.order(client_order_id="dashboard-1"), execution_id=P.EXEC_1, price="1", qty="1"
    )
    assert _events(msg) == []


def test_parse_trade_update_unknown_event_gives_nothing_and_a_notice() -> None:
    msg = P.trade_update("brand_new_event", P.ORDER_NEW_LIMIT)
    assert _events(msg) == []
    assert parse.trade_update_notice(msg).event == "brand_new_event"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"execution_id": None}, "execution_id"),
        ({"price": "126.555"}, "price"),
        ({"qty": "0.5"}, "qty"),
    ],
)
def test_parse_trade_update_bad_fill_raises_malformed_naming_field(change, field) -> None:  # type: ignore[no-untyped-def]
    msg = P.trade_update("fill", P.ORDER_NEW_LIMIT, execution_id=P.EXEC_1, price="126.55", qty="1")
    msg["data"].update(change)
    with pytest.raises(MalformedMessage) as info:
        _events(msg)
    assert info.value.field == field


def test_parse_trade_update_unknown_symbol_fill_raises_malformed() -> None:
    msg = P.trade_update("fill", P.order(symbol="MSFT"), execution_id=P.EXEC_1, price="1", qty="1")
    with pytest.raises(MalformedMessage):
        _events(msg)


def test_parse_trade_update_not_a_trade_update_raises_malformed() -> None:
    with pytest.raises(MalformedMessage):
        _events({"stream": "listening", "data": {"streams": []}})


def test_parsed_events_drive_the_kernel_order_through_a_life() -> None:
    """New, partial fill, replace (pending, then the replacement's ack), fill: all valid."""
    order = Order(
        "strat1-17",
        "strat1",
        "AAPL",
        Side.BUY,
        OrderType.LIMIT,
        100,
        limit_ticks=12655,
        time_in_force=TimeInForce.DAY,
    )
    order.apply(OrderSubmitted("strat1-17", "alpaca", 1, 1))
    for e in _events(P.UPDATES["new"]) + _events(P.UPDATES["partial_fill"]):
        order.apply(e)
    assert order.status == OrderStatus.PARTIALLY_FILLED
    order.apply(OrderPendingUpdate("strat1-17", 2, 2))
    for e in _events(P.UPDATES["replaced"]) + _events(P.UPDATE_REPLACEMENT_NEW):
        order.apply(e)
    assert order.status == OrderStatus.PARTIALLY_FILLED
    assert (order.quantity, order.limit_ticks) == (150, 12650)
    assert order.venue_order_id == P.ORDER_REPLACEMENT["id"]  # the working Alpaca order
    fill = P.trade_update(
        "fill", P.ORDER_REPLACEMENT, execution_id=P.EXEC_2, price="126.50", qty="110"
    )
    for e in _events(fill):
        order.apply(e)
    assert order.status == OrderStatus.FILLED and order.filled_lots == 150


# --- orders, positions, account, clock -----------------------------------------------------------
def test_parse_order_snapshot_in_kernel_units() -> None:
    snap = parse.parse_order(P.ORDER_PARTIAL, AAPL)
    assert snap.id == snap.alpaca_id == P.ORDER_ID
    assert (snap.qty_lots, snap.filled_lots, snap.limit_ticks, snap.stop_ticks) == (
        100,
        40,
        12655,
        None,
    )
    assert snap.avg_price == Decimal("126.5425") and snap.avg_price_ticks is None
    assert snap.status == "partially_filled" and snap.is_open
    assert snap.kernel_status == OrderStatus.PARTIALLY_FILLED
    assert snap.order_class == "simple" and snap.side == Side.BUY
    assert snap.updated_ns == 1615919885 * NS + 123456700


def test_parse_order_filled_market_average_on_grid_gives_ticks() -> None:
    snap = parse.parse_order(P.ORDER_FILLED_MARKET, AAPL)
    assert snap.avg_price_ticks == 12655 and snap.side == Side.SELL
    assert not snap.is_open and snap.kernel_status == OrderStatus.FILLED
    assert snap.filled_ns == ts("2021-03-16T18:38:05.024916716Z")


def test_parse_order_bracket_legs_and_trailing_and_stop_limit() -> None:
    snap = parse.parse_order(P.ORDER_BRACKET, AAPL)
    assert snap.order_class == "bracket" and len(snap.legs) == 2
    assert [(leg.order_type, leg.status) for leg in snap.legs] == [
        ("limit", "held"),
        ("stop", "held"),
    ]
    assert snap.legs[1].stop_ticks == 12000 and snap.legs[0].kernel_status == OrderStatus.SUBMITTED
    trailing = parse.parse_order(P.ORDER_TRAILING, AAPL)
    assert trailing.stop_ticks is None  # Alpaca's computed 123.3863 is off the grid
    assert trailing.trail_percent == Decimal("2.5") and trailing.hwm == Decimal("126.55")
    sl = parse.parse_order(P.ORDER_STOP_LIMIT, AAPL)
    assert (sl.stop_ticks, sl.limit_ticks) == (12025, 12010)


@pytest.mark.parametrize(
    ("changes", "status", "is_open"),
    [
        ({"status": "new"}, OrderStatus.ACCEPTED, True),
        ({"status": "done_for_day", "filled_qty": "10"}, OrderStatus.PARTIALLY_FILLED, True),
        ({"status": "calculated", "filled_qty": "100"}, OrderStatus.FILLED, False),
        ({"status": "calculated", "filled_qty": "10"}, OrderStatus.PARTIALLY_FILLED, True),
        ({"status": "pending_replace"}, OrderStatus.PENDING_UPDATE, True),
        ({"status": "pending_new"}, OrderStatus.SUBMITTED, True),
        ({"status": "stopped"}, OrderStatus.ACCEPTED, True),
        ({"status": "expired"}, OrderStatus.EXPIRED, False),
    ],
)
def test_snapshot_kernel_status_per_alpaca_status(changes, status, is_open) -> None:  # type: ignore[no-untyped-def]
    snap = parse.parse_order(P.order(**changes), AAPL)
    assert (snap.kernel_status, snap.is_open) == (status, is_open)


def test_parse_order_replaced_has_no_kernel_status_and_points_to_successor() -> None:
    snap = parse.parse_order(P.ORDER_REPLACED, AAPL)
    assert snap.kernel_status is None and not snap.is_open
    assert snap.replaced_by == P.ORDER_REPLACEMENT["id"]


def test_parse_order_without_instrument_reads_ids_and_decimals() -> None:
    snap = parse.parse_order(P.ORDER_PARTIAL, None)
    assert snap.id == P.ORDER_ID and snap.client_order_id == "strat1-17"
    assert snap.qty == Decimal(100) and snap.filled_qty == Decimal(40)
    assert snap.qty_lots is None and snap.limit_ticks is None


def test_parse_order_off_grid_limit_raises_malformed() -> None:
    with pytest.raises(MalformedMessage) as info:
        parse.parse_order(P.order(limit_price="126.555"), AAPL)
    assert info.value.field == "limit_price"


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (P.ORDER_NEW_LIMIT, [OrderAccepted]),
        (P.order(status="accepted"), []),
        (
            P.order(status="canceled", canceled_at="2021-03-16T18:40:00Z"),
            [OrderAccepted, OrderCanceled],
        ),
        (P.order(status="expired"), [OrderAccepted, OrderExpired]),
        (P.order(status="rejected"), [OrderRejected]),
        (P.ORDER_REPLACEMENT, [OrderAccepted, OrderModified]),
        (dict(P.ORDER_REPLACEMENT, status="rejected"), [OrderModifyRejected]),
        (P.ORDER_FILLED_MARKET, [OrderAccepted]),
    ],
)
def test_order_state_events_bring_kernel_to_snapshot_state(fixture, expected) -> None:  # type: ignore[no-untyped-def]
    events = parse.order_state_events(parse.parse_order(fixture, AAPL), "k1", 9)
    assert [type(e) for e in events] == expected
    assert all(e.client_order_id == "k1" and e.ts_init == 9 for e in events)


def test_parse_fill_activity_execution_id_matches_the_stream() -> None:
    fill = parse.parse_fill_activity(P.FILL_ACTIVITY, instrument_of)
    assert fill is not None and fill.execution_id == P.EXEC_2  # same id as the stream's fill
    assert (fill.price_ticks, fill.qty_lots, fill.cum_lots, fill.side) == (12655, 60, 100, 1)
    assert fill.ts_ns == ts("2021-03-16T18:38:05.024916716Z")
    assert (
        parse.parse_fill_activity({**P.FILL_ACTIVITY, "activity_type": "DIV"}, instrument_of)
        is None
    )
    assert parse.parse_fill_activity({**P.FILL_ACTIVITY, "symbol": "MSFT"}, instrument_of) is None


def test_parse_position_long_and_short_signed_lots() -> None:
    assert parse.parse_position(P.POSITION_LONG, instrument_of) == ("AAPL", 100)
    assert parse.parse_position(P.POSITION_SHORT, instrument_of) == ("AAPL", -25)
    positive_short = dict(P.POSITION_SHORT, qty="25")
    assert parse.parse_position(positive_short, instrument_of) == ("AAPL", -25)


def test_parse_account_money_is_exact_int_units() -> None:
    acct = parse.parse_account(P.ACCOUNT)
    assert acct.cash == 87345 * MONEY_SCALE + 400000001
    assert acct.equity == 99865 * MONEY_SCALE + 400_000_000
    assert acct.short_market_value == -140 * MONEY_SCALE
    assert acct.account_id == P.ACCOUNT_ID and acct.status == "ACTIVE" and not acct.trading_blocked


def test_parse_clock_offsets_to_utc_ns() -> None:
    clock = parse.parse_clock(P.CLOCK)
    assert clock.is_open and clock.ts_ns == 1615919881 * NS + 942282612
    assert clock.next_close_ns == 1615924800 * NS  # 16:00 New York = 20:00 UTC (EDT)


# --- market data ------------------------------------------------------------------------------------
def test_parse_quote_trade_bar_exact_ticks_and_lots() -> None:
    q = parse.parse_quote(P.QUOTE_MSG, AAPL, 5)
    assert q == QuoteTick("AAPL", 12654, 12656, 1, 4, ts(P.QUOTE_MSG["t"]), 5)
    t = parse.parse_trade(P.TRADE_MSG, AAPL, 5)
    assert t == TradeTick("AAPL", 12655, 100, 0, "96921", ts(P.TRADE_MSG["t"]), 5)
    b = parse.parse_bar(P.BAR_MSG, AAPL, 5)
    assert b == Bar(
        "AAPL", 12650, 12661, 12648, 12660, 49378, 60 * NS, ts("2021-02-22T19:16:00Z"), 5
    )


def test_parse_market_data_frame_skips_control_and_unknown_symbols() -> None:
    frame = [
        *P.CONTROL_MSGS,
        P.QUOTE_MSG,
        dict(P.QUOTE_MSG, S="MSFT"),
        P.TRADE_MSG,
        P.BAR_MSG,
        P.DAILY_BAR_MSG,
        {"T": "u", "S": "AAPL"},
    ]
    events = parse.parse_market_data(frame, instrument_of, 3)
    assert [type(e) for e in events] == [QuoteTick, TradeTick, Bar, Bar]
    assert events[3].interval_ns == 86_400 * NS
    assert parse.parse_market_data(P.QUOTE_MSG, instrument_of, 3) == [events[0]]


def test_parse_market_data_msgpack_form_reads_timestamp_objects() -> None:
    packed = msgpack.packb([dict(P.QUOTE_MSG, t=msgpack.Timestamp.from_unix_nano(123456789))])
    (q,) = parse.parse_market_data(msgpack.unpackb(packed), instrument_of, 0)
    assert q.ts_event == 123456789


def test_parse_quote_zero_size_unknown_becomes_unlimited() -> None:
    q = parse.parse_quote(dict(P.QUOTE_MSG, bs=0, **{"as": 0}), AAPL, 0, zero_size_unknown=True)
    assert (q.bid_lots, q.ask_lots) == (None, None)


def test_parse_quote_off_grid_price_raises_malformed_naming_field() -> None:
    with pytest.raises(MalformedMessage) as info:
        parse.parse_quote(dict(P.QUOTE_MSG, bp=126.545), AAPL, 0)
    assert info.value.field == "bp"


# --- errors -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (422, Unprocessable),
        (429, RateLimited),
        (500, ServerError),
        (503, ServerError),
        (400, AlpacaError),
    ],
)
def test_error_from_response_types_each_status(status: int, cls: type) -> None:
    body = P.ERRORS.get(status, {"code": status * 100000, "message": "nope"})
    err = error_from_response(status, body)
    assert type(err) is cls and err.status == status
    assert err.code == body["code"] and err.message == body["message"]


def test_error_from_response_rate_limit_reads_retry_after_and_reset() -> None:
    err = error_from_response(
        429,
        b'{"code": 42910000, "message": "rate limit exceeded"}',
        {"Retry-After": "2", "X-RateLimit-Reset": "1700000000"},
    )
    assert isinstance(err, RateLimited)
    assert (err.retry_after, err.reset_at, err.code) == (2.0, 1700000000, 42910000)


def test_error_from_response_non_json_and_empty_bodies() -> None:
    assert (
        error_from_response(502, "<html>bad gateway</html>").message == "<html>bad gateway</html>"
    )
    empty = error_from_response(500, "")
    assert empty.code is None and empty.message == ""


def test_error_messages_never_carry_secrets() -> None:
    key, secret = "PKABCDEF123456", "s3cr3t-S3CR3T-value"
    body = {
        "code": 40110000,
        "message": f"bad key {key} with secret_key={secret} APCA-API-SECRET-KEY: {secret}",
    }
    err = error_from_response(401, body, secrets=(key, secret))
    for text in (str(err), repr(err), err.message):
        assert key not in text and secret not in text
    assert redact("token=abc123 ok", ()) == "token=<redacted> ok"
    long = error_from_response(500, {"message": "x" * 5000})
    assert len(long.message) < 400
