"""The local IB venue through ib_async itself: connect, contracts, market data, the account.

The venue runs in a thread (``VenueThread``) on 127.0.0.1, paused: each test replays the quotes
it needs with ``advance(n)``; ib_async's own loop runs in the test's thread and every wait on it
is bounded.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ib_async import IB, Contract, Crypto, Forex, LimitOrder, MarketOrder, Stock

from live.fakes.alpaca.config import SymbolFeed

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]

USDJPY = Path(__file__).resolve().parents[3] / "scenarios" / "data" / "truefx_usdjpy-ticks.csv"


def test_connect_hands_over_id_accounts_and_farm_status(make_venue, connect) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(account="DU7654321", start_paused=False, step_ms=1000.0)
    assert venue.stats()["waiting_for_client"]
    c = connect(venue)
    assert c.ib.isConnected() and c.ib.client.serverVersion() == 178
    assert c.ib.managedAccounts() == ["DU7654321"]
    assert c.ib.client.getReqId() >= 1
    assert [code for _, code, _ in c.errors] == [2104, 2106, 2158]
    stats = venue.stats()
    assert stats["clients"] == [1] and stats["replay_started"]  # the replay starts on startApi
    assert c.ib.reqCurrentTime().isoformat() == "2024-01-02T14:30:00+00:00"  # the data's time
    ids: list[int] = []
    c.ib.wrapper.nextValidId = ids.append  # type: ignore[method-assign]
    c.ib.client.reqIds(1)
    c.wait(lambda: ids == [1])  # no order placed yet


def test_a_request_the_venue_does_not_serve_ends_with_an_error(make_venue, connect, xyz) -> None:  # type: ignore[no-untyped-def]
    c = connect(make_venue())
    c.ib.qualifyContracts(xyz)
    bars = c.ib.reqHistoricalData(xyz, "", "1 D", "1 min", "TRADES", useRTH=False)
    assert list(bars) == [] and 322 in c.codes()


def test_a_client_id_in_use_is_refused_with_326(make_venue, connect) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    connect(venue, client_id=7)
    other = IB()
    codes: list[int] = []
    other.errorEvent += lambda req_id, code, msg, contract: codes.append(code)
    with pytest.raises((ConnectionError, TimeoutError)):
        other.connect("127.0.0.1", venue.port, clientId=7, timeout=1)
    assert 326 in codes
    other.disconnect()
    connect(venue, client_id=8)  # another id is welcome
    assert venue.stats()["clients"] == [7, 8]


def test_qualify_contracts_of_every_security_type(make_venue, connect, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    feeds = [
        SymbolFeed("USDJPY", USDJPY, "0.001", "1000"),
        SymbolFeed("BTC/USD", None, "0.01", "0.0001"),
        SymbolFeed("XYZ", None, "0.01", "1"),
    ]
    venue = make_venue(symbols=feeds)
    c = connect(venue)
    fx, btc, xyz = Forex("USDJPY"), Crypto("BTC", "PAXOS", "USD"), Stock("XYZ", "SMART", "USD")
    assert c.ib.qualifyContracts(fx, btc, xyz) == [fx, btc, xyz]
    assert (fx.secType, fx.localSymbol, fx.exchange, fx.conId > 0) == (
        "CASH",
        "USD.JPY",
        "IDEALPRO",
        True,
    )
    assert (btc.secType, btc.localSymbol) == ("CRYPTO", "BTC.USD")
    assert (xyz.secType, xyz.exchange, xyz.primaryExchange) == ("STK", "SMART", "NASDAQ")
    (details,) = c.ib.reqContractDetails(Contract(conId=fx.conId))
    assert (details.minTick, details.sizeIncrement, details.minSize) == (0.001, 1000.0, 1000.0)
    (details,) = c.ib.reqContractDetails(btc)
    assert (details.minTick, details.sizeIncrement) == (0.01, 0.0001)
    assert len({fx.conId, btc.conId, xyz.conId}) == 3


def test_an_unknown_symbol_is_error_200(make_venue, connect) -> None:  # type: ignore[no-untyped-def]
    c = connect(make_venue())
    nope = Stock("NOPE", "SMART", "USD")
    assert c.ib.qualifyContracts(nope) == [None]
    assert 200 in c.codes()
    assert c.ib.reqContractDetails(Stock("XYZ", "SMART", "EUR")) == []  # wrong currency


def test_market_data_ticks_follow_the_replayed_quotes(make_venue, connect) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    c = connect(venue)
    xyz = Stock("XYZ", "SMART", "USD")
    c.ib.qualifyContracts(xyz)
    venue.advance(1)
    ticker = c.ib.reqMktData(xyz)
    c.wait(lambda: ticker.bid == 100.0 and ticker.ask == 100.02)
    assert (ticker.bidSize, ticker.askSize) == (500.0, 700.0)
    venue.advance(3)
    c.wait(lambda: (ticker.bid, ticker.ask) == (99.9, 99.95))
    c.ib.cancelMktData(xyz)
    c.settle()
    venue.advance(1)  # 100.10 / 100.12: no longer sent
    c.settle()
    assert (ticker.bid, ticker.ask) == (99.9, 99.95)
    snap = c.ib.reqTickers(xyz)[0]  # a snapshot ends with tickSnapshotEnd
    assert (snap.bid, snap.ask) == (100.1, 100.12)


def test_last_and_volume_ticks_from_trades(make_venue, connect, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "t.csv"
    path.write_text(
        "ts,px,sz,side\n2024-01-02T14:30:00Z,100.5,30,1\n2024-01-02T14:30:01Z,100.6,20,-1\n"
    )
    venue = make_venue(data=path, kind="trades")
    c = connect(venue)
    xyz = Stock("XYZ", "SMART", "USD")
    c.ib.qualifyContracts(xyz)  # ib_async hashes tickers by conId: qualify first
    ticker = c.ib.reqMktData(xyz)
    venue.advance(2)
    c.wait(lambda: ticker.last == 100.6)
    assert (ticker.lastSize, ticker.volume) == (20.0, 50.0)


def test_positions_portfolio_and_account_summary(make_venue, connect) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(cash="10000", initial_positions={"XYZ": ("-5", "101")})
    c = connect(venue)
    xyz = Stock("XYZ", "SMART", "USD")
    (held,) = c.ib.positions()
    assert (held.account, held.contract.symbol, held.position, held.avgCost) == (
        "DU0000001",
        "XYZ",
        -5.0,
        101.0,
    )
    venue.advance(1)  # mark 100.01 (the mid)
    trade = c.ib.placeOrder(xyz, MarketOrder("BUY", 15))
    c.wait(lambda: trade.orderStatus.status == "Filled")
    c.wait(lambda: c.ib.positions()[0].position == 10.0)  # an update after the fill
    (pos,) = c.ib.positions()
    assert pos.avgCost == 100.02
    realized = [f.commissionReport.realizedPNL for f in trade.fills]
    assert realized == [4.9]  # 5 closed at 100.02 from 101
    (item,) = c.ib.portfolio()
    assert (item.position, item.marketPrice, item.averageCost) == (10.0, 100.01, 100.02)
    assert (item.unrealizedPNL, item.realizedPNL) == (-0.1, 4.9)
    summary = {v.tag: (v.value, v.currency) for v in c.ib.accountSummary()}
    # cash: 10000 + 505 (the short) - 1500.3 = 9004.7; equity = cash + 10 x 100.01
    assert summary["TotalCashValue"] == ("9004.7", "USD")
    assert summary["NetLiquidation"] == ("10004.8", "USD")
    assert summary["GrossPositionValue"] == ("1000.1", "USD")
    assert summary["AvailableFunds"] == ("9504.75", "USD")
    assert summary["BuyingPower"] == ("19009.5", "USD")
    values = {v.tag: v.value for v in c.ib.accountValues() if not v.modelCode}
    assert values["NetLiquidation"] == "10004.8"


def test_exchange_mode_shows_the_engine_touch_with_our_order(make_venue, connect, xyz) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue(mode="exchange")
    c = connect(venue)
    venue.advance(1)
    ticker = c.ib.reqMktData(c.ib.qualifyContracts(xyz)[0])
    c.wait(lambda: ticker.ask == 100.02)
    resting = c.ib.placeOrder(xyz, LimitOrder("SELL", 5, 100.01))
    c.wait(lambda: ticker.ask == 100.01 and ticker.askSize == 5.0)
    taken = c.ib.placeOrder(xyz, MarketOrder("BUY", 3))
    c.wait(lambda: taken.orderStatus.status == "Cancelled")  # self-trade prevention
    assert resting.orderStatus.status == "Submitted"


def test_reconnecting_client_sees_its_orders_and_fills_again(make_venue, connect) -> None:  # type: ignore[no-untyped-def]
    venue = make_venue()
    c = connect(venue, client_id=3)
    xyz = Stock("XYZ", "SMART", "USD")
    venue.advance(1)
    filled = c.ib.placeOrder(xyz, MarketOrder("BUY", 2))
    c.wait(lambda: filled.orderStatus.status == "Filled")
    c.ib.disconnect()
    again = connect(venue, client_id=3)
    assert [f.execution.execId for f in again.ib.fills()] == [filled.fills[0].execution.execId]
    assert [t.orderStatus.status for t in again.ib.trades()] == ["Filled"]
    assert again.ib.client.getReqId() > filled.order.orderId  # nextValidId after its ids
