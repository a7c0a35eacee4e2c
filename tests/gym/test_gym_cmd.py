"""``executioncore gym``: random-agent episodes of a scenario as an environment (the command's
module, wired into a parser of its own: ``executioncore.cli`` adds it with ``add_gym_parser``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from executioncore.gym_cmd import add_gym_parser, gym_cli
from executioncore.replay import replay

ROOT = Path(__file__).resolve().parents[2]
USDJPY = ROOT / "scenarios" / "usdjpy_twap.yaml"


def _run(argv: list[str], capsys) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    parser = argparse.ArgumentParser()
    add_gym_parser(parser.add_subparsers(dest="command"))
    code = gym_cli(parser.parse_args(["gym", *argv]))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_gym_cmd_json_episodes_are_seeded_and_replayable(tmp_path, capsys):
    argv = [str(USDJPY), "--episodes", "2", "--seed", "7", "--levels", "2", "--decision-quotes",
            "40", "--out", str(tmp_path), "--check", "--json"]  # fmt: skip
    code, out, _ = _run(argv, capsys)
    assert code == 0
    rows = json.loads(out)
    assert [r["seed"] for r in rows] == [7, 8]
    assert all(r["steps"] == 24 and r["end"] == "terminated" for r in rows)
    assert rows[0]["digest"] != rows[1]["digest"]
    again = json.loads(_run(argv, capsys)[1])
    assert [r["digest"] for r in again] == [r["digest"] for r in rows]
    # --check played episodes too: the two kept journals are the last two
    episodes = sorted(tmp_path.glob("episode-*"), key=lambda p: int(p.name.split("-")[1]))
    report = replay(episodes[-1] / "journal")
    assert report.ok and report.replayed_digest == rows[-1]["digest"]


def test_gym_cmd_table_and_bad_options(tmp_path, capsys):
    code, out, _ = _run([str(USDJPY), "--decision-every", "5m", "--max-steps", "3"], capsys)
    assert code == 0
    assert "truncated" in out and "digest" in out.splitlines()[0]
    code, _, err = _run([str(USDJPY), "--levels", "0"], capsys)
    assert code == 2 and "levels" in err
    code, _, err = _run([str(USDJPY), "--decision-every", "soon"], capsys)
    assert code == 2 and "--decision-every" in err
