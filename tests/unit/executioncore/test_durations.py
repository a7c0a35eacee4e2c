"""One duration parser for every config key: seconds, units, compound forms, errors naming the key."""

from __future__ import annotations

from decimal import Decimal

import pytest

from executioncore.durations import DurationError, parse_duration_ns, parse_duration_s


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("1h30m", 5400.0),
        ("33m30s", 2010.0),
        ("+5s", 5.0),
        ("500ms", 0.5),
        (60, 60.0),
        (0.25, 0.25),
        (Decimal("1.5"), 1.5),
        ("60", 60.0),
        ("10s", 10.0),
        ("5m", 300.0),
        ("2h", 7200.0),
        ("1d", 86400.0),
        ("1.5h", 5400.0),
        ("1m 30.5s", 90.5),
        (" + 2s ", 2.0),
        ("250us", 0.00025),
        ("0s", 0.0),
    ],
)
def test_parse_duration_s(value, seconds):
    assert parse_duration_s(value, "k") == seconds


def test_parse_duration_ns_is_exact():
    assert parse_duration_ns("1h30m", "k") == 5400 * 10**9
    assert (
        parse_duration_ns("1d2h3m4s5ms6us7ns", "k")
        == (86400 + 7200 + 180 + 4) * 10**9 + 5 * 10**6 + 6 * 10**3 + 7
    )
    assert parse_duration_ns(0.1, "k") == 100_000_000  # a float by its shortest repr
    assert parse_duration_ns("+500ms", "k") == 500_000_000
    with pytest.raises(DurationError, match="whole number of nanoseconds"):
        parse_duration_ns("0.5ns", "k")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("soon", "expected a duration like 10s, 500ms, 5m or 1h30m"),
        ("5 minutes", "expected a duration like"),
        ("5mins", "expected a duration like"),
        ("", "expected a duration like"),
        ("+", "expected a duration like"),
        ("s", "expected a duration like"),
        ("1h1h", "largest first, each once (like 1h30m)"),
        ("30s1m", "largest first"),
        ("-5s", "expected a duration like"),
        (-5, "must not be negative"),
        (True, "expected a duration like"),
        (None, "expected a duration like"),
        ([5], "expected a duration like"),
        (float("nan"), "expected a duration like"),
    ],
)
def test_bad_durations_name_where_and_show_an_example(value, words):
    with pytest.raises(DurationError) as err:
        parse_duration_s(value, "routing.failover_after")
    assert str(err.value).startswith("routing.failover_after: ")
    assert err.value.where == "routing.failover_after" and words in err.value.reason
    assert isinstance(err.value, ValueError)


def test_scenario_relative_times_take_compound_durations(tmp_path):
    from executioncore.scenario import ScenarioError, _Checker

    c = _Checker(tmp_path / "s.yaml")
    assert c.time("+33m30s", "orders[0].at", relative=True) == ("rel", 2010 * 10**9)
    assert c.time("+1h30m", "orders[0].at", relative=True) == ("rel", 5400 * 10**9)
    assert c.time("+500ms", "orders[0].at", relative=True) == ("rel", 5 * 10**8)
    with pytest.raises(ScenarioError, match=r"orders\[0\]\.at: expected \+DURATION"):
        c.time("+soon", "orders[0].at", relative=True)
    with pytest.raises(ScenarioError, match="not allowed here"):
        c.time("+5s", "start")


def test_run_for_takes_compound_durations():
    from executioncore.live_cmd import LiveError, parse_duration

    assert parse_duration("1m30s") == 90 and parse_duration("2") == 2
    with pytest.raises(LiveError, match="--run-for"):
        parse_duration("soon")
