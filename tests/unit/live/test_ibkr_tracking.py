"""What the adapter knows of its orders at IB: in flight, unanswered, lost with a socket."""

from __future__ import annotations

from live.adapters.ibkr import ib_api
from live.adapters.ibkr.tracking import OrderBook, PendingModify

STOCK = ib_api.Stock("XYZ", "SMART", "USD")


def ib_order(order_id: int, ref: str) -> ib_api.Order:
    return ib_api.Order(
        orderId=order_id, orderRef=ref, action="BUY", totalQuantity=1, orderType="MKT"
    )


def test_in_flight_is_queued_looked_up_or_sent_without_an_answer():
    book = OrderBook()
    book.queued.add("a")
    book.looking.add("b")
    book.placed("c", STOCK, ib_order(3, "c"), 10.0)
    book.placed("d", STOCK, ib_order(4, "d"), 10.0)
    book.answered("d", perm_id=444)
    assert book.in_flight() == {"a", "b", "c"}
    assert book.coid_of_order_id(3) == "c" and book.by_perm_id == {444: "d"}


def test_unanswered_past_the_ack_timeout_oldest_first():
    book = OrderBook()
    book.placed("late", STOCK, ib_order(1, "late"), 1.0)
    book.placed("later", STOCK, ib_order(2, "later"), 2.0)
    book.placed("fresh", STOCK, ib_order(3, "fresh"), 9.0)
    assert book.unanswered(10.0, 5.0) == ["late", "later"]


def test_a_lost_socket_makes_every_command_unsent():
    book = OrderBook()
    book.placed("a", STOCK, ib_order(1, "a"), 1.0)
    book.cancels["a"] = 2.0
    book.modifies["a"] = PendingModify((1, None, None), (1.0, None, None), ib_order(1, "a"), 3.0)
    book.connection_lost()
    assert book.in_flight() == set()  # the effect is unknown: the reconciliation decides
    assert book.cancels["a"] is None and book.modifies["a"].sent_at is None


def test_adopt_learns_an_order_found_by_order_ref_and_forget_drops_what_was_pending():
    book = OrderBook()
    order = ib_order(12, "k-1")
    trade = ib_api.Trade(STOCK, order, ib_api.OrderStatus(12, "Submitted", permId=99), [], [])
    book.adopt("k-1", trade)
    assert book.placements["k-1"].order is order and book.by_perm_id[99] == "k-1"
    book.cancels["k-1"] = 1.0
    book.forget("k-1")
    assert "k-1" not in book.cancels and book.coid_of_order_id(12) == "k-1"


def test_adopt_maps_order_ids_of_this_client_only():
    book = OrderBook(client_id=1)
    mine = ib_order(5, "k-1")
    mine.clientId = 1
    theirs = ib_order(5, "k-2")  # another client id's order 5 (ids are per client)
    theirs.clientId = 2
    book.adopt("k-1", ib_api.Trade(STOCK, mine, ib_api.OrderStatus(5, "Submitted"), [], []))
    book.adopt("k-2", ib_api.Trade(STOCK, theirs, ib_api.OrderStatus(5, "Submitted"), [], []))
    assert book.coid_of_order_id(5) == "k-1" and "k-2" in book.placements
