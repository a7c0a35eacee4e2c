"""``executioncore order submit|cancel|halt|resume|kill --url URL`` against a running dashboard:
the token from ``EXECUTIONCORE_TOKEN``, the server's JSON answer printed, exit 0 / 2 / 3."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from dash_helpers import TOKEN, FakeRunner, threaded_dashboard
from kernel_helpers import Harness

from executioncore.cli import main
from kernel.enums import TradingState

pytestmark = [pytest.mark.network, pytest.mark.timeout(30)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("EXECUTIONCORE_TOKEN", TOKEN)


def cli(capsys, *args):
    code = main(["order", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_halt_resume_and_kill(token, capsys):
    h = Harness()
    h.quote(10000, 10002)
    runner = FakeRunner(h.kernel)
    with threaded_dashboard(h, runner) as d:
        code, out, err = cli(capsys, "halt", "--url", d.url)
        assert code == 0 and err == ""
        assert json.loads(out)["trading_state"] == "HALTED"
        code, out, _ = cli(capsys, "resume", "--url", d.url.rstrip("/"), "--reason", "all clear")
        assert code == 0 and json.loads(out)["trading_state"] == "ACTIVE"
        code, out, _ = cli(capsys, "kill", "--url", d.url)
        assert code == 0 and json.loads(out)["action"] == "kill_switch"
        code, out, _ = cli(capsys, "cancel-all", "--url", d.url)
        assert code == 0
    assert [a for a, _ in runner.calls] == ["halt", "resume", "kill_switch", "cancel_all"]
    assert runner.calls[:3] == [
        ("halt", "CLI"),
        ("resume", "all clear"),
        ("kill_switch", "KILL_SWITCH:CLI"),
    ]
    assert h.kernel.risk.state == TradingState.HALTED
    assert TOKEN not in out


def test_submit_and_cancel(token, capsys):
    h = Harness()
    runner = FakeRunner(h.kernel)
    with threaded_dashboard(h, runner) as d:
        code, out, err = cli(
            capsys,
            "submit",
            "--url",
            d.url,
            "--symbol",
            "X",
            "--side",
            "buy",
            "--quantity",
            "12",
            "--type",
            "limit",
            "--limit-price",
            "99.95",
            "--tif",
            "day",
            "--id",
            "op-7",
        )
        assert code == 0, err
        answer = json.loads(out)
        assert answer["order"] == {
            "id": "op-7",
            "symbol": "X",
            "side": "buy",
            "quantity": 12,
            "type": "limit",
            "limit_price": 99.95,
            "time_in_force": "day",
        }
        coid = answer["orders"][0]["id"]
        h.accept(coid)  # why: the dashboard's loop is idle between requests
        code, out, _ = cli(capsys, "cancel", "op-7", "--url", d.url)
        assert code == 0 and json.loads(out)["id"] == coid
        code, out, err = cli(capsys, "cancel", "nope", "--url", d.url)
        assert code == 2 and "HTTP 404" in err and "unknown order" in json.loads(out)["error"]
    assert runner.calls[-1] == ("cancel", coid)


def test_a_bad_order_exits_2_with_the_servers_message(token, capsys):
    h = Harness()
    with threaded_dashboard(h) as d:
        base = ["submit", "--url", d.url, "--symbol", "X", "--side", "buy"]
        code, out, err = cli(capsys, *base, "--quantity", "0")
        assert code == 2
        assert json.loads(out)["error"] == "bad order: quantity: quantity must be positive, got 0"
        assert "error: HTTP 400: bad order: quantity" in err
        code, out, err = cli(capsys, *base, "--quantity", "ten")
        assert code == 2 and out == "" and "--quantity: expected a number, got 'ten'" in err
        code, _, err = cli(
            capsys, *base[:3], "--symbol", "NOPE", "--side", "buy", "--quantity", "1"
        )
        assert code == 2 and "unknown symbol 'NOPE'" in err
    assert h.kernel.oms.orders == {}


def test_a_wrong_token_exits_2(monkeypatch, capsys):
    monkeypatch.setenv("EXECUTIONCORE_TOKEN", "not-it")
    h = Harness()
    with threaded_dashboard(h) as d:
        code, _, err = cli(capsys, "halt", "--url", d.url)
    assert code == 2 and "refused the token in EXECUTIONCORE_TOKEN" in err
    assert h.kernel.risk.state == TradingState.ACTIVE


def test_no_token_exits_2_before_any_request(monkeypatch, capsys):
    monkeypatch.delenv("EXECUTIONCORE_TOKEN", raising=False)
    code, out, err = cli(capsys, "halt", "--url", "http://127.0.0.1:9")
    assert code == 2 and out == ""
    assert "set EXECUTIONCORE_TOKEN" in err


def test_an_unreachable_session_exits_3(token, capsys):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, err = cli(capsys, "halt", "--url", f"http://127.0.0.1:{port}")
    assert code == 3 and out == ""
    assert f"cannot reach the session at http://127.0.0.1:{port}" in err


def test_a_bad_url_exits_2(token, capsys):
    code, _, err = cli(capsys, "halt", "--url", "127.0.0.1:8080")
    assert code == 2 and "--url: expected http://HOST:PORT" in err


def test_the_installed_command_runs_it(capsys):
    h = Harness()
    with threaded_dashboard(h) as d:
        env = {**os.environ, "EXECUTIONCORE_TOKEN": TOKEN}
        out = subprocess.run(
            [sys.executable, "-m", "executioncore", "order", "state", "--url", d.url],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=20,
        )
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["positions"] == {"X": 0}
        out = subprocess.run(
            [sys.executable, "-m", "executioncore", "order", "halt", "--url", d.url],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=20,
        )
        assert out.returncode == 0, out.stderr
    assert h.kernel.risk.state == TradingState.HALTED
