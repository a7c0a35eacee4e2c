"""The adapter's pacing of messages to TWS: ``rate`` a second, ``burst`` at once, in order, none
dropped, and never more than TWS's 50 in any second."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from live.adapters.ibkr.throttle import Throttle


class FakeTime:
    """A clock that only moves when the throttle sleeps, or when the test says (never sleeps)."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def run(throttle: Throttle, t: FakeTime, n: int) -> list[tuple[int, float]]:
    sent: list[tuple[int, float]] = []

    async def one(i: int) -> None:
        await throttle.acquire()
        sent.append((i, t.now))
        throttle._check()

    async def main() -> None:
        await asyncio.gather(*(one(i) for i in range(n)))

    asyncio.run(main())
    return sent


def most_in_a_second(times: list[float]) -> int:
    return max(sum(1 for x in times if start <= x < start + 1.0 - 1e-9) for start in times)


def test_throttle_burst_goes_out_as_burst_then_one_every_tick_none_dropped_in_order():
    t = FakeTime()
    throttle = Throttle(40, 5, t.clock, t.sleep)
    sent = run(throttle, t, 100)
    assert [i for i, _ in sent] == list(range(100))  # every message, in the order asked
    times = [at for _, at in sent]
    assert times[:5] == [0.0] * 5
    assert times[5:8] == pytest.approx([0.025, 0.05, 0.075])
    assert times[-1] == pytest.approx(95 / 40)
    assert throttle.sent == 100 and throttle.waited_s == pytest.approx(95 / 40)


def test_throttle_defaults_keep_any_second_under_ibs_50():
    t = FakeTime()
    times = [at for _, at in run(Throttle(40, 5, t.clock, t.sleep), t, 300)]
    assert most_in_a_second(times) <= 45 < 50


@given(
    rate=st.integers(1, 60),
    burst=st.integers(1, 10),
    gaps=st.lists(st.floats(0, 0.3), min_size=1, max_size=120),
)
def test_throttle_never_exceeds_burst_plus_rate_in_any_second(rate, burst, gaps):
    t = FakeTime()
    throttle = Throttle(rate, burst, t.clock, t.sleep)
    times: list[float] = []

    async def main() -> None:
        for gap in gaps:  # messages asked for at arbitrary moments
            t.now += gap
            await throttle.acquire()
            times.append(t.now)
            throttle._check()

    asyncio.run(main())
    assert len(times) == len(gaps)
    assert most_in_a_second(times) <= burst + rate


def test_throttle_penalize_after_error_100_pauses_a_whole_second_then_the_steady_rate():
    t = FakeTime()
    throttle = Throttle(40, 5, t.clock, t.sleep)
    t.now = 5.0
    throttle.penalize()
    assert throttle.delay(5.0) == pytest.approx(1.025)
    sent = run(throttle, t, 2)
    assert [at for _, at in sent] == pytest.approx([6.025, 6.05]) and throttle.penalties == 1


def test_throttle_refills_with_time_up_to_its_burst():
    throttle = Throttle(10, 2, lambda: 0.0)
    throttle.take(0.0)
    throttle.take(0.0)
    assert throttle.delay(0.0) == pytest.approx(0.1)
    assert throttle.delay(0.05) == pytest.approx(0.05)
    assert throttle.delay(10.0) == 0.0
    throttle.take(10.0)
    throttle.take(10.0)  # only two: the bucket holds no more than its burst
    assert throttle.delay(10.0) > 0
