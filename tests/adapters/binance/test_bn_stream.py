"""The user-data stream as ccxt.pro consumes it (WebSocket API signature subscription), the
listen-key way, and the market streams."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from aiohttp import ClientSession

from tests.adapters.binance.conftest import RawUserStream, client, in_thread, run_pro

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]


def test_watch_orders_trades_and_balance_follow_a_market_buy(venue):
    sync = client(venue)

    async def body(ex):
        orders = asyncio.ensure_future(ex.watch_orders("BTC/USDT"))
        trades = asyncio.ensure_future(ex.watch_my_trades("BTC/USDT"))
        balance = asyncio.ensure_future(ex.watch_balance())
        await asyncio.sleep(0.3)  # why: the three subscriptions go out first
        await in_thread(sync.create_order, "BTC/USDT", "market", "buy", 0.0002)
        return await orders, await trades, await balance

    orders, trades, balance = run_pro(venue, body)
    assert orders[-1]["status"] == "closed" and orders[-1]["filled"] == 0.0002
    assert trades[-1]["fee"] == {"currency": "BTC", "cost": 2e-07}
    state = venue.state()["balances"]
    assert Decimal(str(balance["BTC"]["free"])) == Decimal(state["BTC"]["free"])
    assert Decimal(str(balance["USDT"]["free"])) == Decimal(state["USDT"]["free"])


def test_execution_reports_new_then_canceled_carry_binance_fields(venue):
    sync = client(venue)
    stream = RawUserStream(venue)

    def act():
        order = sync.create_order("BTC/USDT", "limit", "buy", 0.001, 39000)
        sync.cancel_order(order["id"], "BTC/USDT")

    asyncio.run(stream.run(lambda s: len(s.reports()) >= 2, act))
    new, canceled = stream.reports()
    assert (new["x"], new["X"], new["t"], new["l"]) == ("NEW", "NEW", -1, "0.00000000")
    assert (canceled["x"], canceled["X"]) == ("CANCELED", "CANCELED")
    assert canceled["C"] == new["c"]  # the original client order id
    positions = [e for e in stream.events if e["e"] == "outboundAccountPosition"]
    assert positions[0]["B"] == [{"a": "USDT", "f": "99961.00000000", "l": "39.00000000"}]


def test_listen_key_websocket_gets_bare_execution_reports(venue):
    sync = client(venue)
    key = sync.publicPostUserDataStream()["listenKey"]

    async def body():
        async with ClientSession() as http:
            ws = await http.ws_connect(f"{venue.stream_url}/ws/{key}")
            await in_thread(sync.create_order, "BTC/USDT", "market", "buy", 0.0002)
            events = [await ws.receive_json(timeout=3) for _ in range(3)]
            await ws.close()
            return events

    new, trade, position = asyncio.run(body())
    assert (new["e"], new["x"]) == ("executionReport", "NEW")
    assert (trade["x"], trade["X"], trade["N"], trade["n"]) == (
        "TRADE",
        "FILLED",
        "BTC",
        "0.00000020",
    )
    assert position["e"] == "outboundAccountPosition"


def test_watch_bids_asks_gets_the_touch_at_once_then_each_print(venue):
    async def body(ex):
        first = (await ex.watch_bids_asks(["BTC/USDT"]))["BTC/USDT"]
        later = asyncio.ensure_future(ex.watch_bids_asks(["BTC/USDT"]))
        await in_thread(venue.advance, 1)
        return first, (await later)["BTC/USDT"]

    first, top = run_pro(venue, body)
    assert first["bid"] == first["ask"] == 39432.48
    assert top["bid"] == top["ask"] == 39437.62 and top["bidVolume"] == 0.029499
