"""Data entries (DataSpec), bar intervals, column matching and the run counts of the feeds."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from sim.feeds import DataError, DataSpec, FeedStats, parse_interval, resolve_columns


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("1m", 60_000_000_000),
        ("1d", 86_400_000_000_000),
        ("500ms", 500_000_000),
        ("2h", 7_200_000_000_000),
        ("30s", 30_000_000_000),
        ("250us", 250_000),
        ("10ns", 10),
        ("1.5s", 1_500_000_000),
        (" 5m ", 300_000_000_000),
        (1_000, 1_000),
    ],
)
def test_parse_interval_known_units_give_ns(text, ns):
    assert parse_interval(text) == ns


@pytest.mark.parametrize("text", ["1", "1w", "m", "0s", "-1m", "1.5ns", "", True, 0, None, 1.5])
def test_parse_interval_bad_value_raises_with_value(text):
    with pytest.raises(ValueError, match="interval"):
        parse_interval(text)


def test_dataspec_bars_without_interval_raises():
    with pytest.raises(ValueError, match="bars need an interval"):
        DataSpec("bars", "X", Path("b.csv"))


def test_dataspec_interval_on_quotes_raises():
    with pytest.raises(ValueError, match="interval applies to bars only"):
        DataSpec("quotes", "X", Path("q.csv"), interval_ns=60)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "ticks"}, "kind 'ticks' must be one of quotes, trades, bars, book"),
        ({"on_bad_row": "ignore"}, "on_bad_row must be 'error' or 'skip'"),
        ({"tz": "Mars/Olympus"}, "tz 'Mars/Olympus' is not a known time zone"),
        ({"chunk_rows": 0}, "chunk_rows must be positive"),
        ({"columns": {"a": 1}}, "columns must map"),
        ({"symbol": ""}, "symbol must be a non-empty string"),
    ],
)
def test_dataspec_invalid_field_raises_naming_it(kwargs, message):
    args = {"kind": "quotes", "symbol": "X", "path": Path("q.csv")} | kwargs
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        DataSpec(**args)


def test_dataspec_from_entry_resolves_relative_path_and_interval(tmp_path):
    spec = DataSpec.from_entry(
        {
            "kind": "bars",
            "symbol": "X",
            "path": "data/b.csv",
            "interval": "1m",
            "on_bad_row": "skip",
        },
        tmp_path,
    )
    assert spec.path == tmp_path / "data" / "b.csv"
    assert spec.interval_ns == 60_000_000_000
    assert spec.on_bad_row == "skip"


def test_dataspec_from_entry_absolute_path_is_kept(tmp_path):
    spec = DataSpec.from_entry(
        {"kind": "quotes", "symbol": "X", "path": str(tmp_path / "q.csv")}, "/x"
    )
    assert spec.path == tmp_path / "q.csv"


def test_dataspec_from_entry_unknown_key_raises_listing_known_keys():
    with pytest.raises(ValueError, match=r"unknown key\(s\) colums"):
        DataSpec.from_entry({"kind": "quotes", "symbol": "X", "path": "q.csv", "colums": {}})


def test_dataspec_from_entry_missing_path_raises():
    with pytest.raises(ValueError, match="missing key 'path'"):
        DataSpec.from_entry({"kind": "quotes", "symbol": "X"})


def test_dataspec_from_entry_bad_interval_names_symbol():
    with pytest.raises(ValueError, match="data entry 'X': interval '1y'"):
        DataSpec.from_entry({"kind": "bars", "symbol": "X", "path": "b.csv", "interval": "1y"})


# --- column matching --------------------------------------------------------------------------
def test_resolve_columns_aliases_are_case_insensitive():
    found = resolve_columns(
        "bars", ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"], None, Path("o")
    )
    assert found == {
        "ts": "Date",
        "open": "Open",
        "high": "High",
        "low": "Low",
        "close": "Close",
        "volume": "Volume",
    }


def test_resolve_columns_quotes_vendor_names():
    found = resolve_columns("quotes", ["timestamp", "bid", "ask"], None, Path("q"))
    assert found == {"ts": "timestamp", "bid_px": "bid", "ask_px": "ask"}


def test_resolve_columns_mapping_wins_over_aliases():
    found = resolve_columns(
        "quotes",
        ["timestamp", "Zeit", "B", "A", "bid"],
        {"Zeit": "ts", "B": "bid_px", "a": "ask_px"},
        Path("q"),
    )
    assert found == {"ts": "Zeit", "bid_px": "B", "ask_px": "A"}


def test_resolve_columns_trades_side_preferred_over_buyer_maker():
    found = resolve_columns(
        "trades", ["ts", "price", "qty", "buyer_maker", "side"], None, Path("t")
    )
    assert found == {"ts": "ts", "px": "price", "sz": "qty", "side": "side"}
    found = resolve_columns("trades", ["time", "price", "quantity", "buyer_maker"], None, Path("t"))
    assert found["buyer_maker"] == "buyer_maker"


def test_resolve_columns_missing_required_names_file_column_and_found():
    with pytest.raises(DataError) as info:
        resolve_columns("quotes", ["timestamp", "bid"], None, Path("data/q.csv"))
    err = info.value
    assert err.path == Path("data/q.csv") and err.column == "ask_px" and err.row is None
    assert str(err) == (
        "data/q.csv: missing column 'ask_px' for quotes (also accepted: ask, ask_price); "
        "columns found: timestamp, bid"
    )


def test_resolve_columns_mapping_to_unknown_contract_column_raises():
    with pytest.raises(DataError, match="'bid_price' to 'bidpx', which is not a quotes column"):
        resolve_columns("quotes", ["ts", "bid_price", "ask"], {"bid_price": "bidpx"}, Path("q"))


def test_resolve_columns_mapping_of_absent_file_column_raises():
    with pytest.raises(DataError, match="columns names 'Bid' but the file has no such column"):
        resolve_columns("quotes", ["ts", "ask"], {"Bid": "bid_px"}, Path("q"))


# --- stats ------------------------------------------------------------------------------------
def test_feedstats_keeps_first_examples_and_counts_all():
    stats = FeedStats(max_examples=2)
    stats.add_read(1, "b.csv", 10)
    stats.add_read(0, "a.csv", 5)
    stats.add_skipped(1, "b.csv", 3)
    for row in (2, 3, 4):
        stats.add_example("b.csv", row, "bad")
    stats.add_delivered(1, "b.csv", 100, 200)
    stats.add_delivered(1, "b.csv", 300, 400)
    out = stats.as_dict()
    assert out["rows_read"] == 15 and out["rows_skipped"] == 3
    assert [s["source"] for s in out["sources"]] == [0, 1]
    assert out["sources"][1] | {} == {
        "source": 1,
        "path": "b.csv",
        "rows_read": 10,
        "rows_skipped": 3,
        "first_ts": 100,
        "last_ts": 400,
    }
    assert out["skipped_examples"] == [
        {"path": "b.csv", "row": 2, "reason": "bad"},
        {"path": "b.csv", "row": 3, "reason": "bad"},
    ]
    assert stats.sources[1].rows_delivered == 7


def test_data_error_pickles_with_its_fields():
    err = DataError(Path("data/q.csv"), "bid_px 'abc' is not a number", 17, "bid_px")
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == "data/q.csv line 17: bid_px 'abc' is not a number"
    assert (back.path, back.row, back.column, back.unit) == (
        Path("data/q.csv"),
        17,
        "bid_px",
        "line",
    )
    assert str(DataError("x.parquet", "bad", 3, unit="row")) == "x.parquet row 3: bad"
