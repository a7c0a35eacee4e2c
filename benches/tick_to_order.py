"""Live tick-to-order latency over loopback against the local Alpaca venue.

The time from a quote arriving on the market-data websocket (the frame handed to our adapter's
stream client) to the order it causes being written to the socket (the ``POST /v2/orders``
request, headers and body, handed to the transport by aiohttp), in this process, with
``time.perf_counter_ns``. Target (issue "Performance, round two"): p99 under 1 ms of our own time.

    python benches/tick_to_order.py [--seconds 20] [--step-ms 2] [--every 5] [--warmup 1]
                                    [--json] [--out DIR]

What runs: ``executioncore venue alpaca`` in its own process on a free 127.0.0.1 port, replaying
``scenarios/data/truefx_usdjpy-ticks.csv`` in a loop, one quote every ``--step-ms`` ms (500 a
second by default); the real live session (``executioncore.live_cmd``: the Alpaca adapter, the
runner, the kernel with its journal on disk, the risk guard) in this process, for ``--seconds``,
with ``TickToOrder``: on every ``--every``-th quote it sends a 1-lot limit order far from the
market (alternately a buy under the bid and a sell over the ask), and cancels it
``--every // 2`` quotes later, so every measured order is caused by exactly one quote.

How it is measured, with nothing added to the adapter (an unmeasured session runs exactly the
code it always runs; ``measure(instrument=False)`` is that session):
- quote received: the data stream client's frame decoder, wrapped on the adapter's own
  ``StreamClient`` instance once ``start()`` made it (stamped before the MessagePack decode);
- handed to the kernel: the adapter's ``emit`` (the runner's queue), wrapped when the runner
  binds it; quotes are matched to their stamps by object (the kernel hands the strategy the
  very object the adapter emitted);
- strategy: on entry of ``on_quote``; submit called: the kernel calling ``adapter.submit``
  (wrapped on the instance), synchronously inside ``ctx.limit``;
- the request: aiohttp's own tracing (``TraceConfig``) on a session handed to ``AlpacaHttp``
  through its ``session`` argument (the documented injection point): ``on_request_start``,
  ``on_request_headers_sent`` (aiohttp 3.14 fires it when the headers are serialized into a
  buffer, before any write) and ``on_request_chunk_sent`` for the body, fired just before
  aiohttp writes headers and body in one ``transport.write``: that is "written". The body
  carries the ``client_order_id``, which matches the request to its order.

Stages reported (microseconds, p50 / p90 / p99 / max over the orders sent after the warm-up):
``adapter in`` (frame received -> quote handed to the kernel's queue: decode, parse),
``queue -> strategy`` (the runner waking up, clock stamp, kernel dispatch), ``strategy ->
submit`` (strategy logic, order, risk checks, OMS, journal record), ``kernel+strategy`` (the sum
of the last two), ``submit -> request start`` (the journal commit before the runner yields, the
adapter's task getting the loop, the body; the commit alone is timed around ``Journal.flush``),
``request start -> written`` (aiohttp), ``adapter+aiohttp`` (submit -> written), ``total``.

Caveats: the websockets library's own read of the frame (socket to its message queue) comes
before "received" and is not counted; the wrappers and aiohttp's trace signals cost a few
microseconds that are counted; the venue runs on the same machine (with a core of its own the
numbers are steadiest: on a busy machine the tail shows the scheduler as much as our code).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv"
SYMBOL = "USDJPY"
KEY, SECRET = "fake-key-id", "fake-secret-key"  # the local venue's defaults
TARGET_P99_US = 1000.0

perf_ns = time.perf_counter_ns

from kernel.enums import OrderStatus, Side, TradingState  # noqa: E402
from kernel.events import OrderDenied, QuoteTick  # noqa: E402
from kernel.strategy import Strategy  # noqa: E402


# --- the measuring strategy ----------------------------------------------------------------------
class TickToOrder(Strategy):
    """Every ``every``-th quote: one 1-lot limit order ``offset_ticks`` away from the touch (a
    buy under the bid, then a sell over the ask, and so on); ``every // 2`` quotes later its
    cancel. No order is sent while the previous one is still open or once the session is
    stopping (the kernel HALTED for the shutdown): counted in ``skipped``."""

    strategy_id = "t2o"

    def __init__(
        self, symbol: str = SYMBOL, every: int = 5, offset_ticks: int = 2000, probe: Any = None
    ) -> None:
        super().__init__()
        self.symbol = symbol
        self.symbols = (symbol,)
        self.every = max(int(every), 2)
        self.offset_ticks = int(offset_ticks)
        self.probe: Probe | None = probe
        self.n = 0
        self.sent = 0
        self.skipped = 0
        self.denied = 0
        self.denied_reasons: dict[str, int] = {}
        self.side = Side.BUY

    def on_order_event(self, event: Any) -> None:
        if isinstance(event, OrderDenied):
            reason = str(event.reason)
            self.denied_reasons[reason] = self.denied_reasons.get(reason, 0) + 1

    def on_quote(self, quote: QuoteTick) -> None:
        t_strategy = perf_ns()
        probe = self.probe
        stamps = probe.quotes.pop(id(quote), None) if probe is not None else None
        self.n += 1
        phase = self.n % self.every
        ctx = self.ctx
        if phase == 0:
            if ctx.open_orders(self.symbol) or ctx.trading_state != TradingState.ACTIVE:
                self.skipped += 1  # the last one still open, or the session stopping
                return
            if self.side == Side.BUY:
                price = quote.bid_ticks - self.offset_ticks
            else:
                price = quote.ask_ticks + self.offset_ticks
            order = ctx.limit(self.symbol, self.side, 1, price)
            self.side = Side.SELL if self.side == Side.BUY else Side.BUY
            if order.status == OrderStatus.DENIED:
                self.denied += 1
                return
            self.sent += 1
            if stamps is not None:
                probe.caused[order.client_order_id] = (stamps[1], stamps[2], t_strategy)  # type: ignore[union-attr]
        elif phase == self.every // 2:
            for order in ctx.open_orders(self.symbol):
                ctx.cancel(order)


# --- the probe: wrappers on one adapter instance and aiohttp tracing -------------------------------
@dataclass
class Probe:
    """Stamps (``perf_counter_ns``) of one session. ``install(adapter)`` wraps the instance
    (never the class) and gives its REST client a traced session of its own."""

    frame_ns: int = 0  # when the last data frame reached the adapter's stream client
    quotes: dict[int, tuple[Any, int, int]] = field(default_factory=dict)  # id -> (q, frame, emit)
    caused: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # coid -> stamps
    submit_ns: dict[str, int] = field(default_factory=dict)  # coid -> adapter.submit called
    requests: list[tuple[int, int, int, bytes]] = field(default_factory=list)
    flushes: list[tuple[int, int]] = field(default_factory=list)  # journal commits (start, end)
    quotes_seen: int = 0
    quotes_sharing_a_frame: int = 0
    first_quote_ns: int | None = None
    _last_frame: int = 0
    _sessions: list[Any] = field(default_factory=list)

    def install(self, adapter: Any) -> None:
        import aiohttp

        from live.adapters.alpaca.http import AlpacaHttp

        probe = self
        orig_bind, orig_start, orig_submit = adapter.bind, adapter.start, adapter.submit

        def bind(emit: Any, view: Any) -> None:
            async def stamped_emit(event: Any) -> None:
                if type(event) is QuoteTick:
                    now = perf_ns()
                    frame = probe.frame_ns
                    probe.quotes[id(event)] = (event, frame, now)
                    probe.quotes_seen += 1
                    if probe.first_quote_ns is None:
                        probe.first_quote_ns = frame or now
                    if frame == probe._last_frame:
                        probe.quotes_sharing_a_frame += 1
                    probe._last_frame = frame
                await emit(event)

            orig_bind(stamped_emit, view)

        async def start() -> None:
            await orig_start()
            # why: ``start`` made the data stream client and spawned its task without yielding:
            # the wrapper is in place before the first frame is read
            data = adapter.data
            if data is not None:
                decode = data._decode

                def stamped_decode(raw: Any) -> Any:
                    probe.frame_ns = perf_ns()
                    return decode(raw)

                data._decode = stamped_decode

        def submit(cmd: Any) -> None:
            probe.submit_ns[cmd.order.client_order_id] = perf_ns()
            orig_submit(cmd)

        adapter.bind, adapter.start, adapter.submit = bind, start, submit

        async def on_start(_s: Any, ctx: Any, params: Any) -> None:
            if params.method == "POST":
                ctx.t_start = perf_ns()

        async def on_headers(_s: Any, ctx: Any, params: Any) -> None:
            if params.method == "POST":
                ctx.t_headers = perf_ns()

        async def on_chunk(_s: Any, ctx: Any, params: Any) -> None:
            t = perf_ns()
            if params.method == "POST" and not hasattr(ctx, "t_written"):
                ctx.t_written = t
                probe.requests.append(
                    (
                        getattr(ctx, "t_start", t),
                        getattr(ctx, "t_headers", t),
                        t,
                        bytes(params.chunk),
                    )
                )

        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(on_start)
        trace.on_request_headers_sent.append(on_headers)
        trace.on_request_chunk_sent.append(on_chunk)
        # the same session AlpacaHttp.open() makes for itself, plus the trace
        session = aiohttp.ClientSession(headers=adapter.cfg.headers(), trace_configs=[trace])
        self._sessions.append(session)
        adapter.http = AlpacaHttp(adapter.cfg, adapter.http.rng, session)

    def timed_flush(self, flush: Any) -> Any:
        """``Journal.flush`` timed (the runner's write-ahead commit before it yields)."""
        flushes = self.flushes

        def timed(journal: Any) -> None:
            t0 = perf_ns()
            flush(journal)
            flushes.append((t0, perf_ns()))

        return timed

    async def close(self) -> None:
        for s in self._sessions:
            await s.close()
        self._sessions.clear()

    def samples(self, warmup_s: float) -> tuple[list[dict[str, int]], dict[str, int]]:
        """One row of stamps per order caused by a quote after the warm-up."""
        written: dict[str, tuple[int, int, int]] = {}
        for t_start, t_headers, t_written, body in self.requests:
            try:
                coid = json.loads(body).get("client_order_id")
            except ValueError:
                continue
            if coid and coid not in written:  # the first attempt (a 429 retry sends it again)
                written[coid] = (t_start, t_headers, t_written)
        since = (self.first_quote_ns or 0) + int(warmup_s * 1e9)
        rows, counts = [], {"warmup_dropped": 0, "unmatched": 0}
        for coid, (frame, emit, strategy) in self.caused.items():
            sub, req = self.submit_ns.get(coid), written.get(coid)
            if sub is None or req is None or not frame:
                counts["unmatched"] += 1
                continue
            if frame < since:
                counts["warmup_dropped"] += 1
                continue
            t_start, t_headers, t_written = req
            # the journal commit between submit and the request (none: 0)
            i = bisect.bisect_left(self.flushes, (sub, 0))
            commit = 0
            if i < len(self.flushes) and self.flushes[i][1] <= t_start:
                commit = self.flushes[i][1] - self.flushes[i][0]
            rows.append(
                dict(
                    frame=frame,
                    emit=emit,
                    strategy=strategy,
                    submit=sub,
                    start=t_start,
                    headers=t_headers,
                    written=t_written,
                    commit0=0,
                    commit=commit,
                    switch0=commit,
                    switch=t_start - sub,
                )
            )
        return rows, counts


STAGES: list[tuple[str, str, str]] = [
    ("adapter_in", "frame", "emit"),
    ("queue_to_strategy", "emit", "strategy"),
    ("strategy_to_submit", "strategy", "submit"),
    ("kernel_strategy", "emit", "submit"),
    ("submit_to_request_start", "submit", "start"),
    ("journal_commit", "commit0", "commit"),
    ("loop_and_adapter", "switch0", "switch"),
    ("aiohttp_to_written", "start", "written"),
    ("adapter_aiohttp", "submit", "written"),
    ("total", "frame", "written"),
    ("total_to_headers_sent", "frame", "headers"),
]
LABELS = {
    "adapter_in": "quote received -> handed to kernel (decode, parse)",
    "queue_to_strategy": "  kernel queue -> strategy.on_quote",
    "strategy_to_submit": "  strategy + kernel + risk -> adapter.submit",
    "kernel_strategy": "kernel+strategy (handed to kernel -> submit)",
    "submit_to_request_start": "  submit -> aiohttp request start",
    "journal_commit": "    of which the journal commit (write-ahead)",
    "loop_and_adapter": "    of which the rest (runner yield, task, body)",
    "aiohttp_to_written": "  aiohttp start -> request written",
    "adapter_aiohttp": "adapter+aiohttp (submit -> request written)",
    "total": "TOTAL tick-to-order (received -> written)",
    "total_to_headers_sent": "(received -> aiohttp headers_sent signal)",
}


def percentile(sorted_vals: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_vals:
        return float("nan")
    k = max(math.ceil(p / 100 * len(sorted_vals)) - 1, 0)
    return sorted_vals[min(k, len(sorted_vals) - 1)]


def summarize_stages(rows: list[dict[str, int]]) -> dict[str, dict[str, float]]:
    out = {}
    for name, a, b in STAGES:
        vals = sorted((r[b] - r[a]) / 1000 for r in rows)
        out[name] = {
            "p50": round(percentile(vals, 50), 1),
            "p90": round(percentile(vals, 90), 1),
            "p99": round(percentile(vals, 99), 1),
            "max": round(vals[-1], 1) if vals else float("nan"),
        }
    return out


# --- the local venue, in its own process -----------------------------------------------------------
class Venue:
    """``executioncore venue alpaca`` on a free 127.0.0.1 port; ``close()`` ends it."""

    def __init__(self, step_ms: float, workdir: Path) -> None:
        self.log = workdir / "venue.out"
        self.err = workdir / "venue.err"
        cmd = [
            sys.executable, "-m", "executioncore", "venue", "alpaca",
            "--data", str(DATA), "--symbol", SYMBOL, "--tick-size", "0.001", "--lot-size", "1",
            "--step-ms", str(step_ms), "--loop", "--cash", "100000000", "--port", "0",
            "--key", KEY, "--secret", SECRET,
        ]  # fmt: skip
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(self.log, "wb") as out, open(self.err, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        self.urls = self._urls(timeout_s=60.0)

    def _urls(self, timeout_s: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = self.log.read_text() if self.log.exists() else ""
            if "\n" in text:
                head = json.loads(text.splitlines()[0])
                for k in ("base_url", "stream_url", "data_url"):
                    assert "127.0.0.1" in head[k], head[k]
                return {k: head[k] for k in ("base_url", "stream_url", "data_url")}
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.close()
        raise RuntimeError(f"the local venue did not start: {self.err.read_text()[-2000:]}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def write_config(tmp: Path, urls: dict[str, str]) -> Path:
    import yaml

    doc = {
        "name": "tick-to-order-bench",
        "seed": 1,
        "id_prefix": "b-",
        "brokers": {
            "alpaca": {
                "type": "alpaca",
                "api_key": KEY,
                "api_secret": SECRET,
                "paper": True,
                **urls,
                "symbols": [SYMBOL],
            }
        },
        # a few live risk checks on every order (none of them refuses these orders)
        "orders": {"max_order_value": 1_000_000, "max_daily_orders": 10_000_000},
        "failsafes": {"max_position_pct": 0.5, "cancel_on_exit": True},
    }
    path = tmp / "executioncore.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


# --- one measured session -------------------------------------------------------------------------
async def _session(cfg_path: Path, run_dir: Path, seconds: float, strategy: Any, probe: Any) -> Any:
    from executioncore import live_cmd
    from executioncore.config import load_config

    cfg = load_config(cfg_path)
    build = live_cmd.build_adapter
    adapters: list[Any] = []

    def build_and_probe(b: Any, c: Any, instruments: Any) -> Any:
        adapter = build(b, c, instruments)
        adapters.append(adapter)
        if probe is not None:
            probe.install(adapter)
        return adapter

    from kernel.journal import Journal

    flush = Journal.flush
    # the bench's own process only, for this session
    live_cmd.build_adapter = build_and_probe  # type: ignore[assignment]
    if probe is not None:
        Journal.flush = probe.timed_flush(flush)  # type: ignore[method-assign]
    try:
        result = await live_cmd._session(cfg, None, None, seconds, run_dir, True, strategy)
    finally:
        live_cmd.build_adapter = build
        Journal.flush = flush  # type: ignore[method-assign]
        if probe is not None:
            await probe.close()
    return result, adapters


def measure(
    seconds: float = 20.0,
    step_ms: float = 2.0,
    every: int = 5,
    warmup_s: float = 1.0,
    out: Path | None = None,
    instrument: bool = True,
    keep_rows: bool = False,
) -> dict[str, Any]:
    """Run the venue and one live session; the latency stages (``instrument=False``: the same
    session with nothing wrapped, to show the adapter runs as is; no latencies then).
    ``keep_rows``: the raw stamps of every sample too (``rows``)."""
    with tempfile.TemporaryDirectory(prefix="ec-t2o-") as tmp_name:
        tmp = Path(tmp_name)
        venue = Venue(step_ms, tmp)
        try:
            cfg = write_config(tmp, venue.urls)
            probe = Probe() if instrument else None
            strategy = TickToOrder(SYMBOL, every, probe=probe)
            run_dir = out if out is not None else tmp / "run"
            run_dir.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            result, adapters = asyncio.run(_session(cfg, run_dir, seconds, strategy, probe))
            wall = time.perf_counter() - t0
        finally:
            venue.close()
    live = result.summary["live"]
    report: dict[str, Any] = {
        "bench": "tick-to-order",
        "venue": f"local alpaca, 127.0.0.1, {SYMBOL} quotes every {step_ms} ms (--step-ms), loop",
        "seconds": seconds,
        "wall_s": round(wall, 2),
        "every": every,
        "instrumented": instrument,
        "quotes_to_strategy": strategy.n,
        "orders_sent": strategy.sent,
        "orders_skipped": strategy.skipped,
        "orders_denied": strategy.denied,
        "denied_reasons": strategy.denied_reasons,
        "adapter_submits": live["adapters"]["alpaca"]["submits"],
        "stop": live["stop"],
        # the instance wrappers (none when not instrumented: the adapter runs as it is)
        "adapter_overrides": sorted(
            k for a in adapters for k in ("bind", "start", "submit") if k in vars(a)
        ),
        "cpus": os.cpu_count(),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "python": sys.version.split()[0],
        "target_p99_us": TARGET_P99_US,
    }
    if probe is None:
        return report
    rows, counts = probe.samples(warmup_s)
    stages = summarize_stages(rows)
    report.update(
        {
            "samples": len(rows),
            "warmup_s": warmup_s,
            **counts,
            "quotes_received": probe.quotes_seen,
            "quotes_sharing_a_frame": probe.quotes_sharing_a_frame,
            "stages_us": stages,
            "p99_under_target": bool(rows) and stages["total"]["p99"] < TARGET_P99_US,
        }
    )
    if keep_rows:
        report["rows"] = rows
    return report


def show(r: dict[str, Any]) -> None:
    print(
        f"tick-to-order over loopback: {r['venue']}; an order every {r['every']}th quote; "
        f"{r['seconds']:g} s session ({r['wall_s']} s wall), Python {r['python']}, "
        f"{r['cpus']} CPUs, load {r['loadavg_1m']}"
    )
    print(
        f"samples {r['samples']} (warm-up dropped {r['warmup_dropped']}, unmatched "
        f"{r['unmatched']}); quotes {r['quotes_received']} ({r['quotes_sharing_a_frame']} shared a "
        f"frame); orders sent {r['orders_sent']}, skipped (previous still open, stopping) "
        f"{r['orders_skipped']}, denied {r['orders_denied']}"
    )
    print(f"{'stage (microseconds)':52} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>9}")
    for name, _, _ in STAGES:
        s = r["stages_us"][name]
        print(f"{LABELS[name]:52} {s['p50']:8.1f} {s['p90']:8.1f} {s['p99']:8.1f} {s['max']:9.1f}")
    verdict = "met" if r["p99_under_target"] else "NOT met"
    print(f"target p99 < {TARGET_P99_US:.0f} us of our own time: {verdict}")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seconds", type=float, default=20.0, help="session length (default 20)")
    ap.add_argument("--step-ms", type=float, default=2.0, help="venue: one quote every MS ms")
    ap.add_argument("--every", type=int, default=5, help="an order every Nth quote (default 5)")
    ap.add_argument("--warmup", type=float, default=1.0, help="seconds of orders not counted")
    ap.add_argument("--out", type=Path, help="keep the session's run folder here")
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    args = ap.parse_args()
    r = measure(args.seconds, args.step_ms, args.every, args.warmup, args.out)
    if args.json:
        print(json.dumps(r))
    else:
        show(r)


if __name__ == "__main__":
    main()
