"""The local Alpaca venue on recorded L2 book data (``--kind book``): the quotes stream shows the
book's top whenever it changes, a market order sweeps the book's levels (recorded mode) or meets
the book as background liquidity (exchange mode), ``--loop`` restarts the book, and the command
line takes several book files for one symbol. Raw REST and websockets; loopback only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import websockets

from live.fakes.alpaca import ConfigError, FakeAlpacaConfig, SymbolFeed, VenueThread

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]

ROOT = Path(__file__).resolve().parents[3]
SNAP = ROOT / "scenarios" / "data" / "binance_btcusdt-depth-snap.csv"
UPDATE = ROOT / "scenarios" / "data" / "binance_btcusdt-depth-update.csv"
KEY, SECRET = "book-key", "book-secret"
B_KEY, B_SECRET = "other-key", "other-secret"
HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
B_HEADERS = {"APCA-API-KEY-ID": B_KEY, "APCA-API-SECRET-KEY": B_SECRET}
# the top after the snapshot (bids only), then after the update (both files' rows by hand)
SNAP_TOP = (20377.0, 1.77, 0, 0)
BOTH_TOP = (20472.1, 22.276, 20472.2, 4.211)
T0 = "2024-01-02T14:30:0"
DIFFS = [  # a book without a snapshot row: ts, side, price, qty
    (f"{T0}0Z", "b", "100.0", "1"),
    (f"{T0}0Z", "a", "100.2", "1"),
    (f"{T0}1Z", "b", "99.9", "5"),  # below the top: no quote
    (f"{T0}2Z", "a", "100.1", "2"),  # a better ask
]


def book_config(**kw: Any) -> FakeAlpacaConfig:
    feeds = [SymbolFeed("BTCUSDT", path, "0.1", "0.001") for path in (SNAP, UPDATE)]
    kw.setdefault("symbols", feeds)
    return FakeAlpacaConfig(
        kind="book", key=KEY, secret=SECRET, start_paused=True, cash="1000000", **kw
    )


@pytest.fixture
def venues() -> Iterator[list[VenueThread]]:
    started: list[VenueThread] = []
    yield started
    for venue in started:
        venue.close()


def start(venues: list[VenueThread], **kw: Any) -> VenueThread:
    venue = VenueThread(book_config(**kw))
    venues.append(venue)
    return venue


def quotes_after(venue: VenueThread, advance: int, quiet: float = 0.4) -> list[tuple[Any, ...]]:
    """Subscribe to the symbol's quotes, replay ``advance`` events, and return every quote sent
    as ``(bp, bs, ap, as)`` (a quiet spell ends the wait)."""

    async def main() -> list[dict[str, Any]]:
        ws = await websockets.connect(venue.data_url)
        await ws.recv()
        await ws.send(json.dumps({"action": "auth", "key": KEY, "secret": SECRET}))
        await ws.recv()
        await ws.send(json.dumps({"action": "subscribe", "quotes": ["BTCUSDT"]}))
        await ws.recv()
        await asyncio.to_thread(venue.advance, advance)
        out: list[dict[str, Any]] = []
        try:
            while True:
                out.extend(json.loads(await asyncio.wait_for(ws.recv(), quiet)))
        except TimeoutError:
            pass
        await ws.close()
        return out

    msgs = asyncio.run(main())
    assert all(m["T"] == "q" and m["S"] == "BTCUSDT" for m in msgs), msgs
    return [(m["bp"], m["bs"], m["ap"], m["as"]) for m in msgs]


def order(venue: VenueThread, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    body = {"symbol": "BTCUSDT", "time_in_force": "gtc", **body}
    r = requests.post(venue.base_url + "/v2/orders", json=body, headers=headers, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_quotes_stream_is_the_book_top_after_each_update(venues):
    venue = start(venues)
    assert quotes_after(venue, 2) == [SNAP_TOP, BOTH_TOP]
    assert venue.stats()["replayed"] == 2  # one event per file: its rows share one timestamp


def test_quotes_are_sent_only_when_the_top_changes(venues, tmp_path):
    data = tmp_path / "diffs.csv"
    data.write_text("timestamp,side,price,qty\n" + "\n".join(",".join(r) for r in DIFFS) + "\n")
    venue = start(venues, symbols=[SymbolFeed("BTCUSDT", data, "0.1", "0.001")])
    assert quotes_after(venue, 3) == [(100, 1, 100.2, 1), (100, 1, 100.1, 2)]


def test_market_buy_sweeps_the_book_levels_at_their_prices(venues):
    venue = start(venues)
    venue.advance(2)
    order(venue, HEADERS, qty="4.3", side="buy", type="market", time_in_force="day")
    state = venue.state()
    fills = [(f["price"], f["qty"]) for f in state["fills"]]
    # the best asks are 20472.2 x 4.211, 20473.3 x 0.001, 20473.6 x 0.126: level by level
    assert fills == [("20472.2", "4.211"), ("20473.3", "0.001"), ("20473.6", "0.088")]
    cost = sum(Decimal(p) * Decimal(q) for p, q in fills)
    assert state["positions"] == {"BTCUSDT": "4.3"}
    assert Decimal(state["cash"]) == 1000000 - cost


def test_exchange_mode_book_is_background_and_quotes_show_the_engine_top(venues):
    venue = start(venues, mode="exchange", accounts=[(B_KEY, B_SECRET)])
    assert quotes_after(venue, 2)[-1] == BOTH_TOP
    sell = order(venue, HEADERS, qty="1", side="sell", type="limit", limit_price="20472.2")
    assert sell["status"] in ("new", "accepted")
    order(venue, B_HEADERS, qty="4.3", side="buy", type="market", time_in_force="day")
    b = next(a for a in venue.state()["accounts"] if a["key"] == B_KEY)
    assert [(f["price"], f["qty"]) for f in b["fills"]] == [("20472.2", "4.211"), ("20472.2", "0.089")]  # fmt: skip
    a_fills = venue.state()["fills"]  # the first account's: its resting sell, taken in part
    assert [(f["price"], f["qty"], f["side"]) for f in a_fills] == [("20472.2", "0.089", "sell")]


def test_loop_restarts_the_book_from_the_snapshot(venues):
    venue = start(venues, loop=True)
    assert quotes_after(venue, 4) == [SNAP_TOP, BOTH_TOP, SNAP_TOP, BOTH_TOP]
    assert venue.stats()["replay_passes"] == 2  # both passes done


def test_loop_of_diffs_without_a_snapshot_starts_each_pass_from_an_empty_book(venues, tmp_path):
    data = tmp_path / "diffs.csv"
    data.write_text("timestamp,side,price,qty\n" + "\n".join(",".join(r) for r in DIFFS) + "\n")
    venue = start(venues, symbols=[SymbolFeed("BTCUSDT", data, "0.1", "0.001")], loop=True)
    # the second pass's first update replaces the book: the 100.1 ask of the first pass is gone
    assert quotes_after(venue, 4) == [(100, 1, 100.2, 1), (100, 1, 100.1, 2), (100, 1, 100.2, 1)]


def test_cli_takes_several_book_files_for_one_symbol():
    argv = ["--kind", "book", "--data", str(SNAP), "--data", str(UPDATE), "--symbol", "BTCUSDT",
            "--tick-size", "0.1", "--lot-size", "0.001"]  # fmt: skip
    config = FakeAlpacaConfig.from_cli(argv)
    assert [(f.symbol, f.data) for f in config.feeds()] == [("BTCUSDT", SNAP), ("BTCUSDT", UPDATE)]
    assert [i.symbol for i in config.instruments()] == ["BTCUSDT"]
    assert FakeAlpacaConfig.from_cli([*argv, "--symbol", "BTCUSDT"]).feeds() == config.feeds()
    with pytest.raises(ConfigError, match="book data only"):
        FakeAlpacaConfig.from_cli(["--data", str(SNAP), "--data", str(UPDATE),
                                   "--symbol", "X", "--symbol", "X"])  # fmt: skip
    with pytest.raises(ConfigError, match="book data needs its files"):
        FakeAlpacaConfig(kind="book")
    with pytest.raises(ConfigError, match="one grid"):
        FakeAlpacaConfig.from_cli([*argv, "--symbol", "BTCUSDT", "--tick-size", "0.01"])
    helps = {a.option_strings[0]: a.help or "" for a in FakeAlpacaConfig.cli_parser()._actions}
    assert "--kind book" in helps["--symbol"] and "book" in helps["--kind"]
    assert helps["--symbol"].endswith("default XYZ)") and helps["--kind"].endswith("quotes)")
