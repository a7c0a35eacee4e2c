"""The live fault matrices: every fault kind of a local venue x seeds, through the full live path
(``executioncore live`` + the venue's adapter + the local venue on 127.0.0.1), with the counts
the issues ask for: runs, faults injected, fills, lost, duplicated, mismatches.

    python benches/fault_matrix.py [--venue alpaca|ibkr|binance|all] [--seeds 1 2 3] [--run-for 3s]
                                   [--json]

``make test`` runs one seed per kind (tests/adapters/*/test_*fault*); ``make faults`` runs this.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for extra in ("tests", "tests/adapters/alpaca", "tests/adapters/ibkr", "tests/adapters/binance"):
    sys.path.insert(0, str(ROOT / extra))


def alpaca_rows(seeds: list[int], run_for: str) -> list[dict[str, Any]]:
    from live_harness import FAULTS, KEY, SECRET, run_session

    os.environ.setdefault("EC_TEST_KEY", KEY)
    os.environ.setdefault("EC_TEST_SECRET", SECRET)
    rows = []
    for kind in sorted(FAULTS):
        for seed in seeds:
            with tempfile.TemporaryDirectory() as tmp:
                r = run_session(Path(tmp), kind, seed, run_for)
            c = r.consistency
            rows.append(
                _row("alpaca", kind, seed, r.injected, r.orders, c, r.adapter)
                | {"dropped_duplicates": r.adapter["duplicates_dropped"]}
            )
            _show(rows[-1])
    return rows


def ibkr_rows(seeds: list[int], run_for: str) -> list[dict[str, Any]]:
    from test_adapter_ibkr_faults import RATES, run

    return _session_rows("ibkr", "ib", sorted(RATES), seeds, lambda *a: run(*a)[:3], run_for)


def binance_rows(seeds: list[int], run_for: str) -> list[dict[str, Any]]:
    from test_bn_live_faults import RATES, run
    from test_bn_live_session import KEY, SECRET

    os.environ.setdefault("BINANCE_API_KEY", KEY)
    os.environ.setdefault("BINANCE_API_SECRET", SECRET)
    return _session_rows("binance", "bn", sorted(RATES), seeds, run, run_for)


def _session_rows(
    label: str, broker: str, kinds: list[str], seeds: list[int], run: Any, run_for: str
) -> list[dict[str, Any]]:
    """Each kind x seed through a test module's ``run(tmp, kind, seed, run_for)`` returning
    ``(result, consistency, injected)``; ``broker``: the broker's name in its config."""
    rows = []
    for kind in kinds:
        for seed in seeds:
            with tempfile.TemporaryDirectory() as tmp:
                result, c, injected = run(Path(tmp), kind, seed, run_for)
            adapter = result.summary["live"]["adapters"][broker]
            rows.append(_row(label, kind, seed, injected, result.summary["orders"], c, adapter))
            _show(rows[-1])
    return rows


def _row(
    venue: str, kind: str, seed: int, injected: int, orders: int, c: Any, adapter: dict
) -> dict:
    return {
        "venue": venue,
        "fault": kind,
        "seed": seed,
        "injected": injected,
        "orders": orders,
        "fills": c.venue_fills,
        "lost": len(c.lost),
        "duplicated": len(c.duplicated) + len(c.duplicate_orders),
        "mismatches": len(c.mismatches),
        "reconciliations": adapter.get("reconciliations", 0),
        "recovered_events": adapter.get("recovered_events", 0),
    }


QUIET = False


def _show(x: dict[str, Any]) -> None:
    if QUIET:
        return
    print(
        f"{x['venue']:>7} {x['fault']:>14} seed {x['seed']}: injected {x['injected']:>3}  "
        f"orders {x['orders']:>3}  fills {x['fills']:>3}  lost {x['lost']}  dup {x['duplicated']}  "
        f"mismatch {x['mismatches']}  (reconciliations {x['reconciliations']}, "
        f"recovered {x['recovered_events']})",
        flush=True,
    )


VENUES: dict[str, Callable[[list[int], str], list[dict[str, Any]]]] = {
    "alpaca": alpaca_rows,
    "ibkr": ibkr_rows,
    "binance": binance_rows,
}


def main() -> None:
    global QUIET
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--venue", choices=[*VENUES, "all"], default="all")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--run-for", default="3s")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    QUIET = args.json
    rows = []
    for name, fn in VENUES.items():
        if args.venue in (name, "all"):
            rows += fn(args.seeds, args.run_for)
    totals = {}
    for venue in sorted({r["venue"] for r in rows}):
        mine = [r for r in rows if r["venue"] == venue]
        total = {
            k: sum(r[k] for r in mine)
            for k in ("injected", "orders", "fills", "lost", "duplicated", "mismatches")
        }
        total["runs"] = len(mine)
        totals[venue] = total
    print(json.dumps({"rows": rows, "total": totals}) if args.json else f"TOTAL {totals}")


if __name__ == "__main__":
    main()
