"""The command line as a user meets it: exit codes, messages naming the problem, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from executioncore.cli import main

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "scenarios" / "data"

QUOTES = "ts,bid,ask\n2024-01-02T10:00:00Z,100.00,100.02\n2024-01-02T10:00:01Z,100.01,100.03\n2024-01-02T10:00:02Z,100.00,100.02\n"


def scenario(tmp_path: Path, **changes) -> Path:
    (tmp_path / "q.csv").write_text(changes.pop("csv", QUOTES))
    doc = {
        "name": "t",
        "seed": 1,
        "account": {"currency": "USD", "cash": 1000},
        "instruments": [{"symbol": "X", "tick_size": 0.01, "lot_size": 1}],
        "data": [{"kind": "quotes", "symbol": "X", "path": "q.csv"}],
        "orders": [
            {"at": "+1s", "id": "a", "symbol": "X", "side": "buy", "quantity": 1, "type": "market"}
        ],
    }
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_run_ok_writes_the_run_folder_and_exit_0(tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", scenario(tmp_path), "--out", tmp_path / "run", "--json")
    assert code == 0, err
    summary = json.loads(out)  # --json: the summary JSON is the only thing on stdout
    assert summary["fills"] == 1 and summary["positions"] == {"X": 1}
    for name in ("journal", "summary.json", "report.html"):
        assert (tmp_path / "run" / name).is_file()
    assert (
        json.loads((tmp_path / "run" / "summary.json").read_text())["digest"] == summary["digest"]
    )


def test_cli_failed_expectation_exits_1_and_lists_it(tmp_path, capsys):
    path = scenario(tmp_path, expect={"fills": {"min": 5}, "positions": {"X": 0}})
    code, out, _ = run_cli(capsys, "run", path, "--out", tmp_path / "run", "--json")
    assert code == 1
    failures = json.loads(out)["expectations"]["failures"]
    assert failures == ["fills: 1 is below the minimum 5", "positions.X: expected 0, got 1"]


BAD = [
    ("missing file", lambda p: p / "nope.yaml", "nope.yaml: no such file"),
    ("bad yaml", lambda p: _write(p, "name: [unclosed\n"), "not valid YAML"),
    ("unknown key", lambda p: scenario(p, bogus=1), "bogus: unknown key"),
    (
        "unknown symbol in data",
        lambda p: scenario(p, data=[{"kind": "quotes", "symbol": "Y", "path": "q.csv"}]),
        "data[0].symbol: unknown symbol 'Y'",
    ),
    (
        "unknown symbol in order",
        lambda p: scenario(
            p, orders=[{"at": "+1s", "id": "a", "symbol": "Y", "side": "buy", "quantity": 1}]
        ),
        "orders[0].symbol: unknown symbol 'Y'",
    ),
    (
        "off-tick order",
        lambda p: scenario(
            p,
            orders=[
                {
                    "at": "+1s",
                    "id": "a",
                    "symbol": "X",
                    "side": "buy",
                    "quantity": 1,
                    "type": "limit",
                    "limit_price": 100.005,
                }
            ],
        ),
        "orders[0].limit_price",
    ),
    (
        "off-lot quantity",
        lambda p: scenario(
            p, orders=[{"at": "+1s", "id": "a", "symbol": "X", "side": "buy", "quantity": 1.5}]
        ),
        "orders[0].quantity",
    ),
    (
        "missing limit price",
        lambda p: scenario(
            p,
            orders=[
                {
                    "at": "+1s",
                    "id": "a",
                    "symbol": "X",
                    "side": "buy",
                    "quantity": 1,
                    "type": "limit",
                }
            ],
        ),
        "needs a limit price",
    ),
    (
        "gtd without expiry",
        lambda p: scenario(
            p,
            orders=[
                {
                    "at": "+1s",
                    "id": "a",
                    "symbol": "X",
                    "side": "buy",
                    "quantity": 1,
                    "type": "limit",
                    "limit_price": 99,
                    "time_in_force": "gtd",
                }
            ],
        ),
        "expire_at",
    ),
    ("wrong type", lambda p: scenario(p, seed="seven"), "seed: expected a whole number"),
    (
        "negative risk limit",
        lambda p: scenario(p, risk={"max_order_value": -5}),
        "risk.max_order_value: must not be negative",
    ),
    (
        "at before the data",
        lambda p: scenario(
            p,
            orders=[
                {
                    "at": "2020-01-01T00:00:00Z",
                    "id": "a",
                    "symbol": "X",
                    "side": "buy",
                    "quantity": 1,
                }
            ],
        ),
        "orders[0].at: 2020-01-01T00:00:00Z is before the data starts",
    ),
    (
        "bad at",
        lambda p: scenario(
            p, orders=[{"at": "soon", "id": "a", "symbol": "X", "side": "buy", "quantity": 1}]
        ),
        "orders[0].at: expected a time",
    ),
    (
        "cancel of unknown id",
        lambda p: scenario(p, orders=[{"at": "+1s", "cancel": "zz"}]),
        "orders[0].cancel: unknown order id 'zz'",
    ),
    (
        "bad timestamp in data",
        lambda p: scenario(p, csv="ts,bid,ask\nyesterday,1.00,1.01\n"),
        "q.csv line 2",
    ),
    (
        "crossed quote in data",
        lambda p: scenario(p, csv=_with_row("100.05,100.02")),
        "q.csv line 3: crossed quote",
    ),
    (
        "off-tick price in data",
        lambda p: scenario(p, csv=_with_row("100.005,100.02")),
        "q.csv line 3",
    ),
    (
        "missing data file",
        lambda p: scenario(p, data=[{"kind": "quotes", "symbol": "X", "path": "gone.csv"}]),
        "data[0].path: no such file",
    ),
    (
        "unknown strategy",
        lambda p: scenario(p, strategy={"class": "no.such.module:Nope"}),
        "strategy.class: cannot import 'no.such.module'",
    ),
    (
        "bad strategy path",
        lambda p: scenario(p, strategy={"class": "nocolon"}),
        "strategy.class: expected 'package.module:ClassName'",
    ),
    (
        "bad bar interval",
        lambda p: scenario(p, data=[{"kind": "bars", "symbol": "X", "path": "q.csv"}]),
        "interval",
    ),
    (
        "order for symbol without data",
        lambda p: scenario(
            p,
            instruments=[
                {"symbol": "X", "tick_size": 0.01, "lot_size": 1},
                {"symbol": "Z", "tick_size": 0.01, "lot_size": 1},
            ],
            orders=[{"at": "+1s", "id": "a", "symbol": "Z", "side": "buy", "quantity": 1}],
        ),
        "orders[0].symbol: no data for 'Z'",
    ),
]


def _with_row(prices: str) -> str:
    """Three rows two seconds apart, the middle one given."""
    return (
        "ts,bid,ask\n2024-01-02T10:00:00Z,100.00,100.02\n"
        f"2024-01-02T10:00:01Z,{prices}\n2024-01-02T10:00:02Z,100.00,100.02\n"
    )


def _write(p: Path, text: str) -> Path:
    path = p / "s.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("case", "make", "message"), BAD, ids=[b[0] for b in BAD])
def test_cli_bad_input_exits_2_with_a_message_naming_the_problem(
    tmp_path, capsys, case, make, message
):
    code, out, err = run_cli(capsys, "run", make(tmp_path), "--out", tmp_path / "run", "--json")
    assert code == 2, (case, out, err)
    assert message in err, err
    assert "Traceback" not in err and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1


def test_cli_replay_of_a_run_exits_0_and_reports(tmp_path, capsys):
    run_cli(capsys, "run", scenario(tmp_path), "--out", tmp_path / "run", "--json")
    code, out, _ = run_cli(capsys, "replay", tmp_path / "run")
    assert code == 0 and "reproduced exactly" in out
    code, out, _ = run_cli(capsys, "replay", tmp_path / "run" / "journal", "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_cli_replay_of_an_edited_journal_exits_1(tmp_path, capsys):
    import sqlite3

    run_cli(capsys, "run", scenario(tmp_path), "--out", tmp_path / "run", "--json")
    conn = sqlite3.connect(tmp_path / "run" / "journal")
    (body,) = conn.execute("SELECT body FROM blocks WHERE idx = 0").fetchone()
    body = bytearray(body)
    body[-3] ^= 0x01
    conn.execute("UPDATE blocks SET body = ? WHERE idx = 0", (bytes(body),))
    conn.commit()
    conn.close()
    code, out, _ = run_cli(capsys, "replay", tmp_path / "run")
    assert code == 1 and "DIVERGED" in out and "altered" in out


def test_cli_replay_of_a_journal_with_full_submit_records_still_reproduces(tmp_path, capsys):
    # a journal written before the plain submit form: every submit in the full form
    from executioncore.store import SqliteStore
    from kernel.codec import TAG_SUBMIT, TAG_SUBMIT_PLAIN, expand
    from kernel.journal import Journal, read_records

    run_cli(capsys, "run", scenario(tmp_path), "--out", tmp_path / "run", "--json")
    path = tmp_path / "run" / "journal"
    old = SqliteStore.open(path)
    meta, records = old.meta(), list(read_records(old.blocks()))
    old.close()
    assert any(r[1] == TAG_SUBMIT_PLAIN for r in records)
    full = [expand(r) for r in records]
    assert not any(r[1] == TAG_SUBMIT_PLAIN for r in full)
    assert any(r[1] == TAG_SUBMIT for r in full)
    journal = Journal(SqliteStore.create(path, meta))
    for r in full:
        journal.append(r)
    journal.close()
    code, out, _ = run_cli(capsys, "replay", tmp_path / "run")
    assert code == 0 and "reproduced exactly" in out, out


def test_cli_replay_of_a_missing_path_exits_2(tmp_path, capsys):
    code, _, err = run_cli(capsys, "replay", tmp_path / "nothing")
    assert code == 2 and "no such run folder or journal" in err


def test_cli_console_script_and_module_agree_on_exit_codes(tmp_path):
    exe = Path(sys.executable).with_name("executioncore")
    bad = subprocess.run(
        [str(exe), "run", str(tmp_path / "missing.yaml")], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "no such file" in bad.stderr and "Traceback" not in bad.stderr
    mod = subprocess.run(
        [sys.executable, "-m", "executioncore", "--version"], capture_output=True, text=True
    )
    assert mod.returncode == 0 and mod.stdout.startswith("executioncore ")


def test_cli_without_a_command_prints_help_and_exits_2(capsys):
    code, out, _ = run_cli(capsys)
    assert code == 2 and "demo" in out and "replay" in out
