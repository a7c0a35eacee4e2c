"""Every bundled scenario: runs, passes its expectations, matches its golden digest, gives the
same digest twice and under another PYTHONHASHSEED, replays without divergence, and a journal
edited by hand is caught."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from executioncore.replay import replay
from executioncore.runner import prepare
from executioncore.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
GOLDEN = json.loads((Path(__file__).with_name("golden_digests.json")).read_text())
NAMES = sorted(GOLDEN)


def run(name: str, out: Path):
    return prepare(load_scenario(SCENARIOS / f"{name}.yaml"), out_dir=out).execute()


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    base = tmp_path_factory.mktemp("bundled")
    return {name: run(name, base / name) for name in NAMES}


def test_bundled_scenarios_are_all_listed_in_the_golden_file():
    on_disk = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
    assert on_disk == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_bundled_scenario_passes_its_expectations(results, name):
    summary = results[name].summary
    assert summary["expectations"] == {"passed": True, "failures": []}
    assert results[name].exit_code == 0


@pytest.mark.parametrize("name", NAMES)
def test_bundled_scenario_digest_equals_golden(results, name):
    assert results[name].summary["digest"] == GOLDEN[name]


@pytest.mark.parametrize("name", NAMES)
def test_bundled_scenario_same_digest_when_run_twice(results, tmp_path, name):
    assert run(name, tmp_path / "again").summary["digest"] == results[name].summary["digest"]


@pytest.mark.parametrize("name", NAMES)
def test_bundled_scenario_same_digest_in_subprocess_with_other_hashseed(results, tmp_path, name):
    code = (
        "import sys; from executioncore.runner import prepare; "
        "from executioncore.scenario import load_scenario; "
        f"r = prepare(load_scenario({str(SCENARIOS / (name + '.yaml'))!r}), out_dir={str(tmp_path)!r}).execute(); "
        "print(r.summary['digest'])"
    )
    env = {"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == results[name].summary["digest"]


@pytest.mark.parametrize("name", NAMES)
def test_bundled_scenario_replay_reports_no_divergence(results, name):
    report = replay(results[name].run_dir)
    assert report.ok, report.as_dict()
    assert report.replayed_digest == results[name].summary["digest"]
    assert report.records > 2


def _flip_a_byte(journal: Path, block: int = 0) -> None:
    conn = sqlite3.connect(journal)
    (body,) = conn.execute("SELECT body FROM blocks WHERE idx = ?", (block,)).fetchone()
    body = bytearray(body)
    body[len(body) // 2] ^= 0x01
    conn.execute("UPDATE blocks SET body = ? WHERE idx = ?", (bytes(body), block))
    conn.commit()
    conn.close()


def test_edited_journal_is_caught(tmp_path):
    result = run("usdjpy_orders", tmp_path / "edit")
    _flip_a_byte(result.run_dir / "journal")
    report = replay(result.run_dir)
    assert not report.ok
    assert report.error is not None and "altered" in report.error


def test_replay_with_a_changed_strategy_diverges(tmp_path, monkeypatch):
    result = run("btcusdt_book_mm", tmp_path / "mm")
    from executioncore.strategies import market_maker

    monkeypatch.setattr(market_maker.BookMarketMaker, "on_start", lambda self: _wider(self))
    report = replay(result.run_dir)
    assert report.divergence is not None
    assert (
        "SubmitOrder" in report.divergence["expected"] and "SubmitOrder" in report.divergence["got"]
    )


def _wider(self):
    inst = self.ctx.instrument(self.symbol)
    self._lots = inst.qty_to_lots(self.quantity) * 2
    self._cap = self._lots * 10


def test_digest_does_not_depend_on_where_the_project_lives(results, tmp_path):
    """A fresh clone elsewhere must give the golden digest: no path enters the digest."""
    import shutil

    moved = tmp_path / "elsewhere" / "scenarios"
    shutil.copytree(SCENARIOS, moved)
    for name in ("demo", "usdjpy_orders"):
        result = prepare(load_scenario(moved / f"{name}.yaml"), out_dir=tmp_path / name).execute()
        assert result.summary["digest"] == results[name].summary["digest"]
        assert replay(result.run_dir).ok


def _records(run_dir: Path) -> list:
    from executioncore.replay import open_journal
    from kernel.codec import expand
    from kernel.journal import read_records

    store = open_journal(run_dir)
    try:
        return [expand(tuple(r)) for r in read_records(store.blocks())]
    finally:
        store.close()


def test_data_marks_are_left_out_only_after_an_order_command_and_both_forms_replay(
    results, tmp_path, monkeypatch
):
    """The driver leaves out a data-position mark when the kernel's last order command came on
    the latest data event (a replay already stands there). A journal with every mark (as the
    driver wrote them before) holds the same other records and replays too."""
    from kernel.codec import OUT, TAG_MDPOS
    from sim.driver import Driver

    with monkeypatch.context() as m:
        real_init = Driver.__init__

        def init_without_command_notes(self, *args, **kwargs):
            real_init(self, *args, **kwargs)
            for b in self.brokers:
                b.md_stats = None  # the venues never note a command: every mark is written

        m.setattr(Driver, "__init__", init_without_command_notes)
        every = run("demo", tmp_path / "every-mark")
    assert replay(every.run_dir).ok
    new, old = _records(results["demo"].run_dir), _records(every.run_dir)
    assert [r for r in new if r[1] != TAG_MDPOS] == [r for r in old if r[1] != TAG_MDPOS]
    new_marks = sum(r[1] == TAG_MDPOS for r in new)
    old_marks = sum(r[1] == TAG_MDPOS for r in old)
    assert 0 < new_marks < old_marks
    dropped_after = []
    j = 0
    for i, rec in enumerate(old):
        if j < len(new) and new[j] == rec:
            j += 1
        else:
            assert rec[1] == TAG_MDPOS, rec
            dropped_after.append(old[i - 1])
    assert j == len(new) and len(dropped_after) == old_marks - new_marks
    assert all(prev[0] == OUT for prev in dropped_after), dropped_after[:3]
    assert every.summary["digest"] != results["demo"].summary["digest"]


def test_the_driver_and_the_kernel_count_the_same_data_events(tmp_path, monkeypatch):
    """Leaving a mark out compares the driver's count of delivered data events with the
    kernel's; the two must agree on every kind of data, outages and several venues included."""
    import sim.driver as sd

    counts = []
    real_run = sd.Driver.run

    def run_and_count(self, *args, **kwargs):
        out = real_run(self, *args, **kwargs)
        counts.append((self.md_done, self.kernel.stats.md_events))
        return out

    monkeypatch.setattr(sd.Driver, "run", run_and_count)
    for name in NAMES:
        run(name, tmp_path / name)
    assert len(counts) == len(NAMES)
    assert all(done == seen > 0 for done, seen in counts), counts
