"""``algo:`` on scripted orders and ``execution:`` defaults: checked with errors naming the key,
normalized for the run header, started and canceled by the script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from executioncore.algo_spec import AlgoDefaults, algo_defaults, parse_duration
from executioncore.runner import prepare
from executioncore.scenario import ScenarioError, parse_scenario
from kernel.algos import AlgoEngine, AlgoStatus
from kernel.risk import ConfigError

ROOT = Path(__file__).resolve().parents[3]
QUOTES = str(ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv")


def _raw(*orders: dict, venues: list | None = None) -> dict:
    raw = {
        "name": "t",
        "account": {"currency": "JPY", "cash": 100_000_000},
        "instruments": [{"symbol": "USDJPY", "tick_size": 0.001, "lot_size": 1000}],
        "data": [{"kind": "quotes", "symbol": "USDJPY", "path": QUOTES}],
        "orders": list(orders),
    }
    if venues:
        raw["venues"] = [{"name": v} for v in venues]
    return raw


def _order(algo: dict, **kw) -> dict:
    return {
        "at": "2013-01-01T22:05:00Z",
        "id": "p",
        "symbol": "USDJPY",
        "side": "buy",
        "quantity": 100000,
        "type": "market",
        "algo": algo,
        **kw,
    }


def _parse(*orders: dict, venues: list | None = None):
    return parse_scenario(_raw(*orders, venues=venues), ROOT / "scenarios" / "t.yaml")


def test_check_algo_normalizes_to_kernel_keys_and_plain_values():
    sc = _parse(
        _order(
            {
                "name": "twap",
                "duration": "10m",
                "slices": 5,
                "time_jitter": 0.3,
                "min_child": 2000,
                "limit_offset": 0.002,
            }
        )
    )
    algo = sc.orders[0]["algo"]
    assert algo == {
        "name": "twap",
        "duration_ns": 600 * 10**9,
        "slices": 5,
        "time_jitter": "0.3",
        "min_child_lots": 2,
        "limit_offset_ticks": 2,
    }
    json.dumps(algo)  # goes into the run header as is


@pytest.mark.parametrize(
    ("order", "key", "words"),
    [
        (_order({"duration": "1m"}), "orders[0].algo.name", "missing (accepted: twap, vwap, pov, iceberg, sor)"),
        (_order({"name": "twap", "slice": 3, "duration": "1m"}), "orders[0].algo.slice", "not a key"),
        (_order({"name": "twap"}), "orders[0].algo.duration", "needs a duration"),
        (_order({"name": "twap", "duration": "soon"}), "orders[0].algo.duration", "duration"),
        (_order({"name": "twap", "duration": "1m", "slices": 0}), "orders[0].algo.slices", "at least 1"),
        (_order({"name": "pov", "min_child": 1500, "rate": 0.1}), "orders[0].algo.min_child", "lot size"),
        (_order({"name": "pov", "rate": 2}), "orders[0].algo.rate", "must be in"),
        (_order({"name": "pov"}), "orders[0].algo.rate", "participation"),
        (_order({"name": "iceberg"}, type="limit", limit_price=86.7), "orders[0].algo.display_qty", "display"),
        (_order({"name": "twap", "duration": "1m"}, type="stop", stop_price=86.9), "orders[0].type", "market or limit"),
        (_order({"name": "twap", "duration": "1m"}, time_in_force="ioc"), "orders[0].time_in_force", "gtc"),
        (_order({"name": "vwap", "duration": "1m", "profile": [1, "x"]}), "orders[0].algo.profile", "number"),
        (_order({"name": "twap", "duration": "1m", "at_end": "flat"}), "orders[0].algo.at_end", "unknown value 'flat' (accepted: leave, market)"),
    ],
)  # fmt: skip
def test_check_algo_bad_entry_names_the_key(order, key, words):
    with pytest.raises(ScenarioError) as err:
        _parse(order)
    assert err.value.where == key
    assert words in str(err.value)


def test_check_algo_sor_venues_are_the_scenario_venues():
    ok = _parse(
        _order({"name": "sor", "venues": ["a", "b"], "fees_bps": {"a": 1}}), venues=["a", "b"]
    )
    assert ok.orders[0]["algo"]["venues"] == ["a", "b"]
    with pytest.raises(ScenarioError, match="unknown venue 'c'"):
        _parse(_order({"name": "sor", "venues": ["a", "c"]}), venues=["a", "b"])
    with pytest.raises(ScenarioError) as err:
        _parse(_order({"name": "sor"}, venue="a"), venues=["a", "b"])
    assert err.value.where == "orders[0].venue"
    with pytest.raises(ScenarioError) as err:
        _parse(_order({"name": "sor", "fees_bps": {"z": 1}}), venues=["a", "b"])
    assert err.value.where == "orders[0].algo.fees_bps"
    with pytest.raises(ScenarioError) as err:
        _parse(_order({"name": ["twap"]}))
    assert err.value.where == "orders[0].algo.name"


def test_check_algo_iceberg_takes_the_order_display_qty():
    sc = _parse(_order({"name": "iceberg"}, type="limit", limit_price=86.7, display_qty=20000))
    assert sc.orders[0]["algo"] == {"name": "iceberg", "display_lots": 20}
    with pytest.raises(ScenarioError) as err:
        _parse(_order({"name": "twap", "duration": "1m"}, type="limit", limit_price=86.7,
                      display_qty=20000))  # fmt: skip
    assert err.value.where == "orders[0].display_qty"


def test_check_orders_an_algo_order_cannot_be_modified():
    with pytest.raises(ScenarioError) as err:
        _parse(
            _order({"name": "twap", "duration": "1m"}),
            {"at": "2013-01-01T22:06:00Z", "modify": "p", "quantity": 1000},
        )
    assert err.value.where == "orders[1].modify"


def test_parse_duration_units_and_seconds():
    assert parse_duration("10m") == 600 * 10**9
    assert parse_duration("1.5s") == 1_500_000_000
    assert parse_duration("250ms") == 250_000_000
    assert parse_duration(2) == 2 * 10**9
    with pytest.raises(ValueError):
        parse_duration("0.5ns")


def test_scripted_algo_starts_and_cancel_entry_cancels_the_parent(tmp_path):
    sc = _parse(
        _order({"name": "iceberg", "display_qty": 10000}, type="limit", limit_price=86.5),
        {"at": "2013-01-01T22:10:00Z", "cancel": "p"},
    )
    run = prepare(sc, out_dir=tmp_path)
    result = run.execute()
    engine = AlgoEngine.find(run.kernel)
    assert engine is not None
    (parent,) = engine.parents.values()
    assert parent.status == AlgoStatus.CANCELED and parent.filled_lots == 0
    assert [o.status.name for o in run.kernel.oms.orders.values()] == ["CANCELED"]
    (row,) = result.summary["tca"]
    assert row["status"] == "canceled" and row["fill_ratio"] == 0 and row["children"] == 1
    assert result.record.tca == result.summary["tca"]


# --- executioncore.yaml: execution: ----------------------------------------------------------
def test_algo_defaults_valid_block_applies_under_an_order_algo():
    d = algo_defaults(
        {"default_algo": "twap", "algos": {"twap": {"duration": "5m", "slices": 4},
                                            "pov": {"rate": 0.05, "min_child": 1000}}}
    )  # fmt: skip
    assert d.default_algo == "twap"
    assert d.apply({"slices": 8}) == {"duration": "5m", "slices": 8, "name": "twap"}
    assert d.apply({"name": "pov"})["rate"] == 0.05
    assert algo_defaults(None) == AlgoDefaults()


@pytest.mark.parametrize(
    ("execution", "message"),
    [
        ({"default_algo": "best"}, "execution.default_algo"),
        ({"algos": {"magic": {}}}, "execution.algos.magic"),
        ({"algos": {"twap": {"slices": 0}}}, "execution.algos.twap.slices"),
        ({"algos": {"twap": {"duration": "later"}}}, "execution.algos.twap.duration"),
        ({"algos": {"pov": {"rate": 0}}}, "execution.algos.pov.rate"),
        ({"algos": {"pov": {"slices": 3}}}, "execution.algos.pov.slices"),
        ({"algos": {"sor": {"fees_bps": {"a": "x"}}}}, "execution.algos.sor.fees_bps"),
        ({"style": "fast"}, "execution.style"),
    ],
)
def test_algo_defaults_bad_block_raises_naming_the_key(execution, message):
    with pytest.raises(ConfigError) as err:
        algo_defaults(execution)
    assert str(err.value).startswith(message)


def test_algo_defaults_install_gives_strategies_the_default_algo(tmp_path):
    from algo_helpers import AlgoHarness

    h = AlgoHarness()
    algo_defaults({"default_algo": "iceberg", "algos": {"iceberg": {"display_qty": 3}}}).install(
        h.kernel
    )
    pid = h.ctx.execute("X", 1, 10, limit_ticks=99)
    assert h.parent(pid).NAME == "iceberg"
    assert h.submits()[0].order.quantity == 3


def test_check_algo_with_defaults_fills_missing_keys():
    from executioncore.algo_spec import check_algo
    from executioncore.scenario import _Checker

    d = algo_defaults({"algos": {"twap": {"duration": "2m", "slices": 3}}})
    item = {"type": "market"}
    out = check_algo(_Checker(Path("x.yaml")), {"name": "twap"}, "orders[0].algo", item, defaults=d)
    assert out == {"name": "twap", "duration_ns": 120 * 10**9, "slices": 3}


# --- the seed's names (CONTRACT.md): duration_minutes, slice_count, visible_qty ---------------
def test_check_algo_accepts_the_seed_names_in_a_scenario_order():
    sc = _parse(_order({"name": "twap", "duration_minutes": 2, "slice_count": 4}))
    assert sc.orders[0]["algo"] == {"name": "twap", "duration_ns": 120 * 10**9, "slices": 4}
    sc = _parse(_order({"name": "vwap", "duration_minutes": 0.5}))
    assert sc.orders[0]["algo"]["duration_ns"] == 30 * 10**9
    sc = _parse(_order({"name": "iceberg", "visible_qty": 20000}, type="limit", limit_price=86.7))
    assert sc.orders[0]["algo"] == {"name": "iceberg", "display_lots": 20}


@pytest.mark.parametrize(
    ("algo", "key", "words"),
    [
        ({"name": "twap", "duration": "1m", "duration_minutes": 1}, "orders[0].algo.duration_minutes", "not both"),
        ({"name": "twap", "duration_minutes": "soon"}, "orders[0].algo.duration_minutes", "number of minutes"),
        ({"name": "twap", "duration_minutes": -1}, "orders[0].algo.duration_minutes", "must not be negative"),
        ({"name": "twap", "duration_minutes": 1, "slice_count": 0}, "orders[0].algo.slice_count", "at least 1"),
        ({"name": "pov", "rate": 0.1, "slice_count": 3}, "orders[0].algo.slice_count", "slice_count"),
    ],
)  # fmt: skip
def test_check_algo_seed_names_errors_name_the_key_given(algo, key, words):
    with pytest.raises(ScenarioError) as err:
        _parse(_order(algo))
    assert err.value.where == key
    assert words in str(err.value)


def test_algo_defaults_take_the_seed_names_and_market():
    d = algo_defaults(
        {
            "default_algo": "market",
            "algos": {
                "twap": {"duration_minutes": 30, "slice_count": 10},
                "vwap": {"duration_minutes": 60},
                "iceberg": {"visible_qty": 100},
            },
        }
    )
    assert d.default_algo is None
    assert d.algos == {
        "twap": {"duration": "30m", "slices": 10},
        "vwap": {"duration": "60m"},
        "iceberg": {"display_qty": 100},
    }
    assert parse_duration(d.algos["twap"]["duration"]) == 1800 * 10**9
    assert algo_defaults({"default_algo": d.default_algo, "algos": d.algos}) == d  # idempotent
    # an order's own seed names win over the defaults, as its own keys do
    assert d.apply({"name": "twap", "slice_count": 3}) == {
        "duration": "30m",
        "slices": 3,
        "name": "twap",
    }


def test_check_algo_seed_names_over_execution_defaults():
    from executioncore.algo_spec import check_algo
    from executioncore.scenario import _Checker

    d = algo_defaults({"algos": {"twap": {"duration_minutes": 2, "slice_count": 3}}})
    item = {"type": "market"}
    c = _Checker(Path("x.yaml"))
    out = check_algo(c, {"name": "twap", "duration_minutes": 1}, "orders[0].algo", item, defaults=d)
    assert out == {"name": "twap", "duration_ns": 60 * 10**9, "slices": 3}
    # the live command applies the defaults before the check: the same result
    out = check_algo(c, d.apply({"name": "twap", "duration_minutes": 1}), "orders[0].algo", item)
    assert out == {"name": "twap", "duration_ns": 60 * 10**9, "slices": 3}


def test_parse_duration_compound_and_errors():
    assert parse_duration("1h30m") == 5400 * 10**9
    assert parse_duration("+5s") == 5 * 10**9
    with pytest.raises(ValueError, match="1h30m"):
        parse_duration("later")
