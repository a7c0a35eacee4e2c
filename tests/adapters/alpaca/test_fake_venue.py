"""The fake Alpaca venue (``live.fakes.alpaca``) driven by the official alpaca-py client.

The SDK parses every REST answer and stream message into its own pydantic models, so a shape
the fake gets wrong fails here. The venue runs in a thread (``VenueThread``) because the SDK's
REST client blocks; streams run in this thread's event loop with bounded waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
import requests
import websockets

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # websockets.legacy, used by alpaca-py
    from alpaca.common.exceptions import APIError
    from alpaca.data.live.stock import StockDataStream
    from alpaca.trading.client import TradingClient
    from alpaca.trading.enums import OrderClass, OrderSide, QueryOrderStatus, TimeInForce
    from alpaca.trading.models import Order as APOrder
    from alpaca.trading.requests import (
        GetOrdersRequest,
        LimitOrderRequest,
        MarketOrderRequest,
        ReplaceOrderRequest,
        StopLimitOrderRequest,
        StopLossRequest,
        StopOrderRequest,
        TakeProfitRequest,
        TrailingStopOrderRequest,
    )
    from alpaca.trading.stream import TradingStream

from kernel.events import OrderAccepted, OrderFilled, QuoteTick
from kernel.units import Instrument
from live.adapters.alpaca import parse
from live.adapters.alpaca.errors import RateLimited, ServerError, error_from_response
from live.fakes.alpaca import ConfigError, FakeAlpacaConfig, SymbolFeed, VenueThread, parse_faults
from live.fakes.alpaca.faults import Faults

pytestmark = [pytest.mark.network, pytest.mark.timeout(30)]

KEY, SECRET = "test-key-id", "test-secret-key"
XYZ = Instrument("XYZ", "0.01", "1")
T0 = "2024-01-02T14:30:0"
ROWS = [  # ts, bid, ask, bid size, ask size
    (f"{T0}0Z", "100.00", "100.02", 500, 700),
    (f"{T0}1Z", "100.01", "100.03", 500, 700),
    (f"{T0}2Z", "100.02", "100.04", 500, 700),
    (f"{T0}3Z", "99.90", "99.95", 500, 700),
    (f"{T0}4Z", "100.10", "100.12", 500, 700),
]
HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}


def write_quotes(path: Path, rows: list[tuple[Any, ...]] = ROWS) -> Path:
    lines = ["ts,bid_px,ask_px,bid_sz,ask_sz", *(",".join(map(str, r)) for r in rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def make_venue(tmp_path: Path):  # type: ignore[no-untyped-def]
    started: list[VenueThread] = []

    def make(rows: list[tuple[Any, ...]] = ROWS, **kw: Any) -> VenueThread:
        kw.setdefault("start_paused", True)
        cfg = FakeAlpacaConfig(
            data=write_quotes(tmp_path / f"q{len(started)}.csv", rows),
            symbol="XYZ",
            key=KEY,
            secret=SECRET,
            **kw,
        )
        venue = VenueThread(cfg)
        started.append(venue)
        return venue

    yield make
    for venue in started:
        venue.close()


def client(venue: VenueThread) -> TradingClient:
    c = TradingClient(KEY, SECRET, paper=True, url_override=venue.base_url)
    c._retry = 0  # why: the SDK sleeps 3 s before retrying a 429/504; tests want the answer
    return c


def buy(qty: int, **kw: Any) -> MarketOrderRequest:
    return MarketOrderRequest(
        symbol="XYZ", qty=qty, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, **kw
    )


def sell(qty: int, **kw: Any) -> MarketOrderRequest:
    return MarketOrderRequest(
        symbol="XYZ", qty=qty, side=OrderSide.SELL, time_in_force=TimeInForce.DAY, **kw
    )


def limit(side: OrderSide, qty: int, price: float, **kw: Any) -> LimitOrderRequest:
    kw.setdefault("time_in_force", TimeInForce.GTC)
    return LimitOrderRequest(symbol="XYZ", qty=qty, side=side, limit_price=price, **kw)


# --- REST through alpaca-py -----------------------------------------------------------------------
def test_submit_every_order_type_answers_alpaca_py_orders(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    venue.advance(1)  # touch 100.00 / 100.02
    c = client(venue)
    m = c.submit_order(buy(10, client_order_id="m1"))
    assert isinstance(m, APOrder) and m.status == "filled"
    assert (m.filled_qty, m.filled_avg_price, m.client_order_id) == ("10", "100.02", "m1")
    lim = c.submit_order(limit(OrderSide.BUY, 5, 99.5))
    assert (lim.status, lim.limit_price, lim.type) == ("new", "99.5", "limit")
    stop = c.submit_order(
        StopOrderRequest(
            symbol="XYZ", qty=5, side=OrderSide.SELL, time_in_force=TimeInForce.GTC, stop_price=99
        )
    )
    assert (stop.status, stop.stop_price, stop.type) == ("new", "99", "stop")
    sl = c.submit_order(
        StopLimitOrderRequest(
            symbol="XYZ",
            qty=5,
            side=OrderSide.SELL,
            time_in_force=TimeInForce.GTC,
            stop_price=99,
            limit_price=98.9,
        )
    )
    assert (sl.status, sl.stop_price, sl.limit_price) == ("new", "99", "98.9")
    trail = c.submit_order(
        TrailingStopOrderRequest(
            symbol="XYZ", qty=5, side=OrderSide.SELL, time_in_force=TimeInForce.GTC, trail_price=0.5
        )
    )
    assert (trail.status, trail.trail_price, trail.hwm, trail.stop_price) == (
        "new",
        "0.5",
        "100",
        "99.5",
    )
    pct = c.submit_order(
        TrailingStopOrderRequest(
            symbol="XYZ", qty=5, side=OrderSide.SELL, time_in_force=TimeInForce.GTC, trail_percent=1
        )
    )
    assert (pct.status, pct.trail_percent, pct.stop_price) == ("new", "1", "99")
    br = c.submit_order(
        buy(
            3,
            order_class=OrderClass.BRACKET,
            take_profit=TakeProfitRequest(limit_price=101),
            stop_loss=StopLossRequest(stop_price=99),
        )
    )
    assert br.status == "filled" and br.order_class == "bracket"
    assert [(leg.type, leg.side, leg.status) for leg in br.legs] == [
        ("limit", "sell", "new"),
        ("stop", "sell", "new"),
    ]  # released by the entry's fill
    assert len({o.id for o in (m, lim, stop, sl, trail, pct, br)}) == 7


def test_queries_replace_cancel_and_duplicates_via_alpaca_py(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    venue.advance(1)
    c = client(venue)
    first = c.submit_order(limit(OrderSide.BUY, 5, 99.5, client_order_id="l1"))
    assert [o.id for o in c.get_orders()] == [first.id]
    assert c.get_order_by_client_id("l1").id == first.id
    new = c.replace_order_by_id(first.id, ReplaceOrderRequest(qty=7, limit_price=99.6))
    assert new.id != first.id and str(new.replaces) == str(first.id)
    assert (new.qty, new.limit_price, new.status) == ("7", "99.6", "new")
    old = c.get_order_by_id(first.id)
    assert old.status == "replaced" and str(old.replaced_by) == str(new.id)
    c.cancel_order_by_id(new.id)
    assert c.get_order_by_id(new.id).status == "canceled"
    with pytest.raises(APIError) as again:
        c.cancel_order_by_id(new.id)
    assert again.value.status_code == 422
    with pytest.raises(APIError) as dup:
        c.submit_order(limit(OrderSide.BUY, 1, 99, client_order_id="l1"))
    assert (dup.value.status_code, dup.value.code) == (422, 40010001)
    closed = c.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED))
    assert {o.status for o in closed} == {"replaced", "canceled"}
    with pytest.raises(APIError) as missing:
        c.get_order_by_client_id("nope")
    assert missing.value.status_code == 404


def test_positions_account_and_clock_via_alpaca_py(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    venue.advance(1)
    c = client(venue)
    with pytest.raises(APIError) as flat:
        c.get_open_position("XYZ")
    assert flat.value.status_code == 404
    c.submit_order(buy(10))  # 100.02
    c.submit_order(sell(4))  # 100.00
    (pos,) = c.get_all_positions()
    assert (pos.symbol, pos.qty, pos.side, pos.avg_entry_price) == ("XYZ", "6", "long", "100.02")
    assert c.get_open_position("XYZ").current_price == "100.01"  # the mid
    acct = c.get_account()
    assert acct.cash == "99399.8"  # 100000 - 1000.2 + 400: exact
    clock = c.get_clock()
    assert clock.is_open and clock.timestamp.isoformat() == "2024-01-02T14:30:00+00:00"
    state = venue.state()
    assert state["positions"] == {"XYZ": "6"} and len(state["fills"]) == 2


def test_cancel_all_close_positions_assets_and_activities(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    venue.advance(1)
    c = client(venue)
    c.submit_order(buy(10))
    venue.advance(1)
    c.submit_order(buy(5))
    open_ids = {str(c.submit_order(limit(OrderSide.BUY, 1, 90)).id) for _ in range(2)}
    canceled = c.cancel_orders()  # alpaca-py parses the 207 into CancelOrderResponse models
    assert {str(r.id) for r in canceled} == open_ids and {r.status for r in canceled} == {200}
    assert c.get_asset("XYZ").symbol == "XYZ"
    r = requests.get(
        venue.base_url + "/v2/account/activities/FILL",
        headers=HEADERS,
        params={"direction": "asc"},
        timeout=5,
    )
    acts = [parse.parse_fill_activity(a, {"XYZ": XYZ}.get) for a in r.json()]
    fills = venue.state()["fills"]
    assert [a.execution_id for a in acts] == [f["execution_id"] for f in fills]  # type: ignore[union-attr]
    assert [(a.qty_lots, a.price_ticks) for a in acts] == [(10, 10002), (5, 10003)]  # type: ignore[union-attr]
    later = requests.get(
        venue.base_url + "/v2/account/activities/FILL",
        headers=HEADERS,
        params={"after": fills[0]["timestamp"]},
        timeout=5,
    ).json()
    assert [a["order_id"] for a in later] == [fills[1]["order_id"]]  # exact to the ns
    (closed,) = c.close_all_positions()
    assert closed.symbol == "XYZ" and closed.body.side == "sell" and closed.body.qty == "15"
    state = requests.get(venue.base_url + "/_fake/state", timeout=5).json()
    assert state["positions"] == {"XYZ": "0"} and state["replayed"] == 2


def test_rest_auth_missing_is_401_wrong_is_403(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    r = requests.get(venue.base_url + "/v2/account", timeout=5)
    assert r.status_code == 401 and r.json()["code"] == 40110000
    bad = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": "wrong"}
    r = requests.get(venue.base_url + "/v2/account", headers=bad, timeout=5)
    assert r.status_code == 403 and set(r.json()) == {"code", "message"}
    assert SECRET not in r.text


# --- the venue's clock is the data -----------------------------------------------------------------------
def test_resting_limit_fills_on_later_quote_stamped_with_data_time(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    venue.advance(1)
    c = client(venue)
    o = c.submit_order(limit(OrderSide.BUY, 5, 99.96))
    assert o.status == "new" and o.created_at.isoformat() == "2024-01-02T14:30:00+00:00"
    venue.advance(2)
    assert c.get_order_by_id(o.id).status == "new"
    venue.advance(1)  # ask 99.95 < 99.96: fills at its own limit
    done = c.get_order_by_id(o.id)
    assert (done.status, done.filled_avg_price) == ("filled", "99.96")
    assert done.filled_at.isoformat() == "2024-01-02T14:30:03+00:00"


def test_after_the_data_ends_the_venue_stays_up_and_orders_rest(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(start_paused=False, step_ms=0, start="now")
    deadline = time.monotonic() + 10
    while not venue.stats()["replay_done"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert venue.stats()["replayed"] == 5
    c = client(venue)
    assert c.submit_order(limit(OrderSide.BUY, 1, 99)).status == "new"
    m = c.submit_order(buy(2))
    assert (m.status, m.filled_avg_price) == ("filled", "100.12")  # the last touch
    assert c.get_clock().timestamp.isoformat() == "2024-01-02T14:30:04+00:00"


def test_day_order_expires_at_utc_midnight(make_venue) -> None:  # type: ignore[no-untyped-def]
    rows = [
        ("2024-01-02T23:59:59Z", "100.00", "100.02", 5, 5),
        ("2024-01-03T00:00:01Z", "100.00", "100.02", 5, 5),
    ]
    venue = make_venue(rows)
    venue.advance(1)
    c = client(venue)
    o = c.submit_order(
        LimitOrderRequest(
            symbol="XYZ", qty=1, side=OrderSide.BUY, limit_price=99, time_in_force=TimeInForce.DAY
        )
    )
    venue.advance(1)
    done = c.get_order_by_id(o.id)
    assert done.status == "expired" and done.expired_at.isoformat() == "2024-01-03T00:00:00+00:00"


# --- order classes -----------------------------------------------------------------------------------------
def test_bracket_legs_held_until_entry_fills_then_one_cancels_other(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    venue.advance(1)
    c = client(venue)
    br = c.submit_order(
        limit(
            OrderSide.BUY,
            3,
            99.95,
            order_class=OrderClass.BRACKET,
            take_profit=TakeProfitRequest(limit_price=100.10),
            stop_loss=StopLossRequest(stop_price=99),
        )
    )
    assert br.status == "new" and [leg.status for leg in br.legs] == ["held", "held"]
    venue.advance(3)  # ask 99.95: the entry fills; the legs go live
    legs = c.get_order_by_id(br.id).legs
    assert [leg.status for leg in legs] == ["new", "new"]
    venue.advance(1)  # bid 100.10: the take-profit fills, the stop-loss is canceled
    tp, sl = (c.get_order_by_id(leg.id) for leg in legs)
    assert (tp.status, tp.filled_avg_price, sl.status) == ("filled", "100.1", "canceled")
    assert venue.state()["positions"] == {"XYZ": "0"}


def test_oco_both_legs_live_a_stop_fill_cancels_the_limit(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    venue.advance(1)
    c = client(venue)
    c.submit_order(buy(5))
    oco = c.submit_order(
        LimitOrderRequest(
            symbol="XYZ",
            qty=5,
            side=OrderSide.SELL,
            time_in_force=TimeInForce.GTC,
            order_class=OrderClass.OCO,
            take_profit=TakeProfitRequest(limit_price=100.10),
            stop_loss=StopLossRequest(stop_price=99.95),
        )
    )
    assert (oco.status, oco.limit_price, oco.legs[0].status) == ("new", "100.1", "new")
    venue.advance(3)  # bid 99.90 <= 99.95: the stop triggers and sells at the bid
    tp, sl = c.get_order_by_id(oco.id), c.get_order_by_id(oco.legs[0].id)
    assert (sl.status, sl.filled_avg_price, tp.status) == ("filled", "99.9", "canceled")


def test_oto_leg_released_when_entry_fills(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    venue.advance(1)
    c = client(venue)
    oto = c.submit_order(
        buy(2, order_class=OrderClass.OTO, stop_loss=StopLossRequest(stop_price=99.95))
    )
    assert oto.status == "filled" and oto.legs[0].status == "new"
    venue.advance(3)
    assert c.get_order_by_id(oto.legs[0].id).status == "filled"


# --- streams -------------------------------------------------------------------------------------------
async def _until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.02)


async def _stop(task: asyncio.Task[Any], stream: Any) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
        await asyncio.wait_for(task, 5)
    await stream.close()


def test_trading_stream_alpaca_py_receives_trade_updates(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    venue.advance(1)

    async def main() -> list[Any]:
        got: list[Any] = []
        stream = TradingStream(KEY, SECRET, paper=True, url_override=venue.stream_url)

        async def on_update(update: Any) -> None:
            got.append(update)

        stream.subscribe_trade_updates(on_update)
        task = asyncio.ensure_future(stream._run_forever())
        try:
            await _until(lambda: venue.stats()["trade_listeners"] == 1)
            await asyncio.to_thread(client(venue).submit_order, buy(10, client_order_id="s1"))
            await _until(lambda: len(got) >= 2)
        finally:
            await _stop(task, stream)
        return got

    got = asyncio.run(main())
    assert [(u.event, u.order.status) for u in got] == [("new", "new"), ("fill", "filled")]
    fill = got[1]
    assert (fill.price, fill.qty, fill.position_qty, fill.order.client_order_id) == (
        100.02,
        10,
        10,
        "s1",
    )
    assert str(fill.execution_id) == venue.state()["fills"][0]["execution_id"]


async def _trade_socket(url: str, key: str = KEY, secret: str = SECRET) -> Any:
    ws = await websockets.connect(url)
    await ws.send(
        json.dumps({"action": "authenticate", "data": {"key_id": key, "secret_key": secret}})
    )
    auth = json.loads(await asyncio.wait_for(ws.recv(), 5))
    await ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
    listening = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return ws, auth, listening


async def _drain(ws: Any, quiet: float = 0.4) -> list[dict[str, Any]]:
    out = []
    while True:
        try:
            out.append(json.loads(await asyncio.wait_for(ws.recv(), quiet)))
        except (TimeoutError, websockets.ConnectionClosed):
            return out


def _stream_run(venue: VenueThread, orders: list[Any]) -> tuple[list[dict[str, Any]], Any]:
    """Listen raw, place ``orders``, collect what arrives; return (messages, socket state)."""

    async def main() -> tuple[list[dict[str, Any]], Any]:
        ws, _, _ = await _trade_socket(venue.stream_url)
        c = client(venue)
        for req in orders:
            await asyncio.to_thread(c.submit_order, req)
        msgs = await _drain(ws)
        closed = ws.close_code
        await ws.close()
        return msgs, closed

    return asyncio.run(main())


def test_trade_stream_handshake_and_our_parser_reads_every_message(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    venue.advance(1)

    async def handshake() -> tuple[Any, Any, Any]:
        ws, auth, listening = await _trade_socket(venue.stream_url)
        await ws.close()
        bad, bad_auth, refused = await _trade_socket(venue.stream_url, secret="wrong")
        await bad.close()
        return (auth, listening), bad_auth, refused

    (auth, listening), bad_auth, refused = asyncio.run(handshake())
    assert auth == {
        "stream": "authorization",
        "data": {"status": "authorized", "action": "authenticate"},
    }
    assert listening == {"stream": "listening", "data": {"streams": ["trade_updates"]}}
    assert bad_auth["data"]["status"] == "unauthorized"
    assert refused["data"] == {"status": "unauthorized", "action": "listen"}
    msgs, _ = _stream_run(venue, [buy(10, client_order_id="k1"), limit(OrderSide.SELL, 10, 101)])
    events = [e for m in msgs for e in parse.parse_trade_update(m, {"XYZ": XYZ}.get, lambda c: c)]
    assert [type(e) for e in events] == [OrderAccepted, OrderFilled, OrderAccepted]
    fill = events[1]
    assert (fill.client_order_id, fill.price_ticks, fill.qty_lots) == ("k1", 10002, 10)
    assert fill.ts_event == parse.parse_timestamp(ROWS[0][0])


def test_data_stream_alpaca_py_receives_quotes_exactly(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()

    async def main() -> list[Any]:
        quotes: list[Any] = []
        stream = StockDataStream(KEY, SECRET, url_override=venue.data_url)

        async def on_quote(q: Any) -> None:
            quotes.append(q)

        stream.subscribe_quotes(on_quote, "XYZ")
        task = asyncio.ensure_future(stream._run_forever())
        try:
            await _until(lambda: venue.stats()["data_subscribers"] == 1)
            await asyncio.to_thread(venue.advance, 5)
            await _until(lambda: len(quotes) >= 5)
        finally:
            await _stop(task, stream)
        return quotes

    quotes = asyncio.run(main())
    got = [
        (q.timestamp.isoformat(), q.bid_price, q.ask_price, q.bid_size, q.ask_size) for q in quotes
    ]
    want = [(r[0].replace("Z", "+00:00"), float(r[1]), float(r[2]), r[3], r[4]) for r in ROWS]
    assert got == want


def test_data_stream_json_mode_parses_into_kernel_quotes(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()

    async def main() -> tuple[list[Any], list[Any]]:
        ws = await websockets.connect(venue.data_url)
        control = [json.loads(await ws.recv())]
        await ws.send(json.dumps({"action": "subscribe", "quotes": ["XYZ"]}))
        control.append(json.loads(await ws.recv()))  # not authenticated yet
        await ws.send(json.dumps({"action": "auth", "key": KEY, "secret": SECRET}))
        control.append(json.loads(await ws.recv()))
        await ws.send(json.dumps({"action": "subscribe", "quotes": ["XYZ"]}))
        control.append(json.loads(await ws.recv()))
        await asyncio.to_thread(venue.advance, 5)
        frames = []
        while sum(len(f) for f in frames) < 5:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        await ws.close()
        return control, frames

    control, frames = asyncio.run(main())
    assert control[0] == [{"T": "success", "msg": "connected"}]
    assert control[1] == [{"T": "error", "code": 401, "msg": "not authenticated"}]
    assert control[2] == [{"T": "success", "msg": "authenticated"}]
    assert control[3][0]["T"] == "subscription" and control[3][0]["quotes"] == ["XYZ"]
    quotes = [e for f in frames for e in parse.parse_market_data(f, {"XYZ": XYZ}.get, 0)]
    assert quotes == [
        QuoteTick(
            "XYZ", XYZ.price_to_ticks(b), XYZ.price_to_ticks(a), bs, az, parse.parse_timestamp(t), 0
        )
        for t, b, a, bs, az in ROWS
    ]


# --- faults -----------------------------------------------------------------------------------------------
def test_duplicate_fault_sends_each_update_twice(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(faults={"duplicate": 1.0})
    venue.advance(1)
    msgs, _ = _stream_run(venue, [buy(1)])
    assert [m["data"]["event"] for m in msgs] == ["new", "new", "fill", "fill"]
    assert msgs[2] == msgs[3]
    assert venue.stats()["faults"]["duplicate"] == 2


def test_drop_fault_loses_updates_but_not_the_order(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(faults={"drop": 1.0})
    venue.advance(1)
    msgs, _ = _stream_run(venue, [buy(1)])
    assert msgs == []
    assert venue.stats()["faults"]["drop"] == 2
    assert venue.state()["orders"][0]["status"] == "filled"


def test_reorder_fault_delivers_the_next_message_first(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    venue.advance(1)
    venue.force_fault("reorder")
    msgs, _ = _stream_run(venue, [buy(1)])
    assert [m["data"]["event"] for m in msgs] == ["fill", "new"]
    assert venue.stats()["faults"]["reorder"] == 1


def test_silence_fault_keeps_the_socket_open_and_sends_nothing(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    venue.advance(1)
    venue.force_fault("silence")
    msgs, close_code = _stream_run(venue, [buy(1), buy(1)])
    assert msgs == [] and close_code is None
    stats = venue.stats()
    assert stats["faults"]["silence"] == 1 and stats["silenced_messages"] == 4


def test_disconnect_fault_closes_the_socket(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    venue.advance(1)
    venue.force_fault("disconnect")
    msgs, close_code = _stream_run(venue, [buy(1)])
    assert msgs == [] and close_code == 1001
    assert venue.stats()["faults"]["disconnect"] == 1


def test_http_429_fault_answers_alpaca_rate_limit_body(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(faults={"http_429": 1.0})
    r = requests.get(venue.base_url + "/v2/account", headers=HEADERS, timeout=5)
    assert r.status_code == 429
    assert r.json() == {"code": 42910000, "message": "rate limit exceeded"}
    err = error_from_response(r.status_code, r.text, dict(r.headers))
    assert isinstance(err, RateLimited) and err.retry_after == 1.0 and err.reset_at is not None
    assert venue.stats()["faults"]["http_429"] == 1


def test_http_5xx_fault_answers_server_error_and_does_nothing(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(faults={"http_5xx": 1.0})
    venue.advance(1)
    body = {"symbol": "XYZ", "qty": "1", "side": "buy", "type": "market", "time_in_force": "day"}
    r = requests.post(venue.base_url + "/v2/orders", json=body, headers=HEADERS, timeout=5)
    assert r.status_code in (500, 502, 503, 504)
    assert isinstance(error_from_response(r.status_code, r.text), ServerError)
    assert venue.state()["orders"] == []
    assert venue.stats()["faults"]["http_5xx"] == 1


@pytest.mark.parametrize("mode", ["delay", "drop"])
def test_submit_timeout_fault_places_the_order_without_answering_in_time(
    make_venue, mode: str
) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(faults={"submit_timeout": 1.0}, submit_timeout_mode=mode, timeout_s=3.0)
    venue.advance(1)
    body = {
        "symbol": "XYZ",
        "qty": "1",
        "side": "buy",
        "type": "limit",
        "limit_price": "99",
        "time_in_force": "gtc",
        "client_order_id": "t1",
    }
    with pytest.raises(requests.exceptions.RequestException):
        requests.post(venue.base_url + "/v2/orders", json=body, headers=HEADERS, timeout=0.5)
    venue.set_faults({})
    r = requests.get(
        venue.base_url + "/v2/orders:by_client_order_id",
        params={"client_order_id": "t1"},
        headers=HEADERS,
        timeout=5,
    )
    assert r.status_code == 200 and r.json()["status"] == "new"
    stats = requests.get(venue.base_url + "/_fake/stats", timeout=5).json()
    assert stats["faults"]["submit_timeout"] == 1 and stats["venue"]["orders"] == 1


def test_fault_streams_are_seeded_and_independent() -> None:
    def rolls(faults: Faults, kind: str) -> list[bool]:
        return [faults.roll(kind) for _ in range(200)]

    a = rolls(Faults(7, {"drop": 0.3}), "drop")
    assert a == rolls(Faults(7, {"drop": 0.3}), "drop")
    assert a != rolls(Faults(8, {"drop": 0.3}), "drop")
    both = Faults(7, {"drop": 0.3, "duplicate": 0.5})
    interleaved = [(both.roll("drop"), both.roll("duplicate"))[0] for _ in range(200)]
    assert interleaved == a  # turning another fault on does not shift this one
    assert Faults(7, {"drop": 0.3}).roll("http_429") is False
    f = Faults(1, {})
    f.force("drop", 2)
    assert [f.roll("drop") for _ in range(3)] == [True, True, False]
    assert f.injected["drop"] == 2


# --- config, ids, the command ---------------------------------------------------------------------------
def test_config_from_cli_and_errors(tmp_path: Path) -> None:
    path = write_quotes(tmp_path / "q.csv")
    cfg = FakeAlpacaConfig.from_cli(
        [
            "--data",
            str(path),
            "--port",
            "0",
            "--faults",
            "drop=0.1,http_429=0.05",
            "--step-ms",
            "1",
            "--seed",
            "3",
        ]
    )
    assert (cfg.data, cfg.port, cfg.step_ms, cfg.seed) == (path, 0, 1.0, 3)
    assert cfg.faults == {"drop": 0.1, "http_429": 0.05}
    assert parse_faults("") == {}
    for bad in (
        {"faults": {"nope": 0.1}},
        {"faults": {"drop": 2}},
        {"host": "0.0.0.0"},
        {"kind": "book"},
        {"kind": "bars"},
        {"tick_size": "0"},
    ):
        with pytest.raises(ConfigError):
            FakeAlpacaConfig(**bad)
    with pytest.raises(ConfigError):
        parse_faults("drop")


def test_ids_are_deterministic_per_seed(make_venue) -> None:  # type: ignore[no-untyped-def]
    def ids(seed: int) -> list[str]:
        venue = make_venue(seed=seed)
        venue.advance(1)
        c = client(venue)
        c.submit_order(buy(1))
        c.submit_order(limit(OrderSide.BUY, 1, 99))
        state = venue.state()
        return [o["id"] for o in state["orders"]] + [f["execution_id"] for f in state["fills"]]

    first = ids(1)
    assert first == ids(1) and first != ids(2)
    assert all(len(i) == 36 and i.count("-") == 4 for i in first)


def test_run_venue_command_serves_until_stopped(tmp_path: Path) -> None:
    path = write_quotes(tmp_path / "q.csv")
    code = (
        "from live.fakes.alpaca import FakeAlpacaConfig, run_venue; import sys; "
        "run_venue(FakeAlpacaConfig.from_cli(sys.argv[1:]))"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "--data",
            str(path),
            "--port",
            "0",
            "--key",
            KEY,
            "--secret",
            SECRET,
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        urls = json.loads(line)
        assert SECRET not in line and KEY not in line
        r = requests.get(urls["base_url"] + "/v2/clock", headers=HEADERS, timeout=5)
        assert r.status_code == 200 and r.json()["is_open"] is True
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()  # type: ignore[union-attr]


# --- start on connect, loop, speed --------------------------------------------------------------------
def _wait_stats(venue: VenueThread, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        stats = venue.stats()
        if predicate(stats) or time.monotonic() > deadline:
            return stats
        time.sleep(0.01)


def test_on_connect_replays_nothing_until_a_rest_client_comes(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(start_paused=False, step_ms=1)
    time.sleep(0.5)  # at 1 ms a step the 5 rows would be long gone
    stats = requests.get(venue.base_url + "/_fake/stats", timeout=5).json()  # does not count
    assert (stats["replayed"], stats["replay_started"], stats["waiting_for_client"]) == (
        0,
        False,
        True,
    )
    requests.get(venue.base_url + "/v2/account", timeout=5)  # no keys: not a client
    time.sleep(0.1)
    assert venue.stats()["replayed"] == 0
    r = requests.get(venue.base_url + "/v2/account", headers=HEADERS, timeout=5)
    assert r.status_code == 200
    stats = _wait_stats(venue, lambda s: s["replay_done"])
    assert (stats["replayed"], stats["replay_started"], stats["waiting_for_client"]) == (
        5,
        True,
        False,
    )


def test_on_connect_a_data_stream_client_starts_the_replay_and_gets_quotes(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(start_paused=False, step_ms=100)
    time.sleep(0.3)
    assert venue.stats()["replayed"] == 0

    async def main() -> list[dict[str, Any]]:
        ws = await websockets.connect(venue.data_url)
        await ws.recv()
        await ws.send(json.dumps({"action": "auth", "key": KEY, "secret": SECRET}))
        await ws.recv()
        await ws.send(json.dumps({"action": "subscribe", "quotes": ["XYZ"]}))
        await ws.recv()
        quotes: list[dict[str, Any]] = []
        while len(quotes) < 3:
            quotes.extend(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        await ws.close()
        return quotes

    quotes = asyncio.run(main())
    assert all(q["T"] == "q" and q["S"] == "XYZ" for q in quotes)
    assert venue.stats()["replay_started"] is True


def test_start_now_replays_at_once(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(start_paused=False, step_ms=1, start="now")
    stats = _wait_stats(venue, lambda s: s["replay_done"], timeout=5)
    assert stats["replayed"] == 5 and stats["requests"] == 0 and stats["data_connections"] == 0


def test_start_paused_wins_over_on_connect(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(step_ms=1)  # start_paused=True
    assert requests.get(venue.base_url + "/v2/account", headers=HEADERS, timeout=5).ok
    time.sleep(0.2)
    assert venue.stats()["replayed"] == 0
    assert venue.advance(2) == 2
    venue.resume()
    assert _wait_stats(venue, lambda s: s["replay_done"])["replayed"] == 5


def test_loop_keeps_replaying_with_time_going_forward(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(start_paused=False, step_ms=2, loop=True)

    async def main() -> list[dict[str, Any]]:
        ws = await websockets.connect(venue.data_url)  # connecting starts the replay
        await ws.recv()
        await ws.send(json.dumps({"action": "auth", "key": KEY, "secret": SECRET}))
        await ws.recv()
        await ws.send(json.dumps({"action": "subscribe", "quotes": ["XYZ"]}))
        await ws.recv()
        quotes: list[dict[str, Any]] = []
        while len(quotes) < 17:
            quotes.extend(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        await ws.close()
        return quotes

    quotes = asyncio.run(main())
    stamps = [parse.parse_timestamp(q["t"]) for q in quotes]
    assert all(b > a for a, b in itertools.pairwise(stamps))
    assert stamps[-1] > parse.parse_timestamp(ROWS[-1][0]) + 5 * 10**9  # past a whole pass
    # each pass is shifted by the span (4 s) plus the mean gap (1 s): the grid continues
    assert all((b - a) == 10**9 for a, b in itertools.pairwise(stamps))
    stats = venue.stats()
    assert stats["replay_passes"] >= 2 and not stats["replay_done"]
    c = client(venue)
    first = c.submit_order(buy(1))
    _wait_stats(venue, lambda s: s["replayed"] > stats["replayed"] + 6)
    second = c.submit_order(buy(1))
    assert second.filled_at > first.filled_at
    fills = venue.state()["fills"]
    assert len({f["execution_id"] for f in fills}) == 2
    assert c.get_clock().timestamp > first.filled_at


def test_speed_paces_by_the_data_timestamps_with_a_capped_gap(tmp_path: Path) -> None:
    rows = [  # gaps 0.2 s, 0.2 s, 1.0 s, then one hour (capped)
        ("2024-01-02T14:30:00.000Z", "100.00", "100.02", 5, 5),
        ("2024-01-02T14:30:00.200Z", "100.00", "100.02", 5, 5),
        ("2024-01-02T14:30:00.400Z", "100.00", "100.02", 5, 5),
        ("2024-01-02T14:30:01.400Z", "100.00", "100.02", 5, 5),
        ("2024-01-02T15:30:01.400Z", "100.00", "100.02", 5, 5),
    ]
    cfg = FakeAlpacaConfig(
        data=write_quotes(tmp_path / "gaps.csv", rows),
        symbol="XYZ",
        speed=2.0,
        max_wait_s=0.6,
        start="now",
    )
    t0 = time.monotonic()
    with VenueThread(cfg) as venue:
        stats = _wait_stats(venue, lambda s: s["replay_done"], timeout=10)
        elapsed = time.monotonic() - t0
    assert stats["replayed"] == 5
    assert 1.2 <= elapsed <= 3.0  # 1.4 s of data at 2x = 0.7 s, plus the hour capped at 0.6 s
    with pytest.raises(ConfigError):
        FakeAlpacaConfig(speed=2.0, step_ms=5)
    with pytest.raises(ConfigError):
        FakeAlpacaConfig(speed=0)
    assert FakeAlpacaConfig().step_ms == 5.0  # the default pace


# --- several symbols -------------------------------------------------------------------------------------
def test_two_symbols_stream_trade_and_hold_positions(tmp_path: Path) -> None:
    aaa = write_quotes(tmp_path / "aaa.csv", ROWS[:3])
    bbb_rows = [
        (f"{T0}0.5Z", "50.000", "50.010", 100, 100),
        (f"{T0}1.5Z", "50.005", "50.015", 100, 100),
    ]
    bbb = write_quotes(tmp_path / "bbb.csv", bbb_rows)
    cfg = FakeAlpacaConfig(
        symbols=[SymbolFeed("AAA", aaa, "0.01", "1"), SymbolFeed("BBB", bbb, "0.005", "10")],
        key=KEY,
        secret=SECRET,
        start_paused=True,
    )
    with VenueThread(cfg) as venue:

        async def main() -> list[dict[str, Any]]:
            ws = await websockets.connect(venue.data_url)
            await ws.recv()
            await ws.send(json.dumps({"action": "auth", "key": KEY, "secret": SECRET}))
            await ws.recv()
            await ws.send(json.dumps({"action": "subscribe", "quotes": ["AAA", "BBB"]}))
            await ws.recv()
            await asyncio.to_thread(venue.advance, 5)
            quotes: list[dict[str, Any]] = []
            while len(quotes) < 5:
                quotes.extend(json.loads(await asyncio.wait_for(ws.recv(), 5)))
            await ws.close()
            return quotes

        quotes = asyncio.run(main())
        assert [q["S"] for q in quotes] == ["AAA", "BBB", "AAA", "BBB", "AAA"]  # merged by time
        assert [q["bp"] for q in quotes if q["S"] == "BBB"] == [50, 50.005]
        c = client(venue)
        a = c.submit_order(
            MarketOrderRequest(symbol="AAA", qty=3, side=OrderSide.BUY, time_in_force="day")
        )
        b = c.submit_order(
            MarketOrderRequest(symbol="BBB", qty=20, side=OrderSide.SELL, time_in_force="day")
        )
        assert (a.status, a.filled_avg_price, b.status, b.filled_avg_price) == (
            "filled",
            "100.04",
            "filled",
            "50.005",
        )
        with pytest.raises(APIError) as odd:  # off BBB's lot grid
            c.submit_order(
                MarketOrderRequest(symbol="BBB", qty=5, side=OrderSide.BUY, time_in_force="day")
            )
        assert odd.value.status_code == 422
        with pytest.raises(APIError) as unknown:
            c.submit_order(
                MarketOrderRequest(symbol="CCC", qty=1, side=OrderSide.BUY, time_in_force="day")
            )
        assert unknown.value.status_code == 422
        positions = {p.symbol: (p.qty, p.side, p.avg_entry_price) for p in c.get_all_positions()}
        assert positions == {"AAA": ("3", "long", "100.04"), "BBB": ("-20", "short", "50.005")}
        assert c.get_open_position("BBB").market_value == "-1000.2"  # 20 x mid 50.01
        asset = requests.get(venue.base_url + "/v2/assets/BBB", headers=HEADERS, timeout=5).json()
        assert (asset["price_increment"], asset["min_trade_increment"]) == (0.005, 10)
        assert asset["min_order_size"] == 10
        assets = requests.get(venue.base_url + "/v2/assets", headers=HEADERS, timeout=5).json()
        assert [x["symbol"] for x in assets] == ["AAA", "BBB"]
        closed = c.close_all_positions()
        assert sorted((r.symbol, r.body.side, r.body.qty) for r in closed) == [
            ("AAA", "sell", "3"),
            ("BBB", "buy", "20"),
        ]
        assert venue.state()["positions"] == {"AAA": "0", "BBB": "0"}
    with pytest.raises(ConfigError):
        FakeAlpacaConfig(symbols=[SymbolFeed("AAA"), SymbolFeed("AAA")])


# --- rest_down and mute -------------------------------------------------------------------------------
def test_rest_down_answers_503_or_drops_for_a_while_then_recovers(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(rest_down_s=1.5)
    venue.advance(1)
    venue.force_fault("rest_down")
    t0 = time.monotonic()
    outcomes = []
    for _ in range(12):
        try:
            r = requests.get(venue.base_url + "/v2/account", headers=HEADERS, timeout=2)
            outcomes.append(r.status_code)
            if r.status_code == 503:
                assert r.json() == {"code": 50300000, "message": "service unavailable"}
        except requests.exceptions.ConnectionError:
            outcomes.append("dropped")
    assert time.monotonic() - t0 < 1.5  # all inside the window
    assert set(outcomes) == {503, "dropped"}  # a seeded choice each

    async def stream_up() -> Any:  # the streams keep working while REST is down
        ws, auth, listening = await _trade_socket(venue.stream_url)
        await ws.close()
        return auth["data"]["status"], listening["data"]["streams"]

    assert asyncio.run(stream_up()) == ("authorized", ["trade_updates"])
    stats = requests.get(venue.base_url + "/_fake/stats", timeout=5).json()  # not affected
    assert stats["faults"]["rest_down"] == 1
    assert stats["rest_down_refused"] + stats["rest_down_dropped"] == 12
    assert stats["rest_down_refused"] == outcomes.count(503)
    # the window runs from the first request's arrival at the venue, a little after t0 (more on
    # a loaded machine): wait it out, then REST answers again within moments
    time.sleep(max(0.0, 1.55 - (time.monotonic() - t0)))
    deadline = time.monotonic() + 3
    while True:
        try:
            r = requests.get(venue.base_url + "/v2/account", headers=HEADERS, timeout=2)
            if r.status_code == 200:
                break
        except requests.exceptions.ConnectionError:
            pass
        assert time.monotonic() < deadline, "REST did not come back after the window"
        time.sleep(0.05)


def test_rest_down_is_seeded(make_venue) -> None:  # type: ignore[no-untyped-def]
    def run(seed: int) -> list[Any]:
        venue = make_venue(rest_down_s=0.5, seed=seed, faults={"rest_down": 0.3})
        out: list[Any] = []
        for _ in range(8):
            try:
                out.append(
                    requests.get(
                        venue.base_url + "/v2/clock", headers=HEADERS, timeout=2
                    ).status_code
                )
            except requests.exceptions.ConnectionError:
                out.append("dropped")
        return out

    first = run(5)
    assert first == run(5) and any(x != 200 for x in first)


def test_mute_keeps_the_stream_open_and_silent_while_rest_answers(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    venue.advance(1)
    venue.force_fault("mute")
    msgs, close_code = _stream_run(venue, [buy(1, client_order_id="m1"), buy(2)])
    assert msgs == [] and close_code is None  # open, and nothing came
    r = requests.get(
        venue.base_url + "/v2/orders:by_client_order_id",
        params={"client_order_id": "m1"},
        headers=HEADERS,
        timeout=5,
    )
    assert r.status_code == 200 and r.json()["status"] == "filled"
    stats = venue.stats()
    assert stats["faults"]["mute"] == 1 and stats["muted_messages"] == 4
    again, _ = _stream_run(venue, [buy(1)])  # a new connection is heard again
    assert [m["data"]["event"] for m in again] == ["new", "fill"]


# --- the account an adapter adopts ------------------------------------------------------------------------
def test_initial_position_shows_in_positions_and_account(tmp_path: Path) -> None:
    rows = [(f"{T0}0Z", "151.00", "151.02", 100, 100)]
    cfg = FakeAlpacaConfig(
        data=write_quotes(tmp_path / "aapl.csv", rows),
        symbol="AAPL",
        key=KEY,
        secret=SECRET,
        start_paused=True,
        initial_positions={"AAPL": ("10", "150")},
    )
    with VenueThread(cfg) as venue:
        c = client(venue)
        (pos,) = c.get_all_positions()
        assert (pos.symbol, pos.qty, pos.side, pos.avg_entry_price) == ("AAPL", "10", "long", "150")
        assert (pos.cost_basis, pos.market_value) == ("1500", "1500")  # no quote yet: at cost
        acct = c.get_account()
        assert (acct.cash, acct.equity, acct.portfolio_value) == ("98500", "100000", "100000")
        assert (acct.long_market_value, acct.last_equity, acct.currency) == (
            "1500",
            "100000",
            "USD",
        )
        venue.advance(1)  # mid 151.01
        pos = c.get_open_position("AAPL")
        assert (pos.market_value, pos.unrealized_pl, pos.current_price) == (
            "1510.1",
            "10.1",
            "151.01",
        )
        acct = c.get_account()
        assert (acct.cash, acct.equity, acct.long_market_value) == ("98500", "100010.1", "1510.1")
        assert acct.buying_power == "200020.2"
        assert venue.state()["positions"] == {"AAPL": "10"}
    for bad in ({"MSFT": ("1", "1")}, {"AAPL": ("0.5", "150")}, {"AAPL": ("1", "-1")}):
        with pytest.raises(ConfigError):
            FakeAlpacaConfig(symbol="AAPL", initial_positions=bad)


def test_positions_and_account_after_partial_fills_and_a_flip(make_venue) -> None:  # type: ignore[no-untyped-def]
    rows = [
        (f"{T0}0Z", "100.00", "100.02", 50, 3),  # only 3 offered
        (f"{T0}1Z", "100.02", "100.06", 50, 50),
    ]
    venue = make_venue(rows)
    venue.advance(1)
    c = client(venue)
    o = c.submit_order(buy(5))
    assert (o.status, o.filled_qty) == ("partially_filled", "3")
    venue.advance(1)  # the other 2 at 100.06
    pos = c.get_open_position("XYZ")
    assert (pos.qty, pos.avg_entry_price, pos.cost_basis, pos.market_value) == (
        "5",
        "100.036",
        "500.18",
        "500.2",
    )
    c.submit_order(sell(7))  # 5 closed at 100.02, 2 short at 100.02
    pos = c.get_open_position("XYZ")
    assert (pos.qty, pos.side, pos.avg_entry_price, pos.cost_basis, pos.market_value) == (
        "-2",
        "short",
        "100.02",
        "-200.04",
        "-200.08",
    )
    acct = c.get_account()
    assert (acct.cash, acct.equity, acct.short_market_value, acct.long_market_value) == (
        "100199.96",
        "99999.88",  # 100000 - 0.08 realized - 0.04 unrealized
        "-200.08",
        "0",
    )
