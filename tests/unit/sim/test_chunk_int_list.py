"""sim.feeds.chunk.int_list: an integer column as Python ints, the same list as ``tolist`` (compiled,
from one pool of the column's range)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.feeds.chunk import int_list


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-(2**40), 2**40), min_size=0, max_size=3000),
    st.integers(0, 2**20),
)
def test_the_list_is_tolist(values, offset):
    col = np.array([v % 70_000 + offset for v in values] or [0], dtype=np.int64)
    assert int_list(col) == col.tolist()
    wide = np.array(values or [0], dtype=np.int64)
    assert int_list(wide) == wide.tolist()


@pytest.mark.parametrize("dtype", [np.int32, np.uint64, np.float64])
def test_other_dtypes_are_tolist(dtype):
    col = (np.arange(5000) % 300 + 7).astype(dtype)
    out = int_list(col)
    assert out == col.tolist() and type(out[0]) is type(col.tolist()[0])


def test_a_pooled_column_shares_its_ints():
    col = np.array([10_000, 10_001] * 1000, dtype=np.int64)
    out = int_list(col)
    assert out == col.tolist()
    assert all(type(v) is int for v in out)
