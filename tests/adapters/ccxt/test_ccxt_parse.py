"""The CCXT adapter's pure parts: ccxt structures -> kernel units (from the recorded Binance
payloads run through ccxt's own parsers), kernel orders -> ``create_order`` arguments and the
exchange's filters, the URL rewrite, the config, error texts. No sockets."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt
import ccxt.pro
import pytest

from kernel.enums import Liquidity, OrderType, Side, TimeInForce
from kernel.orders import Order
from kernel.reconcile import CANCELED, FILLED, WORKING
from live.adapters.ccxt import account, parse
from live.adapters.ccxt.commands import expiry_ns
from live.adapters.ccxt.config import CcxtConfig, deep_merge, rewrite_urls
from live.adapters.ccxt.errors import (
    LocalReject,
    Unsupported,
    ban_seconds,
    describe,
    is_ban,
    redact,
    reject_reason,
)
from live.adapters.ccxt.order_requests import order_request

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "live" / "fakes" / "binance" / "data"
RECORDED = json.loads((DATA / "binance_spot_http_responses.json").read_text())
INFO = json.loads((DATA / "binance_spot_exchangeInfo_CONSTRUCTED.json").read_text())


def recorded(name: str) -> Any:
    return RECORDED[name]["httpResponse"]


@pytest.fixture(scope="module")
def ex() -> ccxt.binance:
    """ccxt's binance with the constructed exchangeInfo's markets (no network)."""
    e = ccxt.pro.binance()
    e.options["crossMarginPairsData"] = []
    e.options["isolatedMarginPairsData"] = []
    e.set_markets([e.parse_market(s) for s in INFO["symbols"]])
    return e


def spec_inst(ex: Any, symbol: str) -> tuple[parse.MarketSpec, Any]:
    spec = parse.market_spec(ex.market(symbol), None, ex.name, ex.precisionMode)
    return spec, parse.instrument_of(spec, "bn")


# --- markets and instruments -------------------------------------------------------------------
def test_market_spec_reads_binance_filters_exactly(ex):
    spec, inst = spec_inst(ex, "BTC/USDT")
    assert (spec.market_id, spec.base, spec.quote, spec.exchange) == (
        "BTCUSDT",
        "BTC",
        "USDT",
        "Binance",
    )
    assert spec.tick == Decimal("0.01") and spec.step == Decimal("0.00001")
    assert spec.min_qty == Decimal("0.00001") and spec.min_notional == Decimal(5)
    assert spec.min_notional_market and "LIMIT_MAKER" in spec.order_types
    assert (inst.symbol, inst.tick_size, inst.lot_size, inst.currency, inst.base, inst.venue) == (
        "BTC/USDT", Decimal("0.01"), Decimal("0.00001"), "USDT", "BTC", "bn")  # fmt: skip


def test_market_spec_without_filters_uses_ccxt_precision_and_limits():
    market = {"symbol": "ETH/EUR", "id": "ETHEUR", "base": "ETH", "quote": "EUR",
              "precision": {"price": 0.1, "amount": 0.0001},
              "limits": {"amount": {"min": 0.001}, "cost": {"min": 10}}, "info": {}}  # fmt: skip
    spec = parse.market_spec(market, "ETH/EUR", "Kraken")
    assert (spec.tick, spec.step, spec.min_qty, spec.min_notional) == (
        Decimal("0.1"), Decimal("0.0001"), Decimal("0.001"), Decimal(10))  # fmt: skip
    digits = parse.market_spec({**market, "precision": {"price": 2, "amount": 4}}, None, "", 2)
    assert (digits.tick, digits.step) == (Decimal("0.01"), Decimal("0.0001"))


# --- trades ------------------------------------------------------------------------------------
def test_rest_trade_recorded_sell_pays_quote_commission_exactly(ex):
    spec, inst = spec_inst(ex, "LTC/USDT")
    trade = ex.parse_trade(recorded("fetchMyTrades")[0], ex.market("LTC/USDT"))
    fill = parse.parse_trade(trade, spec, inst)
    assert fill.trade_id == "LTCUSDT:309520010" and fill.seq == 309520010
    assert (fill.order_id, fill.client_order_id, fill.side) == ("3784695242", None, -1)
    assert fill.price_ticks == inst.price_to_ticks("69.63") and fill.qty_lots == inst.qty_to_lots(
        "0.2"
    )
    assert (fill.commission, fill.commission_currency) == (13_926_000, "USDT")  # 0.013926 USDT
    assert fill.liquidity == Liquidity.TAKER and fill.ts_ns == 1698138992358 * 1_000_000


EXECUTION_REPORT = {
    "e": "executionReport", "E": 1610064000471, "s": "BTCUSDT", "c": "t-1", "S": "BUY",
    "o": "MARKET", "f": "GTC", "q": "0.00020000", "p": "0.00000000", "P": "0.00000000",
    "F": "0.00000000", "g": -1, "C": "", "x": "TRADE", "X": "FILLED", "r": "NONE", "i": 3,
    "l": "0.00020000", "z": "0.00020000", "L": "39432.48000000", "n": "0.00000020", "N": "BTC",
    "T": 1610064000471, "t": 1, "I": 7, "w": False, "m": False, "M": False,
    "O": 1610064000471, "Z": "7.88649600", "Y": "7.88649600", "Q": "0.00000000",
    "W": 1610064000471, "V": "NONE",
}  # fmt: skip


def test_stream_trade_buy_pays_base_commission_and_names_its_order(ex):
    spec = parse.market_spec(ex.market("BTC/USDT"), None, ex.name)
    spec = parse.MarketSpec(**{**{f: getattr(spec, f) for f in spec.__slots__},
                               "step": Decimal("0.000001")})  # fmt: skip  # the venue's grid
    inst = parse.instrument_of(spec)
    fill = parse.parse_trade(ex.parse_ws_trade(dict(EXECUTION_REPORT)), spec, inst)
    assert (fill.trade_id, fill.order_id, fill.client_order_id) == ("BTCUSDT:1", "3", "t-1")
    assert (fill.qty_lots, fill.price_ticks, fill.side) == (200, 3943248, 1)
    assert (fill.commission, fill.commission_currency) == (200, "BTC")  # 0.0000002 BTC
    snap = parse.parse_order(ex.parse_ws_order(dict(EXECUTION_REPORT)), inst)
    assert (snap.status, snap.filled_lots, snap.client_order_id, snap.order_id) == (
        FILLED,
        200,
        "t-1",
        "3",
    )


def test_trade_from_unified_fields_only():
    spec = parse.MarketSpec("X/USD", "X/USD", "XUSD", "X", "USD", Decimal("0.5"), Decimal("0.1"),
                            None, None, True, frozenset())  # fmt: skip
    inst = parse.instrument_of(spec)
    trade = {"id": "a7", "order": "o1", "side": "sell", "price": 10.5, "amount": 0.3,
             "takerOrMaker": "maker", "timestamp": 5, "fee": {"cost": 0.0001, "currency": "BNB"}}  # fmt: skip
    fill = parse.parse_trade(trade, spec, inst)
    assert (fill.trade_id, fill.seq, fill.price_ticks, fill.qty_lots) == ("XUSD:a7", None, 21, 3)
    assert (fill.commission, fill.commission_currency, fill.liquidity) == (100_000, "BNB", 1)
    with pytest.raises(parse.MalformedMessage, match="price"):
        parse.parse_trade({**trade, "price": 10.3}, spec, inst)  # off the 0.5 tick


# --- orders ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "symbol", "status", "filled"),
    [("fetchOrder", "LTC/USDT", FILLED, "0.1"), ("createOrder", "SOL/USDT", WORKING, "0"),
     ("fetchOrders", "LTC/USDT", CANCELED, "0"), ("fetchOpenOrders", "LTC/USDT", WORKING, "0")],
)  # fmt: skip
def test_recorded_orders_parse_to_status_and_filled_lots(ex, name, symbol, status, filled):
    raw = recorded(name)
    raw = raw[0] if isinstance(raw, list) else raw
    _, inst = spec_inst(ex, symbol)
    snap = parse.parse_order(ex.parse_order(raw, ex.market(symbol)), inst)
    assert snap.status == status and snap.filled_lots == inst.qty_to_lots(filled)
    assert snap.order_id == str(raw["orderId"]) and snap.client_order_id == raw["clientOrderId"]
    report = parse.status_report(snap, "k-1")
    assert (report.client_order_id, report.venue_order_id, report.status) == (
        "k-1",
        snap.order_id,
        status,
    )


# --- balances and the account ------------------------------------------------------------------
def test_recorded_balance_is_exact_per_asset(ex):
    bal = ex.parse_balance_custom(recorded("fetchBalance"), "spot")
    balances = parse.parse_balances(bal)
    assert balances["LTC"] == (Decimal("0.919741"), Decimal(0))
    assert parse.balance_units(balances) == (("ETH", 22_298_330), ("LTC", 919_741_000))


def test_account_report_spot_positions_floor_lots_and_cash_in_quote():
    balances = {"USDT": (Decimal("900.5"), Decimal("99.5")), "BTC": (Decimal("0.0019998"), Decimal(0)),
                "BNB": (Decimal("1"), Decimal(0))}  # fmt: skip
    btc = parse.instrument_of(parse.MarketSpec(
        "BTC/USDT", "BTC/USDT", "BTCUSDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"),
        None, None, True, frozenset()))  # fmt: skip
    prices = {"BTC/USDT": Decimal("40000")}
    rep = parse.account_report("bn", "USDT", balances, [btc], prices.get, True, 7)
    assert (rep.currency, rep.cash, rep.buying_power) == ("USDT", 1000 * 10**9, 900_500_000_000)
    assert rep.positions == (("BTC/USDT", 199, 199 * 4_000_000),)  # 0.0019998 -> 199 lots
    assert rep.equity == 1000 * 10**9 + int(Decimal("0.0019998") * 40000 * 10**9)
    assert rep.balances == (("BNB", 10**9), ("BTC", 1_999_800), ("USDT", 1000 * 10**9))
    assert rep.final and rep.ts_event == 7


def test_the_account_currency_is_the_instruments_quote_else_the_exchanges_usual_one():
    assert account.account_currency(None, [], "binance") == "USDT"
    assert account.account_currency("FDUSD", [], "binance") == "FDUSD"


# --- quotes ------------------------------------------------------------------------------------
def test_book_ticker_becomes_a_quote_in_ticks_and_lots(ex):
    _, inst = spec_inst(ex, "BTC/USDT")
    ticker = {"symbol": "BTC/USDT", "bid": 1.0, "ask": 2.0, "timestamp": None,
              "info": {"b": "39432.48000000", "B": "0.00632000", "a": "39432.50000000", "A": "1.00000000"}}  # fmt: skip
    q = parse.parse_quote(ticker, inst, "bn", 99)
    assert (q.bid_ticks, q.ask_ticks, q.bid_lots, q.ask_lots) == (3943248, 3943250, 632, 100_000)
    assert (q.ts_event, q.ts_init, q.venue) == (99, 99, "bn")
    assert parse.parse_quote({"bid": None, "ask": 1.0}, inst, "bn", 1) is None


# --- kernel orders -> create_order -------------------------------------------------------------
SPEC = parse.MarketSpec(
    "BTC/USDT", "BTC/USDT", "BTCUSDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.000001"),
    Decimal("0.000001"), Decimal(5), True,
    frozenset({"LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"}), "Binance",
)  # fmt: skip
INST = parse.instrument_of(SPEC, "bn")


def kernel_order(otype=OrderType.LIMIT, qty="0.001", price="39000", tif=TimeInForce.GTC, **kw):
    return Order(
        kw.pop("coid", "s1-churn-1"), "churn", "BTC/USDT", kw.pop("side", Side.BUY), otype,
        INST.qty_to_lots(qty), limit_ticks=None if price is None else INST.price_to_ticks(price),
        time_in_force=tif, **kw,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("order", "want"),
    [
        (kernel_order(OrderType.MARKET, price=None), ("market", None, {})),
        (kernel_order(), ("limit", 39000.0, {"timeInForce": "GTC"})),
        (kernel_order(tif=TimeInForce.IOC), ("limit", 39000.0, {"timeInForce": "IOC"})),
        (kernel_order(tif=TimeInForce.FOK), ("limit", 39000.0, {"timeInForce": "FOK"})),
        (kernel_order(post_only=True), ("limit", 39000.0, {"postOnly": True})),
        (kernel_order(tif=TimeInForce.DAY), ("limit", 39000.0, {"timeInForce": "GTC"})),
        (kernel_order(OrderType.STOP_LIMIT, stop_ticks=INST.price_to_ticks("39100")),
         ("STOP_LOSS_LIMIT", 39000.0, {"timeInForce": "GTC", "stopPrice": 39100.0})),
    ],
)  # fmt: skip
def test_order_request_maps_types_and_time_in_force(order, want):
    req = order_request(order, INST, SPEC, Decimal("39432.48"))
    assert (
        req.type,
        req.price,
        {k: v for k, v in req.params.items() if k != "clientOrderId"},
    ) == want
    assert (req.symbol, req.side, req.amount) == ("BTC/USDT", "buy", 0.001)
    assert req.params["clientOrderId"] == "s1-churn-1"


@pytest.mark.parametrize(
    ("order", "field"),
    [
        (kernel_order(OrderType.STOP, price=None, stop_ticks=1), "type"),  # STOP_LOSS not listed
        (kernel_order(OrderType.TRAILING_STOP, price=None, trail_ticks=10), "type"),
        (kernel_order(tif=TimeInForce.OPG), "time_in_force"),
        (kernel_order(OrderType.MARKET, price=None, tif=TimeInForce.FOK), "time_in_force"),
        (kernel_order(reduce_only=True, side=Side.SELL), "reduce_only"),
        (kernel_order(display_lots=10), "display_qty"),
        (kernel_order(coid="has space"), "client_order_id"),
        (kernel_order(coid="x" * 37), "client_order_id"),
    ],
)  # fmt: skip
def test_what_binance_spot_lacks_is_refused_before_sending(order, field):
    with pytest.raises(Unsupported) as exc:
        order_request(order, INST, SPEC, Decimal("39432.48"))
    assert exc.value.field == field


def test_day_orders_refused_when_the_adapter_does_not_expire_them():
    with pytest.raises(Unsupported, match="DAY"):
        order_request(kernel_order(tif=TimeInForce.DAY), INST, SPEC, None, day_expiry=False)
    day = kernel_order(tif=TimeInForce.DAY, ts_init=86_400_000_000_000 * 3 + 5)
    assert expiry_ns(day) == 86_400_000_000_000 * 4  # the next 00:00 UTC


@pytest.mark.parametrize(
    ("order", "ref", "reason"),
    [
        (kernel_order(qty="0.0001", price="5000"), None,
         "BELOW_MIN_NOTIONAL: 0.5 USDT < 5 USDT (Binance NOTIONAL filter for BTC/USDT)"),
        (kernel_order(OrderType.MARKET, qty="0.0001", price=None), Decimal("39432.48"),
         "BELOW_MIN_NOTIONAL: 3.943248 USDT < 5 USDT (Binance NOTIONAL filter for BTC/USDT)"),
    ],
)  # fmt: skip
def test_orders_under_the_minimum_notional_are_refused_locally(order, ref, reason):
    with pytest.raises(LocalReject) as exc:
        order_request(order, INST, SPEC, ref)
    assert exc.value.reason == reason


def test_minimum_quantity_and_grid_are_checked_against_the_market():
    coarse = parse.MarketSpec(**{**{f: getattr(SPEC, f) for f in SPEC.__slots__},
                                 "step": Decimal("0.001"), "min_qty": Decimal("0.002")})  # fmt: skip
    with pytest.raises(LocalReject, match=r"^OFF_LOT_SIZE: 0.0015 BTC is not a multiple of 0.001"):
        order_request(kernel_order(qty="0.0015"), INST, coarse)
    with pytest.raises(LocalReject, match=r"^BELOW_MIN_QTY: 0.001 BTC < 0.002 BTC"):
        order_request(kernel_order(qty="0.001"), INST, coarse)
    # a market order with no known price: the notional is the exchange's to check
    assert order_request(kernel_order(OrderType.MARKET, qty="0.0001", price=None), INST, SPEC)


# --- config and URLs ---------------------------------------------------------------------------
def test_rewrite_moves_every_url_keeping_its_path():
    urls = {"public": "https://api.binance.com/api/v3", "nested": {"x": ["https://h:1/a/b?q=1"]},
            "ws": {"spot": "wss://stream.binance.com:9443/ws",
                   "ws-api": {"spot": "wss://ws-api.binance.com:443/ws-api/v3"}},
            "logo": "not a url", "n": 3}  # fmt: skip
    out = rewrite_urls(urls, "http://127.0.0.1:8000", "ws://127.0.0.1:8001")
    assert out == {"public": "http://127.0.0.1:8000/api/v3",
                   "nested": {"x": ["http://127.0.0.1:8000/a/b?q=1"]},
                   "ws": {"spot": "ws://127.0.0.1:8001/ws",
                          "ws-api": {"spot": "ws://127.0.0.1:8001/ws-api/v3"}},
                   "logo": "not a url", "n": 3}  # fmt: skip
    assert rewrite_urls(urls, "http://p", None)["ws"] == urls["ws"]


def strings(tree: Any) -> list[str]:
    if isinstance(tree, dict):
        return [s for v in tree.values() for s in strings(v)]
    if isinstance(tree, list):
        return [s for v in tree for s in strings(v)]
    return [tree] if isinstance(tree, str) and "://" in tree else []


@pytest.mark.parametrize("sandbox", [True, False])
def test_config_points_every_rest_and_websocket_url_at_the_venue(sandbox):
    raw = {"exchange": "binance", "sandbox": sandbox, "options": {"recvWindow": 7000},
           "base_url": "http://127.0.0.1:9443/", "urls": {"extra": "http://127.0.0.1:1/x"},
           "connect_timeout": 2.5}  # fmt: skip
    cfg = CcxtConfig.from_mapping("bn", raw, "the-key", "the-secret", seed=4)
    assert cfg.effective_stream_url() == "ws://127.0.0.1:9443"
    ex = cfg.point(ccxt.pro.binance(cfg.exchange_settings()))
    api = ex.urls["api"]
    assert all(s.startswith(("http://127.0.0.1:", "ws://127.0.0.1:")) for s in strings(api))
    assert (api["public"], api["private"], api["v1"]) == (
        "http://127.0.0.1:9443/api/v3", "http://127.0.0.1:9443/api/v3", "http://127.0.0.1:9443/api/v1")  # fmt: skip
    assert api["ws"]["spot"] == "ws://127.0.0.1:9443/ws"
    assert api["ws"]["ws-api"]["spot"] == "ws://127.0.0.1:9443/ws-api/v3"
    assert api["extra"] == "http://127.0.0.1:1/x" and ex.isSandboxModeEnabled == sandbox
    settings = cfg.exchange_settings()
    assert (
        settings["options"]["fetchCurrencies"] is False
        and settings["options"]["recvWindow"] == 7000
    )
    assert settings["enableRateLimit"] and cfg.connect_timeout_s == 2.5
    assert "the-secret" not in repr(cfg) and "the-key" not in repr(cfg)
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}


# --- errors ------------------------------------------------------------------------------------
def test_error_texts_carry_the_exchange_code_and_never_a_secret():
    exc = ccxt.InsufficientFunds(
        "binance POST http://h/api/v3/order?symbol=BTCUSDT&timestamp=1&signature=abcdef "
        '{"code":-2010,"msg":"Account has insufficient balance for requested action."}'
    )
    assert describe(exc) == "-2010 Account has insufficient balance for requested action."
    assert reject_reason(exc).startswith("INSUFFICIENT_FUNDS: -2010 ")
    post_only = ccxt.OrderImmediatelyFillable("binance Order would immediately match and take.")
    assert (
        reject_reason(post_only) == "POST_ONLY_WOULD_TAKE: Order would immediately match and take."
    )
    leaked = ccxt.AuthenticationError("binance key sk-123 bad, url ?apiKey=sk-123&signature=ff")
    text = describe(leaked, ("sk-123",))
    assert "sk-123" not in text and "ff" not in text.split("signature=")[1]
    assert redact("secret=hunter2 x", ()) == "secret=<redacted> x"


def test_a_ban_is_told_from_a_rate_limit_and_its_length_read():
    ban = ccxt.DDoSProtection('binance 418 I\'m a Teapot {"code":-1003,"msg":"Way too many '
                              'requests; IP(127.0.0.1) banned until 1000002500."}')  # fmt: skip
    limit = ccxt.DDoSProtection('binance 429 Too Many Requests {"code":-1003,"msg":"Too many"}')
    assert is_ban(ban) and not is_ban(limit)
    assert ban_seconds(ban, 9.0, 1_000_000_000, 60.0) == 2.5
    assert ban_seconds(limit, 9.0, 0, 60.0) == 9.0 and ban_seconds(limit, None, 0, 60.0) == 60.0


def test_an_exchange_without_a_sandbox_or_unknown_to_ccxt_is_a_clear_config_error():
    from live.adapters.ccxt.client import CcxtAdapter

    with pytest.raises(ValueError, match=r"bitbank has no sandbox .*sandbox: false"):
        CcxtAdapter(CcxtConfig("x", exchange="bitbank", sandbox=True), {})
    with pytest.raises(ValueError, match="ccxt has no exchange 'nosuchx'"):
        CcxtAdapter(CcxtConfig("x", exchange="nosuchx"), {})
