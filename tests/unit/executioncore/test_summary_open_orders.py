"""Orders still open when the data end are in the summary: ``open_orders`` (the count,
CONTRACT.md) and ``open_order_list`` (each one's id, scripted id, status and terms)."""

from __future__ import annotations

import json

from cli_scenarios import order, run_cli, write_scenario


def _summary(tmp_path, capsys, *orders) -> dict:
    path = write_scenario(tmp_path, orders=list(orders))
    code, out, err = run_cli(capsys, "run", path, "--out", tmp_path / "run", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert (
        json.loads((tmp_path / "run" / "summary.json").read_text())["open_order_list"]
        == (summary["open_order_list"])
    )
    return summary


def test_summary_day_order_open_when_the_data_end_is_listed_with_id_and_status(tmp_path, capsys):
    # the quotes end at 10:00:02 UTC: the DAY limit (no session: it would expire at midnight
    # UTC) never fills and is still working when the run ends
    day = order(id="dip", type="limit", limit_price=99.0, time_in_force="day")
    s = _summary(tmp_path, capsys, day)
    assert s["open_orders"] == 1 and s["expired"] == 0 and s["fills"] == 0
    assert s["open_order_list"] == [
        {
            "id": "script-1",
            "script_id": "dip",
            "symbol": "X",
            "side": "buy",
            "type": "limit",
            "tif": "day",
            "status": "accepted",
            "quantity": 1000,
            "filled": 0,
        }
    ]


def test_summary_nothing_open_lists_no_orders(tmp_path, capsys):
    s = _summary(tmp_path, capsys, order(id="now"))
    assert s["open_orders"] == 0 and s["open_order_list"] == [] and s["fills"] == 1
