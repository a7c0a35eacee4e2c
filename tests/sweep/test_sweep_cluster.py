"""The same grid on Dask: a local cluster of two worker processes, and a scheduler and a worker
started here as separate processes on 127.0.0.1. Every row (digest and figures) must equal the
in-process one, and the written files must be the same bytes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sweep_helpers import DEMO, GRID, sweep, sweep_json

from executioncore import sweep_exec

pytest.importorskip("distributed")
pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]
DASK = Path(sys.executable).with_name("dask")


def _same_files(a: Path, b: Path) -> None:
    for name in ("results.csv", "sweep.html"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_a_local_cluster_of_two_workers_gives_the_same_rows(local_sweep, tmp_path):
    rows, out = local_sweep
    code, cluster_rows, err = sweep_json(DEMO, *GRID, "--workers", 2, "--out", tmp_path)
    assert code == 0, err
    assert cluster_rows == rows
    _same_files(out, tmp_path)


def test_a_failing_point_on_the_cluster_is_a_row_not_a_crash(tmp_path):
    code, rows, err = sweep_json(
        DEMO, "--param", "strategy.params.fast=200,30", "--executor", "dask", "--workers", 1,
        "--out", tmp_path,
    )  # fmt: skip
    assert code == 1
    assert [r["status"] for r in rows] == ["failed", "ok"]
    assert "need 0 < fast < slow" in rows[0]["error"] and "Traceback" not in err


def _start(args: list[str], log: Path, cwd: Path) -> subprocess.Popen:
    with log.open("wb") as fh:
        return subprocess.Popen(
            args, stdout=fh, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True
        )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # why: its own session: it and nothing else
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _address(log: Path, proc: subprocess.Popen, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if "Scheduler at:" in line:
                return line.split("Scheduler at:")[1].strip()
        assert proc.poll() is None, log.read_text()
        time.sleep(0.05)
    raise AssertionError(f"the scheduler did not start:\n{log.read_text()}")


@pytest.mark.skipif(not DASK.exists(), reason="the dask command is not installed")
def test_a_separate_scheduler_and_worker_give_the_same_rows(local_sweep, tmp_path):
    rows, out = local_sweep
    elsewhere = tmp_path / "worker"  # why: the worker's folder is not the sweep's
    elsewhere.mkdir()
    scheduler = _start(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"],
        tmp_path / "scheduler.log",
        tmp_path,
    )
    worker = None
    try:
        address = _address(tmp_path / "scheduler.log", scheduler)
        assert address.startswith("tcp://127.0.0.1:")
        worker = _start(
            [str(DASK), "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
             "--host", "127.0.0.1", "--local-directory", str(elsewhere)],
            tmp_path / "worker.log",
            elsewhere,
        )  # fmt: skip
        code, remote_rows, err = sweep_json(
            DEMO, *GRID, "--scheduler", address, "--out", tmp_path / "out"
        )
        assert code == 0, err + (tmp_path / "worker.log").read_text()
        assert remote_rows == rows
        _same_files(out, tmp_path / "out")
    finally:
        for proc in (worker, scheduler):
            if proc is not None:
                _stop(proc)
    assert scheduler.poll() is not None and worker is not None and worker.poll() is not None


def test_an_unreachable_scheduler_exits_3(monkeypatch, tmp_path):
    monkeypatch.setattr(sweep_exec, "CONNECT_TIMEOUT_S", 1)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, err = sweep(
        DEMO, "--param", "seed=1", "--scheduler", f"tcp://127.0.0.1:{port}", "--out", tmp_path
    )
    assert code == 3 and out == ""
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in err
    assert "Traceback" not in err
