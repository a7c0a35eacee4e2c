"""Live signals end to end: a paper session (``type: sim`` broker) whose ``signals:`` file is
followed as it grows, and the dashboard's ``POST /api/signals``; every row reaches the kernel as
a journaled input, so the session's journal replays exactly."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from executioncore.live_cmd import live_command
from executioncore.replay import replay

pytestmark = [pytest.mark.network, pytest.mark.timeout(90)]
TOKEN = "signals-test-token-7f3a"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_session(tmp: Path, port: int) -> tuple[Path, Path]:
    rows = ["ts,bid,ask"]
    for i in range(600):
        bid = 10000 + (i * 7) % 11 - 5
        rows.append(f"2024-01-02T10:{i // 600:02d}:{(i // 10) % 60:02d}.{i % 10}00Z,"
                    f"{bid / 100:.2f},{(bid + 2) / 100:.2f}")  # fmt: skip
    (tmp / "q.csv").write_text("\n".join(rows) + "\n")
    signals = tmp / "signals.csv"
    signals.write_text("ts,symbol,value\n2024-01-02T10:00:00Z,X,3\n2024-01-02T10:00:01Z,X,5\n")
    cfg = {
        "name": "signals-live",
        "seed": 1,
        "account": {"currency": "USD", "cash": 100_000},
        "instruments": [{"symbol": "X", "tick_size": 0.01, "lot_size": 1}],
        "brokers": {"paper": {"type": "sim", "speed": 1,
                              "data": {"kind": "quotes", "symbol": "X", "path": "q.csv"}}},
        "signals": {"path": "signals.csv", "kind": "target_position"},
        "monitoring": {"dashboard": {"port": port, "token": "${EC_SIGNAL_TOKEN}"}},
    }  # fmt: skip
    path = tmp / "executioncore.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path, signals


def post(url: str, body: object) -> dict:
    req = urllib.request.Request(
        url, json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())  # type: ignore[no-any-return]


def state(url: str) -> dict:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())  # type: ignore[no-any-return]


def wait_position(url: str, want: int, within: float = 8.0) -> int:
    deadline = time.monotonic() + within
    got = None
    while time.monotonic() < deadline:
        got = state(url + "api/state")["positions"].get("X")
        if got == want:
            return want
        time.sleep(0.1)
    raise AssertionError(f"position {got}, expected {want}")


def test_a_followed_file_and_api_signals_move_the_position_and_replay(tmp_path, monkeypatch):
    monkeypatch.setenv("EC_SIGNAL_TOKEN", TOKEN)
    port = free_port()
    cfg, signals = write_session(tmp_path, port)
    url = f"http://127.0.0.1:{port}/"
    out: dict = {}
    thread = threading.Thread(
        target=lambda: out.setdefault("r", live_command(cfg, None, "9s", False, tmp_path / "run", True)),
        daemon=True,
    )  # fmt: skip
    thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            state(url + "api/state")
            break
        except OSError:
            time.sleep(0.1)
    # at the start: the file's last row (the current target), not every row in turn
    assert wait_position(url, 5) == 5
    with signals.open("a") as f:  # the file grows: its new row is followed
        f.write("2024-01-02T10:00:05Z,X,12\n")
    assert wait_position(url, 12) == 12
    assert post(url + "api/signals", [{"symbol": "X", "value": "-4"}])["ok"] is True
    assert wait_position(url, -4) == -4
    with pytest.raises(urllib.error.HTTPError) as bad:
        post(url + "api/signals", [{"symbol": "NOPE", "value": "1"}])
    assert bad.value.code == 400
    thread.join(30)
    result = out["r"]
    assert result.summary["positions"] == {"X": -4}
    report = replay(tmp_path / "run")
    assert report.ok, report.as_dict()
