"""Run a scenario: wire kernel, simulated venues, feeds, driver, journal and recorder; summarize.

``prepare`` turns a validated ``Scenario`` into a ready ``Run`` (checking what needs the data:
order times against the data's time range, orders for symbols with no data); ``Run.execute``
drives it and returns the summary, the record for the report, and the exit code (0, or 1 when
an expectation failed). The journal's first record is a header that says everything a replay
needs to rebuild the kernel (instruments, account, risk, seed, strategy, scripted orders,
sources, venue outages).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from executioncore import __version__
from executioncore.build import (
    build_kernel,
    run_header,
)
from executioncore.orders_spec import resolve_times
from executioncore.record import RunRecord, RunRecorder
from executioncore.scenario import Scenario, ScenarioError
from executioncore.store import SqliteStore
from executioncore.tca import TcaObserver
from kernel.clock import SimClock
from kernel.codec import IN, TAG_RUN
from kernel.journal import Journal
from kernel.kernel import Kernel
from kernel.rng import named_stream
from kernel.units import DAY_NS, MONEY_SCALE, Instrument, UnitError
from sim.broker import SimBroker
from sim.driver import Driver, Source
from sim.feeds import Chunk, FeedStats, merge, probe_time_range, read_chunks
from sim.models import BpsFees, ConstantLatency, Faults
from sim.session import Session

KIND_PRIORITY = ("quotes", "book", "trades", "bars")


class StrategyFailed(RuntimeError):
    """A strategy's callback raised: the run could not go on (exit code 3). The message names
    the strategy's own file and line, not the kernel's frames."""

    exit_code = 3


def strategy_location(exc: BaseException, strategies: Any) -> tuple[str, int, str] | None:
    """``(file, line, function)`` of the innermost frame of ``exc``'s traceback that lies in a
    strategy's own source file, or None when no strategy code raised it (a bug of ours)."""
    import inspect

    files = set()
    for strategy in strategies:
        cls = type(strategy)
        mod = cls.__module__
        if mod.startswith(("kernel.", "sim.", "live.")) or (
            mod.startswith("executioncore.") and not mod.startswith("executioncore.strategies")
        ):
            continue  # why: our own observers and scripted orders: their errors are our bugs
        with contextlib.suppress(TypeError, OSError):
            src = inspect.getsourcefile(cls)
            if src:
                files.add(str(Path(src).resolve()))
    found = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        with contextlib.suppress(OSError):
            if str(Path(code.co_filename).resolve()) in files:
                found = (code.co_filename, tb.tb_lineno, code.co_name)
        tb = tb.tb_next
    return found


def strategy_failure(exc: BaseException, strategies: Any) -> StrategyFailed | None:
    """The ``StrategyFailed`` for an exception a strategy raised, or None."""
    where = strategy_location(exc, strategies)
    if where is None:
        return None
    path, line, func = where
    text = str(exc) or "(no message)"
    return StrategyFailed(
        f"the strategy raised {type(exc).__name__}: {text} at {path}:{line} (in {func}); "
        "the journal is saved"
    )


@dataclass
class RunResult:
    summary: dict[str, Any]
    record: RunRecord
    exit_code: int
    run_dir: Path


@dataclass
class Run:
    scenario: Scenario
    seed: int
    run_dir: Path
    kernel: Kernel
    clock: SimClock
    brokers: list[SimBroker]
    sources: list[Source]
    journal: Journal
    store: SqliteStore
    recorder: RunRecorder
    stats: FeedStats
    start_ns: int
    end_ns: int
    sessions: dict[str, Session | None]
    tca: TcaObserver | None = None

    def chunks(self) -> Iterator[Chunk]:
        streams = []
        for i, entry in enumerate(self.scenario.data):
            inst = self.kernel.instruments[entry.spec.symbol]
            stream = read_chunks(entry.spec, inst, i, self.stats)
            session = self._session_of(entry.venues)
            if entry.spec.kind == "bars" and (entry.spec.interval_ns or 0) >= DAY_NS and session:
                stream = session_bars(stream, session)
            if self.scenario.start is not None or self.scenario.end is not None:
                stream = _window(stream, self.scenario.start, self.scenario.end)
            streams.append(stream)
        return merge(streams)

    def _session_of(self, venues: tuple[str, ...] | None) -> Session | None:
        return _session_for(venues, self.sessions)

    def execute(self, progress: Callable[[int, int], None] | None = None) -> RunResult:
        """Drive the run to the end; write the journal; return summary, record, exit code."""
        t0 = time.perf_counter()
        driver = Driver(self.kernel, self.clock, self.brokers, self.sources, self.journal, progress)
        try:
            driver.run(self.chunks(), self.scenario.end)
        except Exception as exc:
            failed = strategy_failure(exc, self.kernel.strategies.values())
            if failed is None:
                raise
            self.journal.flush()
            self.store.set_meta({"failed": str(failed)})
            raise failed from exc
        wall = time.perf_counter() - t0
        digest = self.journal.digest()
        summary = build_summary(self, digest, wall)
        summary["tca"] = self.tca.rows() if self.tca is not None else []
        failures = check_expectations(self.scenario.expect, summary, self.kernel)
        summary["expectations"] = {"passed": not failures, "failures": failures}
        self.store.set_meta({"digest": digest, "summary": summary})
        self.journal.close()
        record = self.recorder.record
        record.scenario, record.seed, record.summary = self.scenario.name, self.seed, summary
        record.orders = order_rows(self.kernel)
        record.tca = summary["tca"]
        record.risk_events = [
            {"ts": ts, "code": code, "detail": detail}
            for ts, code, detail in self.kernel.risk_events
        ]
        return RunResult(summary, record, 1 if failures else 0, self.run_dir)


def prepare(scenario: Scenario, seed: int | None = None, out_dir: Path | None = None) -> Run:
    """Build everything a run needs; raise ``ScenarioError`` for what only the data can show."""
    seed = scenario.seed if seed is None else seed
    run_dir = Path(out_dir) if out_dir is not None else Path("runs") / f"{scenario.name}-{seed}"
    instruments = {i.symbol: i for i in scenario.instruments}
    clock = SimClock(0)
    brokers, sessions = _brokers(scenario, seed, clock, instruments)
    start_ns, end_ns = _time_range(scenario, sessions)
    clock.advance_to(start_ns)
    _check_orders_against_data(scenario, start_ns, scenario.end or end_ns)
    sources = [
        Source(e.spec.kind, e.spec.symbol, e.spec.interval_ns or 0, e.venues) for e in scenario.data
    ]
    run_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteStore.create(
        run_dir / "journal",
        {
            "scenario": scenario.name,
            "seed": seed,
            "version": __version__,
            # why: where strategy files are found again on replay; kept out of the digested
            # header so a run's digest does not depend on where the project was cloned
            "scenario_dir": str(scenario.base_dir.resolve()),
        },
        durable=False,  # why: a backtest is reproduced by running it again
    )
    journal = Journal(store)
    header = run_header(scenario, seed, start_ns)
    journal.append((IN, TAG_RUN, header))
    kernel, _ = build_kernel(
        header, journal, clock, scenario.base_dir, venues={b.name: b for b in brokers}
    )
    from kernel.reconcile import OrderView

    for b in brokers:
        b.view = OrderView(kernel)  # why: a disconnect is recovered by the shared reconciler
    recorder = RunRecorder()
    recorder.attach(kernel)
    tca = TcaObserver()
    tca.attach(kernel)
    return Run(
        scenario,
        seed,
        run_dir,
        kernel,
        clock,
        brokers,
        sources,
        journal,
        store,
        recorder,
        FeedStats(),
        start_ns,
        end_ns,
        sessions,
        tca,
    )


def _time_range(scenario: Scenario, sessions: dict[str, Session | None]) -> tuple[int, int]:
    """The first and last event times of the data (daily bars mapped to their sessions)."""
    firsts, lasts = [], []
    for i, entry in enumerate(scenario.data):
        span = probe_time_range(entry.spec)
        if span is None:
            if entry.spec.on_bad_row == "error":
                # why: no valid timestamp at all: reading it for real names the first bad row
                inst = next(x for x in scenario.instruments if x.symbol == entry.spec.symbol)
                for _ in read_chunks(entry.spec, inst, i, FeedStats()):
                    pass
            continue
        session = _session_for(entry.venues, sessions)
        if entry.spec.kind == "bars" and (entry.spec.interval_ns or 0) >= DAY_NS and session:
            span = tuple(_session_close(session, ts) for ts in span)  # type: ignore[assignment]
        first, last = span
        if scenario.start is not None:
            first = max(first, scenario.start)
        if scenario.end is not None:
            last = min(last, scenario.end)
        if first <= last:
            firsts.append(first)
            lasts.append(last)
    if not firsts:
        raise ScenarioError(scenario.path, "data", "the data hold no rows in the run's time window")
    return min(firsts), max(lasts)


def _iso(ns: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat().replace("+00:00", "Z")


def _check_orders_against_data(scenario: Scenario, start: int, end: int) -> None:
    with_data = {e.spec.symbol for e in scenario.data}
    times = dict((i, ts) for ts, i in resolve_times(scenario.orders, start))
    first_time: dict[str, int] = {}
    for i, item in enumerate(scenario.orders):
        where = f"orders[{i}]"
        ts = times[i]
        if ts < start:
            raise ScenarioError(
                scenario.path,
                f"{where}.at",
                f"{_iso(ts)} is before the data starts ({_iso(start)})",
            )
        if ts > end:
            raise ScenarioError(
                scenario.path, f"{where}.at", f"{_iso(ts)} is after the run ends ({_iso(end)})"
            )
        ref = item.get("cancel") or item.get("modify")
        if ref is not None:
            if ts < first_time[ref]:
                raise ScenarioError(
                    scenario.path, f"{where}.at", f"is before order {ref!r} is sent"
                )
            continue
        first_time[item["id"]] = ts
        if item["symbol"] not in with_data:
            raise ScenarioError(
                scenario.path,
                f"{where}.symbol",
                f"no data for {item['symbol']!r}: add a data entry",
            )


def _brokers(
    scenario: Scenario, seed: int, clock: SimClock, instruments: dict[str, Instrument]
) -> tuple[list[SimBroker], dict[str, Session | None]]:
    brokers = []
    sessions: dict[str, Session | None] = {}
    for v in scenario.venues:
        kinds = data_kinds([(e.spec, e.venues) for e in scenario.data], v.name)
        outages = [
            (f["start"], f["end"])
            for f in scenario.faults
            if f["kind"] == "outage" and f["venue"] in (None, v.name)
        ]
        rejects = [
            f["probability"]
            for f in scenario.faults
            if f["kind"] == "reject" and f["venue"] in (None, v.name)
        ]
        disconnects = [
            (f["start"], f["end"])
            for f in scenario.faults
            if f["kind"] == "disconnect" and f["venue"] in (None, v.name)
        ]
        spec = {
            "fees": v.fees,
            "latency": v.latency,
            "fill": v.fill,
            "session": v.session,
            "mode": v.mode,
        }
        try:
            broker = make_sim_broker(
                v.name,
                spec,
                instruments,
                kinds,
                clock,
                seed,
                outages,
                rejects[-1] if rejects else 0.0,
            )
        except UnitError as exc:
            raise ScenarioError(scenario.path, f"venue {v.name}", str(exc)) from None
        broker.set_disconnects(disconnects)
        sessions[v.name] = broker.session
        brokers.append(broker)
    return brokers, sessions


def data_kinds(sources: list[tuple[Any, tuple[str, ...] | None]], venue: str) -> dict[str, str]:
    """Per symbol, the kind of data that is "the touch" at ``venue`` (quotes > book > trades > bars)."""
    kinds: dict[str, str] = {}
    for spec, venues in sources:
        if venues is None or venue in venues:
            sym, kind = spec.symbol, spec.kind
            if sym not in kinds or KIND_PRIORITY.index(kind) < KIND_PRIORITY.index(kinds[sym]):
                kinds[sym] = kind
    return kinds


def make_sim_broker(
    name: str,
    spec: dict[str, Any],
    instruments: dict[str, Instrument],
    kinds: dict[str, str],
    clock: Any,
    seed: int,
    outages: list[tuple[int, int]] | None = None,
    reject_probability: float = 0.0,
) -> SimBroker:
    """A simulated venue from a scenario/config venue mapping (fees, latency, fill, session,
    mode)."""
    lat = spec.get("latency") or {}
    latency = ConstantLatency(
        order_ns=int(Decimal(str(lat.get("order_ms", 0))) * 1_000_000),
        response_ns=int(Decimal(str(lat.get("response_ms", 0))) * 1_000_000),
        jitter_ns=int(Decimal(str(lat.get("jitter_ms", 0))) * 1_000_000),
        rng=named_stream(seed, f"venue:{name}:latency"),
    )
    faults = Faults(
        reject_probability, list(outages or []), named_stream(seed, f"venue:{name}:faults")
    )
    sess = spec.get("session")
    session = (
        None
        if sess is None
        else Session(str(sess["open"]), str(sess["close"]), str(sess.get("tz", "UTC")))
    )
    fill = spec.get("fill") or {}
    ahead = fill.get("queue_ahead", 0)
    return SimBroker(
        name,
        [instruments[s] for s in kinds],
        kinds,
        clock,
        fees=BpsFees(**(spec.get("fees") or {})),
        latency=latency,
        faults=faults,
        queue_position=bool(fill.get("queue_position", False)),
        queue_ahead_default={
            s: instruments[s].qty_to_lots(ahead, "fill.queue_ahead") for s in kinds
        },
        session=session,
        mode=spec.get("mode") or "recorded",
    )


def _window(stream: Iterator[Chunk], start: int | None, end: int | None) -> Iterator[Chunk]:
    """Only the rows with ``start <= ts <= end``; stops reading once past ``end``."""
    for chunk in stream:
        lo = 0 if start is None else int(np.searchsorted(chunk.ts, start, side="left"))
        hi = len(chunk) if end is None else int(np.searchsorted(chunk.ts, end, side="right"))
        if lo < hi:
            yield chunk if (lo, hi) == (0, len(chunk)) else chunk.slice(lo, hi)
        if hi < len(chunk):
            return


def _session_for(
    venues: tuple[str, ...] | None, sessions: dict[str, Session | None]
) -> Session | None:
    """The session of the first venue (of ``venues``, or any) that has one."""
    for name in venues if venues is not None else tuple(sessions):
        if sessions.get(name) is not None:
            return sessions[name]
    return None


def _session_close(session: Session, close_ts: int) -> int:
    """A daily bar's close stamped at the next midnight UTC -> its session's close."""
    day = (close_ts - DAY_NS) // DAY_NS
    return session.close_on(session.day_of(day * DAY_NS + DAY_NS // 2))


def session_bars(stream: Iterator[Chunk], session: Session) -> Iterator[Chunk]:
    """Daily bars stamped at midnight become the session: open at the open, known at the close."""
    cache: dict[int, tuple[int, int]] = {}
    for chunk in stream:
        opens = chunk.ts - DAY_NS
        new_ts = np.empty_like(chunk.ts)
        new_open = np.empty_like(chunk.ts)
        for i, o in enumerate(opens.tolist()):
            day = o // DAY_NS
            hit = cache.get(day)
            if hit is None:
                d = session.day_of(day * DAY_NS + DAY_NS // 2)
                hit = cache[day] = (session.open_on(d), session.close_on(d))
            new_open[i], new_ts[i] = hit
        cols = dict(chunk.cols)
        cols["open_ns"] = new_open
        yield Chunk(chunk.kind, chunk.symbol, chunk.source, new_ts, cols)


# --- summary and expectations ---------------------------------------------------------------------
def _qty(inst: Instrument, lots: int) -> int | float:
    d = inst.lots_to_qty(lots)
    return int(d) if d == d.to_integral_value() else float(d)


def build_summary(run: Run, digest: str, wall: float) -> dict[str, Any]:
    return summarize(
        run.kernel,
        run.recorder,
        run.scenario.name,
        run.seed,
        digest,
        wall,
        run.run_dir,
        run.stats.rows_skipped,
        [list(x) for x in run.stats.skipped[:10]],
    )


def summarize(
    k: Kernel,
    recorder: RunRecorder,
    name: str,
    seed: int,
    digest: str,
    wall: float,
    run_dir: Path,
    skipped_rows: int = 0,
    skipped_examples: list[Any] | None = None,
) -> dict[str, Any]:
    """The contract's summary JSON of a kernel after a run (backtest or live)."""
    pf = k.portfolio
    cur = pf.currency
    st = k.stats
    events = st.md_events
    unreal = pf.unrealized_total(cur)
    return {
        "scenario": name,
        "seed": seed,
        "events": events,
        "orders": st.orders,
        "fills": st.fills,
        "cancels": st.cancels,
        "expired": st.expired,
        "rejects": st.rejects + st.denied,
        "denied": st.denied,
        "positions": {s: _qty(i, pf.positions[s].qty) for s, i in k.instruments.items()},
        "realized_pnl": pf.realized.get(cur, 0) / MONEY_SCALE,
        "unrealized_pnl": unreal / MONEY_SCALE,
        "commissions": pf.commissions.get(cur, 0) / MONEY_SCALE,
        "cash": pf.cash(cur) / MONEY_SCALE,
        "equity": pf.equity(cur) / MONEY_SCALE,
        "starting_cash": pf.start_cash.get(cur, 0) / MONEY_SCALE,
        "total_return": (pf.equity(cur) / pf.start_cash[cur] - 1)
        if pf.start_cash.get(cur)
        else None,
        "currency": cur,
        "max_drawdown": round(recorder.max_drawdown, 6),
        "trading_state": k.risk.state.name,
        "risk_events": len(k.risk_events),
        "refused_events": st.refused_events,
        "overfills": st.overfills,
        "open_orders": len(k.oms.open_orders()),
        "skipped_rows": skipped_rows,
        "skipped_examples": skipped_examples or [],
        "digest": digest,
        "run_dir": str(run_dir),
        "journal": str(run_dir / "journal"),
        "wall_seconds": round(wall, 3),
        "events_per_second": round(events / wall, 1) if wall > 0 else None,
    }


def check_expectations(
    expect: dict[str, Any], summary: dict[str, Any], kernel: Kernel
) -> list[str]:
    """Every expectation that does not hold, as a sentence."""
    failures = []
    for key, want in expect.items():
        if key == "positions":
            for sym, qty in want.items():
                got = summary["positions"].get(sym)
                if got is None or Decimal(str(got)) != Decimal(str(qty)):
                    failures.append(f"positions.{sym}: expected {qty}, got {got}")
        elif key == "digest":
            if summary["digest"] != want:
                failures.append(f"digest: expected {want}, got {summary['digest']}")
        elif key == "trading_state":
            if summary["trading_state"] != str(want).upper():
                failures.append(f"trading_state: expected {want}, got {summary['trading_state']}")
        elif key == "risk_events":
            codes = {code for _, code, _ in kernel.risk_events}
            for code in want:
                if code not in codes:
                    failures.append(f"risk_events: {code} did not happen")
        else:
            failures += _check_number(key, summary.get(key), want)
    return failures


def _check_number(key: str, got: Any, want: Any) -> list[str]:
    if got is None:
        return [f"{key}: no value"]
    if isinstance(want, dict):
        out = []
        if "min" in want and got < float(want["min"]) - 1e-9:
            out.append(f"{key}: {got} is below the minimum {want['min']}")
        if "max" in want and got > float(want["max"]) + 1e-9:
            out.append(f"{key}: {got} is above the maximum {want['max']}")
        return out
    return [] if abs(got - float(want)) <= 1e-9 else [f"{key}: expected {want}, got {got}"]


def order_rows(kernel: Kernel, limit: int = 20_000) -> list[dict[str, Any]]:
    """Orders as plain rows for the report (the first ``limit``)."""
    rows = []
    for order in list(kernel.oms.orders.values())[:limit]:
        inst = kernel.instruments.get(order.symbol)
        if inst is None:
            continue
        avg = order.avg_price_ticks()
        rows.append(
            {
                "id": order.client_order_id,
                "strategy": order.strategy_id,
                "symbol": order.symbol,
                "side": order.side.name.lower(),
                "type": order.order_type.name.lower(),
                "qty": _qty(inst, order.quantity),
                "limit": None
                if order.limit_ticks is None
                else inst.ticks_to_float(order.limit_ticks),
                "stop": None if order.stop_ticks is None else inst.ticks_to_float(order.stop_ticks),
                "tif": order.time_in_force.name.lower(),
                "status": order.status.name.lower(),
                "filled": _qty(inst, order.filled_lots),
                "avg_price": None if avg is None else float(inst.tick_size) * avg,
                "reason": order.reason,
                "ts": order.ts_init,
            }
        )
    return rows
