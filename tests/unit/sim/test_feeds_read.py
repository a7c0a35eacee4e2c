"""Reading data files: CSV, gzipped CSV and Parquet, column names, units and chunking."""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from kernel.units import Instrument
from sim.feeds import DataError, DataSpec, FeedStats, probe_time_range, read_chunks

T0 = 1_610_064_000_000_000_000  # 2021-01-08T00:00:00Z
S = 1_000_000_000
XYZ = Instrument("XYZ", "0.01", "1")


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def read(path: Path, kind: str = "quotes", inst: Instrument = XYZ, **kw):
    """All rows of a file as one dict of lists (``ts`` plus the chunk columns), and the stats."""
    stats = FeedStats()
    spec = DataSpec(kind, inst.symbol, path, **kw)
    chunks = list(read_chunks(spec, inst, 3, stats))
    for c in chunks:
        c._check()
        assert c.kind == kind and c.symbol == inst.symbol and c.source == 3 and len(c) > 0
    out = {"ts": np.concatenate([c.ts for c in chunks]).tolist() if chunks else []}
    if chunks:
        for name in chunks[0].cols:
            out[name] = np.concatenate([c.cols[name] for c in chunks]).tolist()
    return out, stats, chunks


QUOTES_CSV = (
    "timestamp,bid,ask,bid_size,ask_size\n"
    "2021-01-08T00:00:00Z,86.65,86.72,100,200\n"
    "2021-01-08T00:00:01Z,86.66,86.72,150,250\n"
    "2021-01-08T00:00:01Z,86.70,86.70,1,2\n"
)


def test_quotes_csv_converts_to_ticks_and_lots(tmp_path):
    out, stats, _ = read(write(tmp_path / "q.csv", QUOTES_CSV))
    assert out == {
        "ts": [T0, T0 + S, T0 + S],
        "bid": [8665, 8666, 8670],
        "ask": [8672, 8672, 8670],  # a locked quote (bid == ask) is fine
        "bid_sz": [100, 150, 1],
        "ask_sz": [200, 250, 2],
    }
    assert stats.rows_read == 3 and stats.rows_skipped == 0
    assert (stats.sources[3].first_ts, stats.sources[3].last_ts) == (T0, T0 + S)


def test_quotes_without_sizes_have_minus_one(tmp_path):
    path = write(tmp_path / "q.csv", "time,bid_price,ask_price\n1610064000000,1.00,1.01\n")
    out, _, _ = read(path)
    assert out == {"ts": [T0], "bid": [100], "ask": [101], "bid_sz": [-1], "ask_sz": [-1]}


def test_gzipped_csv_reads_like_plain(tmp_path):
    plain, _, _ = read(write(tmp_path / "q.csv", QUOTES_CSV))
    gz = tmp_path / "q.csv.gz"
    with gzip.open(gz, "wt") as f:
        f.write(QUOTES_CSV)
    zipped, _, _ = read(gz)
    assert zipped == plain


def test_txt_extension_is_csv(tmp_path):
    plain, _, _ = read(write(tmp_path / "q.txt", QUOTES_CSV))
    assert plain["bid"] == [8665, 8666, 8670]


def test_crlf_line_endings_and_bom(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b"\xef\xbb\xbf" + QUOTES_CSV.replace("\n", "\r\n").encode())
    out, _, _ = read(path)
    assert out["ts"] == [T0, T0 + S, T0 + S]


def test_parquet_quotes_float_prices_int_sizes(tmp_path):
    path = tmp_path / "q.parquet"
    table = pa.table(
        {
            "ts_ns": pa.array([T0, T0 + 1, T0 + 2], pa.int64()),
            "bid_px": [100.01, 100.02, 99.99],
            "ask_px": [100.02, 100.03, 100.0],
            "bid_sz": pa.array([1, 2, 3], pa.int64()),
            "ask_sz": pa.array([4, 5, 6], pa.int64()),
            "extra": ["a", "b", "c"],
        }
    )
    pq.write_table(table, path)
    out, _, _ = read(path)
    assert out == {
        "ts": [T0, T0 + 1, T0 + 2],
        "bid": [10001, 10002, 9999],
        "ask": [10002, 10003, 10000],
        "bid_sz": [1, 2, 3],
        "ask_sz": [4, 5, 6],
    }


def test_parquet_timestamp_column_and_buyer_maker_bool(tmp_path):
    path = tmp_path / "t.parquet"
    table = pa.table(
        {
            "timestamp": pa.array([T0 // 10**6, T0 // 10**6 + 5], pa.timestamp("ms", tz="UTC")),
            "price": [39432.48, 39439.44],
            "quantity": [0.000263, 2.0],
            "buyer_maker": [True, False],
        }
    )
    pq.write_table(table, path)
    out, _, _ = read(path, "trades", Instrument("BTC", "0.01", "0.000001"))
    assert out == {
        "ts": [T0, T0 + 5_000_000],
        "px": [3943248, 3943944],
        "sz": [263, 2_000_000],
        "side": [-1, 1],  # buyer is maker => the seller took liquidity
    }


def test_trades_side_text_and_unknown(tmp_path):
    path = write(
        tmp_path / "t.csv",
        "ts,px,sz,aggressor\n1,1.00,1,BUY\n2,1.00,1,sell\n3,1.00,1,\n4,1.00,1,B\n5,1.00,1,s\n",
    )
    out, _, _ = read(path, "trades")
    assert out["side"] == [1, -1, 0, 1, -1]


def test_trades_without_side_are_unknown(tmp_path):
    out, _, _ = read(write(tmp_path / "t.csv", "time,price,size\n1,2.50,3\n"), "trades")
    assert out == {"ts": [S], "px": [250], "sz": [3], "side": [0]}


def test_column_mapping_renames_file_columns(tmp_path):
    path = write(tmp_path / "q.csv", "Zeit,Geld,Brief,bid\n2021-01-08T00:00:00Z,1.00,1.01,7\n")
    out, _, _ = read(path, columns={"Zeit": "ts", "Geld": "bid_px", "Brief": "ask_px"})
    assert out["ts"] == [T0] and out["bid"] == [100] and out["ask"] == [101]


def test_missing_required_column_raises_before_iterating(tmp_path):
    path = write(tmp_path / "q.csv", "timestamp,bid\n2021-01-08T00:00:00Z,1.00\n")
    with pytest.raises(DataError) as info:
        read_chunks(DataSpec("quotes", "XYZ", path), XYZ)
    assert str(info.value) == (
        f"{path}: missing column 'ask_px' for quotes (also accepted: ask, ask_price); "
        "columns found: timestamp, bid"
    )


def test_missing_file_raises_data_error(tmp_path):
    for name in ("nope.csv", "nope.parquet"):
        with pytest.raises(DataError, match="file not found"):
            read_chunks(DataSpec("quotes", "XYZ", tmp_path / name), XYZ)


def test_empty_file_raises_data_error(tmp_path):
    with pytest.raises(DataError, match="empty or has no header"):
        read_chunks(DataSpec("quotes", "XYZ", write(tmp_path / "e.csv", "")), XYZ)


def test_not_a_parquet_file_raises_data_error(tmp_path):
    path = write(tmp_path / "x.parquet", "ts,bid,ask\n")
    with pytest.raises(DataError, match="cannot read the file as Parquet"):
        read_chunks(DataSpec("quotes", "XYZ", path), XYZ)


def test_instrument_of_another_symbol_is_refused(tmp_path):
    with pytest.raises(ValueError, match="instrument 'ABC' given for data of 'XYZ'"):
        read_chunks(DataSpec("quotes", "XYZ", tmp_path / "q.csv"), Instrument("ABC", "1", "1"))


# --- bars -------------------------------------------------------------------------------------
BARS_CSV = (
    "Date,Open,High,Low,Close,Adj Close,Volume\n"
    "1995-01-03,2.179012,2.191358,2.117284,2.117284,1.883304,36301200\n"
    "1995-01-04,2.123457,2.148148,2.092592,2.135803,1.899776,46051600\n"
)


def test_bars_event_time_is_open_plus_interval(tmp_path):
    inst = Instrument("ORCL", "0.000001", "1")
    out, _, _ = read(write(tmp_path / "o.txt", BARS_CSV), "bars", inst, interval_ns=86_400 * S)
    day = 86_400 * S
    jan3 = 789_091_200 * S
    assert out == {
        "ts": [jan3 + day, jan3 + 2 * day],
        "open": [2179012, 2123457],
        "high": [2191358, 2148148],
        "low": [2117284, 2092592],
        "close": [2117284, 2135803],
        "volume": [36301200, 46051600],
    }


def test_bars_volume_rounds_half_even_and_may_be_absent(tmp_path):
    text = "ts,open,high,low,close,volume\n60,1,2,1,2,2.5\n120,1,2,1,2,3.5\n180,1,2,1,2,0.25\n"
    out, _, _ = read(write(tmp_path / "b.csv", text), "bars", interval_ns=60 * S)
    assert out["volume"] == [2, 4, 0]
    assert out["ts"] == [120 * S, 180 * S, 240 * S]
    text = "ts,open,high,low,close\n60,1,2,1,2\n"
    out, _, _ = read(write(tmp_path / "b2.csv", text), "bars", interval_ns=60 * S)
    assert out["volume"] == [-1]


# --- book -------------------------------------------------------------------------------------
def test_book_sides_snap_flag_and_zero_size(tmp_path):
    text = (
        "symbol,timestamp,side,update_type,price,qty\n"
        "BTCUSDT,1667346579146,b,snap,20377.00,1.770\n"
        "BTCUSDT,1667346579146,A,snap,20377.10,0.001\n"
        "BTCUSDT,1667346579200,bid,set,20377.00,0.000\n"
        "BTCUSDT,1667346579200,ASK,Set,20377.20,2\n"
    )
    inst = Instrument("BTCUSDT", "0.1", "0.001")
    out, _, _ = read(write(tmp_path / "d.csv", text), "book", inst)
    assert out == {
        "ts": [1667346579146 * 10**6] * 2 + [1667346579200 * 10**6] * 2,
        "side": [1, -1, 1, -1],
        "px": [203770, 203771, 203770, 203772],
        "sz": [1770, 1, 0, 2000],
        "snap": [1, 1, 0, 0],
    }


def test_book_without_update_type_is_not_snap(tmp_path):
    out, _, _ = read(write(tmp_path / "d.csv", "ts,side,px,sz\n1,a,1.00,1\n"), "book")
    assert out["snap"] == [0] and out["side"] == [-1]


# --- exactness --------------------------------------------------------------------------------
def test_large_values_on_a_fine_grid_are_exact(tmp_path):
    inst = Instrument("BTC", "0.5", "0.0001")
    text = "ts,px,sz\n1,46319.5,2300413.7295\n2,46320.0,0.0001\n"
    out, _, _ = read(write(tmp_path / "t.csv", text), "trades", inst)
    assert out["px"] == [92639, 92640] and out["sz"] == [23004137295, 1]


def test_integer_parquet_sizes_convert_exactly(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"ts": [1, 2], "px": [1, 2], "sz": pa.array([4, 7], pa.int64())}), path)
    out, _, _ = read(path, "trades", Instrument("X", "0.25", "0.5"))
    assert out["px"] == [4, 8] and out["sz"] == [8, 14]
    with pytest.raises(DataError, match="off-lot size: sz 7 is not a multiple of the lot size 2"):
        read(path, "trades", Instrument("X", "1", "2"))


# --- chunking and streaming -------------------------------------------------------------------
def quotes_text(n: int) -> str:
    rows = [f"{T0 + i * 1000},{100 + i % 7}.00,{108 + i % 7}.00" for i in range(n)]
    return "ts,bid,ask\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_chunks_respect_chunk_rows(tmp_path, suffix):
    path = tmp_path / ("q" + suffix)
    write(path, quotes_text(50))
    if suffix == ".parquet":
        pq.write_table(pacsv.read_csv(write(tmp_path / "q.csv", quotes_text(50))), path)
    out, _, chunks = read(path, chunk_rows=7)
    assert max(len(c) for c in chunks) <= 7 and len(chunks) >= 8
    assert out["ts"] == [T0 + i * 1000 for i in range(50)]


def test_big_csv_is_streamed_not_loaded(tmp_path):
    n = 120_000  # several Arrow blocks
    path = write(tmp_path / "q.csv", quotes_text(n) + "x,1.00,1.01\n")
    chunks = read_chunks(DataSpec("quotes", "XYZ", path, chunk_rows=10_000), XYZ)
    first = next(chunks)  # delivered before the bad last line is even parsed
    assert len(first) == 10_000 and first.ts[0] == T0
    seen = len(first)
    with pytest.raises(DataError) as info:
        for c in chunks:
            assert len(c) <= 10_000
            seen += len(c)
    # the error comes with the block that holds the bad line, after the blocks before it
    assert 10_000 < seen < n and info.value.row == n + 2


def test_single_batch_bigger_than_chunk_rows_is_split_in_order(tmp_path):
    out, _, chunks = read(write(tmp_path / "q.csv", quotes_text(1000)), chunk_rows=64)
    assert [len(c) for c in chunks] == [64] * 15 + [40]
    assert out["ts"] == sorted(out["ts"])


# --- probe ------------------------------------------------------------------------------------
def test_probe_time_range_reads_timestamps_only(tmp_path):
    path = write(tmp_path / "q.csv", QUOTES_CSV + "garbage,x,y\n")
    assert probe_time_range(DataSpec("quotes", "XYZ", path)) == (T0, T0 + S)
    bars = write(tmp_path / "b.csv", "ts,open,high,low,close\n60,1,1,1,1\n120,1,1,1,1\n")
    spec = DataSpec("bars", "XYZ", bars, interval_ns=60 * S)
    assert probe_time_range(spec) == (120 * S, 180 * S)
    empty = write(tmp_path / "e.csv", "ts,bid,ask\n")
    assert probe_time_range(DataSpec("quotes", "XYZ", empty)) is None


def test_probe_time_range_parquet(tmp_path):
    path = tmp_path / "q.parquet"
    pq.write_table(pa.table({"ts": [T0, T0 + 5], "bid": [1.0, 1.0], "ask": [1.0, 1.0]}), path)
    assert probe_time_range(DataSpec("quotes", "XYZ", path)) == (T0, T0 + 5)


# --- odd but valid files ----------------------------------------------------------------------
def test_spaces_around_names_and_values_are_tolerated(tmp_path):
    path = write(tmp_path / "q.csv", "ts, Bid , ask\n1610064000, 1.00 ,1.01\n")
    out, _, _ = read(path)
    assert out["ts"] == [T0] and out["bid"] == [100] and out["ask"] == [101]


def test_naive_csv_times_in_the_entry_zone(tmp_path):
    path = write(tmp_path / "q.csv", "time,bid,ask\n2021-01-07 19:00:00,1.00,1.01\n")
    out, _, _ = read(path, tz="America/New_York")
    assert out["ts"] == [T0]


def test_decimal_and_fine_grid_integer_columns(tmp_path):
    path = tmp_path / "t.parquet"
    table = pa.table(
        {
            "ts": [1, 2],
            "px": pa.array([1, 2], pa.int64()),
            "sz": pa.array([Decimal("10.000"), Decimal("20.000")], pa.decimal128(10, 3)),
        }
    )
    pq.write_table(table, path)
    # a tick of 1e-10 is too fine for exact int64 steps: floats take over, still exact here
    out, _, _ = read(path, "trades", Instrument("X", "0.0000000001", "10"))
    assert out["px"] == [10**10, 2 * 10**10] and out["sz"] == [1, 2]
    out, _, _ = read(path, "trades", Instrument("X", "1", "0.001"))
    assert out["sz"] == [10_000, 20_000]


def test_invalid_utf8_is_a_data_error_not_a_traceback(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b"ts,bid,ask\n1,1.00,1.01\n2,1.\xff0,1.01\n")
    with pytest.raises(DataError, match="cannot read the file as CSV"):
        list(read_chunks(DataSpec("quotes", "XYZ", path), XYZ))
