"""The venue's messages read by ib_async's own ``Decoder``, and placeOrder as ib_async's own
``Client`` writes it read back by the venue, for every server version the venue speaks.

No socket: ib_async's decoder is the oracle for each field's place (a misplaced field raises
inside it or lands in the wrong attribute), its client for what a request looks like.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from ib_async import Contract, Forex, LimitOrder, Order, Stock
from ib_async.client import Client
from ib_async.decoder import Decoder
from ib_async.util import UNSET_DOUBLE

from kernel.units import Instrument
from live.fakes.ibkr import wire
from live.fakes.ibkr.contracts import Contracts, build, details_fields, infer
from live.fakes.ibkr.marketdata import Ticks, tick_fields
from live.fakes.ibkr.messages import (
    Execution,
    commission_report,
    completed_order,
    exec_details,
    open_order,
    order_status,
)
from live.fakes.ibkr.orders import IbError, IbOrder, PlaceRequest, check, read_place

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]

VERSIONS = range(wire.MIN_SERVER_VERSION, wire.MAX_SERVER_VERSION + 1)
XYZ = build(Instrument("XYZ", "0.01", "1"), None, "USD")
TS = 1_704_205_800_000_000_000  # 2024-01-02 14:30:00 UTC


class Recorder:
    """A wrapper that records every call the decoder makes."""

    defaultTimezone = UTC

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self.calls.append((name, args))


def decode(fields: list[Any], version: int) -> tuple[str, tuple[Any, ...]]:
    """The one wrapper call ib_async makes for one of our messages (framed and split back)."""
    rec = Recorder()
    body = wire.frame(fields)[4:]
    Decoder(rec, version).interpret(wire.split(body))  # type: ignore[arg-type]
    assert len(rec.calls) == 1, f"ib_async did not decode {fields[:3]}... ({rec.calls})"
    return rec.calls[0]


def order(otype: str = "LMT", **kw: Any) -> IbOrder:
    req = PlaceRequest(7, XYZ.con_id, "XYZ", "STK", "USD", "XYZ", "BUY", "10", otype,
                       "99.5", "99.9", "GTC", "", "", "ref-1", True, 0, True)  # fmt: skip
    for k, v in kw.items():
        setattr(req, k, v)
    o = IbOrder(3, 7, 1_000_000_001, XYZ, check(req, XYZ.inst, "DU1"), req, "DU1")
    o.status = "Submitted"
    return o


@pytest.mark.parametrize("version", VERSIONS)
def test_open_order_decodes_with_every_field_in_place(version: int) -> None:
    o = order("STP LMT")
    o.filled, o.fill_cost = 4, 4 * 9950
    name, (order_id, contract, ib_order, state) = decode(open_order(o, version), version)
    assert (name, order_id, state.status) == ("openOrder", 7, "Submitted")
    assert (contract.conId, contract.symbol, contract.secType, contract.currency) == (
        XYZ.con_id, "XYZ", "STK", "USD",
    )  # fmt: skip
    assert (ib_order.action, ib_order.totalQuantity, ib_order.orderType) == ("BUY", 10.0, "STP LMT")
    assert (ib_order.lmtPrice, ib_order.auxPrice, ib_order.tif) == (99.5, 99.9, "GTC")
    assert (ib_order.orderRef, ib_order.clientId, ib_order.permId) == ("ref-1", 3, 1_000_000_001)
    assert (ib_order.outsideRth, ib_order.account, ib_order.parentId) == (True, "DU1", 0)
    assert ib_order.trailStopPrice == UNSET_DOUBLE and ib_order.usePriceMgmtAlgo is False


@pytest.mark.parametrize("version", VERSIONS)
def test_trailing_order_shows_its_amount_percent_and_stop(version: int) -> None:
    amount = order("TRAIL", aux_price="0.05", lmt_price="")
    amount.trail_stop = 9990
    _, (_, _, o, _) = decode(open_order(amount, version), version)
    assert (o.orderType, o.auxPrice, o.trailStopPrice, o.trailingPercent) == (
        "TRAIL", 0.05, 99.9, UNSET_DOUBLE,
    )  # fmt: skip
    pct = order("TRAIL", trailing_percent="1.5", aux_price="", lmt_price="")
    _, (_, _, o, _) = decode(open_order(pct, version), version)
    assert (o.auxPrice, o.trailingPercent) == (0.0, 1.5)


@pytest.mark.parametrize("version", VERSIONS)
def test_completed_order_decodes_status_time_and_filled(version: int) -> None:
    o = order("LMT")
    o.status, o.filled, o.fill_cost, o.done_ns, o.reason = "Filled", 10, 9950, TS, "Filled"
    name, (contract, ib_order, state) = decode(completed_order(o, version), version)
    assert (name, contract.symbol, ib_order.permId, ib_order.filledQuantity) == (
        "completedOrder", "XYZ", 1_000_000_001, 10.0,
    )  # fmt: skip
    assert (state.status, state.completedTime, state.completedStatus) == (
        "Filled", "20240102 14:30:00 UTC", "Filled",
    )  # fmt: skip


@pytest.mark.parametrize("version", VERSIONS)
def test_exec_details_and_commission_decode(version: int) -> None:
    o = order("MKT")
    ex = Execution("0000e0d5.00000001.01.01", o, TS, 1, 3, 10002, 3, Decimal("100.02"), 2,
                   Fraction(5, 2), "USD")  # fmt: skip
    name, (req_id, contract, e) = decode(exec_details(-1, ex, "DU1", version), version)
    assert (name, req_id, contract.conId, e.orderId, e.execId) == (
        "execDetails", -1, XYZ.con_id, 7, "0000e0d5.00000001.01.01",
    )  # fmt: skip
    assert (e.side, e.shares, e.price, e.cumQty, e.avgPrice, e.lastLiquidity) == (
        "BOT", 3.0, 100.02, 3.0, 100.02, 2,
    )  # fmt: skip
    assert (e.permId, e.clientId, e.orderRef, e.acctNumber) == (1_000_000_001, 3, "ref-1", "DU1")
    assert e.time == datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
    name, (report,) = decode(commission_report(ex), version)
    assert (report.execId, report.commission, report.currency, report.realizedPNL) == (
        ex.exec_id, 0.0, "USD", 2.5,
    )  # fmt: skip


def test_order_status_decodes_filled_remaining_and_prices() -> None:
    o = order("LMT")
    o.filled, o.fill_cost, o.last_fill = 4, 4 * 9950, 9950
    name, args = decode(order_status(o), 178)
    assert (name, *args) == (
        "orderStatus", 7, "Submitted", 4.0, 6.0, 99.5, 1_000_000_001, 0, 99.5, 3, "", 0.0,
    )  # fmt: skip


@pytest.mark.parametrize("version", VERSIONS)
def test_contract_details_decode_with_min_tick_and_size_increment(version: int) -> None:
    fx = build(Instrument("USDJPY", "0.001", "1000"), None, "USD")
    name, (req_id, cd) = decode(details_fields(9, fx, fx.exchange, TS), version)
    c = cd.contract
    assert (name, req_id, c.secType, c.symbol, c.currency, c.localSymbol) == (
        "contractDetails", 9, "CASH", "USD", "JPY", "USD.JPY",
    )  # fmt: skip
    assert (c.conId, c.exchange, cd.minTick, cd.minSize, cd.sizeIncrement) == (
        fx.con_id, "IDEALPRO", 0.001, 1000.0, 1000.0,
    )  # fmt: skip
    assert cd.tradingSessions()[0].start.date().isoformat() == "2024-01-02"


def test_ticks_decode_as_price_size_and_size_ticks() -> None:
    ticks = Ticks({"XYZ": Decimal(1)})
    out = ticks.publish("quotes", "XYZ", {"bp": 100.0, "bs": 5, "ap": 100.02, "as": 0})
    calls = [decode(tick_fields(4, t), 178) for t in out]
    assert calls == [("priceSizeTick", (4, 1, 100.0, 5.0)), ("priceSizeTick", (4, 2, 100.02, 1.0))]
    out = ticks.publish("quotes", "XYZ", {"bp": 100.0, "bs": 6, "ap": 0, "as": 0})
    calls = [decode(tick_fields(4, t), 178) for t in out]
    assert calls == [("tickSize", (4, 0, 6.0)), ("priceSizeTick", (4, 2, -1.0, 0.0))]  # empty
    out = ticks.publish("trades", "XYZ", {"p": 100.01, "s": 3})
    calls = [decode(tick_fields(4, t), 178) for t in out]
    assert calls == [("priceSizeTick", (4, 4, 100.01, 3.0)), ("tickSize", (4, 8, 3.0))]


# --- placeOrder written by ib_async, read by the venue ------------------------------------------
def written(contract: Contract, o: Order, version: int, order_id: int = 5) -> list[str]:
    """The fields ib_async's client sends for ``placeOrder`` at ``version``."""
    sent: list[str] = []
    client = Client(Recorder())
    client._serverVersion = version
    client.connState = Client.CONNECTED
    client.sendMsg = sent.append  # type: ignore[method-assign]
    client.placeOrder(order_id, contract, o)
    return wire.split(sent[0].encode())


@pytest.mark.parametrize("version", VERSIONS)
def test_read_place_reads_what_ib_async_writes(version: int) -> None:
    o = LimitOrder("SELL", 25, 101.25, tif="GTD", goodTillDate="20240102 16:00:00 UTC",
                   orderRef="mine", outsideRth=True, account="DU1")  # fmt: skip
    req = read_place(written(Stock("XYZ", "SMART", "USD"), o, version), version)
    assert (req.order_id, req.symbol, req.sec_type, req.currency) == (5, "XYZ", "STK", "USD")
    assert (req.action, req.quantity, req.order_type, req.lmt_price) == (
        "SELL",
        "25",
        "LMT",
        "101.25",
    )
    assert (req.tif, req.good_till_date, req.order_ref, req.outside_rth) == (
        "GTD", "20240102 16:00:00 UTC", "mine", True,
    )  # fmt: skip
    assert (req.account, req.transmit, req.parent_id, req.unsupported) == ("DU1", True, 0, "")
    spec = check(req, XYZ.inst, "DU1")
    assert (spec.side, spec.qty, spec.lmt, spec.expire_ns) == (-1, 25, 10125, TS + 5400 * 10**9)


@pytest.mark.parametrize("version", VERSIONS)
def test_read_place_finds_trailing_fields_and_unsupported_features(version: int) -> None:
    trail = Order(action="SELL", totalQuantity=3, orderType="TRAIL", trailingPercent=1.5,
                  trailStopPrice=98.0)  # fmt: skip
    req = read_place(written(Stock("XYZ"), trail, version), version)
    assert (req.trailing_percent, req.trail_stop_price, req.unsupported) == ("1.5", "98.0", "")
    spec = check(req, XYZ.inst, "DU1")
    assert (spec.trail_ppm, spec.trail_stop, spec.trail_ticks) == (15_000, 9800, None)
    for extra, words in (
        ({"whatIf": True}, "what-if"),
        ({"algoStrategy": "Adaptive"}, "algos"),
        ({"hedgeType": "D"}, "hedge"),
    ):
        o = LimitOrder("BUY", 1, 100.0, **extra)
        req = read_place(written(Stock("XYZ"), o, version), version)
        assert words in req.unsupported
        with pytest.raises(IbError) as exc:
            check(req, XYZ.inst, "DU1")
        assert exc.value.code == 201 and words in exc.value.message


@pytest.mark.parametrize(
    ("order", "code"),
    [
        (Order(action="BUY", totalQuantity=1, orderType="REL"), 387),
        (Order(action="BUY", totalQuantity=0, orderType="MKT"), 434),
        (LimitOrder("BUY", 1, 100.005), 110),
        (LimitOrder("BUY", 1.5, 100.0), 201),
        (LimitOrder("BUY", 1, 100.0, parentId=4), 201),
        (LimitOrder("BUY", 1, 100.0, ocaGroup="g"), 201),
        (LimitOrder("BUY", 1, 100.0, tif="GTX"), 201),
        (LimitOrder("BUY", 1, 100.0, tif="GTD"), 201),
        (LimitOrder("BUY", 1, 100.0, account="U999"), 201),
        (Order(action="BUY", totalQuantity=1, orderType="STP"), 201),
    ],
)
def test_check_answers_the_tws_error_code(order: Order, code: int) -> None:
    req = read_place(written(Stock("XYZ"), order, 178), 178)
    with pytest.raises(IbError) as exc:
        check(req, XYZ.inst, "DU1")
    assert exc.value.code == code


def test_a_float_price_next_to_the_grid_counts_as_on_it() -> None:
    o = LimitOrder("BUY", 1, 99.99 + 0.02)
    assert repr(o.lmtPrice) == "100.00999999999999"  # what ib_async sends
    req = read_place(written(Stock("XYZ"), o, 178), 178)
    assert check(req, XYZ.inst, "DU1").lmt == 10001


def test_contracts_are_inferred_and_found_by_what_ib_async_sends() -> None:
    assert infer("USDJPY", "USD") == ("CASH", "USD", "JPY", "USD.JPY")
    assert infer("BTC/USD", "USD") == ("CRYPTO", "BTC", "USD", "BTC.USD")
    assert infer("ETHUSDT", "USD") == ("CRYPTO", "ETH", "USDT", "ETH.USDT")
    assert infer("AAPL", "EUR") == ("STK", "AAPL", "EUR", "AAPL")
    fx = build(Instrument("USDJPY", "0.001", "1000"), None, "USD")
    forced = build(Instrument("EURUSD", "0.00001", "1"), "STK", "USD")
    assert (forced.sec_type, forced.symbol) == ("STK", "EURUSD")
    book = Contracts([XYZ, fx])
    f = Forex("USDJPY")
    assert book.find(0, f.symbol, f.secType, f.currency, "") is fx
    assert book.find(0, "XYZ", "STK", "", "") is XYZ
    assert book.find(0, "XYZ", "CASH", "", "") is None
    assert book.find(fx.con_id, "", "", "", "") is fx
    assert book.find(0, "NOPE", "", "", "") is None


def test_handshake_picks_the_highest_common_version() -> None:
    assert wire.pick_version(*wire.handshake_versions(b"v157..178")) == 178
    assert wire.pick_version(*wire.handshake_versions(b"v100..177 +PACEAPI")) == 177
    with pytest.raises(wire.ProtocolError):
        wire.pick_version(*wire.handshake_versions(b"v100..170"))
    with pytest.raises(wire.ProtocolError):
        wire.handshake_versions(b"hello")
    assert wire.parse_time("20240102-14:30:00") == TS
    assert wire.parse_time("20240102 09:30:00 US/Eastern") == TS
    assert wire.parse_time("20240102 14:30:00") == TS
