"""Where a sweep's points run: in this process, on a local Dask cluster, or on a running one.

Every executor runs the same ``sweep_task.run_point`` on the same arguments, so the rows (and
their digests) are equal whichever ran them; only the order they finish in differs, and the
sweep sorts them by index. A point that fails is a row with its error (``run_point`` never
raises); a task the cluster itself lost (its worker died twice, the scheduler went away)
becomes such a row too.

The local cluster is quiet and quick to start: worker processes (one thread each, so a
strategy's state is never shared between two runs at once), no dashboards, logs only at ERROR,
and a task whose worker dies is retried once, not three times.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from executioncore.sweep_task import failed_row, run_point

Point = tuple[int, dict[str, Any], dict[str, Any]]  # index, params, shown
OnDone = Callable[[dict[str, Any]], None]
CONNECT_TIMEOUT_S = 10
WORKERS_TIMEOUT_S = 30


class ClusterUnavailable(RuntimeError):
    """Dask is not installed, or the scheduler cannot be reached: the sweep cannot go on."""

    exit_code = 3


class Bar:
    """``[#####.....] 4/9 runs  1 failed  2.1 s`` on one terminal line (at most 10 redraws/s)."""

    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self.total, self.stream = total, stream
        self.done_count = self.failed = 0
        self.t0 = time.perf_counter()
        self.last = 0.0

    def __call__(self, row: dict[str, Any]) -> None:
        self.done_count += 1
        self.failed += row.get("status") != "ok"
        now = time.perf_counter()
        if now - self.last < 0.1 and self.done_count < self.total:
            return
        self.last = now
        frac = self.done_count / max(self.total, 1)
        bar = "#" * int(frac * 30)
        failed = f"  {self.failed} failed" if self.failed else ""
        self.stream.write(
            f"\r[{bar:<30}] {self.done_count}/{self.total} runs{failed}  {now - self.t0:.1f} s "
        )
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r" + " " * 78 + "\r")
        self.stream.flush()


def run_local(
    raw: dict[str, Any], path: str, points: list[Point], on_done: OnDone, cwd: str
) -> list[dict[str, Any]]:
    """Run every point here, one after the other."""
    rows = []
    for index, params, shown in points:
        row = run_point(raw, path, index, params, shown, cwd)
        on_done(row)
        rows.append(row)
    return rows


def run_dask(
    client: Any, raw: dict[str, Any], path: str, points: list[Point], on_done: OnDone, cwd: str
) -> list[dict[str, Any]]:
    """Run every point on ``client``'s cluster; a row per point, in finishing order."""
    from distributed import as_completed

    token = os.urandom(4).hex()  # why: two sweeps on one cluster must not share task keys
    futures = {}
    for index, params, shown in points:
        future = client.submit(
            run_point,
            raw,
            path,
            index,
            params,
            shown,
            cwd,
            key=f"sweep-{token}-{index}",
            pure=False,
        )
        futures[future] = (index, shown)
    rows = []
    for future in as_completed(list(futures)):
        index, shown = futures[future]
        try:
            row = future.result()
        except (Exception, _cancelled()) as exc:
            row = failed_row(
                index, shown, f"the cluster lost the task: {type(exc).__name__}: {exc}"
            )
        on_done(row)
        rows.append(row)
    return rows


def _cancelled() -> type[BaseException]:
    import asyncio

    return asyncio.CancelledError


def _dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterUnavailable(
            "sweep: running on Dask needs the 'sweep' extra: pip install 'executioncore[sweep]' "
            "(or --workers 1 to run every point in this process)"
        ) from None
    return distributed


@contextlib.contextmanager
def local_cluster(workers: int) -> Iterator[Any]:
    """A ``Client`` on a fresh local cluster of ``workers`` processes, closed afterwards."""
    import dask

    distributed = _dask()
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        _quiet_logs(),
        distributed.LocalCluster(
            n_workers=workers,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@contextlib.contextmanager
def remote_cluster(address: str) -> Iterator[Any]:
    """A ``Client`` on the running scheduler at ``address`` with at least one worker."""
    distributed = _dask()
    with _quiet_logs():
        try:
            client = distributed.Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterUnavailable(
                f"sweep: cannot reach the Dask scheduler at {address}: {exc}"
            ) from None
        try:
            try:
                client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
            except (OSError, TimeoutError) as exc:
                raise ClusterUnavailable(
                    f"sweep: no Dask worker joined the scheduler at {address} within "
                    f"{WORKERS_TIMEOUT_S} s ({type(exc).__name__})"
                ) from None
            yield client
        finally:
            client.close()


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """Only errors from Dask's loggers while the sweep runs (its INFO and WARNING chatter about
    connections and shutdowns is not the user's business)."""
    loggers = [logging.getLogger(n) for n in ("distributed", "tornado", "asyncio")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
