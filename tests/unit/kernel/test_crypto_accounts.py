"""A crypto account in the kernel: spot pairs, fees in the asset the exchange charges, balances
per asset exact to the exchange's, equity over currencies (kernel/positions.py, accounts.py)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.clock import SimClock
from kernel.enums import OrderType, Side
from kernel.events import AccountReport, OrderAccepted, OrderFilled, QuoteTick
from kernel.kernel import Kernel
from kernel.orders import Order
from kernel.positions import Portfolio
from kernel.units import Instrument

BTC = Instrument("BTC/USDT", "0.01", "0.00001", "USDT", venue="bn", base="BTC")
E9 = 10**9


def units(text: str) -> int:
    """An exchange's decimal as kernel units (1e-9), exactly."""
    value = Decimal(text) * E9
    assert value == value.to_integral_value()
    return int(value)


class Port:
    name = "bn"

    def __init__(self) -> None:
        self.sent: list = []

    def submit(self, cmd):  # type: ignore[no-untyped-def]
        self.sent.append(cmd)

    cancel = modify = submit


def kernel() -> Kernel:
    return Kernel(SimClock(10**18), [BTC], {"bn": Port()}, deny_when_down=True)


def report(balances: dict[str, str], final: bool = False, lots: int = 0) -> AccountReport:
    usdt = units(balances.get("USDT", "0"))
    return AccountReport(
        "bn", "USDT", usdt, usdt, usdt, (("BTC/USDT", lots, lots * 5_000_000),), final, 1, 1,
        tuple(sorted((a, units(v)) for a, v in balances.items())),
    )  # fmt: skip


def test_a_buy_charged_in_btc_reduces_what_is_held_and_a_sell_charged_in_usdt_its_cash():
    pf = Portfolio({"BTC/USDT": BTC}, "USD")
    pf.set_account_cash("USDT", units("10000"))
    # buy 0.006 BTC at 50,000.00, fee 0.000006 BTC (10 bps of the asset received)
    pf.apply_fill("BTC/USDT", "s", 1, 5_000_000, 600, 0)  # a plain fill first: nothing changes
    pf.apply_fill("BTC/USDT", "s", -1, 5_000_000, 600, 0)
    pf.apply_fill("BTC/USDT", "s", 1, 5_000_000, 600, units("0.000006"), "BTC")
    assert pf.balance("BTC") == units("0.005994")
    assert pf.held("BTC/USDT") == units("0.005994")
    assert pf.positions["BTC/USDT"].qty == 600  # the lots its fills bought
    assert pf.balance("USDT") == units("9700")
    # sell 0.003 at 51,000.00, fee 0.153 USDT
    pf.apply_fill("BTC/USDT", "s", -1, 5_100_000, 300, units("0.153"), "USDT")
    assert pf.balance("BTC") == units("0.002994")
    assert pf.balance("USDT") == units("9852.847")
    # a fee in a third asset
    pf.set_account_cash("BNB", units("1"))
    pf.apply_fill("BTC/USDT", "s", 1, 5_100_000, 100, units("0.00012"), "BNB")
    assert pf.balance("BNB") == units("0.99988")
    assert pf.assets() == ["BNB", "BTC", "USD", "USDT"]


def test_equity_counts_usdt_one_for_one_and_btc_at_its_pairs_mark():
    pf = Portfolio({"BTC/USDT": BTC}, "USD")
    pf.set_account_cash("USDT", units("10000"))
    pf.apply_fill("BTC/USDT", "s", 1, 5_000_000, 1000, units("0.00001"), "BTC")  # 0.01 BTC
    pf.markets["BTC/USDT"].last_quote = QuoteTick("BTC/USDT", 5_199_999, 5_200_001, 1, 1, 0, 0)
    held = Decimal("0.00999")
    want = (Decimal(9500) + held * Decimal(52000)) * E9
    assert pf.equity() == int(want)
    assert pf.equity("USDT") == units("10020")  # the pair's own currency, before the fee
    assert pf.rate("BTC") == 52000 and pf.rate("USDT") == 1 and pf.rate("BNB") is None


def test_a_single_currency_account_keeps_its_one_currency_equity():
    inst = Instrument("XYZ", "0.01", "1", "USD")
    pf = Portfolio({"XYZ": inst}, "USD", {"USD": 100 * E9})
    pf.apply_fill("XYZ", "s", 1, 100, 1, 0)
    assert not pf._multi and pf.equity() == pf.cash() + pf.unrealized_total()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([1, -1]),
            st.integers(4_000_000, 6_000_000),  # price in cents
            st.integers(1, 5_000),  # lots of 0.00001
            st.integers(0, 30),  # fee in bps
            st.sampled_from(["received", "BNB"]),
        ),
        max_size=30,
    )
)
def test_every_balance_equals_an_exchange_ledger_kept_in_decimal(fills):
    """The exchange's bookkeeping (Binance spot: the fee in the asset received, rounded to 8
    decimals, or in BNB), kept in Decimal beside the kernel's ints: every asset equal."""
    ledger = {"USDT": Decimal(100_000), "BTC": Decimal(0), "BNB": Decimal(5)}
    pf = Portfolio({"BTC/USDT": BTC}, "USD")
    for asset, amount in ledger.items():
        pf.set_account_cash(asset, units(str(amount)))
    for side, cents, lots, bps, where in fills:
        price, qty = Decimal(cents) / 100, Decimal(lots) / 100_000
        notional = price * qty
        ledger["USDT"] -= side * notional
        ledger["BTC"] += side * qty
        if where == "BNB":
            fee, asset = (qty * bps / 10_000).quantize(Decimal("1e-8")), "BNB"
        elif side > 0:
            fee, asset = (qty * bps / 10_000).quantize(Decimal("1e-8")), "BTC"
        else:
            fee, asset = (notional * bps / 10_000).quantize(Decimal("1e-8")), "USDT"
        ledger[asset] -= fee
        pf.apply_fill("BTC/USDT", "s", side, cents, lots, units(str(fee)), asset)
    for asset, amount in ledger.items():
        assert pf.balance(asset) == units(str(amount)), asset
    assert pf.held("BTC/USDT") + units("0") == pf.balance("BTC")


def test_the_brokers_balances_are_compared_per_asset_and_fees_need_no_adoption():
    k = kernel()
    k.on_event(report({"USDT": "10000", "BTC": "0.5"}, lots=50_000))
    pf = k.portfolio
    assert pf.positions["BTC/USDT"].qty == 50_000  # held at the start: adopted
    assert pf.balance("BTC") == units("0.5") and pf.balance("USDT") == units("10000")
    order = Order("o1", "s", "BTC/USDT", Side.BUY, OrderType.LIMIT, 600, 5_000_000)
    assert k.submit_order(order)
    k.on_event(OrderAccepted("o1", "9", 2, 2))
    k.on_event(
        OrderFilled("o1", "9", "t1", "BTC/USDT", 1, 5_000_000, 600, 2, units("0.000006"), 3, 3,
                    "BTC")
    )  # fmt: skip
    after = {"USDT": "9700", "BTC": "0.505994"}
    k.on_event(report(after, lots=50_599))  # the broker's floor of 0.505994 / 0.00001
    k.on_event(report(after, lots=50_599))
    assert not [code for _, code, _ in k.risk_events if code == "ACCOUNT_ADOPTED"]
    k.on_event(report(after, final=True, lots=50_599))
    assert pf.positions["BTC/USDT"].qty == 50_600  # the kernel's lots kept: the balance agrees
    assert pf.balance("BTC") == units("0.505994") and pf.balance("USDT") == units("9700")
    pf._check()


def test_a_balance_the_kernel_missed_is_adopted_to_the_unit_at_the_end():
    k = kernel()
    k.on_event(report({"USDT": "10000"}))
    k.on_event(report({"USDT": "9000", "BTC": "0.0200004"}, final=True, lots=2000))
    pf = k.portfolio
    assert pf.positions["BTC/USDT"].qty == 2000
    assert pf.balance("BTC") == units("0.0200004") and pf.balance("USDT") == units("9000")
    pf._check()


def test_a_currency_without_a_known_rate_has_its_position_limit_within_its_own_equity():
    from kernel.risk import RiskConfig

    dax = Instrument("DAX", "0.5", "1", "EUR", venue="bn")
    k = Kernel(
        SimClock(10**18), [BTC, dax], {"bn": Port()},
        risk=RiskConfig.from_mapping({"max_position_pct": 0.5}),
        currency="USD", starting_cash={"USDT": 1_000_000 * E9, "EUR": 10_000 * E9},
    )  # fmt: skip
    assert k.portfolio.multi_currency and k.portfolio.rate("EUR") is None
    big = Order("o1", "s", "DAX", Side.BUY, OrderType.LIMIT, 1, 30_000)  # 15,000 EUR
    assert not k.submit_order(big)  # half of the 10,000 EUR, not of a million USDT
    small = Order("o2", "s", "DAX", Side.BUY, OrderType.LIMIT, 1, 8_000)  # 4,000 EUR
    assert k.submit_order(small)
    btc = Order("o3", "s", "BTC/USDT", Side.BUY, OrderType.LIMIT, 100_000, 5_000_000)
    assert k.submit_order(btc)  # 50,000 USDT within half the account's convertible equity
