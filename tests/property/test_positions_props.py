"""Positions against a brute-force reference that replays every fill with Fractions."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from kernel.events import QuoteTick
from kernel.positions import Portfolio
from kernel.units import Instrument

STRATS = ("a", "b", "c")
fills = st.lists(
    st.tuples(
        st.sampled_from(STRATS),
        st.sampled_from((1, -1)),
        st.integers(1, 2_000),  # price ticks
        st.integers(1, 50),  # qty lots
        st.integers(0, 1_000),  # commission money units
    ),
    min_size=1,
    max_size=60,
)


def reference(fill_list, mark2):
    """Average cost with exact Fractions: position, realized, unrealized."""
    qty = 0
    avg = Fraction(0)
    realized = Fraction(0)
    for _, side, px, q, _ in fill_list:
        signed = side * q
        if qty == 0 or (qty > 0) == (side > 0):
            avg = (avg * qty + Fraction(px) * signed) / (qty + signed)
            qty += signed
            continue
        close = min(q, abs(qty))
        realized += close * (px - avg) * (1 if qty > 0 else -1)
        qty += side * close
        rest = q - close
        if qty == 0:
            avg = Fraction(0)
        if rest:
            qty = side * rest
            avg = Fraction(px)
    unrealized = qty * (Fraction(mark2, 2) - avg)
    return qty, realized, unrealized


@given(fills, st.integers(1, 4_000), st.sampled_from(["0.01", "0.5", "0.001"]))
def test_positions_match_fraction_reference_and_identities_hold_exactly(fill_list, mark2, tick):
    inst = Instrument("X", tick, "1")
    tlm = inst.ticklot_money
    start = 10**15
    pf = Portfolio({"X": inst}, "USD", {"USD": start})
    pf.markets["X"].last_quote = QuoteTick("X", mark2 // 2, mark2 - mark2 // 2, None, None, 0, 0)
    reductions = 0
    for sid, side, px, q, comm in fill_list:
        pos_before = pf.positions["X"].qty
        pf.apply_fill("X", sid, side, px, q, comm)
        if pos_before and (pos_before > 0) != (side > 0):
            reductions += 1
    pos = pf.positions["X"]
    ref_qty, ref_realized, ref_unrealized = reference(fill_list, mark2)
    # position = signed sum of fills
    assert pos.qty == sum(side * q for _, side, _, q, _ in fill_list) == ref_qty
    # realized + unrealized is exactly the cash-flow P&L (and the reference's total)
    cashflow_ticklots2 = sum(side * q * (mark2 - 2 * px) for _, side, px, q, _ in fill_list)
    total = pos.realized + pf.unrealized("X")
    assert 2 * total == cashflow_ticklots2 * tlm
    assert total == (ref_realized + ref_unrealized) * tlm
    # realized within one ticklot per reduction of the exact average-cost figure; exact when flat
    assert abs(pos.realized - ref_realized * tlm) <= reductions * tlm
    if pos.qty == 0:
        assert pos.realized == ref_realized * tlm
    # realized + unrealized - commissions == equity - starting cash
    commissions = sum(c for *_, c in fill_list)
    assert pf.commissions["USD"] == commissions
    assert pos.realized + pf.unrealized("X") - commissions == pf.equity() - start
    # per-strategy positions sum to the instrument position
    assert sum(pf.position_qty("X", s) for s in STRATS) == pos.qty
    pf._check()
