"""Peak memory of ``executioncore run`` replaying N quotes from Parquet with no strategy, or of
the W2 market maker over N quotes (``--workload W2``).

Each size runs in a fresh process and reports the process's peak RSS (``ru_maxrss`` of the
child). The default workload is ``replay``: the console script, as a user would run it, no
strategy. Target (issue 5): under 200 MB at 1,000,000 and at 10,000,000 quotes. ``W2`` is
``benches/throughput.py W2`` (the market maker, journal on, the kernel keeping the newest
``--retain-closed`` closed orders, default 10,000) over the same quotes. Target (issue 22):
under 200 MB at 10,000,000 quotes: memory bounded by open state, not history.

    python benches/memory_run.py [--rows 1000000 10000000] [--workload replay|W2]
        [--retain-closed N] [--data DIR] [--json]

The quotes (``quotes_only_<N>.parquet`` in ``--data``) are generated once, streamed (the
reference generator's law and seed, ``workloads.quotes_parquet``): about 1 minute per 10 million.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

SCENARIO = """name: memory_{label}
seed: 1
account: {{currency: USD, cash: 100000}}
instruments:
  - {{symbol: XYZ, tick_size: 0.01, lot_size: 1}}
data:
  - {{kind: quotes, symbol: XYZ, path: {path}}}
"""


def label(n: int) -> str:
    return (
        f"{n // 1_000_000}m"
        if n % 1_000_000 == 0
        else f"{n // 1_000}k"
        if n % 1_000 == 0
        else str(n)
    )


def child(cmd: list[str]) -> tuple[str, int]:
    """Run ``cmd``; return its stdout and ITS OWN peak RSS in KB (``wait4``, not the max over
    every child so far)."""
    with tempfile.TemporaryFile(mode="w+") as errors:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True)
        out = proc.stdout.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            errors.seek(0)
            raise RuntimeError(f"{cmd[0]} failed: {errors.read().strip()[-500:]}")
    return out, usage.ru_maxrss


def quotes_file(rows: int, data_dir: Path) -> Path:
    path = data_dir / f"quotes_only_{label(rows)}.parquet"
    if not path.exists():  # generated in its own process: this one stays small
        gen = f"import sys; sys.path.insert(0, {str(HERE)!r}); import workloads; workloads.quotes_parquet(__import__('pathlib').Path({str(path)!r}), {rows})"
        subprocess.run([sys.executable, "-c", gen], check=True)
    return path


def measure_w2(rows: int, data_dir: Path, retain_closed: int) -> dict:
    """W2 (``throughput.py``) over ``rows`` quotes in its own process: its peak RSS and rate."""
    path = quotes_file(rows, data_dir)
    cmd = [sys.executable, str(HERE / "throughput.py"), "W2", "--data", str(path.parent)]
    cmd += ["--quotes", path.name, "--retain-closed", str(retain_closed), "--json"]
    t0 = time.perf_counter()
    out, peak_kb = child(cmd)
    wall = time.perf_counter() - t0
    result = json.loads(out)
    return {
        "workload": "W2",
        "rows": rows,
        "events": result["events"],
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "process_wall_s": round(wall, 2),
        "run_s": result["seconds"],
        "events_per_s": result["events_per_s"],
        "orders": result["orders"],
        "orders_held": result["orders_held"],
        "retain_closed": result["retain_closed"],
        "rss_libs_mb": result["rss_libs_mb"],
        "rss_anon_mb": result["rss_anon_mb"],
    }


def measure(rows: int, data_dir: Path, work: Path) -> dict:
    path = quotes_file(rows, data_dir)
    scenario = work / f"memory_{label(rows)}.yaml"
    scenario.write_text(SCENARIO.format(label=label(rows), path=path))
    exe = Path(sys.executable).with_name("executioncore")
    t0 = time.perf_counter()
    out, peak_kb = child(
        [
            str(exe),
            "run",
            str(scenario),
            "--out",
            str(work / f"run_{label(rows)}"),
            "--json",
            "--no-progress",
        ]
    )
    wall = time.perf_counter() - t0
    summary = json.loads(out)
    return {
        "rows": rows,
        "events": summary["events"],
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "process_wall_s": round(wall, 2),
        "run_s": summary["wall_seconds"],
        "events_per_s": summary["events_per_second"],
        "journal_mb": round((work / f"run_{label(rows)}" / "journal").stat().st_size / 2**20, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "ec-bench-data")
    ap.add_argument("--workload", choices=["replay", "W2"], default="replay")
    ap.add_argument("--retain-closed", type=int, default=10_000, help="W2: closed orders kept")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        for rows in sorted(args.rows):
            if args.workload == "W2":
                result = measure_w2(rows, args.data, args.retain_closed)
                tail = f"orders {result['orders']:,} (held at the end {result['orders_held']:,})"
            else:
                result = measure(rows, args.data, Path(work))
                tail = f"journal {result['journal_mb']} MB"
            print(
                json.dumps(result)
                if args.json
                else f"{rows:>12,} quotes: peak RSS {result['peak_rss_mb']:7.1f} MB, "
                f"{result['events_per_s']:,.0f} events/s, {tail}"
            )


if __name__ == "__main__":
    main()
