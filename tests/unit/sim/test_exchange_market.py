"""Exchange mode (``sim.exchange_market``): background liquidity from recorded data, our orders in
its queues, recorded trades, several strategies trading with each other, the scenario key, and
the cases where exchange and recorded mode must agree."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from sim_helpers import T0, Collected, Log, S, book, quotes, trades

from executioncore.cli import main
from executioncore.scenario import ScenarioError, parse_scenario
from kernel.clock import SimClock
from kernel.enums import Liquidity, OrderType, Side, TimeInForce
from kernel.events import BookUpdate, QuoteTick, TradeTick
from kernel.journal import Journal, MemorySink
from kernel.kernel import Kernel
from kernel.orders import Order
from kernel.units import Instrument
from sim.broker import SimBroker
from sim.driver import Driver, Source
from sim.exchange_market import MARKET_OWNER, UNSIZED, ExchangeMarket
from sim.feeds import merge
from sim.models import BpsFees, ConstantLatency
from sim.session import Session

ROOT = Path(__file__).resolve().parents[3]
INST = Instrument("X", "0.01", "1")
FEES = BpsFees(maker_bps=-1.0, taker_bps=5.0)
BG = MARKET_OWNER
M, T = int(Liquidity.MAKER), int(Liquidity.TAKER)
BUY, SELL = Side.BUY, Side.SELL


# --- the market alone ------------------------------------------------------------------------------
def make(kind: str = "book", stp: str = "cancel_newest") -> ExchangeMarket:
    return Collected(ExchangeMarket(INST, "sim", kind, fee=FEES.commission, stp=stp))  # type: ignore[return-value]


def order(oid: str, side: Side, qty: int, limit: int | None = None, who: str = "a", **kw) -> Order:
    otype = kw.pop("otype", OrderType.LIMIT if limit is not None else OrderType.MARKET)
    return Order(oid, who, "X", side, otype, qty, limit_ticks=limit, **kw)


def upd(m: ExchangeMarket, *deltas: tuple[int, int, int], snap: bool = False, t: int = 1) -> None:
    m.on_book(BookUpdate("X", tuple(deltas), snap, t, t))
    m._check()


def send(m: ExchangeMarket, o: Order, t: int = 1) -> None:
    m.arrive(o, t)
    m._check()


def queue(m: ExchangeMarket, side: int, price: int) -> list[tuple[str, int]]:
    """(owner, open lots) of the live orders at ``price``, front first."""
    level = m.engine.book.side(side).level(price)
    if level is None:
        return []
    return [(o.owner, o.visible + o.hidden) for o in level.queue if o.live]


def fills(m: ExchangeMarket) -> list[tuple[str, int, int, int]]:
    out = [
        (e.client_order_id, e.price_ticks, e.qty_lots, e.liquidity)
        for e in m.out
        if type(e).__name__ == "OrderFilled"
    ]
    return out


def kinds(m: ExchangeMarket) -> list[str]:
    return [type(e).__name__.removeprefix("Order") for e in m.out]


def test_book_seeds_background_and_our_order_joins_behind_it():
    m = make()
    upd(m, (1, 100, 5), (1, 99, 3), (-1, 101, 4), snap=True)
    send(m, order("o1", BUY, 2, 100))
    assert queue(m, 1, 100) == [(BG, 5), ("a", 2)]
    assert (m.engine.best_bid, m.engine.best_ask) == (100, 101)
    upd(m, (1, 100, 8), t=2)  # the level grows: the new size joins behind us
    assert queue(m, 1, 100) == [(BG, 5), ("a", 2), (BG, 3)]
    assert kinds(m) == ["Accepted"]


def test_level_shrink_removes_background_newest_first_so_we_advance_only_when_size_ahead_goes():
    m = make()
    upd(m, (1, 100, 5), snap=True)
    send(m, order("o1", BUY, 2, 100))
    upd(m, (1, 100, 8), t=2)
    upd(m, (1, 100, 6), t=3)  # 2 of the 3 behind us go: still 5 ahead
    assert queue(m, 1, 100) == [(BG, 5), ("a", 2), (BG, 1)]
    upd(m, (1, 100, 3), t=4)  # the last 1 behind, then 2 of those ahead
    assert queue(m, 1, 100) == [(BG, 3), ("a", 2)]
    upd(m, (1, 100, 0), t=5)  # the level disappears: its background goes, our order stays
    assert queue(m, 1, 100) == [("a", 2)]
    assert (1, 100) not in m.recorded and kinds(m) == ["Accepted"]


def test_snapshot_replaces_the_whole_book():
    m = make()
    upd(m, (1, 100, 5), (-1, 102, 4), snap=True)
    upd(m, (1, 99, 7), snap=True, t=2)
    assert m.engine.depth() == ([(99, 7)], [])
    assert m.recorded == {(1, 99): 7}


def test_marketable_order_sweeps_background_levels_at_their_prices_as_taker():
    m = make()
    upd(m, (-1, 101, 4), (-1, 102, 3), (-1, 103, 5), (1, 99, 5), snap=True)
    send(m, order("o1", BUY, 9))
    assert fills(m) == [("o1", 101, 4, T), ("o1", 102, 3, T), ("o1", 103, 2, T)]
    commissions = [e.commission for e in m.out if type(e).__name__ == "OrderFilled"]
    assert commissions == [
        FEES.commission(INST, p, q, False) for p, q in ((101, 4), (102, 3), (103, 2))
    ]
    assert commissions[0] > 0
    # what we took stays taken: the next change of the level applies to what is left
    assert queue(m, -1, 103) == [(BG, 3)] and m.recorded[(-1, 103)] == 5
    upd(m, (-1, 103, 6), t=2)
    assert queue(m, -1, 103) == [(BG, 3), (BG, 1)]


def test_market_remainder_is_canceled_when_the_book_is_empty():
    m = make()
    upd(m, (-1, 101, 2), snap=True)
    send(m, order("o1", BUY, 5))
    assert kinds(m) == ["Accepted", "Filled", "Canceled"]
    assert fills(m) == [("o1", 101, 2, T)]


def test_recorded_book_moving_through_our_resting_bid_fills_it_at_our_price_as_maker():
    m = make()
    upd(m, (1, 99, 5), (-1, 102, 5), snap=True)
    send(m, order("o1", BUY, 3, 100))  # the best bid, alone
    upd(m, (-1, 102, 0), (-1, 99, 10), t=2)  # the offer drops to 99, through our bid
    assert fills(m) == [("o1", 100, 3, M)]
    fill = m.out[-1]
    assert fill.commission == FEES.commission(INST, 100, 3, True) < 0  # the maker rebate
    # the bid at 99 was crossed by newer data (stale) and is gone; the rest of the offer rests
    assert m.engine.depth() == ([], [(99, 7)])
    assert (1, 99) not in m.recorded


def test_recorded_trade_takes_background_ahead_first_then_our_order():
    m = make()
    upd(m, (1, 100, 5), (-1, 101, 5), snap=True)
    send(m, order("o1", BUY, 2, 100))
    upd(m, (1, 100, 8), t=2)  # 5 ahead of us, 3 behind
    m.on_trade(TradeTick("X", 100, 4, -1, None, 3, 3))
    m._check()
    assert fills(m) == [] and queue(m, 1, 100) == [(BG, 1), ("a", 2), (BG, 3)]
    m.on_trade(TradeTick("X", 100, 3, -1, None, 4, 4))
    m._check()
    assert fills(m) == [("o1", 100, 2, M)]  # 1 ahead, then ours; none from behind
    assert queue(m, 1, 100) == [(BG, 3)]
    assert m.recorded[(1, 100)] == 8 - 4 - 3  # a book update reporting those trades: no change
    assert m.engine.last_price == 100


def test_recorded_trade_through_our_order_fills_it_completely_at_our_price():
    m = make()
    upd(m, (-1, 105, 2), (1, 100, 5), snap=True)
    send(m, order("o1", SELL, 4, 105))  # behind 2 of background
    m.on_trade(TradeTick("X", 106, 1, 1, None, 2, 2))  # a buyer printed above our offer
    m._check()
    assert fills(m) == [("o1", 105, 4, M)]
    assert queue(m, -1, 105) == [] and (-1, 105) not in m.recorded  # stale, removed


def test_recorded_trade_with_unknown_aggressor_prints_on_the_side_it_reaches():
    m = make()
    upd(m, (1, 100, 5), (-1, 102, 5), snap=True)
    send(m, order("o1", SELL, 2, 101))
    m.on_trade(TradeTick("X", 101, 1, 0, None, 2, 2))
    assert fills(m) == [("o1", 101, 1, M)]
    assert queue(m, 1, 100) == [(BG, 5)]  # the bid side never reached 101: untouched


def test_recorded_trade_triggers_a_stop():
    m = make()
    upd(m, (1, 100, 5), (-1, 102, 5), snap=True)
    send(m, order("o1", SELL, 2, None, otype=OrderType.STOP, stop_ticks=100))
    m.on_trade(TradeTick("X", 101, 1, 1, None, 2, 2))  # no offer reaches 101: nothing trades
    assert kinds(m) == ["Accepted"] and m.engine.last_price == 101
    m.on_trade(TradeTick("X", 100, 1, -1, None, 3, 3))  # a seller at the bid: the stop fires
    m._check()
    assert kinds(m) == ["Accepted", "Triggered", "Filled"]
    assert fills(m) == [("o1", 100, 2, T)] and queue(m, 1, 100) == [(BG, 5 - 1 - 2)]


def test_background_never_trades_with_background():
    m = make()
    upd(m, (1, 100, 5), (-1, 101, 5), snap=True)
    upd(m, (-1, 100, 3), (-1, 99, 2), t=2)  # offers through the recorded bid: crossed data
    upd(m, (1, 101, 4), t=3)  # and a bid through those offers
    assert m.engine.trades == 0 and m.out == []
    assert all(v == 0 for v in m.engine.positions.values())
    assert m.engine.depth() == ([(101, 4)], [])


def test_quotes_alone_keep_only_the_touch():
    m = make("quotes")
    m.on_quote(QuoteTick("X", 100, 101, 5, 5, 1, 1))
    send(m, order("o1", BUY, 2, 100))
    m.on_quote(QuoteTick("X", 101, 102, 2, 3, 2, 2))
    m._check()
    assert set(m.recorded) == {(1, 101), (-1, 102)}
    assert m.engine.depth() == ([(101, 2), (100, 2)], [(102, 3)])
    assert queue(m, 1, 100) == [("a", 2)]  # the old touch's background is gone, not ours


def test_quotes_with_book_data_replace_only_the_touch_and_better():
    m = make("quotes")
    upd(m, (1, 100, 5), (1, 99, 4), (-1, 102, 5), snap=True)
    m.on_quote(QuoteTick("X", 99, 101, 6, 1, 2, 2))
    m._check()
    assert m.engine.depth() == ([(99, 6)], [(101, 1), (102, 5)])


def test_quote_without_sizes_is_unlimited():
    m = make("quotes")
    m.on_quote(QuoteTick("X", 100, 101, None, None, 1, 1))
    send(m, order("o1", BUY, 1_000_000))
    assert fills(m) == [("o1", 101, 1_000_000, T)]
    assert queue(m, -1, 101) == [(BG, UNSIZED - 1_000_000)]


def test_self_trade_within_one_strategy_cancels_the_newest():
    m = make()
    upd(m, (-1, 103, 5), (1, 99, 5), snap=True)
    send(m, order("o1", SELL, 2, 101))
    send(m, order("o2", BUY, 5, 103), t=2)  # would meet its own strategy's offer at 101
    assert fills(m) == []
    assert kinds(m) == ["Accepted", "Accepted", "Canceled"] and m.out[-1].client_order_id == "o2"
    assert queue(m, -1, 101) == [("a", 2)]
    send(m, order("o3", BUY, 1, 101, who="b"), t=3)  # another strategy trades with it
    assert fills(m) == [("o1", 101, 1, M), ("o3", 101, 1, T)]


@pytest.mark.parametrize(
    ("stp", "events", "trades"),
    [
        ("cancel_oldest", ["Accepted", "Accepted", "Canceled", "Filled"], [("o2", 103, 5, T)]),
        ("cancel_both", ["Accepted", "Accepted", "Canceled", "Canceled"], []),
        ("none", ["Accepted", "Accepted", "Filled", "Filled", "Filled"], None),
    ],
)
def test_self_trade_policy_is_the_venues_setting(stp, events, trades):
    m = make(stp=stp)
    upd(m, (-1, 103, 5), (1, 99, 5), snap=True)
    send(m, order("o1", SELL, 2, 101))
    send(m, order("o2", BUY, 5, 103), t=2)  # meets its own strategy's offer at 101
    assert kinds(m) == events
    if trades is not None:
        assert fills(m) == trades
    else:  # none: it trades with itself at 101, then 3 from the background at 103
        assert fills(m) == [("o1", 101, 2, M), ("o2", 101, 2, T), ("o2", 103, 3, T)]


def test_scenario_stp_only_in_exchange_mode_and_from_the_list():
    for venue, words in (
        ({"stp": "none"}, "only with mode: exchange"),
        ({"mode": "exchange", "stp": "wash"}, "accepted: cancel_newest, cancel_oldest"),
    ):
        with pytest.raises(ScenarioError) as err:
            parse_scenario(_raw([BOOK], venue), SCEN)
        assert err.value.where == "venue.stp" and words in str(err.value)
    spec = parse_scenario(_raw([BOOK], {"mode": "exchange", "stp": "cancel_both"}), SCEN)
    assert spec.venues[0].stp == "cancel_both"


def test_reject_reasons_are_named_as_in_recorded_mode():
    m = make()
    upd(m, (1, 99, 5), (-1, 101, 5), snap=True)
    send(m, order("o1", BUY, 1, 99, time_in_force=TimeInForce.OPG))
    m.cancel("nope", 2)
    send(m, order("o2", BUY, 1, 99), t=3)
    send(m, order("o2", BUY, 1, 99), t=4)
    m.modify("o2", 0, None, None, 5)
    assert [(type(e).__name__, getattr(e, "reason", None)) for e in m.out] == [
        ("OrderRejected", "NO_SESSION"),
        ("OrderCancelRejected", "UNKNOWN_OR_CLOSED_ORDER"),
        ("OrderAccepted", None),
        ("OrderRejected", "DUPLICATE_CLIENT_ORDER_ID"),
        ("OrderModifyRejected", "QUANTITY_BELOW_FILLED"),
    ]


@pytest.mark.parametrize("seed", range(12))
def test_random_data_and_orders_keep_every_invariant(seed):
    """Book updates, quotes, prints, orders of two strategies, cancels and modifies at random:
    the engine's and the background's invariants hold after every step (``_check``: the book is
    never crossed at rest, background lists match the book), and only our orders report."""
    r = random.Random(seed)
    m = make(r.choice(["book", "quotes"]))
    n = 0
    for t in range(1, 250):
        x = r.random()
        mid = 100 + r.randint(-5, 5)
        if x < 0.35:
            deltas = []
            for _ in range(r.randint(1, 5)):
                side = r.choice([1, -1])
                deltas.append((side, mid - side * r.randint(1, 4), r.choice([0, 1, 2, 5, 9])))
            m.on_book(BookUpdate("X", tuple(deltas), r.random() < 0.1, t, t))
        elif x < 0.5:
            bid_lots, ask_lots = r.choice([None, 0, 3, 7]), r.choice([None, 1, 4])
            m.on_quote(QuoteTick("X", mid, mid + r.randint(1, 3), bid_lots, ask_lots, t, t))
        elif x < 0.65:
            m.on_trade(TradeTick("X", mid, r.randint(1, 8), r.choice([-1, 0, 1]), None, t, t))
        elif x < 0.9:
            n += 1
            side, who, qty = r.choice([BUY, SELL]), r.choice("ab"), r.randint(1, 6)
            if r.random() < 0.7:
                m.arrive(order(f"o{n}", side, qty, mid + r.randint(-2, 2), who=who), t)
            else:
                m.arrive(order(f"o{n}", side, qty, who=who), t)
        elif n and x < 0.95:
            m.cancel(f"o{r.randint(1, n)}", t)
        elif n:
            m.modify(f"o{r.randint(1, n)}", r.randint(1, 8), None, None, t)
        m._check()
    assert m.out and all(e.client_order_id.startswith("o") for e in m.out)


def test_exchange_mode_unknown_modes_are_refused():
    with pytest.raises(ValueError, match="mode"):
        SimBroker("sim", [INST], {"X": "book"}, SimClock(0), mode="lit")
    broker = SimBroker("sim", [INST], {"X": "book"}, SimClock(0), mode="exchange")
    assert isinstance(broker.markets["X"], ExchangeMarket)
    assert broker.markets["X"].engine.stp == "cancel_newest"
    broker = SimBroker("sim", [INST], {"X": "book"}, SimClock(0), mode="exchange", stp="none")
    assert broker.markets["X"].engine.stp == "none"
    assert type(SimBroker("sim", [INST], {"X": "book"}, SimClock(0)).markets["X"]).__name__ == (
        "RecordedMarket"
    )


# --- through the kernel ----------------------------------------------------------------------------
def run_x(
    data: list,
    scripts: dict[str, list],
    *,
    mode: str = "exchange",
    kind: str | None = None,
    latency: ConstantLatency | None = None,
    end: float | None = None,
    session: Session | None = None,
) -> tuple[dict[str, Log], Kernel, SimBroker]:
    """``sim_helpers.run`` with a venue ``mode`` and one ``Log`` strategy per entry of
    ``scripts`` (strategy id -> its timed actions)."""
    clock = SimClock(T0 - S)
    broker = SimBroker(
        "sim",
        [INST],
        {"X": kind or data[0].kind},
        clock,
        fees=FEES,
        latency=latency,
        mode=mode,
        session=session,
    )
    journal = Journal(MemorySink())
    kernel = Kernel(clock, [INST], {"sim": broker}, journal, journal_market_data=False)
    logs = {}
    for sid, actions in scripts.items():
        log = Log(actions)
        log.strategy_id = sid
        kernel.add_strategy(log)
        logs[sid] = log
    for i, c in enumerate(data):
        c.source = i
    sources = [Source(c.kind, c.symbol) for c in data]
    driver = Driver(kernel, clock, [broker], sources, journal)
    last = max(int(c.ts[-1]) for c in data)
    acts = [t for actions in scripts.values() for t, _ in actions]
    end_ns = (
        max([last] + [T0 + int((t + 10) * S) for t in acts]) if end is None else T0 + int(end * S)
    )
    driver.run(merge([[c] for c in data]), end_ns)
    broker._check()
    kernel.oms._check()
    return logs, kernel, broker


def _fills(log: Log) -> list[tuple[int, int, int, str]]:
    return [
        (e.price_ticks, e.qty_lots, int(e.liquidity), e.trade_id)
        for e in log.events
        if type(e).__name__ == "OrderFilled"
    ]


def test_two_strategies_trade_with_each_other_and_the_position_nets():
    data = [book((0, 1, 99, 5, 1), (0, -1, 103, 5, 1), (20, 1, 98, 1, 0))]
    logs, k, _ = run_x(
        data,
        {
            "a": [(1, lambda c: c.limit("X", SELL, 3, 101))],
            "b": [(2, lambda c: c.limit("X", BUY, 4, 101))],
        },
    )
    ((pa, qa, la, ta),) = _fills(logs["a"])
    ((pb, qb, lb, tb),) = _fills(logs["b"])
    assert (pa, qa, la) == (101, 3, M) and (pb, qb, lb) == (101, 3, T) and ta == tb
    assert logs["a"].kinds() == ["Accepted", "Filled"] == logs["b"].kinds()
    pf = k.portfolio
    assert pf.position_qty("X", "a") == -3 and pf.position_qty("X", "b") == 3
    assert pf.positions["X"].qty == 0
    assert k.oms.get("b-1").filled_lots == 3 and k.oms.get("b-1").is_open  # 1 rests at 101
    maker, taker = FEES.commission(INST, 101, 3, True), FEES.commission(INST, 101, 3, False)
    assert k.oms.get("a-1").commission == maker and k.oms.get("b-1").commission == taker


def test_gtd_order_expires_through_the_venue_wake_up():
    data = [book((0, 1, 99, 5, 1), (0, -1, 103, 5, 1), (20, 1, 98, 1, 0))]
    expire = T0 + 5 * S
    logs, _k, broker = run_x(
        data,
        {
            "a": [
                (
                    1,
                    lambda c: c.limit(
                        "X", BUY, 1, 100, time_in_force=TimeInForce.GTD, expire_ns=expire
                    ),
                )
            ]
        },
    )
    assert logs["a"].kinds() == ["Accepted", "Expired"]
    assert logs["a"].events[-1].ts_event == expire
    assert broker.markets["X"].engine.order("a-1") is None


# --- recorded and exchange mode agree where their rules coincide -------------------------------
# Recorded mode (CONTRACT.md rules 1 and 2, queue position off) ignores the size ahead of a
# resting order; the exchange queues it behind the background. They coincide when nothing is
# ahead of our order when it fills and the data shows enough size at each step: a marketable
# order within the touch size takes it at the touch price (taker); a resting order that the
# quotes move through, or a print at or through its price, fills at its own price (maker). In
# the "passive bid at the touch" case the 5 ahead of our bid go when the bid moves away from
# our price (quotes alone show only the touch: sim.exchange_market rule 1), so the offer that
# then drops to our price meets our bid first, as recorded mode's rule 2 has it.
AGREE = {
    "market order against quotes with sizes": (
        lambda: [quotes((0, 100, 101, 5, 5), (5, 100, 101, 5, 5))],
        [(1, lambda c: c.market("X", BUY, 3))],
    ),
    "passive bid at the touch, then the offer drops to it": (
        lambda: [quotes((0, 100, 102, 5, 5), (3, 99, 100, 5, 4))],
        [(1, lambda c: c.limit("X", BUY, 2, 100))],
    ),
    "offer inside the spread, then the bid moves through it": (
        lambda: [quotes((0, 100, 104, 5, 5), (3, 104, 105, 5, 5))],
        [(1, lambda c: c.limit("X", SELL, 2, 103))],
    ),
    "bid inside the spread, prints at and through it": (
        lambda: [
            quotes((0, 100, 102, 5, 5), (9, 100, 102, 5, 5)),
            trades((3, 101, 1, -1), (4, 100, 1, -1)),
        ],
        [(1, lambda c: c.limit("X", BUY, 2, 101))],
    ),
}


@pytest.mark.parametrize("case", sorted(AGREE))
def test_recorded_and_exchange_mode_fill_alike_where_the_rules_coincide(case):
    seen = {}
    for mode in ("recorded", "exchange"):
        data, actions = AGREE[case]
        logs, k, _ = run_x(data(), {"t": actions}, mode=mode, kind="quotes")
        log = logs["t"]
        seen[mode] = (
            log.kinds(),
            [(p, q, liq) for p, q, liq, _ in _fills(log)],
            [e.commission for e in log.events if type(e).__name__ == "OrderFilled"],
            k.portfolio.positions["X"].qty,
        )
    assert seen["recorded"] == seen["exchange"]
    assert seen["exchange"][1], "the case must fill"


# --- the scenario key ---------------------------------------------------------------------------
def _raw(data: list[dict], venue: dict | None = None, venues: list | None = None) -> dict:
    raw = {
        "name": "x",
        "instruments": [{"symbol": "BTCUSDT", "tick_size": 0.1, "lot_size": 0.001}],
        "data": data,
    }
    if venue is not None:
        raw["venue"] = venue
    if venues is not None:
        raw["venues"] = venues
    return raw


BOOK = {"kind": "book", "symbol": "BTCUSDT", "path": "data/binance_btcusdt-depth-snap.csv"}
TRADES = {"kind": "trades", "symbol": "BTCUSDT", "path": "data/binance_btcusdt-trades.parquet"}
BARS = {
    "kind": "bars",
    "symbol": "BTCUSDT",
    "path": "data/btc-perp-20211231-20220201_1m.csv",
    "interval": "1m",
}
SCEN = ROOT / "scenarios" / "x.yaml"


def test_scenario_venue_mode_defaults_to_recorded_and_takes_exchange():
    assert parse_scenario(_raw([BOOK]), SCEN).venues[0].mode == "recorded"
    assert parse_scenario(_raw([BOOK], {"mode": "exchange"}), SCEN).venues[0].mode == "exchange"
    spec = parse_scenario(
        _raw([BOOK], venues=[{"name": "a"}, {"name": "b", "mode": "exchange"}]), SCEN
    )
    assert [v.mode for v in spec.venues] == ["recorded", "exchange"]


@pytest.mark.parametrize(
    ("raw", "where", "words"),
    [
        (_raw([BOOK], {"mode": "lit"}), "venue.mode", "expected recorded or exchange"),
        (_raw([BARS], {"mode": "exchange"}), "venue.mode", "has only bars"),
        (_raw([TRADES], {"mode": "exchange"}), "venue.mode", "has only trades"),
        (
            _raw(
                [{**BOOK, "venue": "a"}, {**BARS, "venue": "b"}],
                venues=[{"name": "a"}, {"name": "b", "mode": "exchange"}],
            ),
            "venues[1].mode",
            "'BTCUSDT' has only bars at venue 'b'",
        ),
    ],
)
def test_scenario_venue_mode_errors_name_the_key(raw, where, words):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(raw, SCEN)
    assert err.value.where == where and words in str(err.value)


def test_exchange_mode_on_bars_only_exits_2_naming_the_key(tmp_path, capsys):
    path = tmp_path / "bars.yaml"
    data = ROOT / "scenarios" / "data" / "btc-perp-20211231-20220201_1m.csv"
    path.write_text(
        "instruments: [{symbol: BTC, tick_size: 0.125, lot_size: 0.0001}]\n"
        f"data: [{{kind: bars, symbol: BTC, path: {data}, interval: 1m}}]\n"
        "venue: {mode: exchange}\n"
    )
    assert main(["run", str(path), "--out", str(tmp_path / "run")]) == 2
    assert "venue.mode" in capsys.readouterr().err


# --- sessions: the engine's auctions with the recorded background (rule 7) ---------------------
# T0 is 22:13:20 UTC: this session opens 40 s after it and closes 160 s after it
SESSION = Session("22:14", "22:16", "UTC")
OPEN_NS, CLOSE_NS = T0 + 40 * S, T0 + 160 * S


def test_opg_order_trades_in_the_opening_auction_against_the_background():
    data = [book((0, 1, 99, 5, 1), (0, -1, 103, 5, 1), (50, 1, 98, 1, 0))]
    opg = TimeInForce.OPG
    logs, k, broker = run_x(
        data,
        {"a": [(1, lambda c: c.limit("X", BUY, 2, 104, time_in_force=opg))]},
        session=SESSION,
    )
    assert logs["a"].kinds() == ["Accepted", "Filled"]
    ((price, qty, liq, _),) = _fills(logs["a"])
    assert (price, qty, liq) == (103, 2, T)  # the background was collected first: it is the maker
    assert logs["a"].events[-1].ts_event == OPEN_NS
    assert k.portfolio.positions["X"].qty == 2
    eng = broker.markets["X"].engine
    assert eng.depth(2) == ([(99, 5), (98, 1)], [(103, 3)])  # the background, less what we took


def test_closed_market_rejects_ioc_and_opg_after_the_open():
    data = [book((0, 1, 99, 5, 1), (0, -1, 103, 5, 1), (50, 1, 98, 1, 0))]
    ioc, opg = TimeInForce.IOC, TimeInForce.OPG
    logs, _k, _b = run_x(
        data,
        {
            "a": [
                (1, lambda c: c.limit("X", BUY, 1, 103, time_in_force=ioc)),
                (45, lambda c: c.limit("X", BUY, 1, 103, time_in_force=opg)),
            ]
        },
        session=SESSION,
    )
    assert [(type(e).__name__, getattr(e, "reason", None)) for e in logs["a"].events] == [
        ("OrderRejected", "MARKET_CLOSED"),
        ("OrderRejected", "OPG_AFTER_OPEN"),
    ]


def test_limit_sent_while_closed_waits_for_the_open_and_then_rests():
    data = [book((0, 1, 99, 5, 1), (0, -1, 103, 5, 1), (30, -1, 100, 1, 0), (50, -1, 100, 2, 0))]
    logs, _k, broker = run_x(
        data, {"a": [(1, lambda c: c.limit("X", BUY, 2, 100))]}, session=SESSION
    )
    # closed at t=30: the recorded ask at 100 and our bid at 100 are both collected (nothing
    # trades); the opening auction at t=40 crosses them at 100, the rest of our bid rests in the
    # book; the ask growing by 1 at t=50 trades with it there (rule 2: ours is the maker)
    assert logs["a"].kinds() == ["Accepted", "Filled", "Filled"]
    assert [(p, q, liq) for p, q, liq, _ in _fills(logs["a"])] == [(100, 1, M), (100, 1, M)]
    assert [e.ts_event for e in logs["a"].events[1:]] == [OPEN_NS, T0 + 50 * S]
    assert broker.markets["X"].engine.order("a-1") is None


def test_cls_order_trades_in_the_closing_auction_and_day_orders_expire_after_it():
    data = [book((0, 1, 99, 5, 1), (0, -1, 103, 5, 1), (60, 1, 99, 6, 0), (170, 1, 98, 1, 0))]
    cls, day = TimeInForce.CLS, TimeInForce.DAY
    logs, _k, broker = run_x(
        data,
        {
            "a": [
                (70, lambda c: c.limit("X", SELL, 2, 99, time_in_force=cls)),
                (71, lambda c: c.limit("X", BUY, 1, 97, time_in_force=day)),
            ]
        },
        session=SESSION,
    )
    events = [(type(e).__name__, e.client_order_id, e.ts_event) for e in logs["a"].events]
    assert ("OrderFilled", "a-1", CLOSE_NS) in events
    assert ("OrderExpired", "a-2", CLOSE_NS) in events
    assert events.index(("OrderFilled", "a-1", CLOSE_NS)) < events.index(
        ("OrderExpired", "a-2", CLOSE_NS)
    )
    fill = next(e for e in logs["a"].events if type(e).__name__ == "OrderFilled")
    assert (fill.price_ticks, fill.qty_lots) == (99, 2)
    assert broker.markets["X"].engine.order("a-2") is None


def test_exchange_scenario_with_a_session_runs_the_opening_auction_and_replays(tmp_path, capsys):
    """The Binance bid snapshot (23:49:39) arrives while the market is closed; the OPG sell
    trades in the opening auction at 23:50 against the collected background bids; the DAY bid
    expires at the close (23:59)."""
    data = ROOT / "scenarios" / "data"
    path = tmp_path / "session.yaml"
    path.write_text(
        "name: x_session\n"
        "account: {currency: USDT, cash: 200000}\n"
        "instruments: [{symbol: BTCUSDT, tick_size: 0.1, lot_size: 0.001, currency: USDT}]\n"
        f"data: [{{kind: book, symbol: BTCUSDT, path: {data}/binance_btcusdt-depth-snap.csv}}]\n"
        'end: "2022-11-01T23:59:30Z"\n'
        "venue: {mode: exchange, session: {open: '23:50', close: '23:59', tz: UTC}}\n"
        "orders:\n"
        "  - {at: '+1s', id: open, symbol: BTCUSDT, side: sell, quantity: 0.01, type: limit,\n"
        "     limit_price: 20000, time_in_force: opg}\n"
        "  - {at: '+2s', id: rest, symbol: BTCUSDT, side: buy, quantity: 0.01, type: limit,\n"
        "     limit_price: 20000, time_in_force: day}\n"
    )
    digests = []
    for i in range(2):
        assert main(["run", str(path), "--out", str(tmp_path / f"r{i}"), "--json"]) == 0
        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        digests.append(summary["digest"])
    assert digests[0] == digests[1]
    assert summary["positions"] == {"BTCUSDT": -0.01}
    assert summary["fills"] == 1 and summary["expired"] == 1
    assert main(["replay", str(tmp_path / "r0"), "--json"]) == 0
