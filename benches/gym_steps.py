"""Steps per second of ``executioncore.gym`` with a trivial agent on quote data.

    python benches/gym_steps.py [--data DIR] [--quotes N] [--every 1,100] [--runs N] [--json]

The data: the reference generator's quotes (``gen_workload.py``, seed 20240102; the 100k file,
written once), a scenario around them (one venue, 1 ms latency each way, 0.2 bps taker fee, the
journal on, as ``executioncore run`` writes it). For each ``decision_quotes`` value, the median of
``--runs`` episodes of two agents: ``hold`` (always target 0: no orders, the pure cost of
pausing the run at every decision point and building the observation) and ``flip`` (targets
+1 / -1 lot alternately every 50 steps: some orders). ``steps/s`` counts ``env.step`` calls,
``quotes/s`` the data events the episode delivered; the baseline is the same scenario run
without the environment (``prepare(...).execute()``, no strategy).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workloads import reference_data  # noqa: E402

from executioncore.gym import make  # noqa: E402
from executioncore.runner import prepare  # noqa: E402
from executioncore.scenario import load_scenario  # noqa: E402

DEFAULT_DATA = Path(tempfile.gettempdir()) / "ec-bench-data" / "reference-small"

SCENARIO = """name: gym_bench
seed: 1
account: {{currency: USD, cash: 10000000}}
instruments:
  - {{symbol: XYZ, tick_size: 0.01, lot_size: 1}}
data:
  - {{kind: quotes, symbol: XYZ, path: {path}, columns: {{ts_ns: ts}}}}
venue:
  fees: {{maker_bps: 0.0, taker_bps: 0.2}}
  latency: {{order_ms: 1, response_ms: 1}}
"""


def scenario_file(data: Path, quotes: int, where: Path) -> Path:
    """A scenario over the first ``quotes`` reference quotes (a Parquet prefix, written once)."""
    import pyarrow.parquet as pq

    path = data / f"gym_quotes_{quotes}.parquet"
    if not path.exists():
        table = pq.read_table(data / "quotes_100k.parquet").slice(0, quotes)
        pq.write_table(table, path)
    out = where / "gym_bench.yaml"
    out.write_text(SCENARIO.format(path=json.dumps(str(path))))
    return out


def episode(scenario: Path, every: int, agent: str, out: Path) -> dict:
    env = make(scenario, decision_quotes=every, out_dir=out)
    t0 = time.perf_counter()
    env.reset(seed=1)
    steps = 0
    hold = 1  # the discrete action for a target of 0 (levels=1)
    while True:
        action = hold if agent == "hold" else (2 if (steps // 50) % 2 else 0)
        _, _, terminated, truncated, info = env.step(action)
        steps += 1
        if terminated or truncated:
            break
    seconds = time.perf_counter() - t0
    env.close()
    events = info["summary"]["events"]
    return {
        "steps": steps,
        "seconds": seconds,
        "steps_per_s": steps / seconds,
        "quotes_per_s": events / seconds,
        "orders": info["summary"]["orders"],
    }


def baseline(scenario: Path, out: Path) -> dict:
    run = prepare(load_scenario(scenario), 1, out)
    t0 = time.perf_counter()
    result = run.execute()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "quotes_per_s": result.summary["events"] / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quotes", type=int, default=100_000)
    parser.add_argument("--every", default="1,100", help="decision_quotes values, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    reference_data(args.data, 100_000, 20_000)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        scenario = scenario_file(args.data, args.quotes, Path(tmp))
        base = [baseline(scenario, Path(tmp) / "base") for _ in range(args.runs)]
        rows.append(
            {
                "case": "baseline (no env)",
                "quotes_per_s": statistics.median(b["quotes_per_s"] for b in base),
            }
        )
        for every in (int(x) for x in args.every.split(",")):
            for agent in ("hold", "flip"):
                eps = [episode(scenario, every, agent, Path(tmp) / "env") for _ in range(args.runs)]
                rows.append(
                    {
                        "case": f"decision_quotes={every} {agent}",
                        "steps": eps[0]["steps"],
                        "orders": eps[0]["orders"],
                        "steps_per_s": statistics.median(e["steps_per_s"] for e in eps),
                        "quotes_per_s": statistics.median(e["quotes_per_s"] for e in eps),
                    }
                )
    if args.json:
        print(json.dumps(rows))
        return
    print(f"{'case':32} {'steps':>8} {'orders':>7} {'steps/s':>10} {'quotes/s':>10}")
    for r in rows:
        steps = f"{r['steps']:,}" if "steps" in r else ""
        orders = f"{r['orders']:,}" if "orders" in r else ""
        sps = f"{r['steps_per_s']:,.0f}" if "steps_per_s" in r else ""
        print(f"{r['case']:32} {steps:>8} {orders:>7} {sps:>10} {r['quotes_per_s']:>10,.0f}")


if __name__ == "__main__":
    main()
