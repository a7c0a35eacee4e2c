"""The real data files shipped in scenarios/data parse with their instruments' grids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kernel.units import Instrument
from sim.feeds import DataError, DataSpec, FeedStats, merge, probe_time_range, read_chunks

DATA = Path(__file__).resolve().parents[3] / "scenarios" / "data"
S = 1_000_000_000
MINUTE = 60 * S
DAY = 86_400 * S


def iso_ns(text: str) -> int:
    return int(np.datetime64(text, "ns").astype(np.int64))


def load(kind, symbol, name, tick, lot, **kw):
    spec = DataSpec(kind, symbol, DATA / name, **kw)
    stats = FeedStats()
    chunks = list(read_chunks(spec, Instrument(symbol, tick, lot), 0, stats))
    for c in chunks:
        c._check()
    ts = np.concatenate([c.ts for c in chunks])
    cols = {k: np.concatenate([c.cols[k] for c in chunks]) for k in chunks[0].cols}
    assert bool(np.all(ts[1:] >= ts[:-1]))
    assert probe_time_range(spec) == (int(ts[0]), int(ts[-1]))
    return ts, cols, stats


def test_truefx_usdjpy_quotes():
    ts, cols, stats = load("quotes", "USDJPY", "truefx_usdjpy-ticks.csv", "0.001", "1")
    assert len(ts) == 1000 and stats.rows_skipped == 0
    assert ts[0] == iso_ns("2013-01-01T22:00:00.295") and ts[-1] == iso_ns(
        "2013-01-01T22:35:13.494"
    )
    assert (cols["bid"][0], cols["ask"][0]) == (86655, 86728)
    assert (cols["bid"][-1], cols["ask"][-1]) == (86836, 86854)
    assert set(cols["bid_sz"].tolist()) == {-1} and bool(np.all(cols["bid"] <= cols["ask"]))


def test_binance_btcusdt_trades_parquet():
    ts, cols, _ = load("trades", "BTCUSDT", "binance_btcusdt-trades.parquet", "0.01", "0.000001")
    assert len(ts) == 2001
    assert ts[0] == iso_ns("2021-01-08T00:00:00.278") and ts[-1] == iso_ns(
        "2021-01-08T00:00:46.355"
    )
    assert (cols["px"][0], cols["sz"][0], cols["side"][0]) == (3943248, 263, -1)
    assert (cols["px"][1], cols["sz"][1], cols["side"][1]) == (3943944, 4376, 1)
    assert int((cols["side"] == -1).sum()) == 914 and int((cols["side"] == 1).sum()) == 1087


def test_binance_trades_are_off_a_coarser_lot():
    # Binance's BTCUSDT step was 0.000001 then: 0.00001 cannot hold 0.000263
    spec = DataSpec("trades", "BTCUSDT", DATA / "binance_btcusdt-trades.parquet")
    with pytest.raises(DataError, match=r"row 1: off-lot size: sz 0\.000263"):
        list(read_chunks(spec, Instrument("BTCUSDT", "0.01", "0.00001")))


@pytest.mark.parametrize(
    ("name", "first_ts", "snap", "sides"),
    [
        ("binance_btcusdt-depth-snap.csv", 1667346579146, 100, {1: 100}),
        ("binance_btcusdt-depth-update.csv", 1667347199939, 0, {1: 23, -1: 77}),
    ],
)
def test_binance_depth_book(name, first_ts, snap, sides):
    ts, cols, _ = load("book", "BTCUSDT", name, "0.1", "0.001")
    assert len(ts) == 100 and set(ts.tolist()) == {first_ts * 10**6}
    assert int(cols["snap"].sum()) == snap
    values, counts = np.unique(cols["side"], return_counts=True)
    assert dict(zip(values.tolist(), counts.tolist())) == sides
    assert bool(np.all(cols["sz"] >= 0))


def test_btc_perp_1m_bars_on_an_eighth_tick():
    ts, cols, _ = load(
        "bars",
        "BTCPERP",
        "btc-perp-20211231-20220201_1m.csv",
        "0.125",
        "0.0001",
        interval_ns=MINUTE,
    )
    assert len(ts) == 45031
    assert ts[0] == iso_ns("2021-12-31T23:01") + MINUTE  # known at the bar's close
    assert ts[-1] == iso_ns("2022-02-01T05:31") + MINUTE
    assert (cols["open"][0], cols["close"][0]) == (46319 * 8, 46377 * 8)
    assert cols["volume"][0] == 23004137295  # 2300413.7295
    assert bool(np.all(cols["low"] <= np.minimum(cols["open"], cols["close"])))


def test_btc_perp_has_ten_interpolated_bars_off_the_half_tick():
    spec = DataSpec(
        "bars",
        "BTCPERP",
        DATA / "btc-perp-20211231-20220201_1m.csv",
        interval_ns=MINUTE,
        on_bad_row="skip",
    )
    stats = FeedStats()
    n = sum(len(c) for c in read_chunks(spec, Instrument("BTCPERP", "0.5", "0.0001"), 0, stats))
    assert n == 45021 and stats.rows_skipped == 10
    assert [r for _, r, _ in stats.skipped] == [
        244,
        246,
        248,
        250,
        17524,
        17525,
        17526,
        17528,
        17529,
        17530,
    ]
    assert (
        stats.skipped[0][2]
        == "off-tick price: open 46821.75 is not a multiple of the tick size 0.5"
    )


def test_orcl_daily_bars():
    ts, cols, _ = load("bars", "ORCL", "orcl-1995-2014.txt", "0.000001", "1", interval_ns=DAY)
    assert len(ts) == 5036
    assert ts[0] == iso_ns("1995-01-04") and ts[-1] == iso_ns("2015-01-01")
    assert (cols["open"][0], cols["high"][0], cols["volume"][0]) == (2179012, 2191358, 36301200)
    assert (cols["close"][-1], cols["volume"][-1]) == (44970001, 13269200)


def test_bundled_sources_merge_in_time_order():
    specs = [
        (DataSpec("book", "BTCUSDT", DATA / "binance_btcusdt-depth-update.csv"), ("0.1", "0.001")),
        (DataSpec("book", "BTCUSDT", DATA / "binance_btcusdt-depth-snap.csv"), ("0.1", "0.001")),
    ]
    streams = [read_chunks(s, Instrument(s.symbol, *grid), i) for i, (s, grid) in enumerate(specs)]
    out = list(merge(streams))
    assert [(c.source, len(c)) for c in out] == [(1, 100), (0, 100)]  # the snapshot came first
