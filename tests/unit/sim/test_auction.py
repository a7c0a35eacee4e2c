"""Call-auction arithmetic: the clearing price and the pairing of orders at that price."""

from __future__ import annotations

from sim.auction import STP_BOTH, STP_NEWEST, STP_NONE, STP_OLDEST, clearing_price, pair


def test_clearing_price_maximises_executed_volume() -> None:
    buys = [(102, 5), (100, 5)]
    sells = [(99, 4), (101, 8)]
    assert clearing_price(buys, sells, None) == (101, 5)


def test_clearing_price_volume_tie_minimises_imbalance() -> None:
    assert clearing_price([(101, 5), (100, 3)], [(100, 5)], None) == (101, 5)


def test_clearing_price_full_tie_goes_to_the_reference_price() -> None:
    assert clearing_price([(101, 5)], [(99, 5)], 100) == (100, 5)


def test_clearing_price_full_tie_picks_the_candidate_nearest_the_reference() -> None:
    assert clearing_price([(101, 5)], [(99, 5)], 50) == (99, 5)
    assert clearing_price([(101, 5)], [(99, 5)], 500) == (101, 5)


def test_clearing_price_full_tie_without_reference_takes_the_middle() -> None:
    assert clearing_price([(104, 5)], [(100, 5)], None) == (100, 5)
    assert clearing_price([(104, 5), (102, 1)], [(100, 5), (102, 1)], None)[0] == 102


def test_clearing_price_market_orders_only_trade_at_the_reference() -> None:
    assert clearing_price([(None, 3)], [(None, 2)], 100) == (100, 2)


def test_clearing_price_market_orders_only_without_reference_is_none() -> None:
    assert clearing_price([(None, 3)], [(None, 2)], None) is None


def test_clearing_price_when_nothing_crosses_is_none() -> None:
    assert clearing_price([(99, 5)], [(100, 5)], 100) is None
    assert clearing_price([], [(100, 5)], 100) is None


def test_clearing_price_market_order_against_limits_uses_a_limit_price() -> None:
    assert clearing_price([(None, 4)], [(100, 2), (103, 2)], None) == (103, 4)


def test_pair_fills_in_priority_order_and_the_smaller_side_completely() -> None:
    buys = [("a", 1, 5)]
    sells = [("b", 2, 3), ("c", 3, 4)]
    assert pair(buys, sells, STP_NONE) == [(0, 0, 3), (0, 1, 2)]


def test_pair_stp_cancel_newest_drops_the_later_order() -> None:
    buys = [("me", 5, 2), ("x", 6, 2)]
    sells = [("me", 1, 2)]
    assert pair(buys, sells, STP_NEWEST) == [(0, -1, 0), (1, 0, 2)]


def test_pair_stp_cancel_oldest_drops_the_earlier_order() -> None:
    buys = [("me", 5, 2)]
    sells = [("me", 1, 2), ("y", 2, 2)]
    assert pair(buys, sells, STP_OLDEST) == [(-1, 0, 0), (0, 1, 2)]


def test_pair_stp_cancel_both_drops_both() -> None:
    assert pair([("me", 5, 2)], [("me", 1, 2)], STP_BOTH) == [(0, -1, 0), (-1, 0, 0)]


def test_pair_stp_none_pairs_the_same_owner() -> None:
    assert pair([("me", 5, 2)], [("me", 1, 2)], STP_NONE) == [(0, 0, 2)]


def test_pair_owner_none_is_never_a_self_trade() -> None:
    assert pair([(None, 5, 2)], [(None, 1, 2)], STP_NEWEST) == [(0, 0, 2)]
