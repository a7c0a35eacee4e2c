"""The exchange engine's trigger orders: stop, stop-limit, trailing stop, MIT, LIT (last trade)."""

from __future__ import annotations

import itertools

import pytest
from matching_helpers import names, of, trades

from kernel.events import OrderCanceled, OrderModified, OrderModifyRejected, OrderTriggered
from sim.exchange import MatchingEngine
from sim.exchange_orders import LIT, MIT, STOP, STOP_LIMIT, TRAILING_STOP

B, S = 1, -1
_n = itertools.count()


@pytest.fixture
def eng() -> MatchingEngine:
    return MatchingEngine("XYZ")


def _print(e: MatchingEngine, px: int, t: int = 1) -> list:
    """Make one lot trade at ``px`` between two market-makers (the book must allow it)."""
    i = next(_n)
    out = e.submit_limit(f"pm{i}", "mm", S, 1, px, t) + e.submit_limit(f"pt{i}", "mt", B, 1, px, t)
    assert trades(out)[0] == (f"pt{i}", f"pm{i}", px, 1), trades(out)
    e._check()
    return out


def _trig(e: MatchingEngine, oid: str, side: int, otype: int, qty: int, t: int = 1, **kw) -> list:
    out = e.submit_order(oid, "trader", side, otype, qty, t, **kw)
    e._check()
    return out


def test_buy_stop_triggers_when_last_trade_reaches_the_stop(eng: MatchingEngine) -> None:
    _trig(eng, "st", B, STOP, 2, stop_ticks=105)
    eng.submit_limit("ask", "lp", S, 5, 106, 1)
    out = _print(eng, 105)
    assert names(out).count("OrderTriggered") == 1
    assert ("st", "ask", 106, 2) in trades(out)


def test_buy_stop_does_not_trigger_below_the_stop(eng: MatchingEngine) -> None:
    _trig(eng, "st", B, STOP, 2, stop_ticks=105)
    out = _print(eng, 104)
    assert not of(out, OrderTriggered) and eng.order("st") is not None


def test_sell_stop_triggers_at_or_below_the_stop(eng: MatchingEngine) -> None:
    _trig(eng, "st", S, STOP, 2, stop_ticks=95)
    eng.submit_limit("bid", "lp", B, 5, 90, 1)
    assert not of(_print(eng, 96), OrderTriggered)
    out = _print(eng, 95)
    assert of(out, OrderTriggered) and ("st", "bid", 90, 2) in trades(out)


def test_stop_already_through_on_arrival_triggers_at_once(eng: MatchingEngine) -> None:
    _print(eng, 110)
    out = _trig(eng, "st", B, STOP, 1, stop_ticks=105)
    assert names(out)[:2] == ["OrderAccepted", "OrderTriggered"]


def test_triggered_stop_without_liquidity_is_canceled(eng: MatchingEngine) -> None:
    _trig(eng, "st", B, STOP, 2, stop_ticks=105)
    out = _print(eng, 105)
    assert [e.client_order_id for e in of(out, OrderCanceled)] == ["st"]


def test_stop_limit_triggers_into_a_resting_limit(eng: MatchingEngine) -> None:
    _trig(eng, "sl", B, STOP_LIMIT, 3, stop_ticks=105, limit_ticks=104)
    _print(eng, 105)
    rec = eng.order("sl")
    assert rec is not None and rec.price == 104 and eng.best_bid == 104


def test_stop_cascade_triggered_stop_triggers_the_next(eng: MatchingEngine) -> None:
    _trig(eng, "s1", B, STOP, 1, stop_ticks=101)
    _trig(eng, "s2", B, STOP, 1, stop_ticks=103)
    eng.submit_limit("a1", "lp", S, 1, 103, 1)
    eng.submit_limit("a2", "lp", S, 1, 104, 1)
    out = _print(eng, 101)
    assert [e.client_order_id for e in of(out, OrderTriggered)] == ["s1", "s2"]
    assert ("s1", "a1", 103, 1) in trades(out) and ("s2", "a2", 104, 1) in trades(out)


def test_stops_fired_by_one_sweep_run_nearest_first(eng: MatchingEngine) -> None:
    for oid, stop in (("far", 103), ("near", 101)):
        _trig(eng, oid, B, STOP, 1, stop_ticks=stop)
    eng.submit_limit("a1", "lp", S, 1, 101, 1)
    eng.submit_limit("a2", "lp", S, 1, 103, 1)
    out = eng.submit_market("sweep", "x", B, 2, 2)
    assert [e.client_order_id for e in of(out, OrderTriggered)] == ["near", "far"]


def test_canceled_stop_never_triggers(eng: MatchingEngine) -> None:
    _trig(eng, "st", B, STOP, 1, stop_ticks=105)
    eng.cancel("st", 2)
    eng._check()
    assert not of(_print(eng, 106), OrderTriggered)


def test_modify_stop_price_moves_the_trigger(eng: MatchingEngine) -> None:
    _trig(eng, "st", B, STOP, 1, stop_ticks=105)
    eng.modify("st", None, None, 103, 2)
    eng._check()
    assert of(_print(eng, 103), OrderTriggered)


def test_modify_limit_of_a_stop_market_is_rejected(eng: MatchingEngine) -> None:
    _trig(eng, "st", B, STOP, 1, stop_ticks=105)
    out = eng.modify("st", None, 100, None, 2)
    assert of(out, OrderModifyRejected)[0].reason == "ORDER_HAS_NO_LIMIT_PRICE"


def test_trailing_sell_stop_follows_the_high_and_triggers(eng: MatchingEngine) -> None:
    _print(eng, 100)
    out = _trig(eng, "tr", S, TRAILING_STOP, 1, trail_ticks=3)
    assert of(out, OrderModified)[0].stop_ticks == 97
    out = _print(eng, 105)
    assert of(out, OrderModified)[-1].stop_ticks == 102
    assert not of(_print(eng, 103), OrderTriggered)
    assert of(_print(eng, 102), OrderTriggered)


def test_trailing_stop_never_moves_back(eng: MatchingEngine) -> None:
    _print(eng, 100)
    _trig(eng, "tr", B, TRAILING_STOP, 1, trail_ticks=5)
    _print(eng, 96)
    out = _print(eng, 99)
    assert not of(out, OrderModified) and eng.order("tr").ext.stop == 101


def test_trailing_stop_ppm_offset_rounds_away_from_the_market(eng: MatchingEngine) -> None:
    _print(eng, 1001)
    _trig(eng, "tr", S, TRAILING_STOP, 1, trail_ppm=15_000)  # 1.5% of 1001 = 15.015 -> 16
    assert eng.order("tr").ext.stop == 985


def test_trailing_stop_without_a_trade_waits_for_the_first_one(eng: MatchingEngine) -> None:
    out = _trig(eng, "tr", S, TRAILING_STOP, 1, trail_ticks=2)
    assert not of(out, OrderModified) and eng.order("tr").ext.stop is None
    assert of(_print(eng, 50), OrderModified)[0].stop_ticks == 48


def test_buy_mit_triggers_when_price_falls_to_the_trigger(eng: MatchingEngine) -> None:
    _trig(eng, "mit", B, MIT, 1, stop_ticks=95)
    assert not of(_print(eng, 96), OrderTriggered)
    assert of(_print(eng, 95), OrderTriggered)


def test_sell_mit_triggers_when_price_rises_to_the_trigger(eng: MatchingEngine) -> None:
    _trig(eng, "mit", S, MIT, 1, stop_ticks=105)
    assert not of(_print(eng, 104), OrderTriggered)
    assert of(_print(eng, 106), OrderTriggered)


def test_lit_triggers_into_a_limit_order(eng: MatchingEngine) -> None:
    _trig(eng, "lit", B, LIT, 2, stop_ticks=95, limit_ticks=94)
    _print(eng, 95)
    rec = eng.order("lit")
    assert rec is not None and rec.price == 94 and eng.best_bid == 94
