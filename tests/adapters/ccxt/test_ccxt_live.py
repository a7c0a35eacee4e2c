"""The CCXT adapter against the local Binance venue (``live.fakes.binance``) on 127.0.0.1: a
real kernel run by the live runner, orders sent through it, the venue's books the oracle."""

from __future__ import annotations

import asyncio
import socket
from decimal import Decimal

import pytest

from kernel.enums import Liquidity, OrderStatus, OrderType, Side, TimeInForce
from kernel.events import (
    AccountReport,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderModifyRejected,
    OrderRejected,
    QuoteTick,
    VenueStatus,
)
from kernel.reconcile import OrderView
from live.adapters.ccxt.client import CcxtAdapter
from tests.adapters.ccxt.conftest import (
    LAST,
    SYMBOL,
    Session,
    in_thread,
    until,
    venue_orders,
    venue_trades,
)

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def strings(tree):  # type: ignore[no-untyped-def]
    if isinstance(tree, dict):
        return [s for v in tree.values() for s in strings(v)]
    return [tree] if isinstance(tree, str) and "://" in tree else []


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection and name resolution refused unless it is the loopback's: nothing may
    leave 127.0.0.1. Returns the addresses connected to."""
    seen: list[str] = []
    resolve, connect = socket.getaddrinfo, socket.socket.connect

    def guarded_resolve(host, *args, **kw):  # type: ignore[no-untyped-def]
        if str(host) not in LOOPBACK:
            raise OSError(f"test: no network beyond the loopback ({host})")
        return resolve(host, *args, **kw)

    def guarded_connect(sock, address):  # type: ignore[no-untyped-def]
        host = str(address[0]) if isinstance(address, tuple) else str(address)
        seen.append(host)
        if host not in LOOPBACK:
            raise OSError(f"test: no network beyond the loopback ({host})")
        return connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_resolve)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    return seen


def test_urls_reach_only_the_venue_and_instruments_come_from_its_markets(venue, loopback_only):
    async def body():
        async with Session(venue) as s:
            a = s.adapter
            urls = venue.ccxt_urls()
            for ex in (a.ex, a.pro):
                api = ex.urls["api"]
                assert (api["public"], api["private"], api["v1"]) == (
                    urls["public"], urls["private"], urls["v1"])  # fmt: skip
                assert all(u.startswith((venue.base_url, venue.stream_url)) for u in strings(api))
            ws = a.pro.urls["api"]["ws"]
            assert ws["spot"] == urls["ws"]["spot"] and ws["ws-api"] == {
                **ws["ws-api"], "spot": urls["ws"]["ws-api"]["spot"]}  # fmt: skip
            inst = s.inst
            assert (inst.tick_size, inst.lot_size, inst.currency, inst.base, inst.venue) == (
                Decimal("0.01"), Decimal("0.000001"), "USDT", "BTC", "bn")  # fmt: skip
            spec = a.specs[SYMBOL]
            assert (spec.min_qty, spec.min_notional) == (Decimal("0.000001"), Decimal(5))
            assert await a.fetch_instrument("NOPE/USDT") is None
            assert s.kernel.risk.state.name == "ACTIVE"
            return a.stats()

    stats = asyncio.run(body())
    assert set(loopback_only) <= set(LOOPBACK) and loopback_only
    assert venue.stats()["requests"] >= 3 and stats["stream"]["connects"] == 1


def test_market_buy_fills_with_the_fee_in_the_base_asset(venue):
    async def body():
        async with Session(venue) as s:
            order = s.order(Side.BUY, "0.0002")
            await s.done(order)
            await until(lambda: s.of(QuoteTick), 3, "a quote")
            return s, order

    s, order = asyncio.run(body())
    assert order.status == OrderStatus.FILLED and order.filled_lots == 200
    [fill] = s.of(OrderFilled, order.client_order_id)
    [raw] = venue_orders(venue, order.client_order_id)
    [trade] = venue_trades(venue, raw["orderId"])
    assert fill.trade_id == f"BTCUSDT:{trade['id']}" and fill.venue_order_id == str(raw["orderId"])
    assert fill.price_ticks == s.inst.price_to_ticks(LAST) and fill.liquidity == Liquidity.TAKER
    assert fill.commission_currency == "BTC" and trade["commissionAsset"] == "BTC"
    assert fill.commission == int(Decimal(trade["commission"]) * 10**9) == 200
    assert s.of(OrderAccepted, order.client_order_id)[0].venue_order_id == str(raw["orderId"])
    quote = s.of(QuoteTick)[0]
    assert quote.bid_ticks == quote.ask_ticks == s.inst.price_to_ticks(LAST) and quote.venue == "bn"


def test_sell_pays_its_fee_in_the_quote_asset(make_venue):
    venue = make_venue(balances={"USDT": "0", "BTC": "1"}, taker_bps="7.5")

    async def body():
        async with Session(venue) as s:
            order = s.order(Side.SELL, "0.0002")
            await s.done(order)
            return s, order

    s, order = asyncio.run(body())
    [fill] = s.of(OrderFilled, order.client_order_id)
    [trade] = venue.state()["trades"]
    assert (fill.commission_currency, trade["commissionAsset"]) == ("USDT", "USDT")
    assert fill.commission == int(Decimal(trade["commission"]) * 10**9) == 5_914_870
    assert fill.side == -1


def test_limit_rests_then_is_canceled(venue):
    async def body():
        async with Session(venue) as s:
            order = s.order(Side.BUY, "0.001", OrderType.LIMIT, "39000")
            await s.status(order, OrderStatus.ACCEPTED)
            assert venue.state()["balances"]["USDT"]["locked"] == "39.00000000"
            s.kernel.cancel_order(order.client_order_id)
            await s.done(order)
            return s, order

    s, order = asyncio.run(body())
    assert order.status == OrderStatus.CANCELED and order.filled_lots == 0
    assert len(s.of(OrderCanceled, order.client_order_id)) == 1
    [raw] = venue_orders(venue, order.client_order_id)
    assert raw["status"] == "CANCELED" and raw["type"] == "LIMIT" and raw["timeInForce"] == "GTC"


def test_ioc_takes_what_it_can_and_fok_nothing(venue):
    async def body():
        async with Session(venue) as s:
            ioc = s.order(Side.BUY, "0.01", OrderType.LIMIT, "39500", TimeInForce.IOC)
            fok = s.order(Side.BUY, "0.01", OrderType.LIMIT, "39500", TimeInForce.FOK)
            await s.done(ioc)
            await s.done(fok)
            return s, ioc, fok

    s, ioc, fok = asyncio.run(body())
    assert ioc.status == OrderStatus.EXPIRED and ioc.filled_lots == 6329  # the print's size
    assert fok.status == OrderStatus.EXPIRED and fok.filled_lots == 0
    kinds = [
        type(e).__name__
        for e in s.events
        if getattr(e, "client_order_id", "") == ioc.client_order_id
    ]
    assert kinds.index("OrderFilled") < kinds.index("OrderExpired")  # the fills first
    [raw] = venue_orders(venue, ioc.client_order_id)
    assert raw["status"] == "EXPIRED" and Decimal(raw["executedQty"]) == Decimal("0.006329")


def test_post_only_that_would_take_is_rejected_and_one_that_rests_is_limit_maker(venue):
    async def body():
        async with Session(venue) as s:
            taking = s.order(Side.BUY, "0.001", OrderType.LIMIT, "39500", post_only=True)
            resting = s.order(Side.BUY, "0.001", OrderType.LIMIT, "39000", post_only=True)
            await s.done(taking)
            await s.status(resting, OrderStatus.ACCEPTED)
            return s, taking, resting

    s, taking, resting = asyncio.run(body())
    [rej] = s.of(OrderRejected, taking.client_order_id)
    assert rej.reason.startswith("POST_ONLY_WOULD_TAKE: ")
    assert venue_orders(venue, taking.client_order_id) == []
    [raw] = venue_orders(venue, resting.client_order_id)
    assert raw["type"] == "LIMIT_MAKER" and raw["status"] == "CANCELED"  # canceled on exit


def test_stop_limit_is_sent_as_stop_loss_limit_and_modify_is_refused(venue):
    async def body():
        async with Session(venue) as s:
            stop = s.order(Side.BUY, "0.001", OrderType.STOP_LIMIT, "40100", stop="40000")
            await s.status(stop, OrderStatus.ACCEPTED)
            s.kernel.modify_order(stop.client_order_id, limit_ticks=s.inst.price_to_ticks("40200"))
            await until(lambda: s.of(OrderModifyRejected), 3, "the modify refused")
            return s, stop

    s, stop = asyncio.run(body())
    [raw] = venue_orders(venue, stop.client_order_id)
    assert (raw["type"], raw["stopPrice"], raw["price"]) == (
        "STOP_LOSS_LIMIT", "40000.00000000", "40100.00000000")  # fmt: skip
    assert s.of(OrderModifyRejected)[0].reason.startswith("UNSUPPORTED: ")


def test_an_order_under_the_minimum_notional_never_reaches_the_venue(venue):
    async def body():
        async with Session(venue) as s:
            await until(lambda: SYMBOL in s.adapter.prices, 3, "a price")
            order = s.order(Side.BUY, "0.0001")  # 3.94 USDT at the last print
            await s.done(order)
            return s, order

    s, order = asyncio.run(body())
    [rej] = s.of(OrderRejected, order.client_order_id)
    assert rej.reason == (
        "BELOW_MIN_NOTIONAL: 3.943248 USDT < 5 USDT (Binance NOTIONAL filter for BTC/USDT)"
    )
    assert venue.state()["orders"] == [] and venue.state()["counts"]["rejects"] == 0
    assert s.adapter.stats()["rejected_local"] == 1


def test_day_orders_rest_gtc_and_the_adapter_expires_them(venue):
    async def body():
        async with Session(venue) as s:
            order = s.order(Side.BUY, "0.001", OrderType.LIMIT, "39000", TimeInForce.DAY)
            await s.status(order, OrderStatus.ACCEPTED)
            assert s.adapter.book.expiry[order.client_order_id] % 86_400_000_000_000 == 0
            s.adapter.book.expiry[order.client_order_id] = 0  # its day is over
            await s.done(order)
            return s, order

    s, order = asyncio.run(body())
    assert order.status == OrderStatus.EXPIRED and s.of(OrderExpired, order.client_order_id)
    [raw] = venue_orders(venue, order.client_order_id)
    assert raw["timeInForce"] == "GTC" and raw["status"] == "CANCELED"


def test_account_report_balances_equal_the_venue_wallet_exactly(make_venue):
    venue = make_venue(balances={"USDT": "100000", "BTC": "0.1", "BNB": "1.5"})

    async def body():
        async with Session(venue) as s:
            held = await s.adapter.held_symbols()
            buy = s.order(Side.BUY, "0.0002")
            rest = s.order(Side.BUY, "0.001", OrderType.LIMIT, "39000")
            await s.done(buy)
            await s.status(rest, OrderStatus.ACCEPTED)
            report = await s.adapter.fetch_account(False)
            return s, held, report, await in_thread(venue.state)

    s, held, report, state = asyncio.run(body())
    assert held == []  # other assets are balances, not the session's positions
    wallet = {a: Decimal(b["free"]) + Decimal(b["locked"]) for a, b in state["balances"].items()}
    got = {a: Decimal(units) / 10**9 for a, units in report.balances}
    assert got == {a: v for a, v in wallet.items() if v}
    usdt = state["balances"]["USDT"]
    assert usdt["locked"] == "39.00000000"
    assert report.currency == "USDT" and Decimal(report.cash) / 10**9 == wallet["USDT"]
    assert Decimal(report.buying_power) / 10**9 == Decimal(usdt["free"])
    [(sym, lots, cost)] = report.positions
    assert sym == SYMBOL and lots == int(wallet["BTC"] / Decimal("0.000001"))
    assert cost == lots * s.inst.price_to_ticks(LAST)
    final = [e for e in s.events if isinstance(e, AccountReport)][-1]
    assert final.final and final.balances[0][0] == "BNB"


def test_a_kernel_rebuilt_from_its_orders_resumes_from_the_trades_it_knows(venue):
    """A second adapter bound to a kernel that already knows trade 1: the trades after it
    are read (``fromId``), trade 1 is not delivered twice."""

    async def body():
        async with Session(venue) as s:
            first = s.order(Side.BUY, "0.0002")
            await s.done(first)
        await in_thread(venue.advance, 1)
        fresh = CcxtAdapter(s.cfg, dict(s.kernel.instruments))
        events: list = []

        async def emit(e):
            events.append(e)

        fresh.bind(emit, OrderView(s.kernel))
        await fresh.connect()
        sync = s.adapter.ex.__class__(s.cfg.exchange_settings())  # another client: an outside order
        s.cfg.point(sync)
        await sync.load_markets()
        await sync.create_order(
            SYMBOL, "market", "buy", 0.0002, None, {"clientOrderId": "manual-1"}
        )
        await sync.close()
        await fresh.start()
        await fresh.stop()
        return first, events

    first, events = asyncio.run(body())
    fills = [e for e in events if isinstance(e, OrderFilled)]
    assert [(f.client_order_id, f.trade_id) for f in fills] == [("external:2", "BTCUSDT:2")]
    assert all(f.trade_id != next(iter(first._trade_ids)) for f in fills)
    assert any(isinstance(e, VenueStatus) and e.connected and e.reconciled for e in events)
