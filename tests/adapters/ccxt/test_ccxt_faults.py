"""The CCXT adapter under each of the local Binance venue's faults, forced once: nothing lost,
nothing doubled, never two orders for one client order id, and the session goes on."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from decimal import Decimal

import ccxt.async_support as ccxt_async
import pytest

from kernel.enums import OrderStatus, OrderType, Side, TradingState
from kernel.events import OrderFilled, OrderRejected, VenueStatus
from live.adapters.ccxt.client import CcxtAdapter
from live.adapters.template import BrokerUnreachable
from tests.adapters.ccxt.conftest import (
    KEY,
    SECRET,
    Session,
    adapter_config,
    in_thread,
    until,
    venue_orders,
    venue_trades,
)

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]


def fills_match_the_venue(s: Session, venue, order) -> list[OrderFilled]:  # type: ignore[no-untyped-def]
    """The kernel's fills of ``order`` are the venue's trades of it, each once, exactly."""
    [raw] = venue_orders(venue, order.client_order_id)
    trades = venue_trades(venue, raw["orderId"])
    fills = s.of(OrderFilled, order.client_order_id)
    assert sorted(f.trade_id for f in fills) == sorted(f"BTCUSDT:{t['id']}" for t in trades)
    inst = s.inst
    assert sum(inst.lots_to_qty(f.qty_lots) for f in fills) == Decimal(raw["executedQty"])
    for f, t in zip(sorted(fills, key=lambda f: f.trade_id), sorted(trades, key=lambda t: t["id"])):
        assert f.commission == int(Decimal(t["commission"]) * 10**9)
        assert f.commission_currency == t["commissionAsset"]
    assert order.filled_lots == sum(f.qty_lots for f in fills)
    return fills


def test_minus_1007_looks_the_order_up_and_never_sends_it_twice(venue):
    async def body():
        async with Session(venue) as s:
            venue.force_fault("unknown_status", 2)
            limit = s.order(Side.BUY, "0.001", OrderType.LIMIT, "39000")
            await s.status(limit, OrderStatus.ACCEPTED)
            market = s.order(Side.BUY, "0.0002")
            await s.done(market)
            return s, limit, market

    s, limit, market = asyncio.run(body())
    assert len(venue_orders(venue, limit.client_order_id)) == 1
    assert len(venue_orders(venue, market.client_order_id)) == 1
    assert venue.stats()["faults"]["unknown_status"] == 2
    stats = s.adapter.stats()
    assert stats["found_after_unknown"] == 2 and stats["sent_again"] == 0
    assert not s.of(OrderRejected) and market.status == OrderStatus.FILLED
    fills_match_the_venue(s, venue, market)


def test_a_submit_lost_before_the_venue_is_looked_up_then_sent_again_once(venue):
    async def body():
        async with Session(venue) as s:
            real = s.adapter.ex.create_order
            calls = []

            async def lost_once(*args, **kw):
                calls.append(args)
                if len(calls) == 1:
                    raise ccxt_async.RequestTimeout("binance POST order timed out")
                return await real(*args, **kw)

            s.adapter.ex.create_order = lost_once
            order = s.order(Side.BUY, "0.001", OrderType.LIMIT, "39000")
            await s.status(order, OrderStatus.ACCEPTED)
            return s, order, calls

    s, order, calls = asyncio.run(body())
    assert len(calls) == 2 and len(venue_orders(venue, order.client_order_id)) == 1
    stats = s.adapter.stats()
    assert stats["sent_again"] == 1 and stats["found_after_unknown"] == 0


def test_partial_fault_books_one_fill_as_several_trades_summing_to_executed(venue):
    async def body():
        async with Session(venue) as s:
            venue.force_fault("partial")
            order = s.order(Side.BUY, "0.0002")
            await s.done(order)
            await until(lambda: order.filled_lots == 200, 3, "every piece")
            return s, order

    s, order = asyncio.run(body())
    fills = fills_match_the_venue(s, venue, order)
    assert len(fills) in (2, 3) and all(f.commission_currency == "BTC" for f in fills)


def test_dropped_reports_are_recovered_from_my_trades(venue):
    async def body():
        async with Session(venue) as s:
            venue.force_fault("drop_report", 2)  # the NEW and the TRADE reports
            order = s.order(Side.BUY, "0.0002")
            await s.done(order)
            await until(lambda: order.filled_lots == 200, 5, "the fill read from myTrades")
            return s, order

    s, order = asyncio.run(body())
    fills_match_the_venue(s, venue, order)
    stats = s.adapter.stats()
    assert stats["fills_read"] == 1 and stats["fills_streamed"] == 0
    assert venue.stats()["faults"]["drop_report"] == 2


def test_duplicate_reports_deliver_each_fill_once(venue):
    async def body():
        async with Session(venue) as s:
            venue.force_fault("dup_report", 2)
            order = s.order(Side.BUY, "0.0002")
            await s.done(order)
            await asyncio.sleep(0.3)
            return s, order

    s, order = asyncio.run(body())
    assert len(fills_match_the_venue(s, venue, order)) == 1
    assert venue.stats()["faults"]["dup_report"] == 2 and len(s.of(OrderFilled)) == 1


def test_a_dropped_user_stream_reconnects_and_backfills_without_loss_or_double(venue):
    async def body():
        async with Session(venue) as s:
            order = s.order(Side.BUY, "0.0002", OrderType.LIMIT, "39432.47")
            await s.status(order, OrderStatus.ACCEPTED)
            venue.force_fault("ws_drop")
            await in_thread(
                venue.advance, 40
            )  # a print trades through: its report closes the socket
            await until(lambda: s.adapter.stats()["stream"]["disconnects"] >= 1, 5, "the drop")
            await s.done(order)
            await until(lambda: s.adapter.reconciled and s.adapter.is_connected(), 5, "back up")
            await until(lambda: s.kernel.risk.state == TradingState.ACTIVE, 3, "ACTIVE again")
            return s, order

    s, order = asyncio.run(body())
    assert order.status == OrderStatus.FILLED
    fills_match_the_venue(s, venue, order)
    statuses = [(e.connected, e.reconciled) for e in s.events if isinstance(e, VenueStatus)]
    assert statuses[:3] == [(True, True), (False, False), (True, True)]
    stats = s.adapter.stats()
    assert stats["stream"]["connects"] == 2 and stats["fills_streamed"] == 0


def test_a_429_is_waited_out_for_its_retry_after_and_sent_again(make_venue):
    venue = make_venue(retry_after_s=1)

    async def body():
        async with Session(venue) as s:
            venue.force_fault("rate_limit")
            t0 = time.monotonic()
            order = s.order(Side.BUY, "0.0002")
            await s.done(order)
            return s, order, time.monotonic() - t0

    s, order, took = asyncio.run(body())
    assert order.status == OrderStatus.FILLED and took >= 1.0
    assert len(venue_orders(venue, order.client_order_id)) == 1
    assert s.adapter.stats()["rate_limited"] == 1 and venue.stats()["rate_limited"] == 1


def test_a_418_ban_stops_rest_reports_down_and_recovers_after_a_reconciliation(make_venue):
    venue = make_venue(ban_s=1.0, retry_after_s=1)

    async def body():
        async with Session(venue) as s:
            venue.force_fault("ban")
            refused = s.order(Side.BUY, "0.0002")
            await s.done(refused)
            await until(lambda: s.notices("BN_BANNED"), 3, "the ban notice")
            await until(lambda: s.kernel.risk.state == TradingState.REDUCING, 3, "REDUCING")
            denied = s.order(Side.BUY, "0.0002")  # the venue is down: denied by the kernel
            await until(lambda: s.adapter.reconciled, 5, "reconciled after the ban")
            await until(lambda: s.kernel.risk.state == TradingState.ACTIVE, 3, "ACTIVE again")
            after = s.order(Side.BUY, "0.0002")
            await s.done(after)
            return s, refused, denied, after

    s, refused, denied, after = asyncio.run(body())
    [rej] = s.of(OrderRejected, refused.client_order_id)
    assert rej.reason.startswith("BANNED: ") and venue_orders(venue, refused.client_order_id) == []
    assert denied.status == OrderStatus.DENIED and denied.reason == "BROKER_DOWN"
    assert after.status == OrderStatus.FILLED
    assert venue.stats()["banned"] == 1  # nothing else was sent while the ban lasted
    statuses = [(e.connected, e.reconciled) for e in s.events if isinstance(e, VenueStatus)]
    assert statuses[:3] == [(True, True), (False, False), (True, True)]
    assert s.notices("BN_UNBANNED") and s.adapter.stats()["bans"] == 1
    text = json.dumps([repr(e) for e in s.events]) + json.dumps(s.adapter.stats(), default=str)
    assert KEY not in text and SECRET not in text


def test_clock_drift_is_read_again_and_the_request_sent_again(venue):
    async def body():
        async with Session(venue) as s:
            s.adapter.ex.options["timeDifference"] = 90_000  # we sign 90 s in the past: -1021
            order = s.order(Side.BUY, "0.0002")
            await s.done(order)
            return s, order

    s, order = asyncio.run(body())
    assert order.status == OrderStatus.FILLED and s.adapter.stats()["clock_resyncs"] == 1
    assert abs(s.adapter.ex.options["timeDifference"]) < 5_000
    assert s.adapter.pro.options["timeDifference"] == s.adapter.ex.options["timeDifference"]


def test_refused_credentials_stop_the_start_without_showing_them(venue):
    cfg = dataclasses.replace(
        adapter_config(venue), api_secret="wrong-secret-000", connect_timeout_s=2.0
    )
    adapter = CcxtAdapter(cfg, {})

    async def body():
        try:
            await adapter.connect()
        finally:
            await adapter.stop()

    with pytest.raises(BrokerUnreachable) as exc:
        asyncio.run(body())
    text = str(exc.value)
    assert "credentials refused" in text and "-1022" in text
    assert "wrong-secret-000" not in text and KEY not in text and "wrong-secret" not in repr(cfg)


@pytest.mark.parametrize("placed", [True, False])
def test_an_unknown_outcome_that_cannot_be_looked_up_is_settled_by_a_reconciliation(venue, placed):
    """The submit's answer is lost and so is the look-up's: the order stays SUBMITTED (never
    rejected), the reconciliation finds it (placed) or sends it again (never placed)."""

    async def body():
        async with Session(venue) as s:
            a = s.adapter
            real_create, real_fetch = a.ex.create_order, a.ex.fetch_order
            lookups = []

            async def create(*args, **kw):
                if not placed and not lookups:
                    raise ccxt_async.RequestTimeout("binance POST order timed out")
                return await real_create(*args, **kw)

            async def fetch(*args, **kw):
                lookups.append(args)
                if len(lookups) == 1:
                    raise ccxt_async.NetworkError("binance GET order: connection reset")
                return await real_fetch(*args, **kw)

            a.ex.create_order, a.ex.fetch_order = create, fetch
            if placed:
                venue.force_fault("unknown_status")
            order = s.order(Side.BUY, "0.001", OrderType.LIMIT, "39000")
            await until(lambda: a.stats()["unknown_outcome"] == 1, 3, "the unknown outcome")
            assert not s.of(OrderRejected)  # placed: the stream's report acknowledges it
            assert placed or order.status == OrderStatus.SUBMITTED
            await s.status(order, OrderStatus.ACCEPTED)
            return s, order

    s, order = asyncio.run(body())
    assert len(venue_orders(venue, order.client_order_id)) == 1
    assert s.adapter.stats()["resent"] == (0 if placed else 1)


def test_ccxt_debug_logs_never_show_the_key_or_a_signature(venue, caplog):
    caplog.set_level(logging.DEBUG, logger="ccxt")

    async def body():
        async with Session(venue) as s:
            order = s.order(Side.BUY, "0.0002")
            await s.done(order)

    asyncio.run(body())
    assert "X-MBX-APIKEY" in caplog.text and "signature=<redacted>" in caplog.text
    assert KEY not in caplog.text and SECRET not in caplog.text
