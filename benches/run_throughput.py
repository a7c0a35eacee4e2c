"""``make bench``: the reference workloads through ExecutionCore, medians against the targets.

    python benches/run_throughput.py [--data DIR] [--runs N] [--json FILE]

Each measurement is ``benches/throughput.py`` in a fresh process (so peak RSS is the run's own),
one untimed warm-up and then ``--runs`` timed runs; the table shows the medians. The cases
whose ratio is a target run interleaved (``GROUPS``), and the ratio is the median of each
round's own (``cost``; the ratio of the medians is shown beside it). Rows: W1 replay
(1M quotes), W2 market maker on the first 100k quotes and on all 1M (linear cost: the two rates
should agree), W2 100k and 1M without the journal (what journaling costs; the target is the
1M run's), W2 100k as plain Python
(``EXECUTIONCORE_PURE=1``: what the compiled modules of ``executioncore accel`` give), W3 SMA
bars (200k bars). The compiled modules are used when built (``make bench`` builds them).
The data is the reference generator's (``gen_workload.py``, seed 20240102), written once.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workloads import reference_data  # noqa: E402

DEFAULT_DATA = Path(tempfile.gettempdir()) / "ec-bench-data" / "reference"

# (key, workload, journal, small): "small" runs on the 100k-quote prefix file (as the peers'
# 100k runs do), so a fixed cost (opening the 1M file's single row group) is not counted
# against 100k events
CASES = [
    ("W1", "W1", True, False),
    ("W2-100k", "W2", True, True),
    ("W2-100k-nojournal", "W2", False, True),
    ("W2-100k-monitor", "W2", True, True),  # with the monitoring layer's rules (--monitor)
    ("W2-100k-python", "W2", True, True),  # plain Python: EXECUTIONCORE_PURE=1
    ("W2-1M", "W2", True, False),
    ("W2-1M-nojournal", "W2", False, False),  # the journal's cost over the whole 1M quotes
    ("W3", "W3", True, False),
]
SMALL_QUOTES = "quotes_100k.parquet"
# why: a ratio that is a target (the journal's cost, the monitoring's) compares two cases; they
# run interleaved, one of each in turn, so a slower minute of the shared machine (10-20% between
# minutes) falls on both alike instead of on one batch of runs
GROUPS = [
    ("W1",),
    ("W2-100k", "W2-100k-nojournal", "W2-100k-monitor"),
    ("W2-100k-python",),
    ("W2-1M", "W2-1M-nojournal"),
    ("W3",),
]


def small_dir(data: Path) -> Path:
    """The 100k-quote / 20k-bar prefix of the same stream, beside ``data``."""
    return data.parent / f"{data.name}-small"


TARGETS = {
    "W1": "≥ 2,000,000/s, RSS < 150 MB",
    "W2-1M": "≥ 300,000/s; within 10% of 100k",
    "W2-100k-nojournal": "journal's cost",
    "W2-1M-nojournal": "journal costs ≤ 10% (over 1M)",
    "W2-100k-monitor": "monitoring costs ≤ 10%",
    "W2-100k-python": "compiled vs plain Python",
    "W3": "≥ 1,000,000/s; 7,740 / −100 / +340.00",
}


def run_once(
    workload: str,
    data: Path,
    max_events: int | None,
    journal: bool,
    quotes: str | None = None,
    extra: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> dict:
    """One run of ``throughput.py`` in its own process; its JSON result."""
    cmd = [sys.executable, str(HERE / "throughput.py"), workload, "--data", str(data), "--json"]
    cmd += extra
    if max_events is not None:
        cmd += ["--max-events", str(max_events)]
    if quotes is not None:
        cmd += ["--quotes", quotes]
    if not journal:
        cmd.append("--no-journal")
    out = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def measure(
    workload: str,
    data: Path,
    max_events: int | None,
    journal: bool,
    runs: int,
    warmup: bool,
    quotes: str | None = None,
    extra: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> dict:
    """Median of ``runs`` timed runs (after one warm-up); the run results are kept too."""
    if warmup:
        run_once(workload, data, max_events, journal, quotes, extra, env)
    results = [
        run_once(workload, data, max_events, journal, quotes, extra, env) for _ in range(runs)
    ]
    return medians(results)


def medians(results: list[dict]) -> dict:
    """The first run's result with the median time, rate and peak RSS of all of them."""
    runs = len(results)
    med = dict(results[0])
    for key in ("seconds", "events_per_s", "peak_rss_mb"):
        med[key] = statistics.median(r[key] for r in results)
    med["runs"] = runs
    med["all_events_per_s"] = [r["events_per_s"] for r in results]
    med["all_seconds"] = [r["seconds"] for r in results]
    return med


def cost(on: dict, off: dict) -> tuple[float, float | None]:
    """What ``on`` costs over ``off``, as a share of ``off``: the median of the rounds' own
    ratios when the two ran interleaved (each round's two runs met the same minute of the
    machine, so a slower minute cancels out), and the ratio of the medians (None when there
    are no rounds to pair, and that is the cost)."""
    by_medians = on["seconds"] / off["seconds"] - 1
    a, b = on.get("all_seconds"), off.get("all_seconds")
    if not a or not b or len(a) != len(b):
        return by_medians, None
    return statistics.median(x / y - 1 for x, y in zip(a, b, strict=True)), by_medians


def _cost_text(what: str, on: dict, off: dict) -> tuple[float, str]:
    paired, by_medians = cost(on, off)
    text = f"{what} costs {paired:.1%}"
    if by_medians is not None:
        text += f" (paired runs; {by_medians:.1%} by medians)"
    return paired, text


def verdicts(rows: dict[str, dict]) -> dict[str, str]:
    """Target met or not, per row (only rows that have a target)."""
    out: dict[str, str] = {}
    w1 = rows.get("W1")
    if w1:
        ok = w1["events_per_s"] >= 2_000_000 and w1["peak_rss_mb"] < 150
        out["W1"] = "met" if ok else "missed"
    w2s, w2l = rows.get("W2-100k"), rows.get("W2-1M")
    if w2s and w2l:
        linear = abs(w2l["events_per_s"] / w2s["events_per_s"] - 1) <= 0.10
        fast = w2l["events_per_s"] >= 300_000
        out["W2-1M"] = (
            f"{'met' if fast else 'missed'} (rate); "
            f"{'linear' if linear else 'not linear'} "
            f"({w2l['events_per_s'] / w2s['events_per_s']:.2f}x the 100k rate)"
        )
    # the journal's share of a run, on the 100k file (with the fixed cost of making and closing
    # a journal file) and over the 1M quotes of the target
    for with_key, key in (("W2-100k", "W2-100k-nojournal"), ("W2-1M", "W2-1M-nojournal")):
        on, off = rows.get(with_key), rows.get(key)
        if on and off:
            share, text = _cost_text("journal", on, off)
            out[key] = text + (
                f": {'met' if share <= 0.10 else 'missed'}" if key == "W2-1M-nojournal" else ""
            )
    py = rows.get("W2-100k-python")
    if w2s and py:
        out["W2-100k-python"] = f"compiled is {py['seconds'] / w2s['seconds']:.2f}x as fast"
    mon = rows.get("W2-100k-monitor")
    if w2s and mon:
        share, text = _cost_text("monitoring", mon, w2s)
        out["W2-100k-monitor"] = f"{text}: {'met' if share <= 0.10 else 'missed'}"
    w3 = rows.get("W3")
    if w3:
        exact = (w3["orders"], w3["final_position"], w3["pnl"]) == (7740, -100, 340.0)
        fast = w3["events_per_s"] >= 1_000_000
        out["W3"] = f"{'met' if fast else 'missed'} (rate); {'exact' if exact else 'NOT EXACT'}"
    return out


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def table(rows: dict[str, dict]) -> str:
    verdict = verdicts(rows)
    head = (
        f"{'case':<20} {'events':>10} {'seconds':>8} {'events/s':>11} {'RSS MB':>7} {'libs':>5} "
        f"{'orders':>8} {'cancels':>8} {'fills':>7} {'position':>9} {'pnl':>14}  target / verdict"
    )
    lines = [head, "-" * len(head)]
    # libs: resident shared libraries at the end of a run (part of RSS; see throughput.py)
    for key, r in rows.items():
        target = TARGETS.get(key, "")
        note = f"{target} — {verdict[key]}" if key in verdict else target
        libs = _mb(r.get("rss_libs_mb"))
        lines.append(
            f"{key:<20} {r['events']:>10,} {r['seconds']:>8.3f} {r['events_per_s']:>11,.0f} "
            f"{r['peak_rss_mb']:>7.1f} {libs:>5} {r['orders']:>8,} {r['cancels']:>8,} "
            f"{r['fills']:>7,} {r['final_position']:>9,} {r['pnl']:>14,.2f}  {note}"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--runs", type=int, default=5, help="timed runs per case (median)")
    ap.add_argument("--no-warmup", action="store_true")
    ap.add_argument("--only", help="comma-separated cases: " + ", ".join(c[0] for c in CASES))
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    only = set(args.only.split(",")) if args.only else None
    print(f"reference data in {args.data} (generated once)", file=sys.stderr)
    reference_data(args.data)
    reference_data(small_dir(args.data), 100_000, 20_000)
    runs: dict[str, Callable[[], dict]] = {}
    for key, workload, journal, small in CASES:
        data, quotes = (small_dir(args.data), SMALL_QUOTES) if small else (args.data, None)
        extra = ("--monitor",) if key.endswith("-monitor") else ()
        env = {"EXECUTIONCORE_PURE": "1"} if key.endswith("-python") else None
        runs[key] = functools.partial(run_once, workload, data, None, journal, quotes, extra, env)
    rows: dict[str, dict] = {}
    for group in GROUPS:
        keys = [k for k in group if only is None or k in only]
        t0 = time.perf_counter()
        if not args.no_warmup:
            for key in keys:
                runs[key]()
        results: dict[str, list[dict]] = {key: [] for key in keys}
        for _ in range(args.runs):
            for key in keys:
                results[key].append(runs[key]())
        for key in keys:
            rows[key] = medians(results[key])
            print(
                f"  {key}: {rows[key]['events_per_s']:,.0f} events/s "
                f"(runs {rows[key]['all_events_per_s']}, {time.perf_counter() - t0:.0f} s)",
                file=sys.stderr,
            )
    print(table({key: rows[key] for key, *_ in CASES if key in rows}))
    if args.json is not None:
        args.json.write_text(json.dumps({"rows": rows, "verdicts": verdicts(rows)}, indent=2))


if __name__ == "__main__":
    main()
