"""Alerts in a backtest: the monitoring layer's rules (``monitoring:`` in a scenario) fire once per
episode and say when it ends, are journaled (the digest is stable, a replay repeats them), and
show in the summary and in report.html."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from executioncore.cli import finish
from executioncore.replay import replay
from executioncore.runner import prepare
from executioncore.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "usdjpy_failover.yaml"
MONITORING = {
    "alert_on_rejection": True,
    "alerts": [
        {"name": "primary_gone", "when": "disconnected_s > 60", "severity": "error"},
        {"name": "moved", "when": "failovers >= 1", "severity": "info"},
        {"name": "quiet", "when": "no_data_s > 300", "severity": "warning"},
        {"name": "dd", "when": "drawdown > 0.5", "severity": "critical"},
    ],
}


def scenario(tmp: Path, monitoring: dict) -> Path:
    doc = yaml.safe_load(SCENARIO.read_text())
    doc["monitoring"] = monitoring
    doc["orders"].insert(
        0, {"at": "2013-01-01T22:01:00Z", "id": "bad", "symbol": "USDJPY", "side": "buy",
            "quantity": 10000, "type": "limit", "limit_price": 86.0, "venue": "primary",
            "time_in_force": "ioc"},
    )  # fmt: skip
    doc.pop("expect", None)
    path = tmp / "alerts.yaml"
    path.write_text(yaml.safe_dump(doc))
    (tmp / "data").mkdir(exist_ok=True)
    (tmp / "data" / "truefx_usdjpy-ticks.csv").symlink_to(
        ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv"
    )
    return path


def run(path: Path, out: Path):  # type: ignore[no-untyped-def]
    """The run as ``executioncore run`` does it (summary.json and report.html written)."""
    result = prepare(load_scenario(path), out_dir=out).execute()
    finish(result)
    return result


def test_alert_rules_fire_once_per_episode_in_a_backtest_and_show_in_summary_and_report(tmp_path):
    path = scenario(tmp_path, MONITORING)
    result = run(path, tmp_path / "a")
    alerts = result.summary["alerts"]
    seen = [(a["rule"], a["state"]) for a in alerts]
    # the primary's 10-minute outage: down for more than 60 s, once, ended when it came back
    assert seen.count(("primary_gone", "firing")) == 1
    assert seen.count(("primary_gone", "resolved")) == 1
    assert seen.index(("primary_gone", "firing")) < seen.index(("primary_gone", "resolved"))
    # the built-in failover episode, and the rule on the failover count (never ends)
    assert ("failover", "firing") in seen and ("failover", "resolved") in seen
    assert seen.count(("moved", "firing")) == 1 and ("moved", "resolved") not in seen
    assert "dd" not in {r for r, _ in seen}  # never a 50% drawdown
    first = next(a for a in alerts if a["rule"] == "primary_gone")
    assert first["severity"] == "error" and "disconnected_s > 60" in first["message"]
    html = (tmp_path / "a" / "report.html").read_text()
    assert "Alerts" in html and "primary_gone" in html
    # journaled: the same run gives the same digest, and the journal replays
    again = run(path, tmp_path / "b")
    assert again.summary["digest"] == result.summary["digest"]
    assert again.summary["alerts"] == alerts
    assert replay(tmp_path / "a").ok


def test_without_monitoring_the_digest_is_the_golden_one(tmp_path):
    import json

    golden = json.loads((ROOT / "tests" / "scenario" / "golden_digests.json").read_text())
    result = run(SCENARIO, tmp_path / "g")
    assert result.summary["digest"] == golden["usdjpy_failover"]
    assert result.summary["alerts"] == []


def test_a_scenario_may_not_configure_the_live_hosts_sinks_and_its_rules_are_checked(tmp_path):
    path = scenario(tmp_path, {"sinks": {"log": {}}})
    with pytest.raises(ScenarioError, match="monitoring"):
        load_scenario(path)
    path.write_text(
        path.read_text().replace("sinks:\n    log: {}", "alerts: [{name: x, when: 'nope > 1'}]")
    )
    with pytest.raises(ScenarioError, match=r"monitoring\.alerts\[0\]\.when"):
        prepare(load_scenario(path), out_dir=tmp_path / "bad")
