"""The local Alpaca venue with several accounts: ``--mode exchange`` (the accounts' orders trade
with each other in one matching engine per symbol, the recorded quotes as background liquidity)
and recorded mode (each account meets the recorded market on its own).

Account A speaks raw REST and raw websockets; account B uses the official SDK (alpaca-py's
``TradingClient`` and ``TradingStream``), so the wire format is the real one. The venue runs in a
thread (``VenueThread``); it binds 127.0.0.1 only and every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
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
    from alpaca.trading.client import TradingClient
    from alpaca.trading.enums import OrderSide, QueryOrderStatus, TimeInForce
    from alpaca.trading.requests import GetOrdersRequest, LimitOrderRequest, MarketOrderRequest
    from alpaca.trading.stream import TradingStream

from live.fakes.alpaca import ConfigError, FakeAlpacaConfig, VenueThread

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]

A_KEY, A_SECRET = "alice-key", "alice-secret"
B_KEY, B_SECRET = "bob-key", "bob:secret"  # a secret may hold a colon
A = {"APCA-API-KEY-ID": A_KEY, "APCA-API-SECRET-KEY": A_SECRET}
T0 = "2024-01-02T14:30:0"
ROWS = [  # ts, bid, ask, bid size, ask size
    (f"{T0}0Z", "100.00", "100.02", 500, 700),
    (f"{T0}1Z", "100.00", "100.02", 500, 700),
]


@pytest.fixture
def make_venue(tmp_path: Path):  # type: ignore[no-untyped-def]
    started: list[VenueThread] = []

    def make(mode: str = "exchange", rows: list[Any] = ROWS, **kw: Any) -> VenueThread:
        data = tmp_path / f"q{len(started)}.csv"
        lines = ["ts,bid_px,ask_px,bid_sz,ask_sz", *(",".join(map(str, r)) for r in rows)]
        data.write_text("\n".join(lines) + "\n")
        cfg = FakeAlpacaConfig(
            data=data,
            symbol="XYZ",
            key=A_KEY,
            secret=A_SECRET,
            accounts=[(B_KEY, B_SECRET)],
            mode=mode,
            start_paused=True,
            **kw,
        )
        venue = VenueThread(cfg)
        started.append(venue)
        venue.advance(1)  # the touch: 100.00 x 500 / 100.02 x 700
        return venue

    yield make
    for venue in started:
        venue.close()


def sdk(venue: VenueThread) -> TradingClient:
    c = TradingClient(B_KEY, B_SECRET, paper=True, url_override=venue.base_url)
    c._retry = 0
    return c


def rest(venue: VenueThread, method: str, path: str, **kw: Any) -> Any:
    r = requests.request(method, venue.base_url + path, headers=A, timeout=5, **kw)
    assert r.status_code < 300, (r.status_code, r.text)
    return r.json() if r.content else None


def a_limit(venue: VenueThread, side: str, qty: int, price: str, **kw: Any) -> dict[str, Any]:
    body = {"symbol": "XYZ", "qty": str(qty), "side": side, "type": "limit"}
    body.update({"time_in_force": "gtc", "limit_price": price, **kw})
    return rest(venue, "POST", "/v2/orders", json=body)  # type: ignore[no-any-return]


def b_buy(qty: int, **kw: Any) -> MarketOrderRequest:
    return MarketOrderRequest(
        symbol="XYZ", qty=qty, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, **kw
    )


# --- streams --------------------------------------------------------------------------------------
async def _until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.02)


async def _raw_trade_socket(url: str, key: str, secret: str) -> tuple[Any, dict[str, Any]]:
    ws = await websockets.connect(url)
    auth = {"action": "authenticate", "data": {"key_id": key, "secret_key": secret}}
    await ws.send(json.dumps(auth))
    answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
    await ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
    await asyncio.wait_for(ws.recv(), 5)
    return ws, answer


async def _drain(ws: Any, quiet: float = 0.4) -> list[dict[str, Any]]:
    out = []
    while True:
        try:
            out.append(json.loads(await asyncio.wait_for(ws.recv(), quiet)))
        except (TimeoutError, websockets.ConnectionClosed):
            return out


def _trade(
    venue: VenueThread, actions: Any, channels: tuple[str, ...] = ("trades",)
) -> tuple[list[dict[str, Any]], list[Any], list[Any]]:
    """A listens raw, B through alpaca-py's ``TradingStream``, a data client subscribes to
    XYZ's ``channels`` (trades); run ``actions()`` (blocking REST calls) and collect what each one hears:
    (A's messages, B's ``TradeUpdate`` models, the data stream's messages)."""

    async def main() -> tuple[list[dict[str, Any]], list[Any], list[Any]]:
        ws_a, answer = await _raw_trade_socket(venue.stream_url, A_KEY, A_SECRET)
        assert answer["data"]["status"] == "authorized"
        md = await websockets.connect(venue.data_url)
        await md.recv()
        await md.send(json.dumps({"action": "auth", "key": B_KEY, "secret": B_SECRET}))
        assert json.loads(await md.recv())[0]["msg"] == "authenticated"
        await md.send(json.dumps({"action": "subscribe", **{c: ["XYZ"] for c in channels}}))
        await md.recv()
        got_b: list[Any] = []
        stream = TradingStream(B_KEY, B_SECRET, paper=True, url_override=venue.stream_url)

        async def on_update(update: Any) -> None:
            got_b.append(update)

        stream.subscribe_trade_updates(on_update)
        task = asyncio.ensure_future(stream._run_forever())
        try:
            await _until(lambda: venue.stats()["trade_listeners"] == 2)
            await asyncio.to_thread(actions)
            got_a = await _drain(ws_a)
            data = [m for frame in await _drain(md) for m in frame]
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, 5)
            await stream.close()
            await ws_a.close()
            await md.close()
        return got_a, got_b, data

    return asyncio.run(main())


# --- exchange mode --------------------------------------------------------------------------------
def test_two_accounts_trade_with_each_other_at_the_resting_price(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    b = sdk(venue)
    placed: dict[str, Any] = {}

    def actions() -> None:
        placed["a"] = a_limit(venue, "sell", 10, "100.01", client_order_id="a1")
        placed["b"] = b.submit_order(b_buy(10, client_order_id="b1"))

    got_a, got_b, data = _trade(venue, actions)
    a_order, b_order = placed["a"], placed["b"]
    assert a_order["status"] == "new"  # inside the spread: it rests
    assert (b_order.status, b_order.filled_qty, b_order.filled_avg_price) == (
        "filled",
        "10",
        "100.01",
    )  # the maker's price, not the recorded ask (100.02)

    # each side hears its own order only: new, then the fill
    assert [(m["data"]["event"], m["data"]["order"]["client_order_id"]) for m in got_a] == [
        ("new", "a1"),
        ("fill", "a1"),
    ]
    assert [(u.event, u.order.client_order_id) for u in got_b] == [("new", "b1"), ("fill", "b1")]
    fa, fb = got_a[1]["data"], got_b[1]
    assert (fa["price"], fa["qty"], fa["position_qty"]) == ("100.01", "10", "-10")
    assert (fb.price, fb.qty, fb.position_qty) == (100.01, 10, 10)
    assert fa["execution_id"] == str(fb.execution_id)  # one execution, both sides
    assert fa["order"]["filled_avg_price"] == "100.01" and fa["order"]["status"] == "filled"
    # the execution is printed on the data stream's trades
    assert [(m["T"], m["S"], m["p"], m["s"]) for m in data] == [("t", "XYZ", 100.01, 10)]

    # positions and cash: each account its own
    (pos_b,) = b.get_all_positions()
    assert (pos_b.qty, pos_b.side, pos_b.avg_entry_price) == ("10", "long", "100.01")
    (pos_a,) = rest(venue, "GET", "/v2/positions")
    assert (pos_a["qty"], pos_a["side"], pos_a["avg_entry_price"]) == ("-10", "short", "100.01")
    assert b.get_account().cash == "98999.9"  # 100000 - 10 x 100.01
    acct_a = rest(venue, "GET", "/v2/account")
    assert acct_a["cash"] == "101000.1"
    assert acct_a["equity"] == "100000"  # the short marked at the recorded mid, 100.01
    assert acct_a["id"] != str(b.get_account().id)

    # orders and fills: each client sees only its own
    everything = GetOrdersRequest(status=QueryOrderStatus.ALL)
    assert [o.client_order_id for o in b.get_orders(everything)] == ["b1"]
    assert [o["client_order_id"] for o in rest(venue, "GET", "/v2/orders?status=all")] == ["a1"]
    with pytest.raises(APIError) as other:
        b.get_order_by_id(a_order["id"])
    assert other.value.status_code == 404
    acts_a = rest(venue, "GET", "/v2/account/activities/FILL")
    assert [(x["side"], x["price"], x["qty"]) for x in acts_a] == [("sell", "100.01", "10")]
    acts_b = requests.get(
        venue.base_url + "/v2/account/activities/FILL",
        headers={"APCA-API-KEY-ID": B_KEY, "APCA-API-SECRET-KEY": B_SECRET},
        timeout=5,
    ).json()
    assert [(x["side"], x["price"], x["order_id"]) for x in acts_b] == [
        ("buy", "100.01", str(b_order.id))
    ]
    state = venue.state()
    assert [(s["key"], s["positions"]) for s in state["accounts"]] == [
        (A_KEY, {"XYZ": "-10"}),
        (B_KEY, {"XYZ": "10"}),
    ]


def test_a_crossing_order_takes_the_other_account_first_then_the_background(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    b = sdk(venue)
    placed: dict[str, Any] = {}

    def actions() -> None:
        placed["a"] = a_limit(venue, "sell", 4, "100.01")
        placed["b"] = b.submit_order(b_buy(10))

    got_a, got_b, data = _trade(venue, actions)
    assert [(u.event, u.price, u.qty) for u in got_b] == [
        ("new", None, None),
        ("partial_fill", 100.01, 4),  # account A's offer, at its price
        ("fill", 100.02, 6),  # then the recorded ask
    ]
    assert [(m["data"]["event"], m["data"].get("qty")) for m in got_a] == [
        ("new", None),
        ("fill", "4"),
    ]
    assert [(m["p"], m["s"]) for m in data] == [(100.01, 4), (100.02, 6)]
    assert placed["b"].filled_avg_price == "100.016"  # (4 x 100.01 + 6 x 100.02) / 10


def test_self_trade_prevention_applies_within_an_account_not_across(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    b = sdk(venue)
    rest_sell = a_limit(venue, "sell", 10, "100.01")
    own_buy = a_limit(venue, "buy", 10, "100.01", time_in_force="day")
    own_market = rest(
        venue,
        "POST",
        "/v2/orders",
        json={"symbol": "XYZ", "qty": "5", "side": "buy", "type": "market", "time_in_force": "day"},
    )
    # the same account's crossing orders do not trade with its resting sell: canceled (newest)
    for o in (own_buy, own_market):
        assert (o["status"], o["filled_qty"]) == ("canceled", "0")
    assert rest(venue, "GET", f"/v2/orders/{rest_sell['id']}")["status"] == "new"
    assert rest(venue, "GET", "/v2/positions") == []
    # another account's order does trade with it
    filled = b.submit_order(b_buy(10))
    assert (filled.status, filled.filled_avg_price) == ("filled", "100.01")
    assert rest(venue, "GET", f"/v2/orders/{rest_sell['id']}")["status"] == "filled"
    # and B's own resting bid stops B's own sell, while A's sell trades with it
    bid = b.submit_order(
        LimitOrderRequest(
            symbol="XYZ", qty=3, side=OrderSide.BUY, limit_price=100.01, time_in_force="gtc"
        )
    )
    assert bid.status == "new"
    mine = b.submit_order(
        MarketOrderRequest(symbol="XYZ", qty=3, side=OrderSide.SELL, time_in_force="day")
    )
    assert (mine.status, mine.filled_qty) == ("canceled", "0")
    hit = rest(
        venue,
        "POST",
        "/v2/orders",
        json={
            "symbol": "XYZ",
            "qty": "3",
            "side": "sell",
            "type": "market",
            "time_in_force": "day",
        },
    )
    assert (hit["status"], hit["filled_avg_price"]) == ("filled", "100.01")
    assert b.get_open_position("XYZ").qty == "13"
    assert rest(venue, "GET", "/v2/positions/XYZ")["qty"] == "-13"


def test_the_recorded_market_moving_through_a_resting_order_fills_it_as_maker(make_venue) -> None:  # type: ignore[no-untyped-def]
    rows = [*ROWS[:1], (f"{T0}1Z", "100.01", "100.03", 3, 700)]  # the bid rises to 100.01 x 3
    venue = make_venue(rows=rows)
    b = sdk(venue)
    offer = a_limit(venue, "sell", 10, "100.01")
    assert venue.advance(1) == 2
    seen = rest(venue, "GET", f"/v2/orders/{offer['id']}")
    assert (seen["status"], seen["filled_qty"]) == ("partially_filled", "3")  # the bid's size
    took = b.submit_order(b_buy(7))  # the rest of A's offer is still the best ask
    assert (took.status, took.filled_avg_price) == ("filled", "100.01")
    assert rest(venue, "GET", "/v2/positions/XYZ")["qty"] == "-10"
    assert venue.state()["counts"]["fills"] == 3  # A twice (background, then B), B once


def test_replace_and_cancel_work_on_the_shared_book(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    b = sdk(venue)
    far = a_limit(venue, "sell", 5, "100.05")
    other = a_limit(venue, "sell", 5, "100.06")
    assert b.submit_order(b_buy(5)).filled_avg_price == "100.02"  # the recorded ask is better
    near = rest(venue, "PATCH", f"/v2/orders/{far['id']}", json={"limit_price": "100.01"})
    assert (near["replaces"], near["status"], near["limit_price"]) == (far["id"], "new", "100.01")
    took = b.submit_order(b_buy(5))
    assert (took.status, took.filled_avg_price) == ("filled", "100.01")
    assert rest(venue, "GET", f"/v2/orders/{near['id']}")["status"] == "filled"
    (canceled,) = rest(venue, "DELETE", "/v2/orders")
    assert canceled["id"] == other["id"]
    assert rest(venue, "GET", "/v2/orders") == []
    assert rest(venue, "GET", "/v2/positions/XYZ")["qty"] == "-5"
    assert b.get_open_position("XYZ").qty == "10"


def test_rest_and_streams_route_by_key_pair(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    url = venue.base_url + "/v2/account"
    assert requests.get(url, timeout=5).status_code == 401
    wrong = {"APCA-API-KEY-ID": B_KEY, "APCA-API-SECRET-KEY": A_SECRET}
    assert requests.get(url, headers=wrong, timeout=5).status_code == 403
    unknown = {"APCA-API-KEY-ID": "mallory", "APCA-API-SECRET-KEY": "x"}
    assert requests.get(url, headers=unknown, timeout=5).status_code == 403

    async def handshakes() -> list[str]:
        out = []
        for key, secret in ((B_KEY, B_SECRET), (B_KEY, A_SECRET)):
            ws, answer = await _raw_trade_socket(venue.stream_url, key, secret)
            out.append(answer["data"]["status"])
            await ws.close()
        return out

    assert asyncio.run(handshakes()) == ["authorized", "unauthorized"]


# --- recorded mode ---------------------------------------------------------------------------------
def test_recorded_mode_each_account_meets_the_recorded_market_on_its_own(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(mode="recorded")
    b = sdk(venue)
    placed: dict[str, Any] = {}

    def actions() -> None:
        placed["a"] = a_limit(venue, "sell", 10, "100.01", client_order_id="same")
        placed["b"] = b.submit_order(b_buy(10, client_order_id="same"))  # per-account ids

    got_a, got_b, data = _trade(venue, actions)
    # B's buy does not meet A's sell: it takes the recorded ask; A's sell keeps resting
    assert (placed["b"].status, placed["b"].filled_avg_price) == ("filled", "100.02")
    assert rest(venue, "GET", f"/v2/orders/{placed['a']['id']}")["status"] == "new"
    assert [m["data"]["event"] for m in got_a] == ["new"]
    assert [u.event for u in got_b] == ["new", "fill"]
    assert data == []  # recorded mode prints no executions
    assert [o.client_order_id for o in b.get_orders()] == []  # B's only order is filled
    assert [o["id"] for o in rest(venue, "GET", "/v2/orders")] == [placed["a"]["id"]]
    assert rest(venue, "GET", "/v2/positions") == []
    assert [p.qty for p in b.get_all_positions()] == ["10"]
    # both accounts buy the same recorded size: neither takes it from the other
    rest(venue, "DELETE", f"/v2/orders/{placed['a']['id']}")  # (it would stop A's own buy)
    rest(
        venue,
        "POST",
        "/v2/orders",
        json={
            "symbol": "XYZ",
            "qty": "700",
            "side": "buy",
            "type": "market",
            "time_in_force": "day",
        },
    )
    again = b.submit_order(b_buy(690))
    assert (again.status, again.filled_avg_price) == ("filled", "100.02")
    assert rest(venue, "GET", "/v2/positions/XYZ")["qty"] == "700"
    assert b.get_open_position("XYZ").qty == "700"
    assert rest(venue, "GET", "/v2/account")["cash"] == "29986"  # 100000 - 700 x 100.02
    assert b.get_account().cash == "29986"
    state = venue.state()
    assert [len(s["orders"]) for s in state["accounts"]] == [2, 2]
    assert state["counts"]["orders"] == 4


def test_config_accounts_and_mode() -> None:
    cfg = FakeAlpacaConfig.from_cli(
        ["--mode", "exchange", "--account", "b:s1", "--account", "c:x:y", "--key", "a"]
    )
    assert cfg.mode == "exchange"
    assert cfg.key_pairs() == [("a", "fake-secret-key"), ("b", "s1"), ("c", "x:y")]
    assert FakeAlpacaConfig().key_pairs() == [("fake-key-id", "fake-secret-key")]
    for argv, words in (
        (["--account", "nocolon"], "KEY:SECRET"),
        (["--account", "a:1", "--account", "a:2"], "more than once"),
        (["--account", "fake-key-id:x"], "more than once"),
    ):
        with pytest.raises(ConfigError, match=words):
            FakeAlpacaConfig.from_cli(argv)
    with pytest.raises(ConfigError, match="mode"):
        FakeAlpacaConfig(mode="lit")
    with pytest.raises(SystemExit):
        FakeAlpacaConfig.from_cli(["--mode", "lit"])


def test_quotes_show_the_engine_book_with_every_accounts_orders(make_venue) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()

    def actions() -> None:
        a_limit(venue, "buy", 30, "100.01")  # inside the recorded spread: the new best bid
        sell = MarketOrderRequest(
            symbol="XYZ", qty=10, side=OrderSide.SELL, time_in_force=TimeInForce.DAY
        )
        sdk(venue).submit_order(sell)  # B takes 10 of A's bid
        time.sleep(0.2)

    _a, _b, data = _trade(venue, actions, channels=("trades", "quotes"))
    quotes = [(m["bp"], m["bs"], m["ap"], m["as"]) for m in data if m["T"] == "q"]
    assert quotes == [(100.01, 30, 100.02, 700), (100.01, 20, 100.02, 700)]
    assert [(m["p"], m["s"]) for m in data if m["T"] == "t"] == [(100.01, 10)]
    venue.advance(1)  # the next recorded quote: the background is unchanged, A still best
    assert rest(venue, "GET", "/v2/orders?status=open")[0]["filled_qty"] == "10"
