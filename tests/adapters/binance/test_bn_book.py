"""The local Binance venue on recorded L2 book data (``--kind book``): the bundled BTCUSDT
snapshot and diff-update files of one symbol. ``GET /api/v3/depth`` is the book the CSV rows
build by hand, ``bookTicker`` its top, ``<symbol>@depth`` sends Binance's ``depthUpdate`` diffs
(ccxt.pro keeps a local book with them), a market order sweeps the levels as the backtest on the
same rows does, and ``--loop`` restarts the book from the snapshot."""

from __future__ import annotations

import asyncio
import contextlib
import csv
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from aiohttp import ClientSession

from executioncore.runner import prepare
from executioncore.scenario import load_scenario
from live.fakes.alpaca.config import FakeAlpacaConfig, SymbolFeed
from live.fakes.binance import FakeBinanceConfig, VenueThread, cli_parser
from tests.adapters.binance.conftest import ROOT, client, in_thread, run_pro

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]

SNAP = ROOT / "scenarios" / "data" / "binance_btcusdt-depth-snap.csv"
UPDATE = ROOT / "scenarios" / "data" / "binance_btcusdt-depth-update.csv"
Book = dict[str, dict[Decimal, Decimal]]
BUY_ON_UPDATE = """
from kernel.enums import Side
from kernel.strategy import Strategy


class BuyOnUpdate(Strategy):
    strategy_id = "buy"

    def __init__(self, symbol, quantity, strategy_id=None):
        super().__init__(strategy_id)
        self.symbol, self.symbols, self.quantity = symbol, (symbol,), quantity
        self.books = 0

    def on_book(self, book):
        self.books += 1
        if self.books == 2:  # the snapshot, then the update: buy against the updated book
            lots = self.ctx.instrument(self.symbol).qty_to_lots(self.quantity)
            self.ctx.market(self.symbol, Side.BUY, lots)
"""


def by_hand(*files: Path) -> Book:
    """The book the CSV rows build, applied in file order (a snapshot row's group replaces it)."""
    book: Book = {"bids": {}, "asks": {}}
    for path in files:
        with path.open() as f:
            rows = list(csv.DictReader(f))
        if any(r["update_type"] == "snap" for r in rows):
            book = {"bids": {}, "asks": {}}
        for r in rows:
            side = book["bids" if r["side"] == "b" else "asks"]
            px, qty = Decimal(r["price"]), Decimal(r["qty"])
            if qty:
                side[px] = qty
            else:
                side.pop(px, None)
    return book


def as_book(answer: dict[str, Any]) -> Book:
    return {s: {Decimal(p): Decimal(q) for p, q in answer[s]} for s in ("bids", "asks")}


def get(venue: VenueThread, path: str, **params: Any) -> Any:
    answer = requests.get(f"{venue.base_url}/api/v3/{path}", params=params, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def book_venue() -> Iterator[Callable[..., VenueThread]]:
    """``book_venue(**kw)``: a paused venue on the two depth files of BTCUSDT (keywords go to
    the market's config)."""
    with contextlib.ExitStack() as running:

        def make(**kw: Any) -> VenueThread:
            feeds = [SymbolFeed("BTCUSDT", path, "0.01", "0.000001") for path in (SNAP, UPDATE)]
            market = FakeAlpacaConfig(kind="book", symbols=feeds, start_paused=True, **kw)
            return running.enter_context(VenueThread(FakeBinanceConfig(market=market)))

        yield make


def test_depth_is_the_csv_book_after_each_replayed_group(book_venue):
    venue = book_venue()
    assert get(venue, "depth", symbol="BTCUSDT") == {"lastUpdateId": 0, "bids": [], "asks": []}
    venue.advance(1)  # the snapshot: 100 rows of one timestamp
    snap = get(venue, "depth", symbol="BTCUSDT", limit=5000)
    assert as_book(snap) == by_hand(SNAP) and len(snap["bids"]) == 100
    assert snap["lastUpdateId"] == 100  # one version per level changed
    venue.advance(1)  # the diff update
    both = get(venue, "depth", symbol="BTCUSDT", limit=5000)
    assert as_book(both) == by_hand(SNAP, UPDATE) and both["lastUpdateId"] > 100
    top5 = get(venue, "depth", symbol="BTCUSDT", limit=5)
    assert top5["bids"] == both["bids"][:5] and top5["asks"] == both["asks"][:5]
    assert [Decimal(p) for p, _ in both["bids"]] == sorted(by_hand(SNAP, UPDATE)["bids"])[::-1]


def test_book_ticker_is_the_top_of_the_book(book_venue):
    venue = book_venue()
    ex = client(venue)
    venue.advance(1)  # bids only
    assert get(venue, "ticker/bookTicker", symbol="BTCUSDT") == {
        "symbol": "BTCUSDT", "bidPrice": "20377.00000000", "bidQty": "1.77000000",
        "askPrice": "0.00000000", "askQty": "0.00000000",
    }  # fmt: skip
    venue.advance(1)
    book = by_hand(SNAP, UPDATE)
    bid, ask = max(book["bids"]), min(book["asks"])
    top = ex.fetch_bids_asks(["BTC/USDT"])["BTC/USDT"]
    assert (Decimal(str(top["bid"])), Decimal(str(top["ask"]))) == (bid, ask)
    assert Decimal(str(top["askVolume"])) == book["asks"][ask]
    ticker = ex.fetch_ticker("BTC/USDT")
    assert (Decimal(str(ticker["bid"])), Decimal(str(ticker["ask"]))) == (bid, ask)


def test_depth_stream_sends_each_update_as_a_depth_update_diff(book_venue):
    venue = book_venue()

    async def body() -> list[dict[str, Any]]:
        async with ClientSession() as http:
            ws = await http.ws_connect(f"{venue.stream_url}/ws")
            await ws.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@depth", "btcusdt@bookTicker"], "id": 1})  # fmt: skip
            assert (await ws.receive_json(timeout=3)) == {"result": None, "id": 1}
            await in_thread(venue.advance, 2)
            msgs = [await ws.receive_json(timeout=3) for _ in range(4)]
            await ws.close()
            return msgs

    snap_diff, snap_top, update_diff, update_top = asyncio.run(body())
    assert set(snap_diff) == {"e", "E", "s", "U", "u", "b", "a"}
    assert (snap_diff["e"], snap_diff["s"], snap_diff["U"], snap_diff["u"]) == (
        "depthUpdate", "BTCUSDT", 1, 100,
    )  # fmt: skip
    assert snap_diff["E"] == 1667346579146 and snap_diff["a"] == []
    assert update_diff["U"] == snap_diff["u"] + 1  # each event follows the last one's u
    book: Book = {"bids": {}, "asks": {}}
    for diff in (snap_diff, update_diff):
        for side, key in (("bids", "b"), ("asks", "a")):
            for p, q in diff[key]:
                book[side][Decimal(p)] = Decimal(q)
                if not Decimal(q):
                    del book[side][Decimal(p)]
    assert book == by_hand(SNAP, UPDATE)
    final = get(venue, "depth", symbol="BTCUSDT", limit=5000)
    assert update_diff["u"] == final["lastUpdateId"]
    assert (snap_top["b"], snap_top["a"]) == ("20377.00000000", "0.00000000")
    assert (update_top["b"], update_top["a"]) == (final["bids"][0][0], final["asks"][0][0])


def test_ccxt_pro_watch_order_book_follows_the_replayed_book(book_venue):
    venue = book_venue()
    venue.advance(1)

    async def body(ex):
        first = await ex.watch_order_book("BTC/USDT")  # the REST snapshot, then the diffs
        first = (list(first["bids"]), list(first["asks"]), first["nonce"])
        later = asyncio.ensure_future(ex.watch_order_book("BTC/USDT"))
        await asyncio.sleep(0.2)
        await in_thread(venue.advance, 1)
        book = await later
        return first, (list(book["bids"]), list(book["asks"]), book["nonce"])

    first, later = run_pro(venue, body)
    assert first[2] == 100 and len(first[0]) == 100 and first[1] == []
    final = get(venue, "depth", symbol="BTCUSDT", limit=1000)
    assert later[2] == final["lastUpdateId"]
    assert later[0] == [[float(p), float(q)] for p, q in final["bids"]]
    assert later[1] == [[float(p), float(q)] for p, q in final["asks"]]


def test_market_buy_sweeps_the_book_as_the_backtest_on_the_same_rows(book_venue, tmp_path):
    (tmp_path / "buy_on_update.py").write_text(BUY_ON_UPDATE)
    scenario = {
        "name": "bt", "seed": 1, "account": {"currency": "USDT", "cash": 100000},
        "instruments": [{"symbol": "BTCUSDT", "tick_size": 0.01, "lot_size": 0.000001,
                         "currency": "USDT"}],
        "data": [{"kind": "book", "symbol": "BTCUSDT", "path": str(p)} for p in (SNAP, UPDATE)],
        "strategy": {"class": "buy_on_update:BuyOnUpdate",
                     "params": {"symbol": "BTCUSDT", "quantity": 4.3}},
    }  # fmt: skip
    (tmp_path / "bt.yaml").write_text(yaml.safe_dump(scenario))
    backtest = prepare(load_scenario(tmp_path / "bt.yaml"), out_dir=tmp_path / "out").execute()
    expected = [(Decimal(str(f["price"])), Decimal(str(f["qty"]))) for f in backtest.record.fills]
    assert len(expected) == 3  # 4.3 BTC takes the best ask and part of two more levels

    venue = book_venue()
    venue.advance(2)
    order = client(venue).create_order("BTC/USDT", "market", "buy", 4.3)
    assert order["status"] == "closed"
    trades = venue.state()["trades"]
    assert [(Decimal(t["price"]), Decimal(t["qty"])) for t in trades] == expected
    book = by_hand(SNAP, UPDATE)["asks"]
    assert [p for p, _ in expected] == sorted(book)[:3]
    # the shown book is the recorded market's: our fills take from the account's copy only
    assert as_book(get(venue, "depth", symbol="BTCUSDT", limit=5000))["asks"] == book


def test_loop_restarts_the_book_from_the_snapshot(book_venue):
    venue = book_venue(loop=True)
    venue.advance(2)
    both = get(venue, "depth", symbol="BTCUSDT", limit=5000)
    venue.advance(1)  # the next pass: the snapshot again, later in time
    again = get(venue, "depth", symbol="BTCUSDT", limit=5000)
    assert as_book(again) == by_hand(SNAP) and again["lastUpdateId"] > both["lastUpdateId"]
    assert venue.stats()["replay_passes"] == 1
    venue.advance(1)
    assert as_book(get(venue, "depth", symbol="BTCUSDT", limit=5000)) == by_hand(SNAP, UPDATE)


def test_cli_takes_one_symbol_for_a_snapshot_and_an_update_file():
    config = FakeBinanceConfig.from_cli(
        ["--kind", "book", "--data", str(SNAP), "--data", str(UPDATE), "--symbol", "BTC/USDT"]
    )
    market = config.market
    assert [s.name for s in config.symbols()] == ["BTCUSDT"]
    assert [(f.symbol, f.data) for f in market.feeds()] == [("BTCUSDT", SNAP), ("BTCUSDT", UPDATE)]
    assert [spec.kind for _, spec in market.data_specs()] == ["book", "book"]
    twice = FakeBinanceConfig.from_cli(["--kind", "book", "--data", str(SNAP), "--data",
                                        str(UPDATE), "--symbol", "BTC/USDT", "--symbol",
                                        "BTCUSDT"])  # fmt: skip
    assert twice.market.feeds() == market.feeds()


def test_help_shows_the_binance_defaults(capsys):
    parser = cli_parser()
    helps = {a.option_strings[0]: a.help or "" for a in parser._actions if a.option_strings}
    assert helps["--symbol"].endswith("default BTC/USDT)")
    assert helps["--kind"].endswith("default trades)")
    assert helps["--tick-size"].endswith("default 0.01)")
    assert helps["--lot-size"].endswith("default 0.000001)")
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "default XYZ" not in text and "default quotes" not in text
    assert "one --symbol serves every --data" in text  # book data's several files
