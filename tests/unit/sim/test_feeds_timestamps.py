"""Timestamp decoding: ISO-8601 flavours, epoch units by magnitude, Arrow types, zones."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from sim.feeds.timestamps import TimestampParser, cast_lenient, epoch_scale, format_ns

T0 = 1_610_064_000_000_000_000  # 2021-01-08T00:00:00Z


def ns(text: str) -> int:
    """Reference: Python's own ISO parser (naive = UTC), to int ns (microsecond inputs only)."""
    d = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.UTC)
    return int(d.timestamp()) * 10**9 + d.microsecond * 1000


def parse(values, tz=None, type_=None):
    parser = TimestampParser(tz)
    ts, ok = parser.parse(pa.array(values, type_))
    return ts.tolist(), ok.tolist()


@pytest.mark.parametrize(
    "text",
    [
        "2013-01-01 22:00:00.295000+00:00",
        "2021-12-31 23:01:00.000000",
        "2021-01-08T00:00:00Z",
        "1995-01-03",
        "2021-01-08T01:30:00+01:30",
        "2021-01-08T01:00:00-0500",
        "2021-01-08 00:00",
    ],
)
def test_iso_strings_parse_to_utc_ns(text):
    ts, ok = parse([text])
    assert ok == [True]
    assert ts == [ns(text)]


def test_iso_nanosecond_fraction_is_exact():
    ts, ok = parse(["2021-01-08T00:00:00.123456789Z"])
    assert ts == [T0 + 123_456_789] and ok == [True]


def test_date_only_is_midnight_utc():
    assert parse(["1995-01-03"])[0] == [789_091_200 * 10**9]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_610_064_000, T0),  # seconds
        (1_610_064_000_123, T0 + 123_000_000),  # milliseconds
        (1_610_064_000_123_456, T0 + 123_456_000),  # microseconds
        (1_610_064_000_123_456_789, T0 + 123_456_789),  # nanoseconds
    ],
)
def test_epoch_ints_unit_by_magnitude(value, expected):
    assert parse([value]) == ([expected], [True])
    assert parse([str(value)]) == ([expected], [True])


def test_epoch_unit_is_decided_once_per_file_from_first_valid_value():
    parser = TimestampParser()
    ts, ok = parser.parse(pa.array(["", "1610064000000"]))
    assert ok.tolist() == [False, True] and ts[1] == T0
    # a later small value is still read in ms, not re-detected as seconds
    ts, ok = parser.parse(pa.array(["1000"]))
    assert ts.tolist() == [1_000_000_000] and ok.tolist() == [True]


def test_epoch_float_seconds_round_to_ns():
    assert parse([1_610_064_000.5]) == ([T0 + 500_000_000], [True])
    assert parse(["1610064000.25"]) == ([T0 + 250_000_000], [True])


def test_epoch_scale_thresholds():
    assert epoch_scale(99_999_999_999) == 10**9
    assert epoch_scale(1e11) == 10**6
    assert epoch_scale(1e14) == 10**3
    assert epoch_scale(1e17) == 1


def test_naive_times_take_the_given_zone_and_aware_ones_ignore_it():
    ts, ok = parse(["2021-01-08 00:00:00", "2021-07-08 00:00:00"], tz="America/New_York")
    assert ts == [T0 + 5 * 3600 * 10**9, ns("2021-07-08T04:00:00Z")] and ok == [True, True]
    assert parse(["2021-01-08T00:00:00Z"], tz="America/New_York")[0] == [T0]


def test_nonexistent_local_time_is_a_bad_value():
    ts, ok = parse(["2021-03-14 02:30:00", "2021-03-14 03:30:00"], tz="America/New_York")
    assert ok == [False, True]
    assert ts[1] == ns("2021-03-14T07:30:00Z")


def test_arrow_timestamp_and_date_columns():
    aware = pa.array([T0 // 10**6], pa.timestamp("ms", tz="UTC"))
    assert TimestampParser().parse(aware)[0].tolist() == [T0]
    naive = pa.array([T0 // 10**3], pa.timestamp("us"))
    assert TimestampParser().parse(naive)[0].tolist() == [T0]
    assert TimestampParser("Europe/Paris").parse(naive)[0].tolist() == [T0 - 3600 * 10**9]
    date = pa.array([dt.date(2021, 1, 8)], pa.date32())
    assert TimestampParser().parse(date)[0].tolist() == [T0]


def test_bad_values_are_flagged_not_fatal():
    values = ["2021-01-08T00:00:00Z", "garbage", "", None, "2021-13-01", "2021-01-08T00:00:01Z"]
    ts, ok = parse(values)
    assert ok == [True, False, False, False, False, True]
    assert ts[0] == T0 and ts[5] == T0 + 10**9


def test_mixed_aware_and_naive_strings_in_one_batch():
    ts, ok = parse(["2021-01-08T00:00:00Z", "2021-01-08 00:00:01", "2021-01-08T01:00:02+01:00"])
    assert ts == [T0, T0 + 10**9, T0 + 2 * 10**9] and ok == [True, True, True]


def test_non_timestamp_column_type_is_all_bad():
    assert parse([True, False]) == ([0, 0], [False, False])


def test_epoch_overflow_is_a_bad_value():
    parser = TimestampParser()
    parser.parse(pa.array([1_610_064_000]))  # seconds
    ts, ok = parser.parse(pa.array([10**12, 5]))
    assert ok.tolist() == [False, True] and ts[1] == 5 * 10**9


def test_cast_lenient_nulls_only_the_bad_values():
    arr = pa.array(["1.5", "x", " 2 ", "3e2", "", "nan"])
    out = cast_lenient(arr, lambda a: a.cast(pa.float64()), pa.float64())
    values = out.to_pylist()
    assert values[:5] == [1.5, None, 2.0, 300.0, None] and np.isnan(values[5])


def test_format_ns_is_iso_utc():
    assert format_ns(T0) == "2021-01-08T00:00:00Z"
    assert format_ns(T0 + 295_000_000) == "2021-01-08T00:00:00.295Z"


def test_epoch_float_is_exact_to_the_microsecond():
    assert parse(["1610064000.123456"]) == ([T0 + 123_456_000], [True])
    assert parse(["1610064000123.456"]) == ([T0 + 123_456_000], [True])
