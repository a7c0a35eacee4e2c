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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from executioncore import __version__
from executioncore.build import (
    StrategyError,
    build_kernel,
    check_symbols,
    load_strategy,
    run_header,
)
from executioncore.durations import iso_ns
from executioncore.invariants import InvariantAbort
from executioncore.orders_spec import resolve_times
from executioncore.record import RunRecord, RunRecorder
from executioncore.scenario import Scenario, ScenarioError
from executioncore.store import SqliteStore
from executioncore.summary import check_expectations, order_rows, summarize
from executioncore.tca import TcaObserver
from kernel.clock import SimClock
from kernel.codec import IN, TAG_RUN
from kernel.journal import Journal
from kernel.kernel import Kernel
from kernel.rng import named_stream
from kernel.units import DAY_NS, Instrument, UnitError
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
    # ``expect.invariants``: checked while the run goes (executioncore.invariants)
    invariants: Any = None

    def chunks(self) -> Iterator[Chunk]:
        streams = []
        for i, entry in enumerate(self.scenario.data):
            inst = self.kernel.instruments[entry.spec.symbol]
            stream = read_chunks(entry.spec, inst, i, self.stats, ahead=True)
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
        except InvariantAbort:
            pass  # an order storm: reported with the invariants' failures, the run ends here
        except Exception as exc:
            failed = strategy_failure(exc, self.kernel.strategies.values())
            if failed is None:
                raise
            self.journal.flush()
            self.store.set_meta({"failed": str(failed)})
            raise failed from exc
        if self.invariants is not None:
            self.invariants.finish()
        wall = time.perf_counter() - t0
        digest = self.journal.digest()
        summary = build_summary(self, digest, wall)
        summary["tca"] = self.tca.rows() if self.tca is not None else []
        failures = check_expectations(self.scenario.expect, summary, self.kernel)
        if self.invariants is not None:
            failures += self.invariants.sentences()
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


def prepare(
    scenario: Scenario,
    seed: int | None = None,
    out_dir: Path | None = None,
    invariants: Iterable[Callable[..., Any]] = (),
) -> Run:
    """Build everything a run needs; raise ``ScenarioError`` for what only the data can show.
    ``invariants``: functions ``f(view)`` checked with ``expect.invariants`` (the test kit's)."""
    seed = scenario.seed if seed is None else seed
    run_dir = Path(out_dir) if out_dir is not None else Path("runs") / f"{scenario.name}-{seed}"
    instruments = {i.symbol: i for i in scenario.instruments}
    clock = SimClock(0)
    brokers, sessions = _brokers(scenario, seed, clock, instruments)
    start_ns, end_ns, data_from = _time_range(scenario, sessions)
    clock.advance_to(start_ns)
    _check_orders_against_data(scenario, start_ns, scenario.end or end_ns, data_from)
    try:  # why: before the run folder is made; the message names the scenario file
        strategy = (
            load_strategy(scenario.strategy, scenario.base_dir) if scenario.strategy else None
        )
        if strategy is not None:
            check_symbols(strategy, instruments)
    except StrategyError as exc:
        raise ScenarioError(scenario.path, "", str(exc)) from None
    checker = _invariants(scenario, strategy, invariants)
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
            # why: memory, not behaviour (kernel.oms), so outside the digest too; a replay
            # keeps as many closed orders as the run did
            "retain_closed_orders": scenario.retain_closed_orders,
        },
        durable=False,  # why: a backtest is reproduced by running it again
    )
    journal = Journal(store)
    header = run_header(scenario, seed, start_ns)
    journal.append((IN, TAG_RUN, header))
    kernel, _ = build_kernel(
        header,
        journal,
        clock,
        scenario.base_dir,
        venues={b.name: b for b in brokers},
        strategy=strategy,
        retain_closed=scenario.retain_closed_orders,
    )
    from kernel.reconcile import OrderView

    for b in brokers:
        b.view = OrderView(kernel)  # why: a disconnect is recovered by the shared reconciler
    if checker is not None:
        checker.attach(kernel, brokers)
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
        checker,
    )


def _invariants(scenario: Scenario, strategy: Any, functions: Iterable[Callable[..., Any]]) -> Any:
    """The invariant checker ``expect.invariants`` asks for (None without it), wrapped around
    the strategy's callbacks before the kernel takes them."""
    spec = scenario.expect.get("invariants")
    if not spec:
        return None
    from executioncore.invariants import checker_for

    try:
        checker = checker_for(spec, scenario.base_dir, functions)
    except ValueError as exc:
        raise ScenarioError(scenario.path, "expect.invariants", str(exc)) from None
    if strategy is not None:
        checker.wrap(strategy)
    return checker


def _time_range(scenario: Scenario, sessions: dict[str, Session | None]) -> tuple[int, int, int]:
    """The first and last event times of the data (daily bars mapped to their sessions), and
    the time the data start from: a bar's event time is its close (when it is known), but the
    data cover the market from the first bar's open."""
    firsts, lasts, opens = [], [], []
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
        interval = entry.spec.interval_ns or 0  # why: only bars have one
        if interval >= DAY_NS and session:
            span = tuple(_session_close(session, ts) for ts in span)  # type: ignore[assignment]
        first, last = span
        if scenario.start is not None:
            first = max(first, scenario.start)
        if scenario.end is not None:
            last = min(last, scenario.end)
        if first <= last:
            firsts.append(first)
            lasts.append(last)
            opens.append(_bar_open(first, interval, session))
    if not firsts:
        raise ScenarioError(scenario.path, "data", "the data hold no rows in the run's time window")
    data_from = min(opens)
    if scenario.start is not None:
        data_from = max(data_from, scenario.start)
    return min(firsts), max(lasts), data_from


def _bar_open(ts: int, interval: int, session: Session | None) -> int:
    """The open of the bar known at ``ts`` (``ts`` itself for data other than bars)."""
    if interval >= DAY_NS and session is not None:
        return session.open_on(session.day_of(ts))
    return ts - interval


_iso = iso_ns


def _check_orders_against_data(scenario: Scenario, start: int, end: int, data_from: int) -> None:
    """Each order within the data (from ``data_from``: bars start at their open; an order
    before the run's first event fires at it, as fill rule 4 would have it), a cancel or
    modify after its order, and data for each order's symbol."""
    with_data = {e.spec.symbol for e in scenario.data}
    times = dict((i, ts) for ts, i in resolve_times(scenario.orders, start))
    first_time: dict[str, int] = {}
    for i, item in enumerate(scenario.orders):
        where = f"orders[{i}]"
        ts = times[i]
        if ts < data_from:
            raise ScenarioError(
                scenario.path,
                f"{where}.at",
                f"{_iso(ts)} is before the data starts ({_iso(data_from)})",
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
        if "operator" in item:
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
        duplicates = [
            f["probability"]
            for f in scenario.faults
            if f["kind"] == "duplicate" and f["venue"] in (None, v.name)
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
            "stp": v.stp,
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
                duplicates[-1] if duplicates else 0.0,
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
    duplicate_probability: float = 0.0,
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
        reject_probability,
        list(outages or []),
        named_stream(seed, f"venue:{name}:faults"),
        duplicate_probability=duplicate_probability,
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
        stp=spec.get("stp") or "cancel_newest",
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


# --- summary (executioncore.summary) ----------------------------------------------------------
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
