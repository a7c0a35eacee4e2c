"""The recorder samples on a regular UTC clock as well as at fills, stays bounded, and never acts
(issue 15, point 4)."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from report_runs import ROOT, SCENARIOS, ran

import executioncore.runner as runner_module
from executioncore.record import CLOCK, FILL, RunRecorder
from executioncore.runner import prepare
from executioncore.scenario import load_scenario

GOLDEN = json.loads((ROOT / "tests" / "scenario" / "golden_digests.json").read_text())
MINUTE = 60 * 1_000_000_000


def held_stretches(record, min_len_ns: int) -> list[tuple[int, int]]:
    """(first, next) fill times of consecutive fills with a position open between them."""
    fills = record.fills
    out = []
    position = 0.0
    for a, b in itertools.pairwise(fills):
        position += a["qty"] if a["side"] == "buy" else -a["qty"]
        if abs(position) > 1e-12 and b["ts"] - a["ts"] >= min_len_ns:
            out.append((a["ts"], b["ts"]))
    return out


def assert_regular_between_fills(record, bar_ns: int) -> int:
    step = record.step_ns
    stretches = held_stretches(record, 6 * step)
    assert stretches, "the run should hold a position across several clock steps"
    times = [t for t, _ in record.equity]
    for t0, t1 in stretches:
        inside = [t for t in times if t0 < t < t1]
        # one sample per clock step (the first bar at or after each multiple of the step)
        assert len(inside) >= (t1 - t0) // step - 2
        gaps = [b - a for a, b in zip([t0, *inside], [*inside, t1])]
        assert max(gaps) <= step + bar_ns
    return len(stretches)


def test_report_demo_equity_is_sampled_regularly_while_a_position_is_held():
    record = ran("demo").result.record
    assert record.step_ns > 0
    assert assert_regular_between_fills(record, MINUTE) > 100


def test_report_recorder_thinning_many_times_keeps_the_clock_regular(tmp_path, monkeypatch):
    class SmallRecorder(RunRecorder):
        def __init__(self) -> None:
            super().__init__(max_points=150)

    monkeypatch.setattr(runner_module, "RunRecorder", SmallRecorder)
    run = prepare(load_scenario(SCENARIOS / "demo.yaml"), out_dir=tmp_path)
    result = run.execute()
    rec, recorder = result.record, run.recorder
    assert result.summary["digest"] == GOLDEN["demo"]  # the recorder never acts
    kinds = recorder._kinds
    assert kinds.count(CLOCK) <= 150 and kinds.count(FILL) <= 150
    assert len(rec.equity) == len(kinds) == len(rec.positions["BTC-PERP"])
    clock = [t for (t, _), kd in zip(rec.equity, kinds) if kd == CLOCK]
    cells = [t // rec.step_ns for t in clock]
    assert len(set(cells)) >= len(cells) - 3  # one per cell (bar the pinned peak and trough)
    # evenly spread over the whole run: no clock gap much wider than one step
    span = clock[-1] - clock[0]
    assert span > 25 * 86_400 * 10**9
    assert max(b - a for a, b in itertools.pairwise(clock)) <= 2 * rec.step_ns + MINUTE
    # the exact drawdown survives thinning
    assert result.summary["max_drawdown"] == round(recorder.max_drawdown, 6)


def test_report_prices_stay_aligned_with_samples_after_thinning(tmp_path, monkeypatch):
    class SmallRecorder(RunRecorder):
        def __init__(self) -> None:
            super().__init__(max_points=64)

    monkeypatch.setattr(runner_module, "RunRecorder", SmallRecorder)
    rec = prepare(load_scenario(SCENARIOS / "usdjpy_orders.yaml"), out_dir=tmp_path).execute()
    record = rec.record
    prices = record.prices["USDJPY"]
    tail = [t for t, _ in record.equity[len(record.equity) - len(prices) :]]
    assert [t for t, _ in prices] == tail


@pytest.mark.parametrize("name", ["demo", "usdjpy_orders"])
def test_report_sampling_note_states_the_clock_step(name):
    html = ran(name).html
    note = re.search(r'data-note="sampling">(.*?)</p>', html).group(1)
    assert "fixed UTC clock" in note and "every fill" in note
