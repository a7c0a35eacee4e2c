"""Algo parameters: defaults, exact fractions, and errors that name the key."""

from __future__ import annotations

from fractions import Fraction

import pytest

from kernel.algos.params import AlgoParamError, build_params


def test_build_params_twap_defaults_and_exact_fractions():
    p = build_params("twap", {"duration_ns": 600, "time_jitter": 0.3, "size_jitter": "0.25"})
    assert p.slices == 10 and p.at_end == "leave" and p.max_rejects == 5
    assert p.time_jitter == Fraction(3, 10)  # a float by its shortest repr, not its binary value
    assert p.size_jitter == Fraction(1, 4)
    assert p.min_child_lots == 1 and p.limit_offset_ticks is None


@pytest.mark.parametrize(
    ("name", "values", "key"),
    [
        ("twap", {}, "duration_ns"),
        ("twap", {"duration_ns": 0}, "duration_ns"),
        ("twap", {"duration_ns": 1, "slices": 0}, "slices"),
        ("twap", {"duration_ns": 1, "time_jitter": 1}, "time_jitter"),
        ("twap", {"duration_ns": 1, "rate": "0.1"}, "rate"),
        ("twap", {"duration_ns": 1, "at_end": "later"}, "at_end"),
        ("twap", {"duration_ns": 1, "max_rejects": True}, "max_rejects"),
        ("vwap", {"duration_ns": 1, "profile": [0, 0]}, "profile"),
        ("vwap", {"duration_ns": 1, "profile": [1, 2], "slices": 3}, "slices"),
        ("pov", {}, "rate"),
        ("pov", {"rate": 0}, "rate"),
        ("pov", {"rate": "1.5"}, "rate"),
        ("pov", {"rate": "x"}, "rate"),
        ("pov", {"rate": 0.1, "min_child_lots": 5, "max_child_lots": 2}, "max_child_lots"),
        ("iceberg", {}, "display_lots"),
        ("iceberg", {"display_lots": 0}, "display_lots"),
        ("sor", {"venues": "a"}, "venues"),
        ("sor", {"venues": ["a", "a"]}, "venues"),
        ("sor", {"fees_bps": {"a": "lots"}}, "fees_bps.a"),
        ("sor", {"venue": "a"}, "venue"),
        ("nope", {}, "algo"),
    ],
)
def test_build_params_bad_value_raises_naming_the_key(name, values, key):
    with pytest.raises(AlgoParamError) as err:
        build_params(name, values)
    assert err.value.key == key
    assert str(err.value).startswith(f"{key}: ")


def test_build_params_vwap_profile_sets_the_slices():
    p = build_params("vwap", {"duration_ns": 10, "profile": [1, "2", 0.5]})
    assert p.slices == 3
    assert p.profile == (Fraction(1), Fraction(2), Fraction(1, 2))
    assert build_params("vwap", {"duration_ns": 10}).profile == "historical"


def test_build_params_sor_keeps_venue_order_and_fees():
    p = build_params("sor", {"venues": ["b", "a"], "fees_bps": {"a": -0.5}})
    assert p.venues == ("b", "a")
    assert p.fees_bps == {"a": Fraction(-1, 2)}
