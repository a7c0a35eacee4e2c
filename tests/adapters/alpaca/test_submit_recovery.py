"""The adapter's submission when the venue's answer is lost or comes twice: an order the venue
already has is never reported rejected, and one order is never in flight twice."""

from __future__ import annotations

import asyncio

import payloads as P

from kernel.enums import OrderType, Side, TimeInForce
from kernel.orders import Order
from kernel.units import Instrument
from live.adapters.alpaca.client import AlpacaAdapter
from live.adapters.alpaca.config import AlpacaConfig
from live.adapters.alpaca.errors import NotFound, ServerError, Unprocessable

INST = Instrument("AAPL", "0.01", "1")


class StubHttp:
    """The REST calls the submission makes, scripted; records every call."""

    def __init__(self, submit_answers, lookup_answers):
        self.submit_answers = list(submit_answers)
        self.lookup_answers = list(lookup_answers)
        self.calls: list[str] = []

    async def submit_order(self, body):
        self.calls.append("POST")
        await asyncio.sleep(0)
        answer = self.submit_answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def order_by_client_id(self, coid):
        self.calls.append("GET")
        answer = self.lookup_answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def adapter(http):
    cfg = AlpacaConfig("alpaca", "k", "s", True, "http://127.0.0.1:1", "ws://127.0.0.1:1/stream")
    a = AlpacaAdapter(cfg, {"AAPL": INST})
    a.http = http
    a.ready.set()
    events = []

    async def emit(ev):
        events.append(ev)

    a._emit = emit
    return a, events


def order():
    return Order(
        "strat1-17",
        "strat1",
        "AAPL",
        Side.BUY,
        OrderType.LIMIT,
        100,
        limit_ticks=12655,
        time_in_force=TimeInForce.DAY,
    )


DUPLICATE = Unprocessable(422, 40010001, "client_order_id must be unique")
VENUE_ORDER = P.order(client_order_id="strat1-17")


def kinds(events):
    return [type(e).__name__ for e in events]


def test_a_duplicate_id_answer_means_the_order_exists_and_is_accepted():
    # first POST: 503 (unknown effect); the lookup misses (not visible yet); the resend meets
    # the order the first POST did create: 422 duplicate -> look again -> accepted, not rejected
    http = StubHttp(
        [ServerError(503, None, "unavailable"), DUPLICATE],
        [NotFound(404, None, "order not found"), VENUE_ORDER],
    )
    a, events = adapter(http)
    asyncio.run(a._submit(order()))
    assert kinds(events) == ["OrderAccepted"]
    assert events[0].venue_order_id == P.ORDER_ID
    assert a.counts["rejected"] == 0
    assert http.calls == ["POST", "GET", "POST", "GET"]


def test_another_422_is_still_a_reject():
    http = StubHttp([Unprocessable(422, 40010001, "qty must be > 0")], [])
    a, events = adapter(http)
    asyncio.run(a._submit(order()))
    assert kinds(events) == ["OrderRejected"]
    assert a.counts["rejected"] == 1
    assert http.calls == ["POST"]


def test_one_order_is_never_submitted_twice_at_once():
    http = StubHttp([VENUE_ORDER, VENUE_ORDER], [])
    a, events = adapter(http)

    async def both():
        o = order()
        await asyncio.gather(a._submit(o), a._submit(o))

    asyncio.run(both())
    assert http.calls == ["POST"]  # the second call saw the first in flight
    assert kinds(events) == ["OrderAccepted"]
    assert not a._submitting
