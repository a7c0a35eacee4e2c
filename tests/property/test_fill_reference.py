"""An independent oracle for the default fill rules 1-3 on quotes (CONTRACT.md): a naive model,
written from the contract's words one quote at a time, obviously correct and slow, compared with
the recorded venue on generated markets and orders. The venue's own tests use hand-computed
cases; this one does not share a line of logic with it.

One order per example, placed half a second after the first quote (no latency), so the first
quote is "the touch on arrival". Sizes are always given (missing sizes mean unlimited).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sim_helpers import quotes, run

from kernel.enums import OrderType, Side, TimeInForce

Quote = tuple[int, int, int, int]  # bid, ask, bid size, ask size


def reference(
    qs: list[Quote], otype: str, side: int, qty: int, limit: int | None, stop: int | None
) -> list[tuple[int, int]]:
    """The fills the contract's rules 1-3 give, as (price, lots), in order."""
    fills: list[tuple[int, int]] = []
    left = qty
    active = otype in ("market", "limit")  # a stop waits for its trigger
    as_limit = otype in ("limit", "stop_limit")
    fresh = True  # the next evaluation is an arrival (or a trigger): rule 1
    for bid, ask, bid_sz, ask_sz in qs:
        if left == 0:
            break
        touch, size = (ask, ask_sz) if side > 0 else (bid, bid_sz)
        if not active:
            assert stop is not None
            # rule 3: the touch reaches the stop (buy: ask >= stop; sell: bid <= stop)
            if (side > 0 and ask >= stop) or (side < 0 and bid <= stop):
                active, fresh = True, True
            else:
                continue
        if fresh:
            fresh = False
            # rule 1: marketable at once at the opposite touch, up to its size
            crosses = not as_limit or (touch <= limit if side > 0 else touch >= limit)  # type: ignore[operator]
            if crosses:
                take = min(left, size)
                fills.append((touch, take))
                left -= take
            continue
        if not as_limit:
            # rule 1: what is left of a market order fills at later touches, up to their size
            take = min(left, size)
            fills.append((touch, take))
            left -= take
            continue
        # rule 2: a resting limit fills at its own price
        assert limit is not None
        through = ask < limit if side > 0 else bid > limit
        at = touch == limit
        if through:
            fills.append((limit, left))
            left = 0
        elif at:
            take = min(left, size)
            fills.append((limit, take))
            left -= take
    return fills


@st.composite
def markets(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(2, 7))
    mid = 1000
    qs = []
    for _ in range(n):
        mid += draw(st.integers(-3, 3))
        spread = draw(st.integers(1, 3))
        bid = mid - spread // 2
        qs.append((bid, bid + spread, draw(st.integers(1, 9)), draw(st.integers(1, 9))))
    otype = draw(st.sampled_from(["market", "limit", "stop", "stop_limit"]))
    side = draw(st.sampled_from([1, -1]))
    qty = draw(st.integers(1, 25))
    limit = stop = None
    if otype in ("limit", "stop_limit"):
        limit = qs[0][1 if side > 0 else 0] + draw(st.integers(-4, 4))
    if otype in ("stop", "stop_limit"):
        stop = qs[0][1 if side > 0 else 0] + side * draw(st.integers(1, 5))
        if otype == "stop_limit":
            limit = stop + side * draw(st.integers(-1, 3))
    return qs, otype, side, qty, limit, stop


_TYPES = {
    "market": OrderType.MARKET,
    "limit": OrderType.LIMIT,
    "stop": OrderType.STOP,
    "stop_limit": OrderType.STOP_LIMIT,
}


@settings(max_examples=150, deadline=None)
@given(markets())
def test_recorded_venue_agrees_with_the_naive_reference_on_quotes(example):  # type: ignore[no-untyped-def]
    qs, otype, side, qty, limit, stop = example
    fields = {}
    if limit is not None:
        fields["limit_ticks"] = limit
    if stop is not None:
        fields["stop_ticks"] = stop

    def place(ctx):  # type: ignore[no-untyped-def]
        ctx.submit("X", Side(side), qty, _TYPES[otype], TimeInForce.GTC, **fields)

    rows = [(i, bid, ask, bsz, asz) for i, (bid, ask, bsz, asz) in enumerate(qs)]
    log, kernel, _ = run([quotes(*rows)], [(0.5, place)])
    want = reference(qs, otype, side, qty, limit, stop)
    assert log.fills() == want, (otype, side, qty, limit, stop, qs)
    assert kernel.portfolio.positions["X"].qty == side * sum(q for _, q in want)
