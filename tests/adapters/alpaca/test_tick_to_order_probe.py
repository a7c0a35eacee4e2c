"""The tick-to-order benchmark (``benches/tick_to_order.py``) against the local Alpaca venue on
127.0.0.1, briefly: a measured session gives samples whose stamps are in causal order, with
positive latencies; the probe touches one adapter instance and the bench's own session only
(nothing left patched after); the same session unmeasured sends its orders through the adapter
exactly as it is (the adapter carries no probe of its own)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "benches"))

import tick_to_order  # noqa: E402

from executioncore import live_cmd  # noqa: E402
from kernel.journal import Journal  # noqa: E402
from live.adapters.alpaca.client import AlpacaAdapter  # noqa: E402
from live.adapters.alpaca.http import AlpacaHttp  # noqa: E402
from live.adapters.alpaca.stream import StreamClient  # noqa: E402

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]

ORDER = ("frame", "emit", "strategy", "submit", "start", "headers", "written")


def _classes() -> dict[str, object]:
    out: dict[str, object] = {"build_adapter": live_cmd.build_adapter, "flush": Journal.flush}
    for cls in (AlpacaAdapter, AlpacaHttp, StreamClient):
        out.update({f"{cls.__name__}.{k}": v for k, v in vars(cls).items()})
    return out


def test_a_measured_session_gives_ordered_samples() -> None:
    before = _classes()
    r = tick_to_order.measure(seconds=3.0, warmup_s=0.5, keep_rows=True)
    assert _classes() == before  # nothing patched outlives the session
    assert r["stop"] == "RUN_FOR_ELAPSED"
    assert r["adapter_overrides"] == ["bind", "start", "submit"]  # the instance only
    assert r["orders_denied"] == 0
    assert r["samples"] >= 20, r
    assert r["unmatched"] <= 2, r  # at most the orders sent as the session stopped
    for row in r["rows"]:
        stamps = [row[k] for k in ORDER]
        assert stamps == sorted(stamps), row
    stages = r["stages_us"]
    for name in ("adapter_in", "kernel_strategy", "adapter_aiohttp", "total"):
        s = stages[name]
        assert 0 < s["p50"] <= s["p90"] <= s["p99"] <= s["max"], (name, s)
    assert stages["total"]["p50"] >= stages["kernel_strategy"]["p50"]


def test_an_unmeasured_session_runs_the_adapter_as_is() -> None:
    r = tick_to_order.measure(seconds=2.0, instrument=False)
    assert r["stop"] == "RUN_FOR_ELAPSED"
    assert r["adapter_overrides"] == []
    assert "stages_us" not in r
    assert r["orders_sent"] >= 10, r
    assert r["adapter_submits"] >= r["orders_sent"]
