"""Shared by the adapter tests: a fake Alpaca venue on a thread, a live config pointing at it,
a churning strategy, and the consistency check (no lost fill, no duplicate, same positions)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from live_checks import Consistency
from live_churn import CHURN

from live.fakes.alpaca.config import FakeAlpacaConfig
from live.fakes.alpaca.thread import VenueThread

ROOT = Path(__file__).resolve().parents[3]
USDJPY = ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv"
KEY, SECRET = "test-key-id", "test-secret-key"


def start_venue(**kw: Any) -> VenueThread:
    cfg = dict(
        data=USDJPY,
        symbol="USDJPY",
        tick_size="0.001",
        lot_size="1000",
        step_ms=8,
        key=KEY,
        secret=SECRET,
        cash="10000000",
    )
    cfg.update(kw)
    return VenueThread(FakeAlpacaConfig(**cfg))


def write_config(tmp: Path, venue: VenueThread, strategy: bool = True, **broker: Any) -> Path:
    (tmp / "churn_strategy.py").write_text(CHURN)
    alpaca = {
        "type": "alpaca",
        "api_key": "${EC_TEST_KEY}",
        "api_secret": "${EC_TEST_SECRET}",
        "paper": True,
        "base_url": venue.base_url,
        "stream_url": venue.stream_url,
        "data_url": venue.data_url,
        "symbols": ["USDJPY"],
        "timeout_s": 2,
        "stale_after_s": 1,
    }
    alpaca.update(broker)
    doc: dict[str, Any] = {
        "name": "alpaca-test",
        "seed": 1,
        "id_prefix": "t-",
        # no account and no instruments: the broker reports both (its account, its assets)
        "brokers": {"alpaca": alpaca},
        "failsafes": {"cancel_on_exit": True},
    }
    if strategy:
        doc["strategy"] = {"class": "churn_strategy:Churn", "params": {"symbol": "USDJPY"}}
    path = tmp / "executioncore.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def check(
    summary: dict[str, Any], record_fills: list[dict[str, Any]], venue: VenueThread
) -> Consistency:
    """The kernel's books against the venue's own state."""
    state = venue.state()
    venue_exec = [f["execution_id"] for f in state["fills"]]
    kernel_exec = [f["trade_id"] for f in record_fills]
    out = Consistency(len(venue_exec), len(kernel_exec))
    out.lost = sorted(set(venue_exec) - set(kernel_exec))
    out.duplicated = sorted({e for e in kernel_exec if kernel_exec.count(e) > 1})
    coids = [o["client_order_id"] for o in state["orders"]]
    out.duplicate_orders = sorted({c for c in coids if coids.count(c) > 1})
    for sym, qty in state["positions"].items():
        mine = Decimal(str(summary["positions"].get(sym, 0)))
        if mine != Decimal(qty):
            out.mismatches.append(f"{sym}: kernel {mine}, venue {qty}")
    # after the final reconciliation the summary's cash is the broker's (issue 13)
    if Decimal(str(summary["cash"])) != Decimal(state["cash"]):
        out.mismatches.append(f"cash: kernel {summary['cash']}, venue {state['cash']}")
    return out


def as_json(c: Consistency) -> str:
    return json.dumps(c.__dict__)


# fault kind -> (probability, extra venue settings): rates high enough to hit many times a run
FAULTS: dict[str, tuple[float, dict[str, Any]]] = {
    "drop": (0.15, {}),
    "duplicate": (0.2, {}),
    "reorder": (0.2, {}),
    "silence": (0.02, {"silence_s": 1.2}),
    "disconnect": (0.03, {}),
    "http_429": (0.15, {"retry_after_s": 0}),
    "http_5xx": (0.1, {}),
    "submit_timeout": (0.1, {"timeout_s": 2.5}),
    # REST failing (503 or connections dropped) for rest_down_s once hit: reconciliations fail
    # for that long and the session goes on
    "rest_down": (0.04, {"rest_down_s": 1.0}),
    # the trade_updates stream stays open and silent (until a reconnect) while REST works
    "mute": (0.02, {}),
}


@dataclass
class SessionResult:
    kind: str
    seed: int
    consistency: Consistency
    injected: int
    orders: int
    adapter: dict[str, Any]


def run_session(tmp: Path, kind: str, seed: int, run_for: str = "3s") -> SessionResult:
    """One churning live session against the fake venue with one kind of fault on."""
    from executioncore.live_cmd import live_command

    prob, extra = FAULTS[kind]
    venue = start_venue(seed=seed, faults={kind: prob}, **extra)
    try:
        cfg = write_config(tmp, venue, reconcile_every_s=0.5)
        result = live_command(cfg, None, run_for, False, tmp / "run", True)
        consistency = check(result.summary, result.record.fills, venue)
        injected = venue.stats()["faults"][kind]
    finally:
        venue.close()
    adapter = result.summary["live"]["adapters"]["alpaca"]
    return SessionResult(kind, seed, consistency, injected, result.summary["orders"], adapter)
