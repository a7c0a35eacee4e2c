"""``executioncore live``: the kernel against configured brokers, paper unless told otherwise.

Real money needs both ``paper: false`` in the config and ``--live`` on the command line. The
run folder (default ``runs/live-<name>/``) holds the journal; a journal left unfinished by a
crash is resumed: the kernel is rebuilt from it (every output checked on the way), then the
adapters reconcile with their venues and the run goes on, appending to the same journal.
``--fresh`` starts over instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from pathlib import Path
from typing import Any

from executioncore.build import (
    StrategyError,
    build_kernel,
    check_symbols,
    live_header,
    load_strategy,
)
from executioncore.config import BrokerConfig, LiveConfig, load_config
from executioncore.live_summary import live_summary
from executioncore.orders_spec import check_orders
from executioncore.record import RunRecorder
from executioncore.replay import recover
from executioncore.runner import (
    RunResult,
    data_kinds,
    make_sim_broker,
    strategy_failure,
    strategy_location,
)
from executioncore.scenario import ScenarioError, _Checker, read_yaml
from executioncore.store import SqliteStore
from executioncore.summary import order_rows, summarize
from kernel.codec import IN, TAG_RUN
from kernel.journal import Journal
from kernel.kernel import Kernel
from kernel.units import Instrument
from live.adapters.template import BrokerUnreachable, VenueUnavailable
from live.clock import LiveClock
from live.runner import LiveRunner


class LiveError(Exception):
    """A live run that must not start (for the user: exit code 2)."""


def parse_duration(text: str) -> float:
    """``--run-for``: ``30s``, ``5m``, ``1h30m`` or plain seconds -> seconds (one parser:
    ``executioncore.durations``)."""
    from executioncore.durations import DurationError, parse_duration_s

    try:
        return parse_duration_s(text, "--run-for")
    except DurationError as exc:
        raise LiveError(str(exc)) from None


def load_orders(
    path: Path,
    cfg: LiveConfig,
    raw: dict[str, Any] | None = None,
    instruments: dict[str, Instrument] | None = None,
) -> list[dict[str, Any]]:
    """An ORDERS.yaml holding an ``orders:`` list (other keys optional). Entries without a
    ``time_in_force`` take ``orders.default_time_in_force`` (algo parents stay gtc)."""
    if raw is None:
        raw = _read_orders(path)
    c = _Checker(path)
    from executioncore.algo_spec import algo_defaults

    defaults = algo_defaults(cfg.execution)
    entries = raw.get("orders") or []
    if isinstance(entries, list):  # why: execution.algos.* defaults fill each order's algo keys
        entries = [
            dict(e, algo=defaults.apply(e["algo"])) if isinstance(e, dict) and "algo" in e else e
            for e in entries
        ]
        entries = [
            dict(e, time_in_force=cfg.default_tif)
            if isinstance(e, dict)
            and "symbol" in e
            and "algo" not in e
            and "time_in_force" not in e
            else e
            for e in entries
        ]
        raw = dict(raw, orders=entries)
    return check_orders(
        c,
        raw.get("orders") or [],
        instruments if instruments is not None else {i.symbol: i for i in cfg.instruments},
        {b.name for b in cfg.brokers},
    )


class LiveUnavailable(Exception):
    """The live run could not go on (exit code 3): a broker unreachable at start, an adapter
    that does not exist yet, ``routing.give_up_after`` elapsed."""

    exit_code = 3


ADAPTERS_AVAILABLE = ("alpaca", "ibkr", "ccxt", "sim")
EXTRAS = {"ibkr": "ibkr", "ccxt": "ccxt"}  # broker type -> the pip extra that installs it


def adapters_available() -> tuple[str, ...]:
    """The broker types this installation can run: ``ibkr`` needs ib_async (or ib_insync),
    ``ccxt`` needs ccxt, looked up without importing them (a backtest never imports live
    libraries)."""
    import importlib.util

    def have(*modules: str) -> bool:
        return any(importlib.util.find_spec(m) is not None for m in modules)

    missing = set()
    if not have("ib_async", "ib_insync"):
        missing.add("ibkr")
    if not have("ccxt"):
        missing.add("ccxt")
    return tuple(t for t in ADAPTERS_AVAILABLE if t not in missing)


def live_command(
    config_path: Path,
    orders_path: Path | None,
    run_for: str | None,
    live_flag: bool,
    out: Path | None,
    fresh: bool,
) -> RunResult:
    cfg = load_config(config_path)
    if cfg.real_money and not live_flag:
        names = ", ".join(b.name for b in cfg.brokers if not b.paper)
        raise LiveError(
            f"{config_path}: brokers {names} trade real money (paper: false): add --live to confirm"
        )
    available = adapters_available()
    missing = [b for b in cfg.brokers if b.type not in available]
    if missing:
        raise LiveUnavailable(
            "; ".join(
                f"broker {b.name} (type {b.type}): its adapter is not available in this build "
                f"(available: {', '.join(available)})"
                + (f" -- pip install 'executioncore[{EXTRAS[b.type]}]'" if b.type in EXTRAS else "")
                for b in missing
            )
        )
    raw_orders = _read_orders(orders_path) if orders_path is not None else None
    run_for_s = None if run_for is None else parse_duration(run_for)
    try:  # why: bad input (exit 2) is reported before any broker is contacted
        strategy = load_strategy(cfg.strategy, cfg.base_dir) if cfg.strategy else None
        if strategy is not None and cfg.instruments:  # why: else the brokers supply them
            check_symbols(strategy, [i.symbol for i in cfg.instruments])
    except StrategyError as exc:
        raise ScenarioError(cfg.path, "", str(exc)) from None
    run_dir = out if out is not None else Path("runs") / f"live-{cfg.name}"
    run_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_session(cfg, orders_path, raw_orders, run_for_s, run_dir, fresh, strategy))


async def _session(
    cfg: LiveConfig,
    orders_path: Path | None,
    raw_orders: dict[str, Any] | None,
    run_for_s: float | None,
    run_dir: Path,
    fresh: bool,
    strategy: Any = None,
) -> RunResult:
    """The session; ``strategy`` is the config's, already built (a resumed session rebuilds
    its own from the journal)."""
    path = run_dir / "journal"
    resuming = path.exists() and not fresh and not _finished(path)
    instruments = {i.symbol: i for i in cfg.instruments}
    adapters = [build_adapter(b, cfg, instruments) for b in cfg.brokers]
    for a in adapters:  # why: a broker whose reconciliations keep failing is down for routing
        if hasattr(a, "failover_after_s"):
            a.failover_after_s = (cfg.routing or {}).get("failover_after_s")
    try:
        for a in adapters:
            connect = getattr(a, "connect", None)
            if connect is not None:
                await connect()
        clock = LiveClock(0 if resuming else None)
        if resuming:
            store = SqliteStore.open(path, writable=True)
            rec = recover(store, clock)
            kernel, journal, unsent = rec.kernel, rec.journal, rec.unsent
            kernel.clock = clock
            orders: list[dict[str, Any]] = []
            # why: the instruments are the journal's (the providers answered them last time)
            instruments.update(kernel.instruments)
            for a in adapters:
                if hasattr(a, "instruments") and isinstance(a.instruments, dict):
                    a.instruments.update(
                        {
                            s: i
                            for s, i in kernel.instruments.items()
                            if i.venue in (None, a.name) or a.name in kernel.routes.get(s, ())
                        }
                    )
        else:
            wanted = _wanted_symbols(cfg, raw_orders, strategy)
            routes = await _provide_instruments(adapters, cfg, instruments, wanted)
            orders = (
                load_orders(orders_path, cfg, raw_orders, instruments)
                if orders_path is not None and raw_orders is not None
                else []
            )
            store = SqliteStore.create(
                path,
                {"config": cfg.name, "live": True, "scenario_dir": str(cfg.base_dir.resolve())},
            )
            journal = Journal(store, block_records=1024)
            start = clock.now_ns()
            if not cfg.id_prefix:
                # why: client order ids must be unique per account, across sessions too: a second
                # session's script-1 would meet the first's at the broker (a duplicate id is taken
                # as the order being there). The header keeps the prefix for replay and recovery.
                cfg.id_prefix = session_prefix(start)
            fees = {a.name: a.taker_bps() for a in adapters if hasattr(a, "taker_bps")}
            header = live_header(cfg, list(instruments.values()), orders, start, routes, fees)
            journal.append((IN, TAG_RUN, header))
            kernel, _ = build_kernel(header, journal, clock, cfg.base_dir, {}, strategy)
            unsent = []
    except BrokerUnreachable as exc:
        for a in adapters:
            with contextlib.suppress(Exception):
                await a.stop()
        raise LiveUnavailable(str(exc)) from None
    for a in adapters:
        kernel.venues[a.name] = a
    recorder = RunRecorder()
    recorder.live_times = True
    recorder.attach(kernel)
    from executioncore.tca import TcaObserver

    tca = TcaObserver()
    tca.attach(kernel)
    for cmd in unsent:
        _resend(kernel, cmd)

    def commit() -> None:
        journal.flush()

    routing = getattr(cfg, "routing", None) or {}
    runner = LiveRunner(
        kernel,
        clock,
        adapters,
        commit=commit,
        run_for_s=run_for_s,
        cancel_on_exit=cfg.cancel_on_exit,
        started=resuming,
        give_up_after_s=routing.get("give_up_after_s"),
        is_strategy_error=lambda e: strategy_location(e, kernel.strategies.values()) is not None,
    )
    host = await _start_monitoring(cfg, kernel, adapters, runner)
    feed = None
    if cfg.signals:
        from executioncore.signal_feed import follow_signals

        feed = asyncio.ensure_future(follow_signals(cfg.signals["path"], runner))
    t0 = time.perf_counter()
    try:
        await runner.run()
    finally:
        if feed is not None:
            feed.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feed
        if host is not None:
            await host.stop()
    wall = time.perf_counter() - t0
    digest = journal.digest()
    summary = summarize(kernel, recorder, cfg.name, cfg.seed, digest, wall, run_dir)
    live_summary(summary, kernel, adapters, recorder)
    summary["live"] = {
        "resumed": resuming,
        "stop": runner.stop_reason,
        "inputs": runner.inputs,
        "adapters": {a.name: a.stats() for a in adapters},
        "paper": not cfg.real_money,
    }
    failure = None
    if runner.failure is not None:
        failure = strategy_failure(runner.failure, kernel.strategies.values())
    elif runner.gave_up is not None:
        failure = LiveUnavailable(
            f"broker {runner.gave_up} stayed down for routing.give_up_after "
            f"({routing.get('give_up_after_s')} s): the session was shut down"
        )
    summary["expectations"] = {"passed": True, "failures": []}
    summary["tca"] = tca.rows()
    meta: dict[str, Any] = {"finished": True, "digest": digest, "summary": summary}
    if failure is not None:
        meta["failed"] = str(failure)
    store.set_meta(meta)
    journal.close()
    record = recorder.record
    record.scenario, record.seed, record.summary = cfg.name, cfg.seed, summary
    record.orders = order_rows(kernel)
    record.risk_events = [{"ts": t, "code": c, "detail": d} for t, c, d in kernel.risk_events]
    record.tca = summary["tca"]
    result = RunResult(summary, record, 0, run_dir)
    if failure is not None:
        failure.result = result  # type: ignore[attr-defined]
        raise failure
    return result


def session_prefix(start_ns: int) -> str:
    """A client order id prefix of its own for a session that configures none: ``s`` and the
    session's start (UTC, to the 10 ms) in base 36, e.g. ``s1a2b3c4d-``."""
    n = start_ns // 10_000_000
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return f"s{out or '0'}-"


async def _start_monitoring(
    cfg: LiveConfig, kernel: Kernel, adapters: list[Any], runner: Any
) -> Any:
    """The monitoring host (alert sinks, heartbeat, metrics, dashboard) around the session, when
    ``monitoring:`` asks for any; a port it cannot serve on stops the session (exit 3). A missed
    heartbeat reaches the kernel's alert rules as a journaled notice."""
    monitoring = cfg.monitoring or {}
    if not monitoring:
        return None
    from kernel.events import VenueNotice
    from live.monitoring.host import MonitoringError, MonitoringHost

    host = MonitoringHost(monitoring, kernel, adapters, runner)
    tasks: set[Any] = set()

    def missed(in_a_row: int) -> None:
        now = runner.clock.now_ns()
        notice = VenueNotice("monitor", "HEARTBEAT_MISSED", str(in_a_row), now, now)
        task = asyncio.ensure_future(runner.emit(notice))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    host.on_heartbeat_missed = missed
    try:
        await host.start()
    except (MonitoringError, OSError) as exc:
        raise LiveUnavailable(f"monitoring: {exc}") from None
    return host


def _read_orders(path: Path) -> dict[str, Any]:
    return _Checker(path).mapping(read_yaml(path), "")


def _wanted_symbols(cfg: LiveConfig, raw_orders: dict[str, Any] | None, strategy: Any) -> list[str]:
    """The symbols the session needs instruments for: configured, pinned to brokers, named by
    scripted orders and by the strategy."""
    out: list[str] = [i.symbol for i in cfg.instruments]
    for b in cfg.brokers:
        out.extend(str(s) for s in (b.raw.get("symbols") or []))
    for entry in (raw_orders or {}).get("orders") or []:
        if isinstance(entry, dict) and isinstance(entry.get("symbol"), str):
            out.append(entry["symbol"])
    syms = getattr(strategy, "symbols", None)
    if syms:
        out.extend(syms)
    seen: dict[str, None] = {}
    for s in out:
        seen.setdefault(s, None)
    return list(seen)


async def _provide_instruments(
    adapters: list[Any], cfg: LiveConfig, instruments: dict[str, Instrument], wanted: list[str]
) -> dict[str, tuple[str, ...]]:
    """Fill in the instruments the config does not give from each broker's instrument provider
    (in config order; a broker named by ``broker:`` for a symbol answers for it), plus every
    symbol a broker already holds (its positions are adopted). Returns the routes: each symbol
    that several brokers list, with them in config order (failover; a pinned one has none)."""
    pinned = {s for s, o in cfg.instrument_options.items() if o.get("broker")}
    listed: dict[str, list[str]] = {}
    for a in adapters:
        provide = getattr(a, "provide_instruments", None)
        if provide is None or not callable(provide):
            continue
        held = await a.held_symbols() if hasattr(a, "held_symbols") else []
        need = [s for s in [*wanted, *held] if s not in instruments]
        if len(adapters) > 1:
            # why: a symbol an earlier broker (or the config) gave may trade here too: this
            # broker is then where its orders go while the earlier one is down
            for sym in wanted:
                if sym in instruments and sym not in pinned and sym not in need:
                    with contextlib.suppress(VenueUnavailable):
                        if await a.fetch_instrument(sym) is not None:
                            listed.setdefault(sym, []).append(a.name)
        # why: a spot pair's entry in the config gives its grid, not the asset it holds: the
        # broker's instrument provider says which (BTC for BTC/USDT)
        spot = [
            s
            for s, i in instruments.items()
            if a.kind == "ccxt" and i.base is None and "/" in s and i.venue in (None, a.name)
        ]
        try:
            found = await provide(need + [s for s in spot if s not in need])
        except VenueUnavailable as exc:
            raise BrokerUnreachable(a.name, a.kind, a.url, str(exc), 0.0) from None
        for sym, inst in found.items():
            known = instruments.setdefault(sym, inst)
            if known is not inst and known.base is None and inst.base is not None:
                instruments[sym] = dataclasses.replace(known, base=inst.base)
            if sym not in pinned and a.name not in listed.get(sym, ()):
                listed.setdefault(sym, []).append(a.name)
        a.instruments.update(
            {
                s: i
                for s, i in instruments.items()
                if i.venue in (None, a.name) or a.name in listed.get(s, ())
            }
        )
    unknown = [s for s in wanted if s not in instruments]
    if unknown:
        raise ScenarioError(
            cfg.path,
            "instruments",
            f"no broker knows {', '.join(unknown)} (add an instruments: entry with tick_size "
            "and lot_size, or check the symbol)",
        )
    return {s: tuple(names) for s, names in listed.items() if len(names) > 1}


def install_execution(kernel: Kernel, execution: dict[str, Any] | None) -> None:
    """``execution.default_algo`` and ``execution.algos.*`` for ``ctx.execute`` (live, replay)."""
    if execution:
        from executioncore.algo_spec import algo_defaults

        algo_defaults(execution).install(kernel)


def _finished(path: Path) -> bool:
    try:
        store = SqliteStore.open(path)
    except Exception:  # why: an unreadable file is not a run to resume
        return True
    try:
        return bool(store.meta().get("finished"))
    finally:
        store.close()


def _resend(kernel: Kernel, cmd: Any) -> None:
    venue = kernel.venues.get(cmd.venue)
    if venue is None:
        return
    name = type(cmd).__name__
    if name == "SubmitOrder":
        venue.submit(cmd)
    elif name == "CancelOrder":
        venue.cancel(cmd)
    else:
        venue.modify(cmd)


def build_adapter(b: BrokerConfig, cfg: LiveConfig, instruments: dict[str, Instrument]) -> Any:
    """The adapter for one configured broker (``instruments`` is shared and filled in later by
    the instrument providers)."""
    if b.type == "sim":
        return _sim_adapter(b, cfg)
    if b.type == "ibkr":
        return _ibkr_adapter(b, cfg, instruments)
    if b.type == "ccxt":
        from live.adapters.ccxt.client import CcxtAdapter
        from live.adapters.ccxt.config import CcxtConfig

        key, secret = (s.reveal() if s is not None else "" for s in (b.key, b.secret))
        ccfg = CcxtConfig.from_mapping(b.name, dict(b.raw), key, secret, cfg.seed)
        mine = {s: i for s, i in instruments.items() if i.venue in (None, b.name)}
        try:
            return CcxtAdapter(ccfg, mine)
        except ValueError as exc:  # why: an exchange ccxt lacks, a sandbox it does not have
            raise ScenarioError(cfg.path, f"brokers.{b.name}.exchange", str(exc)) from None
    from live.adapters.alpaca.client import AlpacaAdapter
    from live.adapters.alpaca.config import AlpacaConfig

    symbols = b.raw.get("symbols") or []
    raw = dict(b.raw)
    if "connect_timeout" in raw:
        raw["connect_timeout_s"] = raw["connect_timeout"]
    acfg = AlpacaConfig.from_mapping(b.name, raw, b.key.reveal(), b.secret.reveal(), symbols)  # type: ignore[union-attr]
    return AlpacaAdapter(acfg, {s: i for s, i in instruments.items() if i.venue in (None, b.name)})


def _ibkr_adapter(b: BrokerConfig, cfg: LiveConfig, instruments: dict[str, Instrument]) -> Any:
    """TWS / IB Gateway: each symbol's contract from its ``instruments:`` entry (``sec_type``,
    ``exchange``, its currency), a ``Stock`` on SMART otherwise."""
    from live.adapters.ibkr.client import IbkrAdapter
    from live.adapters.ibkr.config import IbkrConfig

    specs: dict[str, dict[str, str]] = {}
    for inst in cfg.instruments:
        opts = cfg.instrument_options.get(inst.symbol, {})
        if opts.get("broker") not in (None, b.name):
            continue
        spec: dict[str, str] = {k: str(opts[k]) for k in ("sec_type", "exchange") if k in opts}
        specs[inst.symbol] = {**spec, "currency": inst.currency}
    icfg = IbkrConfig.from_mapping(b.name, b.raw, specs, cfg.seed)
    return IbkrAdapter(icfg, {s: i for s, i in instruments.items() if i.venue in (None, b.name)})


def _sim_adapter(b: BrokerConfig, cfg: LiveConfig) -> Any:
    from live.paper import DataClock, SimPaperAdapter
    from sim.driver import Source
    from sim.feeds import DataSpec, FeedStats, merge, probe_time_range, read_chunks

    entries = b.raw["data"] if isinstance(b.raw["data"], list) else [b.raw["data"]]
    instruments = {i.symbol: i for i in cfg.instruments}
    specs = []
    for i, entry in enumerate(entries):
        try:
            spec = DataSpec.from_entry(dict(entry), cfg.base_dir)
        except ValueError as exc:
            raise ScenarioError(cfg.path, f"brokers.{b.name}.data[{i}]", str(exc)) from None
        if spec.symbol not in instruments:
            raise ScenarioError(
                cfg.path, f"brokers.{b.name}.data[{i}].symbol", f"unknown symbol {spec.symbol!r}"
            )
        specs.append(spec)
    spans = [probe_time_range(s) for s in specs]
    start = min(s[0] for s in spans if s is not None)
    clock = DataClock(start, float(b.raw.get("speed", 1.0)))
    kinds = data_kinds([(s, None) for s in specs], b.name)
    broker = make_sim_broker(b.name, b.raw, instruments, kinds, clock, cfg.seed)
    stats = FeedStats()
    from executioncore.runner import session_bars
    from kernel.units import DAY_NS

    streams = []
    for i, s in enumerate(specs):
        stream = read_chunks(s, instruments[s.symbol], i, stats)
        if s.kind == "bars" and (s.interval_ns or 0) >= DAY_NS and broker.session is not None:
            # why: as in a backtest: a daily bar opens at the session open, known at the close
            stream = session_bars(stream, broker.session)
        streams.append(stream)
    chunks = merge(streams)
    sources = [Source(s.kind, s.symbol, s.interval_ns or 0) for s in specs]
    return SimPaperAdapter(b.name, broker, chunks, sources, clock)
