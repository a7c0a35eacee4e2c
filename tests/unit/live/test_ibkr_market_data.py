"""IB tickers (ib_async's ``Ticker``) -> the kernel's quotes and trades."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from kernel.events import QuoteTick, TradeTick
from kernel.units import Instrument
from live.adapters.ibkr import ib_api
from live.adapters.ibkr.market_data import TickerTranslator

XYZ = Instrument("XYZ", Decimal("0.01"), Decimal("1"))
WHEN = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def ticker(
    bid: float, ask: float, bid_size: float = 5.0, ask_size: float = 7.0, ticks=()
) -> ib_api.Ticker:  # type: ignore[no-untyped-def]
    t = ib_api.Ticker(contract=ib_api.Stock("XYZ", "SMART", "USD"))
    t.bid, t.ask, t.bidSize, t.askSize = bid, ask, bid_size, ask_size
    t.ticks = [ib_api.lib.TickData(WHEN, kind, price, size) for kind, price, size in ticks]
    return t


def test_a_ticker_update_gives_its_trades_and_one_quote():
    md = TickerTranslator("ib")
    events = md.events(
        ticker(100.0, 100.02, ticks=[(1, 100.0, 5.0), (4, 100.01, 3.0), (8, 0, 900.0)]),
        "XYZ",
        XYZ,
        9,
    )
    assert events == [
        QuoteTick("XYZ", 10000, 10002, 5, 7, 9, 9, "ib"),
        TradeTick("XYZ", 10001, 3, 0, None, 9, 9, "ib"),
    ]


def test_an_unchanged_top_of_book_is_not_sent_again_until_forgotten():
    md = TickerTranslator("ib")
    assert len(md.events(ticker(100.0, 100.02), "XYZ", XYZ, 1)) == 1
    assert md.events(ticker(100.0, 100.02), "XYZ", XYZ, 2) == []
    assert len(md.events(ticker(100.0, 100.02, bid_size=6.0), "XYZ", XYZ, 3)) == 1
    md.forget()
    assert len(md.events(ticker(100.0, 100.02, bid_size=6.0), "XYZ", XYZ, 4)) == 1


def test_an_empty_or_crossed_side_gives_no_quote():
    md = TickerTranslator("ib")
    assert md.events(ticker(-1.0, 100.02), "XYZ", XYZ, 1) == []
    assert md.events(ticker(float("nan"), 100.02), "XYZ", XYZ, 1) == []
    assert md.events(ticker(100.05, 100.02), "XYZ", XYZ, 1) == []


def test_sizes_off_the_lot_grid_are_unknown_sizes():
    lots100 = Instrument("XYZ", Decimal("0.01"), Decimal("100"))
    (q,) = TickerTranslator("ib").events(ticker(100.0, 100.02, 150.0, 200.0), "XYZ", lots100, 1)
    assert (q.bid_lots, q.ask_lots) == (None, 2)
