"""The local Binance venue's REST API, checked with ccxt's own ``binance`` client."""

from __future__ import annotations

import time
from decimal import Decimal

import ccxt
import pytest

from tests.adapters.binance.conftest import client, recorded

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]
LAST = Decimal("39432.48")  # the 5th print of the bundled trades (0.006329 BTC)


def test_load_markets_spot_symbol_has_venue_grid_and_minimums(ex):
    m = ex.market("BTC/USDT")
    assert m["id"] == "BTCUSDT" and m["spot"] and m["base"] == "BTC" and m["quote"] == "USDT"
    assert m["precision"]["price"] == 0.01 and m["precision"]["amount"] == 0.000001
    assert m["limits"]["amount"]["min"] == 0.000001 and m["limits"]["cost"]["min"] == 5.0


def test_fetch_balance_starting_balances_free_and_zero_locked(ex):
    bal = ex.fetch_balance()
    assert bal["USDT"] == {"free": 100000.0, "used": 0.0, "total": 100000.0}
    assert bal["BTC"]["total"] == 0.0


def test_market_buy_fills_at_last_print_and_pays_commission_in_base(venue, ex):
    order = ex.create_order("BTC/USDT", "market", "buy", 0.0002)
    assert (
        order["status"] == "closed" and order["filled"] == 0.0002 and order["price"] == float(LAST)
    )
    fill = order["info"]["fills"][0]
    assert fill == {"price": "39432.48000000", "qty": "0.00020000", "commission": "0.00000020",
                    "commissionAsset": "BTC", "tradeId": 1}  # fmt: skip
    state = venue.state()["balances"]
    assert Decimal(state["BTC"]["free"]) == Decimal("0.0002") - Decimal("0.0000002")
    assert Decimal(state["USDT"]["free"]) == Decimal(100000) - Decimal("0.0002") * LAST
    raw = ex.privateGetAccount()["balances"]
    assert {b["asset"]: b["free"] for b in raw} == {a: v["free"] for a, v in state.items()}


def test_sell_pays_commission_in_quote_at_taker_rate(make_venue):
    venue = make_venue(balances={"USDT": "0", "BTC": "1"}, taker_bps="7.5")
    ex = client(venue)
    ex.create_order("BTC/USDT", "market", "sell", 0.0002)
    [trade] = ex.fetch_my_trades("BTC/USDT")
    notional = Decimal("0.0002") * LAST
    fee = (notional * Decimal("7.5") / 10000).quantize(Decimal("1e-8"))
    assert (
        trade["info"]["commissionAsset"] == "USDT" and Decimal(trade["info"]["commission"]) == fee
    )
    bal = venue.state()["balances"]
    assert Decimal(bal["USDT"]["free"]) == notional - fee
    assert Decimal(bal["BTC"]["free"]) == Decimal("0.9998")


def test_limit_buy_rests_locks_quote_and_is_found_by_id_and_client_id(venue, ex):
    order = ex.create_order("BTC/USDT", "limit", "buy", 0.001, 39000)
    assert order["status"] == "open"
    assert venue.state()["balances"]["USDT"]["locked"] == "39.00000000"
    assert [o["id"] for o in ex.fetch_open_orders("BTC/USDT")] == [order["id"]]
    assert ex.fetch_order(order["id"], "BTC/USDT")["clientOrderId"] == order["clientOrderId"]
    by_client = ex.fetch_order(None, "BTC/USDT", {"origClientOrderId": order["clientOrderId"]})
    assert by_client["id"] == order["id"] and by_client["status"] == "open"
    canceled = ex.cancel_order(order["id"], "BTC/USDT")
    assert canceled["status"] == "canceled" and ex.fetch_open_orders("BTC/USDT") == []
    assert venue.state()["balances"]["USDT"] == {"free": "100000.00000000", "locked": "0.00000000"}
    assert [o["status"] for o in ex.fetch_orders("BTC/USDT")] == ["canceled"]


def test_resting_limit_fills_as_maker_when_a_print_goes_through(venue, ex):
    ex.create_order("BTC/USDT", "limit", "buy", 0.0002, 39432.47)
    venue.advance(40)  # the prints go on around 39430-39440; one trades through 39432.47
    [trade] = ex.fetch_my_trades("BTC/USDT")
    assert trade["takerOrMaker"] == "maker" and trade["price"] == 39432.47
    bal = venue.state()["balances"]
    assert Decimal(bal["USDT"]["free"]) == Decimal(100000) - Decimal("0.0002") * Decimal("39432.47")
    assert bal["USDT"]["locked"] == "0.00000000"


def test_post_only_that_would_take_is_rejected_and_leaves_no_order(ex):
    with pytest.raises(ccxt.InvalidOrder, match="Order would immediately match and take"):
        ex.create_order("BTC/USDT", "limit", "buy", 0.001, 39500, {"postOnly": True})
    resting = ex.create_order("BTC/USDT", "limit", "buy", 0.001, 39000, {"postOnly": True})
    assert resting["info"]["type"] == "LIMIT_MAKER" and resting["postOnly"]
    assert len(ex.fetch_orders("BTC/USDT")) == 1


def test_ioc_limit_remainder_expires(ex):
    order = ex.create_order("BTC/USDT", "limit", "buy", 0.01, 39500, {"timeInForce": "IOC"})
    assert order["status"] == "expired" and order["filled"] == 0.006329


def test_duplicate_client_order_id_is_refused(ex):
    ex.create_order("BTC/USDT", "limit", "buy", 0.001, 39000, {"clientOrderId": "my-1"})
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        ex.create_order("BTC/USDT", "limit", "buy", 0.001, 39000, {"clientOrderId": "my-1"})


@pytest.mark.parametrize(
    ("amount", "price", "filter_name"),
    [("0.0000015", "39000", "LOT_SIZE"), ("0.001", "39000.005", "PRICE_FILTER"),
     ("0.0001", "39000", "NOTIONAL")],
)  # fmt: skip
def test_filter_failure_is_minus_1013_naming_the_filter(ex, amount, price, filter_name):
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
              "quantity": amount, "price": price}  # fmt: skip
    with pytest.raises(ccxt.BaseError, match=f'"code":-1013,"msg":"Filter failure: {filter_name}"'):
        ex.privatePostOrder(params)


def test_insufficient_balance_is_minus_2010_insufficient_funds(ex):
    with pytest.raises(ccxt.InsufficientFunds, match="insufficient balance"):
        ex.create_order("BTC/USDT", "limit", "sell", 0.001, 40000)


def test_cancel_unknown_order_is_order_not_found(ex):
    with pytest.raises(ccxt.OrderNotFound, match="-2011"):
        ex.cancel_order("999", "BTC/USDT")


def test_bad_signature_is_minus_1022_authentication_error(venue):
    ex = client(venue, secret="not-the-secret")
    with pytest.raises(ccxt.AuthenticationError, match="-1022"):
        ex.fetch_balance()


def test_unknown_api_key_is_minus_2015(venue):
    ex = client(venue, apiKey="someone-else")
    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        ex.fetch_balance()


def test_timestamp_outside_recv_window_is_minus_1021(venue, ex):
    ex.nonce = lambda: time.time_ns() // 1_000_000 - 60_000
    with pytest.raises(ccxt.InvalidNonce, match="-1021"):
        ex.fetch_balance()


def test_my_trades_from_id_and_open_orders_shapes_match_the_recorded(venue, ex):
    ex.create_order("BTC/USDT", "market", "buy", 0.0002)
    venue.advance(1)
    ex.create_order("BTC/USDT", "market", "buy", 0.0002)
    trades = ex.privateGetMyTrades({"symbol": "BTCUSDT", "fromId": 2})
    assert [t["id"] for t in trades] == [2]
    assert list(trades[0]) == list(recorded("fetchMyTrades")[0])
    ex.create_order("BTC/USDT", "limit", "buy", 0.001, 39000)
    [open_order] = ex.privateGetOpenOrders({"symbol": "BTCUSDT"})
    assert list(open_order) == list(recorded("fetchOpenOrders")[0])
    assert set(ex.privateGetAccount()) == set(recorded("fetchBalance"))


def test_new_order_full_answer_has_the_recorded_fields_and_string_decimals(ex):
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
              "quantity": "0.001", "price": "39000", "newOrderRespType": "FULL"}  # fmt: skip
    answer = ex.privatePostOrder(params)
    want = [k for k in recorded("createOrder") if k != "icebergQty"]  # an iceberg order there
    assert list(answer) == want
    assert answer["price"] == "39000.00000000" and answer["origQty"] == "0.00100000"
    assert isinstance(answer["orderId"], int) and answer["fills"] == []


def test_public_endpoints_answer_book_ticker_and_24hr_ticker(ex):
    assert ex.publicGetPing() == {}
    top = ex.fetch_bids_asks(["BTC/USDT"])["BTC/USDT"]
    assert top["bid"] == top["ask"] == float(LAST)
    ticker = ex.fetch_ticker("BTC/USDT")
    assert ticker["last"] == float(LAST) and ticker["open"] == 39432.48  # the first print
    assert set(ex.publicGetTicker24hr({"symbol": "BTCUSDT"})) == set(recorded("fetchTicker"))
    book = ex.fetch_order_book("BTC/USDT")
    assert book["bids"][0] == [float(LAST), 0.006329]
