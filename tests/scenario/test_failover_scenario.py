"""Failover in simulation: a symbol that trades at two venues (``venue: [primary, backup]``), the
venues' ``outage`` windows, the kernel's routing. The bundled scenario shows the path; random
outage windows check what must always hold: each order sent once, to a venue that was up as far
as the kernel knew, every fill booked once, the position the sum of the venues' fills."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from executioncore.runner import prepare
from executioncore.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "usdjpy_failover.yaml"


def run(path: Path, out: Path):  # type: ignore[no-untyped-def]
    r = prepare(load_scenario(path), out_dir=out)
    result = r.execute()
    return r.kernel, result


def test_an_outage_at_the_primary_moves_new_orders_to_the_backup_and_back(tmp_path):
    k, result = run(SCENARIO, tmp_path / "a")
    venues = {o.client_order_id: o.venue for o in k.oms.orders.values()}
    assert venues == {
        "script-1": "primary",  # before the outage
        "script-2": "primary",  # resting at the primary when it goes down: it stays there
        "script-3": "backup",
        "script-4": "backup",
        "script-5": "primary",  # after: the primary again
    }
    codes = [code for _, code, _ in k.risk_events]
    assert codes == ["FAILOVER", "FAILBACK"]
    assert k.stats.failovers == 1 and result.summary["expectations"]["passed"]
    assert k.oms.get("script-2").is_open  # type: ignore[union-attr]
    # the same run again: the same journal
    _, again = run(SCENARIO, tmp_path / "b")
    assert again.summary["digest"] == result.summary["digest"]


def scenario_with(tmp: Path, outages: list[tuple[str, int, int]]) -> Path:
    doc = yaml.safe_load(SCENARIO.read_text())
    doc["faults"] = [
        {"kind": "outage", "venue": v, "start": f"2013-01-01T22:{a:02d}:00Z",
         "end": f"2013-01-01T22:{b:02d}:00Z"}
        for v, a, b in outages
    ]  # fmt: skip
    doc["orders"] = [
        {"at": f"2013-01-01T22:{m:02d}:30Z", "id": f"o{m}", "symbol": "USDJPY",
         "side": "buy" if m % 3 else "sell", "quantity": 10000}
        for m in range(1, 34, 2)
    ]  # fmt: skip
    doc.pop("expect", None)
    path = tmp / "failover.yaml"
    path.write_text(yaml.safe_dump(doc))
    (tmp / "data").mkdir(exist_ok=True)
    link = tmp / "data" / "truefx_usdjpy-ticks.csv"
    if not link.exists():
        link.symlink_to(ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv")
    return path


windows = st.lists(
    st.tuples(st.sampled_from(["primary", "backup"]), st.integers(1, 30), st.integers(1, 5)).map(
        lambda t: (t[0], t[1], min(t[1] + t[2], 34))
    ),
    max_size=4,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(windows)
def test_random_outages_never_duplicate_an_order_or_a_fill(tmp_path, outages):
    k, _ = run(scenario_with(tmp_path, outages), tmp_path / "run")
    orders = list(k.oms.orders.values())
    sent = [o for o in orders if o.venue is not None]
    assert len({o.client_order_id for o in sent}) == len(sent)
    trades = [t for o in orders for t in (o._trade_ids or ())]
    assert not [t for t, n in Counter(trades).items() if n > 1]
    booked = sum(o.side * o.filled_lots for o in orders)
    assert k.portfolio.positions["USDJPY"].qty == booked
    for o in sent:
        assert o.venue in ("primary", "backup")
    k.portfolio._check()


def test_an_algo_parent_keeps_working_across_a_failover_its_children_go_where_it_is_up(tmp_path):
    doc = yaml.safe_load(SCENARIO.read_text())
    doc["orders"] = [
        {"at": "2013-01-01T22:04:00Z", "id": "twap", "symbol": "USDJPY", "side": "buy",
         "quantity": 60000, "algo": {"name": "twap", "duration": "20m", "slices": 10}},
    ]  # fmt: skip
    doc["expect"] = {"positions": {"USDJPY": 60000}}
    path = scenario_with(tmp_path, [("primary", 10, 20)])
    doc["faults"] = yaml.safe_load(path.read_text())["faults"]
    path.write_text(yaml.safe_dump(doc))
    k, result = run(path, tmp_path / "run")
    assert result.summary["expectations"]["passed"], result.summary["expectations"]
    children = [o for o in k.oms.orders.values() if o.algo_id is not None]
    (down_at, _, _), (up_at, _, _) = k.risk_events  # FAILOVER, FAILBACK: what the kernel knew
    during = {o.venue for o in children if down_at <= o.ts_init < up_at}
    outside = {o.venue for o in children if not down_at <= o.ts_init < up_at}
    assert during == {"backup"} and outside == {"primary"}
    # the slice sent as the outage began met it (rejected); the algo's retry went to the backup
    assert sum(o.status.name == "REJECTED" for o in children) <= 1
