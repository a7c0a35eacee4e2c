"""The L3 book: levels, FIFO queues with lazy deletion, icebergs, taking liquidity, invariants."""

from __future__ import annotations

import pytest

from sim.book import BUY, SELL, Book, BookOrder, BookSide


def _taker(side: BookSide, limit: int | None, qty: int, skip=None) -> tuple[int, list]:
    got: list[tuple[str, int, int]] = []
    taken = side.take(limit, qty, lambda o, lots, px: got.append((o.oid, lots, px)), skip)
    side._check()
    return taken, got


def test_add_first_order_sets_best_price() -> None:
    bids = BookSide(BUY)
    bids.add(BookOrder("a", BUY, 100, 5))
    assert bids.best == 100
    bids._check()


def test_add_better_bid_moves_best_up() -> None:
    bids = BookSide(BUY)
    bids.add(BookOrder("a", BUY, 100, 5))
    bids.add(BookOrder("b", BUY, 101, 5))
    bids.add(BookOrder("c", BUY, 99, 5))
    assert bids.best == 101
    assert [lv.price for lv in bids.iter_levels()] == [101, 100, 99]


def test_add_better_ask_moves_best_down() -> None:
    asks = BookSide(SELL)
    asks.add(BookOrder("a", SELL, 100, 5))
    asks.add(BookOrder("b", SELL, 99, 5))
    asks.add(BookOrder("c", SELL, 101, 5))
    assert asks.best == 99
    assert [lv.price for lv in asks.iter_levels()] == [99, 100, 101]


def test_remove_last_order_at_best_drops_level_and_moves_best() -> None:
    asks = BookSide(SELL)
    a, b = BookOrder("a", SELL, 100, 5), BookOrder("b", SELL, 102, 5)
    asks.add(a)
    asks.add(b)
    asks.remove(a)
    assert asks.best == 102 and asks.level(100) is None
    asks._check()


def test_remove_middle_order_is_skipped_by_take() -> None:
    asks = BookSide(SELL)
    orders = [BookOrder(x, SELL, 100, 2) for x in "abc"]
    for o in orders:
        asks.add(o)
    asks.remove(orders[1])
    asks._check()
    assert asks.level(100).size == 4 and asks.level(100).count == 2
    _, got = _taker(asks, None, 4)
    assert [g[0] for g in got] == ["a", "c"]


def test_remove_behind_the_front_keeps_dead_entries_bounded() -> None:
    bids = BookSide(BUY)
    bids.add(BookOrder("front", BUY, 100, 1))
    for i in range(1_000):
        o = BookOrder(f"x{i}", BUY, 100, 1)
        bids.add(o)
        bids.remove(o)
    level = bids.level(100)
    assert level.count == 1 and len(level.queue) <= 2 * level.count + 32
    bids._check()


def test_reduce_keeps_queue_position() -> None:
    bids = BookSide(BUY)
    a, b = BookOrder("a", BUY, 100, 5), BookOrder("b", BUY, 100, 5)
    bids.add(a)
    bids.add(b)
    bids.reduce(a, 2)
    bids._check()
    _, got = _taker(bids, None, 3)
    assert got == [("a", 2, 100), ("b", 1, 100)]


def test_reduce_iceberg_takes_hidden_quantity_first() -> None:
    bids = BookSide(BUY)
    o = BookOrder("a", BUY, 100, 10, display=3)
    bids.add(o)
    bids.reduce(o, 5)
    assert (o.visible, o.hidden) == (3, 2)
    bids.reduce(o, 2)
    assert (o.visible, o.hidden) == (2, 0)
    bids._check()


def test_take_fills_fifo_within_a_level() -> None:
    asks = BookSide(SELL)
    for x in "abc":
        asks.add(BookOrder(x, SELL, 100, 2))
    taken, got = _taker(asks, None, 5)
    assert taken == 5
    assert got == [("a", 2, 100), ("b", 2, 100), ("c", 1, 100)]


def test_take_sweeps_levels_best_first_up_to_limit() -> None:
    asks = BookSide(SELL)
    for oid, px in (("x", 102), ("y", 100), ("z", 101)):
        asks.add(BookOrder(oid, SELL, px, 2))
    taken, got = _taker(asks, 101, 10)
    assert taken == 4
    assert got == [("y", 2, 100), ("z", 2, 101)]
    assert asks.best == 102


def test_take_sell_side_limit_stops_below_bid_limit() -> None:
    bids = BookSide(BUY)
    for oid, px in (("x", 98), ("y", 100), ("z", 99)):
        bids.add(BookOrder(oid, BUY, px, 2))
    taken, got = _taker(bids, 99, 10)
    assert taken == 4 and [g[0] for g in got] == ["y", "z"]


def test_take_iceberg_refill_joins_back_of_queue() -> None:
    asks = BookSide(SELL)
    asks.add(BookOrder("ice", SELL, 100, 6, display=2))
    asks.add(BookOrder("b", SELL, 100, 2))
    taken, got = _taker(asks, None, 5)
    assert taken == 5
    assert got == [("ice", 2, 100), ("b", 2, 100), ("ice", 1, 100)]
    level = asks.level(100)
    assert level.size == 1 and level.hidden == 2


def test_take_iceberg_visible_never_exceeds_display() -> None:
    asks = BookSide(SELL)
    o = BookOrder("ice", SELL, 100, 10, display=3)
    asks.add(o)
    for _ in range(3):
        _taker(asks, None, 2)
        assert o.visible <= 3 and asks.level(100).size <= 3


def test_take_skip_stops_the_sweep_at_that_order() -> None:
    asks = BookSide(SELL)
    for x in "abc":
        asks.add(BookOrder(x, SELL, 100, 2, owner=x))
    taken, got = _taker(asks, None, 6, skip=lambda o: o.owner == "b")
    assert taken == 2 and got == [("a", 2, 100)]
    assert next(asks.best_level().orders()).oid == "b"


def test_depth_reports_visible_quantity_only() -> None:
    bids = BookSide(BUY)
    bids.add(BookOrder("a", BUY, 100, 10, display=2))
    bids.add(BookOrder("b", BUY, 100, 3))
    bids.add(BookOrder("c", BUY, 99, 1))
    assert bids.depth() == [(100, 5), (99, 1)]
    assert bids.depth(levels=1) == [(100, 5)]


def test_check_detects_a_corrupted_aggregate() -> None:
    bids = BookSide(BUY)
    bids.add(BookOrder("a", BUY, 100, 10))
    bids.level(100).size += 1
    with pytest.raises(AssertionError):
        bids._check()


def test_book_remove_unknown_id_returns_none() -> None:
    book = Book()
    assert book.remove("nope") is None


def test_book_add_and_remove_keep_index_in_sync() -> None:
    book = Book()
    book.add(BookOrder("a", BUY, 100, 1))
    book.add(BookOrder("b", SELL, 101, 1))
    book._check()
    assert book.remove("a").oid == "a"
    book._check()
    assert book.bids.best is None and book.asks.best == 101


def test_book_is_crossed_when_bid_meets_ask() -> None:
    book = Book()
    book.add(BookOrder("a", BUY, 100, 1))
    book.add(BookOrder("b", SELL, 101, 1))
    assert not book.is_crossed()
    book.add(BookOrder("c", BUY, 101, 1))
    assert book.is_crossed()


def test_book_forget_drops_filled_order_from_index() -> None:
    book = Book()
    book.add(BookOrder("a", SELL, 100, 1))
    book.asks.take(None, 1, lambda o, q, p: None)
    book.forget("a")
    book._check()
    assert "a" not in book.orders
