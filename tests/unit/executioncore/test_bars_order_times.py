"""Scripted orders on bar data: the data start at the first bar's open (CONTRACT.md: bars ``ts``
is the bar's open), so an order during the first bar is accepted, and fill rule 4 holds for it
as for any bar: placed during bar N, first eligible in bar N+1 (a market order fills at that
bar's open)."""

from __future__ import annotations

import json
from decimal import Decimal

from cli_scenarios import order, run_bad, run_cli, write_scenario

from executioncore.runner import prepare
from executioncore.scenario import load_scenario

# 1-minute bars stamped at their open; each opens a whole number above the one before
BARS = "ts,open,high,low,close,volume\n" + "".join(
    f"2024-01-02T15:0{i}:00Z,{100 + i}.00,{100 + i}.50,{99 + i}.50,{100 + i}.20,10\n"
    for i in range(5)
)


def _bars_scenario(tmp_path, *orders):
    return write_scenario(
        tmp_path,
        csv=BARS,
        instruments=[{"symbol": "X", "tick_size": 0.01, "lot_size": 1}],
        data=[{"kind": "bars", "symbol": "X", "path": "q.csv", "interval": "1m"}],
        orders=list(orders),
    )


def _fill_prices(tmp_path, path) -> dict[str, Decimal]:
    """Each scripted order's average fill price, by its ``id``."""
    run = prepare(load_scenario(path), out_dir=tmp_path / "run")
    run.execute()
    script = run.kernel.strategies["script"]
    inst = run.kernel.instruments["X"]
    out = {}
    for sid, coid in script.ids.items():  # type: ignore[attr-defined]
        o = run.kernel.oms.orders[coid]
        assert o.filled_lots == o.quantity, o
        out[sid] = inst.tick_size * Decimal(o.fill_cost) / o.filled_lots
    return out


def test_bars_order_during_the_first_bar_runs_exit_0(tmp_path, capsys):
    path = _bars_scenario(tmp_path, order(at="2024-01-02T15:00:30Z", quantity=1))
    code, out, err = run_cli(capsys, "run", path, "--out", tmp_path / "run", "--json")
    assert code == 0, err
    assert json.loads(out)["fills"] == 1


def test_bars_order_during_the_first_bar_fills_at_the_next_bar_open(tmp_path):
    path = _bars_scenario(
        tmp_path,
        order(id="at_open", at="2024-01-02T15:00:00Z", quantity=1),
        order(id="mid_first", at="2024-01-02T15:00:30Z", quantity=1),
    )
    assert _fill_prices(tmp_path, path) == {"at_open": Decimal(101), "mid_first": Decimal(101)}


def test_bars_order_during_a_later_bar_fills_at_the_bar_after_it(tmp_path):
    path = _bars_scenario(
        tmp_path,
        order(id="mid_second", at="2024-01-02T15:01:30Z", quantity=1),
        order(id="mid_third", at="2024-01-02T15:02:45Z", quantity=1),
    )
    assert _fill_prices(tmp_path, path) == {
        "mid_second": Decimal(102),
        "mid_third": Decimal(103),
    }


def test_bars_order_before_the_first_bar_open_exits_2_naming_the_open(tmp_path, capsys):
    path = _bars_scenario(tmp_path, order(at="2024-01-02T14:59:59Z", quantity=1))
    err = run_bad(capsys, "run", path, "--out", tmp_path / "run")
    assert err == (
        f"error: {path}: orders[0].at: 2024-01-02T14:59:59Z is before the data starts "
        "(2024-01-02T15:00:00Z)"
    )


# daily bars on a New York session: each opens at 09:30 (14:30 UTC) and is known at the close
DAILY = "ts,open,high,low,close,volume\n" + "".join(
    f"2024-01-0{2 + i},{100 + i}.00,{100 + i}.50,{99 + i}.50,{100 + i}.20,10\n" for i in range(4)
)
SESSION = {"open": "09:30", "close": "16:00", "tz": "America/New_York"}


def _daily_scenario(tmp_path, *orders):
    return write_scenario(
        tmp_path,
        csv=DAILY,
        instruments=[{"symbol": "X", "tick_size": 0.01, "lot_size": 1}],
        data=[{"kind": "bars", "symbol": "X", "path": "q.csv", "interval": "1d"}],
        venue={"session": SESSION},
        orders=list(orders),
    )


def test_daily_bars_order_during_the_first_session_fills_at_the_next_day_open(tmp_path):
    path = _daily_scenario(tmp_path, order(id="day1", at="2024-01-02T15:00:00Z", quantity=1))
    assert _fill_prices(tmp_path, path) == {"day1": Decimal(101)}


def test_daily_bars_order_before_the_first_session_open_exits_2(tmp_path, capsys):
    path = _daily_scenario(tmp_path, order(at="2024-01-02T14:00:00Z", quantity=1))
    err = run_bad(capsys, "run", path, "--out", tmp_path / "run")
    assert err.endswith("is before the data starts (2024-01-02T14:30:00Z)")
