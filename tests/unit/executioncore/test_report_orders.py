"""The orders table shows the user's own order ids next to the client ids, and prices are shown
with the instrument's tick decimals in tables and tooltips (issue 15, points 7 and 8)."""

from __future__ import annotations

import re

import pytest
from report_runs import charts, ran, table_rows

from executioncore.report_tables import price_decimals, tick_decimals


# --- 7. the user's order ids --------------------------------------------------------------------
def test_report_orders_table_shows_scenario_ids_next_to_client_ids():
    rows = table_rows(ran("usdjpy_orders").html, "orders")
    assert list(rows[0])[:2] == ["id", "user_id"]
    ids = {r["id"]: r["user_id"] for r in rows}
    # scenario order: entry, protect, dip, trail, breakout, ioc, fok (scenarios/usdjpy_orders.yaml)
    assert ids == {
        "script-1": "entry", "script-2": "protect", "script-3": "dip", "script-4": "trail",
        "script-5": "breakout", "script-6": "ioc", "script-7": "fok",
    }  # fmt: skip


def test_report_bracket_legs_and_algo_children_name_their_user_id():
    bracket = {r["id"]: r["user_id"] for r in table_rows(ran("orcl_2008_bracket").html, "orders")}
    assert bracket["script-1"] == "entry"
    assert sorted(v for v in bracket.values() if v.startswith("entry ›")) == [
        "entry › stop loss",
        "entry › take profit",
    ]
    algo = table_rows(ran("btc_perp_vwap").html, "orders")
    assert {r["user_id"] for r in algo} == {"vwap_buy › child", "vwap_sell › child"}
    tca = table_rows(ran("btc_perp_vwap").html, "tca")
    assert [r["user_id"] for r in tca] == ["vwap_buy", "vwap_sell"]


def test_report_fills_table_carries_the_user_id_of_the_order():
    rows = table_rows(ran("usdjpy_orders").html, "fills")
    assert rows[0]["order_id"] == "script-1" and rows[0]["user_id"] == "entry"


def test_report_strategy_orders_have_no_user_id_column():
    assert "user_id" not in table_rows(ran("demo").html, "orders")[0]


# --- 8. prices by tick ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tick", "places"), [("0.001", 3), ("0.125", 3), ("0.1", 1), ("0.01", 2), ("1", 0), ("5", 0),
                         ("0.000001", 6), (None, None), ("", None)]
)  # fmt: skip
def test_tick_decimals_of_tick_sizes(tick, places):
    assert tick_decimals(tick) == places


def test_price_decimals_averages_off_the_grid_get_two_more_places():
    assert price_decimals("price", 86.728, "0.001") == 3
    assert price_decimals("avg_price", 86.728, "0.001") == 3
    assert price_decimals("avg_price", 86.72833333, "0.001") == 5
    assert price_decimals("qty", 86.7, "0.001") is None


def test_report_usdjpy_prices_use_the_tick_not_eight_decimals():
    html = ran("usdjpy_orders").html
    orders = {r["user_id"]: r for r in table_rows(html, "orders")}
    assert orders["entry"]["limit"] == "86.728" and orders["entry"]["avg_price"] == "86.728"
    assert orders["protect"]["stop"] == "86.715"
    assert "86.72800000" not in html
    for row in table_rows(html, "fills"):
        assert re.fullmatch(r"\d+\.\d{3}", row["price"]), row["price"]


def test_report_fill_tooltips_use_the_tick_decimals():
    html = ran("usdjpy_orders").html
    svg = charts(html)["USDJPY · price and fills"]
    tips = re.findall(r"<path data-count=\"1\"[^>]*><title>(.*?)</title>", svg)
    assert tips and all(re.search(r" @ \d+\.\d{3} · ", t) for t in tips)
    demo = charts(ran("demo").html)["BTC-PERP · price and fills"]
    merged = re.findall(r"<title>(\d+ (?:buy|sell) fills[^<]*)</title>", demo)
    # 0.125 tick: averages at most 5 places, never a float's 8+
    assert merged and all(re.search(r"avg [\d,]+\.\d{3}(\d\d)? · ", t) for t in merged)


def test_report_tca_prices_use_the_tick():
    tca = table_rows(ran("btc_perp_vwap").html, "tca")
    for row in tca:
        for key in ("arrival_price", "avg_price", "market_vwap", "market_twap"):
            assert re.fullmatch(r"[\d,]+\.\d{3}(\d\d)?", row[key]), (key, row[key])
