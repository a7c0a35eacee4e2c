"""The reconciliation's reads of IB (executions, orders, account, positions), contract details
as instruments, and IB numbers as kernel units."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kernel.reconcile import CANCELED, FILLED, REJECTED, WORKING
from kernel.units import Instrument
from live.adapters.ibkr import contracts, ib_api, wire
from live.adapters.ibkr.account import account_report, held_symbols, money_values
from live.adapters.ibkr.errors import MalformedMessage
from live.adapters.ibkr.reports import ExecutionCursor, order_report
from live.adapters.ibkr.tracking import OrderBook, PendingModify

XYZ = Instrument("XYZ", Decimal("0.01"), Decimal("1"))
STOCK = ib_api.Stock("XYZ", "SMART", "USD", conId=77)


def execution(exec_id: str, minute: int, ref: str = "k-1", perm: int = 5) -> ib_api.Fill:
    ex = ib_api.Execution(execId=exec_id, time=datetime(2024, 1, 2, 14, minute, tzinfo=UTC),
                          side="BOT", shares=3.0, price=100.25, permId=perm, orderRef=ref)  # fmt: skip
    return ib_api.Fill(STOCK, ex, ib_api.CommissionReport(exec_id, 0.35, "USD"), ex.time)


def ns(minute: int) -> int:
    return int(datetime(2024, 1, 2, 14, minute, tzinfo=UTC).timestamp()) * 1_000_000_000


def read(cursor: ExecutionCursor, fills: list, known=("k-1",)) -> list:  # type: ignore[no-untyped-def]
    return cursor.reports(
        fills, lambda ex: ex.orderRef if ex.orderRef in known else None,
        lambda c: XYZ if c.symbol == "XYZ" else None, lambda text: None,
    )  # fmt: skip


# --- executions ----------------------------------------------------------------------------------
def test_first_read_reports_the_kernels_executions_and_skips_older_foreign_ones():
    cursor = ExecutionCursor("DU1")
    assert cursor.filter().time == "" and cursor.filter().acctCode == "DU1"
    out = read(cursor, [execution("e1", 1), execution("x1", 2, ref="other")])
    assert [
        (r.trade_id, r.client_order_id, r.price_ticks, r.qty_lots, r.commission) for r in out
    ] == [("e1", "k-1", 10025, 3, 350_000_000)]
    assert out[0].ts_event == ns(1) and out[0].venue_order_id == "5"


def test_later_reads_start_a_minute_before_the_newest_and_book_new_foreign_executions():
    cursor = ExecutionCursor()
    read(cursor, [execution("e1", 10)])
    assert cursor.filter().time == "20240102-14:09:00"
    out = read(cursor, [execution("e1", 10), execution("x2", 11, ref="other", perm=9)])
    assert [(r.trade_id, r.client_order_id) for r in out] == [("e1", "k-1"), ("x2", None)]
    assert cursor.filter().time == "20240102-14:10:00"


def test_a_malformed_execution_is_reported_and_the_rest_read():
    cursor = ExecutionCursor()
    bad = execution("e9", 3)
    bad.execution.price = 100.255  # off the tick grid
    seen: list[str] = []
    out = cursor.reports([bad, execution("e1", 4)], lambda ex: "k-1", lambda c: XYZ, seen.append)
    assert [r.trade_id for r in out] == ["e1"] and "execution.price" in seen[0]


# --- orders --------------------------------------------------------------------------------------
def ib_trade(
    status: str, filled: float = 0.0, completed_filled: float | None = None
) -> ib_api.Trade:
    order = ib_api.Order(orderId=7, clientId=1, action="SELL", totalQuantity=10, orderType="LMT",
                         lmtPrice=101.0, orderRef="k-1", permId=555)  # fmt: skip
    if completed_filled is not None:
        order.filledQuantity = completed_filled
    return ib_api.Trade(STOCK, order, ib_api.OrderStatus(7, status, filled, 10 - filled), [], [])


@pytest.mark.parametrize(("status", "expected"), [
    ("PreSubmitted", WORKING), ("Submitted", WORKING), ("PendingCancel", WORKING),
    ("Filled", FILLED), ("Cancelled", CANCELED), ("ApiCancelled", CANCELED), ("Inactive", REJECTED),
])  # fmt: skip
def test_order_report_maps_ib_statuses(status, expected):
    rep = order_report(ib_trade(status, 4.0), "k-1", XYZ, OrderBook(), 9)
    assert rep is not None and (rep.status, rep.filled_lots, rep.venue_order_id) == (
        expected,
        4,
        "555",
    )


def test_order_report_of_a_completed_order_reads_its_filled_quantity():
    rep = order_report(ib_trade("Filled", completed_filled=10.0), "k-1", XYZ, OrderBook(), 9)
    assert rep is not None and rep.filled_lots == 10


def test_order_report_of_an_order_ib_has_not_taken_is_none():
    assert order_report(ib_trade("PendingSubmit"), "k-1", XYZ, OrderBook(), 9) is None


def test_order_report_carries_the_reason_of_a_rejection_and_a_modify_now_shown():
    book = OrderBook()
    book.reasons["k-1"] = "IB 201: Order rejected - reason:margin"
    rep = order_report(ib_trade("Inactive"), "k-1", XYZ, book, 9)
    assert rep is not None and rep.reason == "IB 201: Order rejected - reason:margin"
    book.modifies["k-1"] = PendingModify((None, 10100, None), (None, 101.0, None), "new", 1.0)
    rep = order_report(ib_trade("Submitted"), "k-1", XYZ, book, 9)
    assert rep is not None and rep.modified == (None, 10100, None) and not book.modifies
    assert book.placements["k-1"].order == "new" and book.by_perm_id[555] == "k-1"


# --- account -------------------------------------------------------------------------------------
def values(account: str = "DU1") -> list:  # type: ignore[type-arg]
    av = ib_api.AccountValue
    return [
        av(account, "Currency", "USD", "USD", ""),
        av(account, "TotalCashValue", "91234.56", "BASE", ""),
        av(account, "TotalCashValue", "91234.56", "USD", ""),
        av(account, "NetLiquidation", "100001.5", "USD", ""),
        av(account, "BuyingPower", "182469.12", "USD", ""),
        av(account, "TotalCashValue", "5000", "EUR", ""),
    ]


def test_account_values_in_the_base_currency():
    currency, money = money_values(values())
    assert currency == "USD"
    assert money == {"TotalCashValue": 91_234_560_000_000, "NetLiquidation": 100_001_500_000_000,
                     "BuyingPower": 182_469_120_000_000}  # fmt: skip


def test_account_report_positions_with_cost_basis_in_ticks_times_lots():
    positions = [
        ib_api.Position("DU1", STOCK, 60.0, 100.2567),
        ib_api.Position("DU1", ib_api.Stock("ABC", "SMART", "USD"), 5.0, 10.0),  # no instrument
        ib_api.Position("DU2", STOCK, 1.0, 1.0),  # another account
    ]
    rep = account_report("ib", values() + values("DU2"), positions, lambda c: c.symbol,
                         {"XYZ": XYZ}.get, "DU1", True, 42)  # fmt: skip
    assert (rep.venue, rep.currency, rep.cash, rep.equity, rep.final) == (
        "ib",
        "USD",
        91_234_560_000_000,
        100_001_500_000_000,
        True,
    )
    assert rep.positions == (("XYZ", 60, 601540),)  # 100.2567 / 0.01 * 60, rounded
    assert held_symbols(positions, lambda c: c.symbol, "DU1") == ["ABC", "XYZ"]


def test_account_report_of_a_short_future_divides_the_multiplier_out():
    es = Instrument("ES", Decimal("0.25"), Decimal("1"), "USD", Decimal(50))
    fut = ib_api.Contract(secType="FUT", symbol="ES", multiplier="50")
    rep = account_report("ib", values(), [ib_api.Position("DU1", fut, -2.0, 250_012.5)],
                         lambda c: c.symbol, {"ES": es}.get, "", False, 1)  # fmt: skip
    assert rep.positions == (("ES", -2, -40002),)  # 5000.25 / 0.25 * -2


# --- contracts -----------------------------------------------------------------------------------
def test_contract_for_a_plain_symbol_is_a_smart_routed_usd_stock():
    c = contracts.contract_for("AAPL")
    assert (c.secType, c.symbol, c.exchange, c.currency) == ("STK", "AAPL", "SMART", "USD")


@pytest.mark.parametrize(("symbol", "spec", "expected"), [
    ("USDJPY", {"sec_type": "CASH"}, ("CASH", "USD", "IDEALPRO", "JPY")),
    ("EUR.USD", {"sec_type": "cash"}, ("CASH", "EUR", "IDEALPRO", "USD")),
    ("BTC/USD", {"sec_type": "CRYPTO"}, ("CRYPTO", "BTC", "PAXOS", "USD")),
    ("ETHUSDT", {"sec_type": "CRYPTO"}, ("CRYPTO", "ETH", "PAXOS", "USDT")),
    ("SAP", {"exchange": "IBIS", "currency": "EUR"}, ("STK", "SAP", "IBIS", "EUR")),
    ("ES", {"sec_type": "FUT", "exchange": "CME"}, ("FUT", "ES", "CME", "USD")),
])  # fmt: skip
def test_contract_for_an_instruments_entry(symbol, spec, expected):
    c = contracts.contract_for(symbol, spec)
    assert (c.secType, c.symbol, c.exchange, c.currency) == expected


def test_instrument_from_details_tick_lot_currency_and_multiplier():
    d = ib_api.ContractDetails(contract=ib_api.Stock("XYZ", "NASDAQ", "USD"), minTick=0.01)
    inst = contracts.instrument_from_details(d, "XYZ", "ib")
    assert (inst.tick_size, inst.lot_size, inst.currency, inst.venue) == (
        Decimal("0.01"),
        1,
        "USD",
        "ib",
    )
    d = ib_api.ContractDetails(contract=ib_api.Crypto("BTC", "PAXOS", "USD"), minTick=0.25,
                               sizeIncrement=0.0001)  # fmt: skip
    assert contracts.instrument_from_details(d, "BTC/USD").lot_size == Decimal("0.0001")
    d = ib_api.ContractDetails(contract=ib_api.Contract(secType="FUT", symbol="ES", multiplier="50",
                                                        currency="USD"), minTick=0.25)  # fmt: skip
    assert contracts.instrument_from_details(d, "ES").multiplier == 50
    with pytest.raises(MalformedMessage):
        contracts.instrument_from_details(
            ib_api.ContractDetails(contract=STOCK, minTick=0.0), "XYZ"
        )


def test_symbol_of_prefers_the_resolved_contract_id():
    assert contracts.symbol_of(STOCK, {77: "MY-XYZ"}) == "MY-XYZ"
    assert contracts.symbol_of(ib_api.Forex("USDJPY"), {}) == "USDJPY"
    assert contracts.symbol_of(ib_api.Crypto("BTC", "PAXOS", "USD"), {}) == "BTC/USD"


# --- numbers -------------------------------------------------------------------------------------
def test_wire_prices_land_exactly_on_the_grid_or_say_which_field_is_off():
    assert wire.ticks(XYZ, 100.07) == 10007 and wire.ticks(XYZ, 100.07000000001) == 10007
    with pytest.raises(MalformedMessage, match="lmtPrice"):
        wire.ticks(XYZ, 100.075, "lmtPrice")
    assert wire.opt_ticks(XYZ, ib_api.UNSET_DOUBLE) is None and wire.number(float("nan")) is None


def test_wire_money_rounds_to_the_unit_and_times_convert():
    assert wire.money(1.0000000000000002) == 1_000_000_000
    assert wire.money("-0.35") == -350_000_000
    assert wire.time_ns(datetime(2024, 1, 2, 14, 1, tzinfo=UTC)) == ns(1)
    assert wire.ib_utc(ns(1) + 999_999_999) == "20240102-14:01:00"
