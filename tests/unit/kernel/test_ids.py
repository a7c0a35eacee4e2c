"""Deterministic client order ids: ``<prefix><strategy>-<n>``, reproducible, never uuid4."""

from __future__ import annotations

import pytest

from kernel.ids import OrderIdGenerator


def test_next_id_counts_from_one_per_strategy():
    gen = OrderIdGenerator("mm")
    assert [gen.next_id() for _ in range(3)] == ["mm-1", "mm-2", "mm-3"]
    assert gen.count == 3


def test_next_id_prefix_names_the_run():
    gen = OrderIdGenerator("twap", prefix="run7.")
    assert gen.next_id() == "run7.twap-1"


def test_next_id_same_inputs_give_same_ids():
    a, b = OrderIdGenerator("s", "p"), OrderIdGenerator("s", "p")
    assert [a.next_id() for _ in range(100)] == [b.next_id() for _ in range(100)]


def test_next_id_ids_are_unique():
    gen = OrderIdGenerator("s")
    ids = [gen.next_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)


def test_next_id_strategies_with_dashes_do_not_collide():
    a, b = OrderIdGenerator("a"), OrderIdGenerator("a-1")
    ids_a = {a.next_id() for _ in range(200)}
    ids_b = {b.next_id() for _ in range(200)}
    assert ids_a.isdisjoint(ids_b)


def test_advance_past_own_id_continues_after_it():
    gen = OrderIdGenerator("s", "p.")
    gen.advance_past("p.s-41")
    assert gen.next_id() == "p.s-42"


def test_advance_past_lower_id_never_goes_back():
    gen = OrderIdGenerator("s")
    for _ in range(10):
        gen.next_id()
    gen.advance_past("s-3")
    assert gen.next_id() == "s-11"


@pytest.mark.parametrize(
    "foreign",
    ["other-99", "s-", "s-12a", "s-1-2", "xs-50", "s-+5", "s- 7", "s-²", "s-٣", "s-1²"],
)
def test_advance_past_foreign_or_malformed_id_is_ignored(foreign):
    gen = OrderIdGenerator("s")
    gen.advance_past(foreign)
    assert gen.next_id() == "s-1"
