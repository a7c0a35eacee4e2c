"""Properties of the exchange matching engine under random order flow (Hypothesis).

- Against a naive list-based reference matcher (limit, market, cancel, modify down/up/price, no
  self-trade prevention): identical trades after every operation and an identical book.
- Under a richer flow (IOC, FOK, post-only, icebergs, all STP policies, several owners): the
  book is never crossed at rest (``_check``), quantity is conserved per order, every trade has a
  maker and a taker report of equal size, no fill is worse than the order's limit, FOK is all or
  nothing, IOC never rests, post-only never takes, icebergs never show more than their display,
  no owner trades with itself unless the policy is ``none``.
- The auction's clearing price maximises the executable volume over every integer price.
- Trailing stops through monotonic sweeps behave as if every print were replayed one by one.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from matching_helpers import Ledger, RefMatcher, engine_book, trades

from kernel.enums import Liquidity
from kernel.events import OrderCancelRejected, OrderFilled, OrderModifyRejected
from sim.auction import clearing_price
from sim.exchange import MatchingEngine
from sim.exchange_orders import FOK, GTC, IOC, TRAILING_STOP, Ext, Rec
from sim.triggers import TriggerBook, trail_offset

SIDES = st.sampled_from((1, -1))
QTY = st.integers(1, 10)
PRICE = st.integers(95, 105)
IDX = st.integers(0, 1_000)

REF_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("limit"), SIDES, QTY, PRICE),
        st.tuples(st.just("market"), SIDES, QTY),
        st.tuples(st.just("cancel"), IDX),
        st.tuples(st.just("modify_qty"), IDX, st.integers(1, 12)),
        st.tuples(st.just("modify_price"), IDX, PRICE),
    ),
    max_size=80,
)


@given(REF_OPS)
def test_engine_matches_the_reference_matcher_trade_for_trade(ops: list) -> None:
    eng = MatchingEngine("XYZ", stp="none")
    ref = RefMatcher()
    oids: list[str] = []
    for i, op in enumerate(ops):
        kind, t = op[0], i + 1
        if kind == "limit":
            oid = f"o{i}"
            oids.append(oid)
            got = eng.submit_limit(oid, f"p{i % 3}", op[1], op[2], op[3], t)
            want = ref.limit(oid, op[1], op[2], op[3])
        elif kind == "market":
            oid = f"o{i}"
            got = eng.submit_market(oid, f"p{i % 3}", op[1], op[2], t)
            want = ref.market(oid, op[1], op[2])
        elif not oids:
            continue
        elif kind == "cancel":
            oid = oids[op[1] % len(oids)]
            got = eng.cancel(oid, t)
            assert ref.cancel(oid) != any(isinstance(e, OrderCancelRejected) for e in got)
            want = []
        else:
            oid = oids[op[1] % len(oids)]
            if kind == "modify_qty":
                got = eng.modify(oid, op[2], None, None, t)
                want = ref.modify(oid, op[2], None)
            else:
                got = eng.modify(oid, None, op[2], None, t)
                want = ref.modify(oid, None, op[2])
            rejected = any(isinstance(e, OrderModifyRejected) for e in got)
            assert rejected == (want is None), (op, got)
            want = want or []
        eng._check()
        assert trades(got) == want, (op, trades(got), want)
        assert engine_book(eng) == ref.book()


RICH_OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("limit"),
            SIDES,
            QTY,
            PRICE,
            st.sampled_from((GTC, GTC, IOC, FOK)),
            st.booleans(),  # post-only (GTC only)
            st.one_of(st.none(), st.integers(1, 4)),  # display (GTC only)
            st.integers(0, 2),  # owner
        ),
        st.tuples(st.just("market"), SIDES, QTY, st.integers(0, 2)),
        st.tuples(st.just("cancel"), IDX),
        st.tuples(
            st.just("modify"),
            IDX,
            st.one_of(st.none(), st.integers(1, 12)),
            st.one_of(st.none(), PRICE),
        ),
    ),
    max_size=60,
)
POLICIES = st.sampled_from(("cancel_newest", "cancel_oldest", "cancel_both", "none"))


@given(RICH_OPS, POLICIES)
def test_matching_invariants_hold_under_random_flow(ops: list, policy: str) -> None:
    eng = MatchingEngine("XYZ", stp=policy)
    led = Ledger()
    oids: list[str] = []
    post_only: set[str] = set()
    for i, op in enumerate(ops):
        kind, t, oid = op[0], i + 1, f"o{i}"
        tif = None
        if kind == "limit":
            _, side, qty, px, tif, po, disp, owner = op
            po, disp = (po, disp) if tif == GTC else (False, None)
            led.submitted(oid, owner, side, qty, px)
            got = eng.submit_limit(
                oid, owner, side, qty, px, t, tif=tif, display_lots=disp, post_only=po
            )
            oids.append(oid)
            if po:
                post_only.add(oid)
        elif kind == "market":
            led.submitted(oid, op[3], op[1], op[2], None)
            got = eng.submit_market(oid, op[3], op[1], op[2], t)
        elif not oids:
            continue
        elif kind == "cancel":
            got = eng.cancel(oids[op[1] % len(oids)], t)
        else:
            got = eng.modify(oids[op[1] % len(oids)], op[2], op[3], None, t)
        eng._check()
        led.apply(got)
        led.check(eng)
        filled_now = {}
        for e in got:
            if isinstance(e, OrderFilled):
                lim = led.limit[e.client_order_id]
                if lim is not None:
                    assert (e.price_ticks <= lim) if e.side == 1 else (e.price_ticks >= lim), e
                assert not (e.client_order_id in post_only and e.liquidity == Liquidity.TAKER)
                filled_now[e.client_order_id] = filled_now.get(e.client_order_id, 0) + e.qty_lots
        if tif in (IOC, FOK):
            assert eng.order(oid) is None, "IOC/FOK rested"
            if tif == FOK:
                assert filled_now.get(oid, 0) in (0, led.qty[oid])
        for side in (eng.book.bids, eng.book.asks):
            for level in side.iter_levels():
                shown = 0
                for o in level.orders():
                    cap = o.leaves if o.display is None else min(o.display, o.leaves)
                    assert 0 < o.visible <= cap, o
                    shown += o.visible
                assert level.size == shown
        if policy != "none":
            for taker, maker, _, _ in trades(got):
                assert led.owner[taker] != led.owner[maker], (taker, maker)
    assert sum(eng.positions.values()) == 0


LIMIT_ORDERS = st.lists(
    st.tuples(st.one_of(st.none(), st.integers(90, 110)), st.integers(1, 20)), max_size=12
)


@given(LIMIT_ORDERS, LIMIT_ORDERS, st.one_of(st.none(), st.integers(85, 115)))
def test_clearing_price_maximises_volume_over_every_price(buys: list, sells: list, ref) -> None:
    def volume(p: int) -> int:
        demand = sum(q for lim, q in buys if lim is None or lim >= p)
        supply = sum(q for lim, q in sells if lim is None or lim <= p)
        return min(demand, supply)

    best = max(volume(p) for p in range(80, 121))
    got = clearing_price(buys, sells, ref)
    if got is None:
        assert best == 0 or ref is None
    else:
        price, vol = got
        assert vol == volume(price) > 0
        assert vol == best or not any(lim is not None for lim, _ in buys + sells)


def _trailer(side: int, trail: int) -> tuple[TriggerBook, Rec]:
    live: dict[str, Rec] = {}
    rec = Rec("tr", side, None, 1, None, "me", 1, TRAILING_STOP, GTC, "v")
    rec.ext = Ext()
    rec.ext.trail_ticks = trail
    rec.ext.up = side == 1
    rec.where = 2
    live["tr"] = rec
    book = TriggerBook(live)
    book.add(rec, None)
    return book, rec


SWEEPS = st.lists(st.tuples(st.integers(90, 110), st.integers(-4, 4)), min_size=1, max_size=15)


@given(SIDES, st.integers(1, 5), SWEEPS)
def test_trailing_stop_through_sweeps_equals_print_by_print(
    side: int, trail: int, sweeps: list
) -> None:
    book, rec = _trailer(side, trail)
    wm = stop = None
    fired_at = None
    for k, (first, span) in enumerate(sweeps):
        last = first + span
        step = 1 if last >= first else -1
        for px in range(first, last + step, step):  # the reference: every print on its own
            if fired_at is not None:
                break
            wm = px if wm is None else (min(wm, px) if side == 1 else max(wm, px))
            new = wm + trail if side == 1 else wm - trail
            stop = new if stop is None else (min(stop, new) if side == 1 else max(stop, new))
            if (px >= stop) if side == 1 else (px <= stop):
                fired_at = k
        old = rec.ext.stop
        fired, _ = book.fire(first, last)
        if old is not None and rec.ext.stop is not None:
            assert (rec.ext.stop <= old) if side == 1 else (rec.ext.stop >= old), "stop moved back"
        if fired:
            assert fired_at == k and rec.ext.stop == stop
            return
        assert fired_at is None and rec.ext.stop == stop
    assert trail_offset(100, trail, None) == trail
