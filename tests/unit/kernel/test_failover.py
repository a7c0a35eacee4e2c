"""Several venues for one symbol: routing in config order, failover to the next venue that is up,
failback, and one book over the venues (each broker's report compared with its own share)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.clock import SimClock
from kernel.enums import OrderStatus, OrderType, Side, TradingState
from kernel.events import AccountReport, OrderAccepted, OrderFilled, VenueStatus
from kernel.kernel import Kernel
from kernel.orders import Order
from kernel.units import Instrument

XYZ = Instrument("XYZ", "0.01", "1", "USD", venue="primary")
ABC = Instrument("ABC", "0.01", "1", "USD", venue="primary")
M = 10**9


class Port:
    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list = []

    def submit(self, cmd):  # type: ignore[no-untyped-def]
        self.sent.append(cmd)

    cancel = modify = submit


def kernel(instruments=(XYZ,), routes=None) -> Kernel:  # type: ignore[no-untyped-def]
    return Kernel(
        SimClock(10**18),
        list(instruments),
        {"primary": Port("primary"), "backup": Port("backup")},
        deny_when_down=True,
        routes={"XYZ": ("primary", "backup")} if routes is None else routes,
    )


def status(venue: str, up: bool) -> VenueStatus:
    return VenueStatus(venue, up, up, 1, 1)


def buy(k: Kernel, oid: str, qty: int = 10) -> Order:
    order = Order(oid, "s", "XYZ", Side.BUY, OrderType.LIMIT, qty, 10_000)
    k.submit_order(order)
    return order


def codes(k: Kernel) -> list[str]:
    return [code for _, code, _ in k.risk_events]


def test_orders_go_to_the_first_venue_then_the_next_while_it_is_down_and_back():
    k = kernel()
    assert buy(k, "o1").venue == "primary"
    k.on_event(status("primary", False))
    o2 = buy(k, "o2")
    assert o2.venue == "backup" and o2.status == OrderStatus.SUBMITTED
    assert "FAILOVER" in codes(k) and k.stats.failovers == 1
    # every symbol of the down venue trades elsewhere: nothing reduces
    assert k.risk.state == TradingState.ACTIVE
    k.on_event(status("primary", True))
    assert "FAILBACK" in codes(k)
    assert buy(k, "o3").venue == "primary"
    sent = [(c.order.client_order_id, c.venue) for v in k.venues.values() for c in v.sent]  # type: ignore[attr-defined]
    assert sorted(sent) == [("o1", "primary"), ("o2", "backup"), ("o3", "primary")]


def test_an_order_open_at_the_down_venue_stays_there_and_is_never_sent_again():
    k = kernel()
    o1 = buy(k, "o1")
    k.on_event(OrderAccepted("o1", "P1", 2, 2))
    k.on_event(status("primary", False))
    buy(k, "o2")
    k.on_event(status("primary", True))
    assert o1.venue == "primary" and o1.is_open
    assert [c.order.client_order_id for c in k.venues["primary"].sent] == ["o1"]  # type: ignore[attr-defined]


def test_a_symbol_with_one_venue_is_denied_and_reduces_when_it_is_down():
    k = kernel(instruments=(XYZ, ABC))
    k.on_event(status("primary", False))
    assert k.risk.state == TradingState.REDUCING  # ABC has nowhere else to go
    abc = Order("a1", "s", "ABC", Side.BUY, OrderType.LIMIT, 5, 10_000)
    assert not k.submit_order(abc) and abc.status == OrderStatus.DENIED
    assert k.active_route["XYZ"] == "backup"  # (REDUCING: only orders that reduce go out)


def test_with_every_venue_down_orders_are_denied_broker_down():
    k = kernel()
    k.on_event(status("primary", False))
    k.on_event(status("backup", False))
    o = buy(k, "o1")
    assert o.status == OrderStatus.DENIED and k.risk.state == TradingState.REDUCING
    k.on_event(status("backup", True))
    assert buy(k, "o2").venue == "backup"


def report(venue: str, cash: int, qty: int, cost: int, final: bool = False) -> AccountReport:
    return AccountReport(venue, "USD", cash * M, cash * M, 2 * cash * M,
                         (("XYZ", qty, cost),), final, 1, 1)  # fmt: skip


def fill(oid: str, venue_oid: str, trade: str, qty: int, price: int) -> OrderFilled:
    return OrderFilled(oid, venue_oid, trade, "XYZ", 1, price, qty, 2, 0, 3, 3)


def test_each_brokers_report_is_compared_with_its_own_share_of_the_book():
    k = kernel()
    k.on_event(report("primary", 50_000, 100, 100 * 10_000))
    k.on_event(report("backup", 20_000, 0, 0))
    pf = k.portfolio
    assert pf.positions["XYZ"].qty == 100 and pf.account_cash("USD") == 70_000 * M
    o1 = buy(k, "o1")
    k.on_event(OrderAccepted("o1", "P1", 2, 2))
    k.on_event(fill("o1", "P1", "t1", 10, 10_000))
    k.on_event(status("primary", False))
    o2 = buy(k, "o2", 5)
    assert (o1.venue, o2.venue) == ("primary", "backup")
    k.on_event(OrderAccepted("o2", "B1", 2, 2))
    k.on_event(fill("o2", "B1", "t2", 5, 10_000))
    # each broker now reports its own: primary 110 and 49,000; backup 5 and 19,500
    for _ in range(2):
        k.on_event(report("primary", 49_000, 110, 110 * 10_000))
        k.on_event(report("backup", 19_500, 5, 5 * 10_000))
    assert "ACCOUNT_ADOPTED" not in codes(k)
    assert pf.positions["XYZ"].qty == 115 and pf.account_cash("USD") == 68_500 * M
    k.on_event(report("backup", 19_500, 5, 5 * 10_000, final=True))
    k.on_event(report("primary", 49_000, 110, 110 * 10_000, final=True))
    assert pf.positions["XYZ"].qty == 115 and pf.account_cash("USD") == 68_500 * M
    pf._check()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["primary", "backup"]), st.booleans()), max_size=12))
def test_random_outages_never_send_an_order_twice_and_route_to_an_up_venue(flips):
    """Orders placed between random venue up/down flips: each is sent once, to the first
    venue up in routing order, or denied when none is."""
    k = kernel()
    up = {"primary": True, "backup": True}
    for i, (venue, is_up) in enumerate(flips):
        if up[venue] != is_up:
            up[venue] = is_up
            k.on_event(status(venue, is_up))
        o = buy(k, f"o{i}")
        want = next((v for v in ("primary", "backup") if up[v]), None)
        if want is None:
            assert o.status == OrderStatus.DENIED
        else:
            assert o.venue == want and o.status == OrderStatus.SUBMITTED
    sent = [c.order.client_order_id for v in k.venues.values() for c in v.sent]  # type: ignore[attr-defined]
    assert len(sent) == len(set(sent))


def test_the_kill_switch_flattens_at_every_broker_each_its_own_holding():
    k = kernel()
    k.on_event(report("primary", 50_000, 100, 100 * 10_000))
    k.on_event(report("backup", 20_000, 0, 0))
    k.on_event(status("primary", False))
    buy(k, "o1", 30)
    k.on_event(OrderAccepted("o1", "B1", 2, 2))
    k.on_event(fill("o1", "B1", "t1", 30, 10_000))
    k.on_event(status("primary", True))
    assert k.accounts.held == {("primary", "XYZ"): 100, ("backup", "XYZ"): 30}
    k.kill_switch()
    sells = sorted(
        (c.venue, c.order.side, c.order.quantity)
        for v in k.venues.values()
        for c in v.sent  # type: ignore[attr-defined]
        if type(c).__name__ == "SubmitOrder" and c.order.algo_id == "risk"
    )
    assert sells == [("backup", Side.SELL, 30), ("primary", Side.SELL, 100)]


def test_policy_flatten_closes_a_down_brokers_holding_where_the_symbol_trades_meanwhile():
    k = Kernel(
        SimClock(10**18),
        [XYZ],
        {"primary": Port("primary"), "backup": Port("backup")},
        deny_when_down=True,
        routes={"XYZ": ("primary", "backup")},
        routing_policy="flatten",
    )
    k.on_event(report("primary", 50_000, 100, 100 * 10_000))
    k.on_event(report("backup", 20_000, 0, 0))
    k.on_event(status("primary", False))
    sent = [c.order for c in k.venues["backup"].sent]  # type: ignore[attr-defined]
    assert [(o.side, o.quantity, o.algo_id) for o in sent] == [(Side.SELL, 100, "risk")]
    assert "FAILOVER_FLATTEN" in codes(k)
    k.on_event(status("primary", True))
    k.on_event(status("primary", False))  # down again: the holding was offset already
    assert len(k.venues["backup"].sent) == 1  # type: ignore[attr-defined]
    assert k.venues["primary"].sent == []  # type: ignore[attr-defined]


def test_policy_hold_leaves_a_down_brokers_holding_alone():
    k = kernel()
    k.on_event(report("primary", 50_000, 100, 100 * 10_000))
    k.on_event(report("backup", 20_000, 0, 0))
    k.on_event(status("primary", False))
    assert k.venues["backup"].sent == []  # type: ignore[attr-defined]
