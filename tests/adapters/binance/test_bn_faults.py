"""Each seeded fault of the local Binance venue, forced once, as ccxt (or a raw socket) sees it."""

from __future__ import annotations

import asyncio
import time

import ccxt
import pytest

from tests.adapters.binance.conftest import RawUserStream, client

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]


def test_rate_limit_is_429_with_retry_after_and_not_processed(venue, ex):
    venue.force_fault("rate_limit")
    with pytest.raises(ccxt.DDoSProtection, match="429"):
        ex.create_order("BTC/USDT", "limit", "buy", 0.001, 39000)
    assert ex.last_response_headers["Retry-After"] == "1"
    assert ex.fetch_orders("BTC/USDT") == []


def test_ban_answers_418_for_the_ban_window_then_serves_again(make_venue):
    venue = make_venue(ban_s=0.5)
    ex = client(venue)
    venue.force_fault("ban")
    for _ in range(2):
        with pytest.raises(ccxt.DDoSProtection, match="418"):
            ex.fetch_balance()
    time.sleep(0.6)
    assert ex.fetch_balance()["USDT"]["free"] == 100000.0
    assert venue.stats()["banned"] == 2


def test_unknown_status_places_the_order_and_answers_minus_1007(venue, ex):
    venue.force_fault("unknown_status")
    with pytest.raises(ccxt.RequestTimeout, match="-1007"):
        ex.create_order("BTC/USDT", "limit", "buy", 0.001, 39000, {"clientOrderId": "k-1"})
    found = ex.fetch_order(None, "BTC/USDT", {"origClientOrderId": "k-1"})
    assert found["status"] == "open" and found["amount"] == 0.001
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):  # a blind retry
        ex.create_order("BTC/USDT", "limit", "buy", 0.001, 39000, {"clientOrderId": "k-1"})


def test_partial_books_one_fill_as_several_trades(venue, ex):
    venue.force_fault("partial")
    order = ex.create_order("BTC/USDT", "market", "buy", 0.0002)
    trades = ex.fetch_my_trades("BTC/USDT")
    assert len(trades) in (2, 3) and len(order["info"]["fills"]) == len(trades)
    assert round(sum(t["amount"] for t in trades), 8) == 0.0002
    assert {t["order"] for t in trades} == {order["id"]}


def test_drop_report_skips_the_trade_report_but_my_trades_has_it(venue):
    ex = client(venue)
    stream = RawUserStream(venue)

    def act():
        venue.force_fault("drop_report", 2)  # NEW and TRADE
        ex.create_order("BTC/USDT", "market", "buy", 0.0002)

    asyncio.run(stream.run(lambda s: len(s.events) >= 1, act, timeout=1.0))
    assert stream.reports() == []
    assert [e["e"] for e in stream.events] == ["outboundAccountPosition"]
    assert len(ex.fetch_my_trades("BTC/USDT")) == 1


def test_dup_report_sends_an_execution_report_twice(venue):
    ex = client(venue)
    stream = RawUserStream(venue)

    def act():
        venue.force_fault("dup_report")
        ex.create_order("BTC/USDT", "limit", "buy", 0.001, 39000)

    asyncio.run(stream.run(lambda s: len(s.reports()) >= 2, act))
    first, second = stream.reports()
    assert first == second and first["x"] == "NEW"


def test_ws_drop_closes_the_user_data_websocket(venue):
    ex = client(venue)
    stream = RawUserStream(venue)

    def act():
        venue.force_fault("ws_drop")
        ex.create_order("BTC/USDT", "limit", "buy", 0.001, 39000)

    asyncio.run(stream.run(lambda s: s.closed, act))
    assert stream.closed and stream.events == []
    assert venue.stats()["faults"]["ws_drop"] == 1
    assert len(ex.fetch_open_orders("BTC/USDT")) == 1
