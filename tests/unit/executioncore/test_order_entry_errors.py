"""Scripted orders (scenario ``orders:``, ``live --orders``) refused at load with exit 2 and a
message in the user's terms: the key and the accepted names for an unknown value, the user's
own numbers (instrument units, not lots or ticks), a bracket leg on the wrong side."""

from __future__ import annotations

import pytest
import yaml
from cli_scenarios import order, run_bad, run_cli, write_live_config, write_scenario

ORDERS_3 = [order(id="a"), order(id="b"), order(id="c")]


def _bad_order(tmp_path, capsys, entry, index=0) -> str:
    orders = [*ORDERS_3[:index], entry]
    path = write_scenario(tmp_path, orders=orders)
    err = run_bad(capsys, "run", path, "--out", tmp_path / "run")
    prefix = f"error: {path}: "
    assert err.startswith(prefix), err
    return err[len(prefix) :]


# --- 3. unknown values name the key and the accepted values --------------------------------------
TYPES = "market, limit, stop, stop_limit, trailing_stop, mit, lit"
TIFS = "day, gtc, ioc, fok, gtd, opg, cls"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (order(id="d", side="long"), "orders[3].side: unknown value 'long' (accepted: buy, sell)"),
        (order(id="d", side=None), "orders[3].side: missing (accepted: buy, sell)"),
        (order(id="d", side=1), "orders[3].side: unknown value 1 (accepted: buy, sell)"),
        (order(id="d", type="limt"), f"orders[3].type: unknown value 'limt' (accepted: {TYPES})"),
        (
            order(id="d", time_in_force="dya"),
            f"orders[3].time_in_force: unknown value 'dya' (accepted: {TIFS})",
        ),
        (
            order(id="d", algo={"name": "twapp", "duration": "1m"}),
            "orders[3].algo.name: unknown value 'twapp' (accepted: twap, vwap, pov, iceberg, sor)",
        ),
        (
            order(id="d", algo={"name": "twap", "duration": "1m", "at_end": "flat"}),
            "orders[3].algo.at_end: unknown value 'flat' (accepted: leave, market)",
        ),
    ],
    ids=["side", "side missing", "side not a name", "type", "tif", "algo name", "algo at_end"],
)
def test_order_unknown_value_exits_2_naming_key_and_accepted_values(
    tmp_path, capsys, entry, message
):
    assert _bad_order(tmp_path, capsys, entry, index=3) == message


def test_order_enum_names_in_any_case_still_run(tmp_path, capsys):
    path = write_scenario(tmp_path, orders=[order(side="BUY", type="Market", time_in_force="GTC")])
    code, out, err = run_cli(capsys, "run", path, "--out", tmp_path / "run", "--json")
    assert code == 0, err
    assert yaml.safe_load(out)["positions"] == {"X": 1000}


def test_config_default_time_in_force_unknown_exits_2_naming_accepted_values(tmp_path, capsys):
    cfg = write_live_config(tmp_path, orders={"default_time_in_force": "forever"})
    err = run_bad(capsys, "live", "--config", cfg, "--run-for", "1s", "--out", tmp_path / "run")
    assert err == (
        f"error: {cfg}: orders.default_time_in_force: unknown value 'forever' "
        "(accepted: day, gtc, ioc, fok, opg, cls)"
    )


@pytest.mark.timeout(60)
def test_live_orders_file_unknown_side_exits_2_naming_key_and_accepted_values(tmp_path, capsys):
    cfg = write_live_config(tmp_path)
    orders = tmp_path / "orders.yaml"
    entry = {"at": "+0.2s", "id": "a", "symbol": "USDJPY", "side": "long", "quantity": 1000}
    orders.write_text(yaml.safe_dump({"orders": [entry]}))
    err = run_bad(
        capsys,
        "live",
        "--config",
        cfg,
        "--orders",
        orders,
        "--run-for",
        "1s",
        "--out",
        tmp_path / "run",
    )
    assert err == f"error: {orders}: orders[0].side: unknown value 'long' (accepted: buy, sell)"


# --- 4. numbers as the user wrote them (X: lot 1000, tick 0.01) ---------------------------------
@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (order(quantity=-10000), "orders[0].quantity: quantity must be positive, got -10000"),
        (order(quantity=None), "orders[0].quantity: missing"),
        (
            order(type="limit", limit_price=100, display_qty=2000),
            "orders[0].display_qty: display_qty must be positive and at most the quantity "
            "1000, got 2000",
        ),
        (
            order(type="trailing_stop", side="sell", trail_price=-0.05),
            "orders[0].trail_price: trail_price must be positive, got -0.05",
        ),
        (
            order(type="trailing_stop", side="sell", trail_percent=150),
            "orders[0].trail_percent: trail_percent must be between 0 and 100, got 150",
        ),
        (
            order(algo={"name": "sor", "sweep": -0.03}),
            "orders[0].algo.sweep: must not be negative, got -0.03",
        ),
        (
            order(algo={"name": "pov", "rate": 0.1, "min_child": 3000, "max_child": 2000}),
            "orders[0].algo.max_child: must be at least the minimum child size",
        ),
    ],
    ids=[
        "quantity",
        "quantity missing",
        "display_qty",
        "trail_price",
        "trail_percent",
        "sor sweep",
        "max_child",
    ],
)
def test_order_bad_number_exits_2_showing_the_number_the_user_wrote(
    tmp_path, capsys, entry, message
):
    assert _bad_order(tmp_path, capsys, entry) == message


# --- 5. brackets: each leg on its own side of the entry and of the other leg --------------------
def _bracket(side, entry_price=None, tp=None, sl=None, **more):
    fields = {"side": side, **more}
    if entry_price is not None:
        fields |= {"type": "limit", "limit_price": entry_price, "time_in_force": "gtc"}
    if tp is not None:
        fields["take_profit"] = {"limit_price": tp}
    if sl is not None:
        fields["stop_loss"] = {"stop_price": sl}
    return order(**fields)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            _bracket("buy", 100.0, tp=99.5, sl=98),
            "orders[0].take_profit.limit_price: the take-profit 99.5 of buy order 'a' must be "
            "above its entry limit_price 100.0",
        ),
        (
            _bracket("buy", 100.0, tp=100.0, sl=98),
            "orders[0].take_profit.limit_price: the take-profit 100.0 of buy order 'a' must be "
            "above its entry limit_price 100.0",
        ),
        (
            _bracket("buy", 100.0, tp=101, sl=100.5),
            "orders[0].stop_loss.stop_price: the stop-loss 100.5 of buy order 'a' must be "
            "below its entry limit_price 100.0",
        ),
        (
            _bracket("sell", 100.0, tp=100.25, sl=101),
            "orders[0].take_profit.limit_price: the take-profit 100.25 of sell order 'a' must "
            "be below its entry limit_price 100.0",
        ),
        (
            _bracket("sell", 100.0, tp=99, sl=99.5),
            "orders[0].stop_loss.stop_price: the stop-loss 99.5 of sell order 'a' must be "
            "above its entry limit_price 100.0",
        ),
        (
            _bracket("buy", tp=99, sl=99.5),
            "orders[0].take_profit.limit_price: the take-profit 99 of buy order 'a' must be "
            "above its stop-loss 99.5",
        ),
        (
            _bracket("sell", tp=101, sl=100.5),
            "orders[0].take_profit.limit_price: the take-profit 101 of sell order 'a' must be "
            "below its stop-loss 100.5",
        ),
        (
            _bracket("buy", type="stop", stop_price=100.05, tp=100.04),
            "orders[0].take_profit.limit_price: the take-profit 100.04 of buy order 'a' must be "
            "above its entry stop_price 100.05",
        ),
        (
            order(take_profit={"limit_price": 101, "stop_price": 100}),
            "orders[0].take_profit.stop_price: unknown key (expected one of: limit_price)",
        ),
    ],
    ids=[
        "buy tp below entry",
        "buy tp at entry",
        "buy sl above entry",
        "sell tp above entry",
        "sell sl below entry",
        "market buy tp below sl",
        "market sell tp above sl",
        "stop entry tp below trigger",
        "tp with a stop price",
    ],
)
def test_bracket_leg_on_the_wrong_side_exits_2_naming_order_and_prices(
    tmp_path, capsys, entry, message
):
    assert _bad_order(tmp_path, capsys, entry) == message


@pytest.mark.parametrize(
    "entry",
    [
        _bracket("buy", 100.02, tp=100.5, sl=99.5),
        _bracket("sell", 100.0, tp=99.5, sl=100.5),
        _bracket("buy", tp=101, sl=99),
        _bracket("buy", 100.02, tp=100.5),
        _bracket("sell", sl=101),
    ],
    ids=["buy limit", "sell limit", "market", "take-profit only", "stop-loss only"],
)
def test_bracket_legs_on_the_right_side_run(tmp_path, capsys, entry):
    path = write_scenario(tmp_path, orders=[entry])
    code, _out, err = run_cli(capsys, "run", path, "--out", tmp_path / "run", "--json")
    assert code == 0, err


LIMIT = order(at="+0s", type="limit", limit_price=99.0)


@pytest.mark.parametrize(
    ("modify", "message"),
    [
        ({"quantity": -5000}, "orders[1].quantity: must be positive, got -5000"),
        (
            {"quantity": 1500},
            "orders[1].quantity: quantity 1500 for X is not a multiple of the lot size 1000",
        ),
        (
            {"limit_price": 99.005},
            "orders[1].limit_price: limit_price 99.005 for X is not a multiple of the tick size "
            "0.01",
        ),
    ],
    ids=["negative quantity", "off-lot quantity", "off-tick price"],
)
def test_order_modify_bad_number_exits_2_at_load_showing_the_users_number(
    tmp_path, capsys, modify, message
):
    path = write_scenario(tmp_path, orders=[LIMIT, {"at": "+1s", "modify": "a", **modify}])
    err = run_bad(capsys, "run", path, "--out", tmp_path / "run")
    assert err == f"error: {path}: {message}"


def test_order_modify_below_filled_notice_shows_instrument_units(tmp_path):
    from executioncore.runner import prepare
    from executioncore.scenario import load_scenario

    # 1000 (one lot) offered at each quote: the limit buy of 3000 fills 1000 at a time
    csv = "ts,bid,ask,bid_sz,ask_sz\n" + "".join(
        f"2024-01-02T10:00:0{i}Z,100.00,100.02,1000,1000\n" for i in range(3)
    )
    buy = order(at="+0s", type="limit", limit_price=100.02, quantity=3000)
    path = write_scenario(
        tmp_path, csv=csv, orders=[buy, {"at": "+0.5s", "modify": "a", "quantity": 1000}]
    )
    run = prepare(load_scenario(path), out_dir=tmp_path / "run")
    run.execute()
    notices = [(code, detail) for _, code, detail in run.kernel.risk_events]
    assert ("SCRIPT_MODIFY_SKIPPED", "a: new quantity 1000 must exceed the filled 1000") in notices
