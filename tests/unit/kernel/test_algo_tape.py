"""The market tape: volume, VWAP, time-weighted mark and the time-of-day profile, hand-computed."""

from __future__ import annotations

from fractions import Fraction

from kernel.algos.tape import MINUTE_NS, Tape, twap_between, volume_between, vwap_between


def test_tape_trades_give_volume_and_vwap_between_marks():
    tape = Tape(None, 0)
    tape.add_trade(100, 2, 0)
    tape.advance(10, 200)
    a = tape.mark(10)
    tape.add_trade(101, 3, 20)
    tape.advance(20, 202)
    tape.add_trade(104, 1, 30)
    tape.advance(30, 208)
    b = tape.mark(30)
    assert volume_between(a, b) == 4
    assert vwap_between(a, b) == Fraction(101 * 3 + 104, 4)


def test_tape_bars_use_typical_price_when_no_trades():
    tape = Tape(None, 0)
    a = tape.mark(0)
    tape.add_bar(high=12, low=6, close=9, volume=10, open_ns=0, span_ns=60)
    tape.add_bar(high=30, low=24, close=30, volume=5, open_ns=60, span_ns=60)
    b = tape.mark(120)
    assert volume_between(a, b) == 15
    assert vwap_between(a, b) == Fraction(9 * 10 + 28 * 5, 15)


def test_tape_twap_weights_each_mark_by_how_long_it_held():
    tape = Tape(200, 0)  # mark 100 (doubled) from t=0
    a = tape.mark(0)
    tape.advance(30, 220)  # 100 for 30 ns, then 110
    b = tape.mark(40)  # 110 for 10 ns more
    assert twap_between(a, b) == Fraction(100 * 30 + 110 * 10, 40)
    assert twap_between(b, b) is None
    assert vwap_between(a, b) is None and volume_between(a, b) == 0


def test_tape_profile_sums_minute_volume_by_time_of_day():
    tape = Tape(None, 0)
    day = 1440 * MINUTE_NS
    tape.add_trade(1, 10, 14 * 60 * MINUTE_NS)  # 14:00 on day 0
    tape.add_trade(1, 30, day + 14 * 60 * MINUTE_NS + 30 * MINUTE_NS)  # 14:30 on day 1
    start = 2 * day + 14 * 60 * MINUTE_NS  # 14:00 on day 2, two 30-minute slices
    weights = tape.profile(start, 60 * MINUTE_NS, 2)
    assert weights == [10 * MINUTE_NS, 30 * MINUTE_NS]
    # a slice shorter than a minute takes its share of the minute
    assert tape.profile(start, MINUTE_NS, 2) == [10 * MINUTE_NS // 2, 10 * MINUTE_NS // 2]


def test_tape_daily_bars_are_not_a_time_of_day_profile():
    tape = Tape(None, 0)
    tape.add_bar(2, 1, 2, 100, 0, 1440 * MINUTE_NS)
    assert not any(tape.minute_volume)
