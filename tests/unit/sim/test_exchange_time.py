"""The exchange engine and time: DAY/GTD expiry, sessions, OPG/CLS auctions."""

from __future__ import annotations

from datetime import date

import pytest
from matching_helpers import fills, names, of, trades

from kernel.events import OrderCanceled, OrderExpired, OrderFilled, OrderRejected
from sim.exchange import MatchingEngine
from sim.exchange_orders import CLS, DAY, GTD, IOC, LIMIT, MARKET, OPG
from sim.session import Session

B, S = 1, -1
DAY_NS = 86_400 * 10**9
T0 = 1_709_546_400 * 10**9  # 2024-03-04 10:00 UTC (05:00 in New York)
SESSION = Session("09:30", "16:00", "America/New_York")
OPEN = SESSION.open_on(date(2024, 3, 4))
CLOSE = SESSION.close_on(date(2024, 3, 4))
NEXT_OPEN = SESSION.open_on(date(2024, 3, 5))


def _lim(
    e: MatchingEngine, oid: str, side: int, qty: int, px: int, t: int, tif: int, owner=None, **kw
):
    out = e.submit_order(oid, owner or oid, side, LIMIT, qty, t, limit_ticks=px, tif=tif, **kw)
    e._check()
    return out


@pytest.fixture
def eng() -> MatchingEngine:
    return MatchingEngine("XYZ")


@pytest.fixture
def sess() -> MatchingEngine:
    return MatchingEngine("XYZ", session=SESSION)


# --- expiry without a session ------------------------------------------------------------------
def test_day_order_expires_at_the_next_utc_midnight(eng: MatchingEngine) -> None:
    _lim(eng, "d", B, 1, 100, T0, DAY)
    midnight = (T0 // DAY_NS + 1) * DAY_NS
    assert eng.next_due_ns() == midnight
    assert eng.advance_time(midnight - 1) == []
    out = eng.advance_time(midnight)
    eng._check()
    assert names(out) == ["OrderExpired"] and out[0].ts_event == midnight


def test_gtd_order_expires_at_its_expire_time(eng: MatchingEngine) -> None:
    _lim(eng, "g", S, 1, 100, T0, GTD, expire_ns=T0 + 500)
    out = eng.advance_time(T0 + 10_000)
    eng._check()
    assert of(out, OrderExpired)[0].ts_event == T0 + 500 and eng.best_ask is None


def test_gtd_expire_time_not_in_the_future_is_rejected(eng: MatchingEngine) -> None:
    out = _lim(eng, "g", S, 1, 100, T0, GTD, expire_ns=T0)
    assert of(out, OrderRejected)[0].reason == "EXPIRE_TIME_PASSED"


def test_expiry_is_processed_before_a_later_order_can_match(eng: MatchingEngine) -> None:
    _lim(eng, "g", S, 1, 100, T0, GTD, expire_ns=T0 + 100)
    out = eng.submit_market("m", "x", B, 1, T0 + 200)
    assert names(out) == ["OrderExpired", "OrderAccepted", "OrderCanceled"]
    assert not of(out, OrderFilled)


def test_gtc_order_never_expires(eng: MatchingEngine) -> None:
    eng.submit_limit("g", "x", B, 1, 100, T0)
    assert eng.next_due_ns() is None
    assert eng.advance_time(T0 + 400 * DAY_NS) == [] and eng.order("g") is not None


def test_canceled_day_order_does_not_expire_later(eng: MatchingEngine) -> None:
    _lim(eng, "d", B, 1, 100, T0, DAY)
    eng.cancel("d", T0 + 1)
    assert eng.advance_time(T0 + 2 * DAY_NS) == []


# --- sessions --------------------------------------------------------------------------------------
def test_session_day_order_expires_at_the_session_close(sess: MatchingEngine) -> None:
    _lim(sess, "d", B, 1, 100, OPEN + 1, DAY)
    assert sess.advance_time(CLOSE - 1) == []
    out = sess.advance_time(CLOSE)
    assert of(out, OrderExpired)[0].ts_event == CLOSE


def test_opg_order_after_the_open_is_rejected(sess: MatchingEngine) -> None:
    out = _lim(sess, "o", B, 1, 100, OPEN + 1, OPG)
    assert of(out, OrderRejected)[0].reason == "OPG_AFTER_OPEN"


def test_ioc_while_the_market_is_closed_is_rejected(sess: MatchingEngine) -> None:
    out = _lim(sess, "i", B, 1, 100, T0, IOC)
    assert of(out, OrderRejected)[0].reason == "MARKET_CLOSED"


def test_opening_auction_uncrosses_opg_orders_at_one_price(sess: MatchingEngine) -> None:
    _lim(sess, "b", B, 5, 101, T0, OPG)
    _lim(sess, "s1", S, 3, 99, T0 + 1, OPG)
    _lim(sess, "s2", S, 4, 100, T0 + 2, OPG)
    assert sess.next_due_ns() == OPEN
    out = sess.advance_time(OPEN)
    sess._check()
    # one price; price priority among sells; the earlier auction order is the maker
    assert trades(out) == [("s1", "b", 100, 3), ("s2", "b", 100, 2)]
    assert [e.client_order_id for e in of(out, OrderExpired)] == ["s2"]
    assert sess.last_price == 100 and all(f.ts_event == OPEN for f in of(out, OrderFilled))


def test_opening_auction_includes_the_resting_book_as_maker(sess: MatchingEngine) -> None:
    sess.submit_limit("rest", "mm", S, 2, 100, OPEN + 1)
    sess.advance_time(CLOSE + 1)
    sess.submit_order("m", "x", B, MARKET, 2, CLOSE + 2, tif=OPG)
    out = sess.advance_time(NEXT_OPEN)
    assert ("rest", 100, 2, "M") in fills(out) and ("m", 100, 2, "T") in fills(out)


def test_order_sent_while_closed_waits_for_the_open_then_rests(sess: MatchingEngine) -> None:
    out = sess.submit_limit("pre", "x", B, 3, 100, T0)
    assert names(out) == ["OrderAccepted"] and sess.best_bid is None
    sess.advance_time(OPEN)
    sess._check()
    assert sess.best_bid == 100 and sess.order("pre").where == 1


def test_market_order_left_after_the_opening_auction_is_canceled(sess: MatchingEngine) -> None:
    sess.submit_market("m", "x", B, 3, T0)
    out = sess.advance_time(OPEN)
    assert [e.client_order_id for e in of(out, OrderCanceled)] == ["m"]


def test_closing_auction_executes_cls_orders_against_the_book(sess: MatchingEngine) -> None:
    sess.submit_limit("bid", "mm", B, 5, 99, OPEN + 1)
    sess.submit_order("c", "x", S, MARKET, 3, OPEN + 2, tif=CLS)
    assert sess.order("c").where == 3  # collected, not matched during the day
    out = sess.advance_time(CLOSE)
    sess._check()
    assert trades(out) == [("c", "bid", 99, 3)]


def test_cls_limit_not_reached_expires_at_the_close(sess: MatchingEngine) -> None:
    sess.submit_limit("bid", "mm", B, 5, 99, OPEN + 1)
    _lim(sess, "c", S, 3, 101, OPEN + 2, CLS)
    out = sess.advance_time(CLOSE)
    assert not of(out, OrderFilled) and [e.client_order_id for e in of(out, OrderExpired)] == ["c"]


def test_run_auction_without_session_uncrosses_collected_orders(eng: MatchingEngine) -> None:
    _lim(eng, "b", B, 2, 101, T0, OPG)
    _lim(eng, "s", S, 2, 99, T0, OPG)
    assert eng.best_bid is None and eng.best_ask is None
    out = eng.run_auction(T0 + 1)
    eng._check()
    # 99 and 101 tie on volume and imbalance, equally near the middle: the lower price
    assert trades(out) == [("s", "b", 99, 2)]


def test_auction_self_trade_prevention_cancels_the_newer_order() -> None:
    e = MatchingEngine("XYZ", stp="cancel_newest")
    _lim(e, "b", B, 2, 101, T0, OPG, owner="me")
    _lim(e, "s", S, 2, 99, T0 + 1, OPG, owner="me")
    out = e.run_auction(T0 + 2)
    assert not of(out, OrderFilled) and [c.client_order_id for c in of(out, OrderCanceled)] == ["s"]
