"""``executioncore live``: the kernel against configured brokers, paper unless told otherwise.

Real money needs both ``paper: false`` in the config and ``--live`` on the command line. The
run folder (default ``runs/live-<name>/``) holds the journal; a journal left unfinished by a
crash is resumed: the kernel is rebuilt from it (every output checked on the way), then the
adapters reconcile with their venues and the run goes on, appending to the same journal.
``--fresh`` starts over instead.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import yaml

from executioncore.config import BrokerConfig, LiveConfig, load_config
from executioncore.orders_spec import check_orders
from executioncore.record import RunRecorder
from executioncore.replay import recover
from executioncore.runner import (
    RunResult,
    build_strategies,
    data_kinds,
    make_sim_broker,
    order_rows,
    summarize,
)
from executioncore.scenario import ScenarioError, _Checker
from executioncore.store import SqliteStore
from kernel.codec import IN, TAG_RUN
from kernel.journal import Journal
from kernel.kernel import Kernel
from kernel.risk import RiskConfig
from kernel.units import money_to_units
from live.clock import LiveClock
from live.runner import LiveRunner


class LiveError(Exception):
    """A live run that must not start (for the user: exit code 2)."""


def parse_duration(text: str) -> float:
    """``30s``, ``5m``, ``2h``, ``1d`` or plain seconds -> seconds."""
    units = {"ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}
    t = str(text).strip()
    for suffix in ("ms", "s", "m", "h", "d"):
        if t.endswith(suffix) and t[: -len(suffix)].replace(".", "", 1).isdigit():
            return float(t[: -len(suffix)]) * units[suffix]
    if t.replace(".", "", 1).isdigit():
        return float(t)
    raise LiveError(f"--run-for: expected a duration like 30s, 5m or 2h, got {text!r}")


def load_orders(path: Path, cfg: LiveConfig) -> list[dict[str, Any]]:
    """An ORDERS.yaml holding an ``orders:`` list (other keys optional)."""
    if not path.is_file():
        raise ScenarioError(path, "", "no such file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ScenarioError(path, "", f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    c = _Checker(path)
    raw = c.mapping(raw, "")
    from executioncore.algo_spec import algo_defaults

    defaults = algo_defaults(cfg.execution)
    entries = raw.get("orders") or []
    if isinstance(entries, list):  # why: execution.algos.* defaults fill each order's algo keys
        entries = [
            dict(e, algo=defaults.apply(e["algo"])) if isinstance(e, dict) and "algo" in e else e
            for e in entries
        ]
        raw = dict(raw, orders=entries)
    return check_orders(
        c,
        raw.get("orders") or [],
        {i.symbol: i for i in cfg.instruments},
        {b.name for b in cfg.brokers},
    )


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
    orders = load_orders(orders_path, cfg) if orders_path is not None else []
    run_for_s = None if run_for is None else parse_duration(run_for)
    run_dir = out if out is not None else Path("runs") / f"live-{cfg.name}"
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "journal"
    resuming = path.exists() and not fresh and not _finished(path)
    clock = LiveClock(0 if resuming else None)
    if resuming:
        store = SqliteStore.open(path, writable=True)
        rec = recover(store, clock)
        kernel, journal, unsent = rec.kernel, rec.journal, rec.unsent
        kernel.clock = clock
    else:
        store = SqliteStore.create(
            path, {"config": cfg.name, "live": True, "scenario_dir": str(cfg.base_dir.resolve())}
        )
        journal = Journal(store, block_records=1024)
        start = clock.now_ns()
        journal.append((IN, TAG_RUN, live_header(cfg, orders, start)))
        kernel = Kernel(
            clock,
            cfg.instruments,
            {},
            journal,
            currency=cfg.currency,
            starting_cash={cfg.currency: money_to_units(cfg.cash)},
            risk=RiskConfig.from_mapping(cfg.risk),
            seed=cfg.seed,
            id_prefix=cfg.id_prefix,
            journal_market_data=True,
            strict=False,
        )
        for strategy in build_strategies(cfg.strategy, orders, start, cfg.base_dir):
            kernel.add_strategy(strategy)
        install_execution(kernel, cfg.execution)
        unsent = []
    adapters = [build_adapter(b, cfg, clock) for b in cfg.brokers]
    for a in adapters:
        kernel.venues[a.name] = a
    recorder = RunRecorder()
    recorder.attach(kernel)
    from executioncore.tca import TcaObserver

    tca = TcaObserver()
    tca.attach(kernel)
    for cmd in unsent:
        _resend(kernel, cmd)

    def commit() -> None:
        journal.flush()

    runner = LiveRunner(
        kernel,
        clock,
        adapters,
        commit=commit,
        run_for_s=run_for_s,
        cancel_on_exit=cfg.cancel_on_exit,
        started=resuming,
    )
    t0 = time.perf_counter()
    asyncio.run(runner.run())
    wall = time.perf_counter() - t0
    digest = journal.digest()
    summary = summarize(kernel, recorder, cfg.name, cfg.seed, digest, wall, run_dir)
    summary["live"] = {
        "resumed": resuming,
        "stop": runner.stop_reason,
        "inputs": runner.inputs,
        "adapters": {a.name: a.stats() for a in adapters},
        "paper": not cfg.real_money,
    }
    summary["expectations"] = {"passed": True, "failures": []}
    summary["tca"] = tca.rows()
    store.set_meta({"finished": True, "digest": digest, "summary": summary})
    journal.close()
    record = recorder.record
    record.scenario, record.seed, record.summary = cfg.name, cfg.seed, summary
    record.orders = order_rows(kernel)
    record.risk_events = [{"ts": t, "code": c, "detail": d} for t, c, d in kernel.risk_events]
    record.tca = summary["tca"]
    return RunResult(summary, record, 0, run_dir)


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


def live_header(cfg: LiveConfig, orders: list[dict[str, Any]], start_ns: int) -> dict[str, Any]:
    """The journal header of a live run (what a replay or a recovery needs; no secrets)."""
    from executioncore.runner import _plain

    return {
        "format": 1,
        "scenario": cfg.name,
        "seed": cfg.seed,
        "start_ns": start_ns,
        "currency": cfg.currency,
        "cash": cfg.cash,
        "instruments": [
            {
                "symbol": i.symbol,
                "tick_size": str(i.tick_size),
                "lot_size": str(i.lot_size),
                "currency": i.currency,
                "multiplier": str(i.multiplier),
                "venue": i.venue,
            }
            for i in cfg.instruments
        ],
        "venues": [b.name for b in cfg.brokers],
        "sources": [],
        "outages": {},
        "risk": _plain(cfg.risk),
        "strategy": _plain(cfg.strategy),
        "orders": _plain(orders),
        "id_prefix": cfg.id_prefix,
        "execution": _plain(cfg.execution),
        "journal_market_data": True,
        "strict": False,
        "live": True,
    }


def build_adapter(b: BrokerConfig, cfg: LiveConfig, clock: LiveClock) -> Any:
    """The adapter for one configured broker."""
    if b.type == "sim":
        return _sim_adapter(b, cfg)
    from live.adapters.alpaca.client import AlpacaAdapter
    from live.adapters.alpaca.config import AlpacaConfig

    symbols = b.raw.get("symbols") or [
        i.symbol for i in cfg.instruments if i.venue in (None, b.name)
    ]
    acfg = AlpacaConfig.from_mapping(b.name, b.raw, b.key.reveal(), b.secret.reveal(), symbols)  # type: ignore[union-attr]
    return AlpacaAdapter(acfg, {i.symbol: i for i in cfg.instruments})


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
    chunks = merge([read_chunks(s, instruments[s.symbol], i, stats) for i, s in enumerate(specs)])
    sources = [Source(s.kind, s.symbol, s.interval_ns or 0) for s in specs]
    return SimPaperAdapter(b.name, broker, chunks, sources, clock)
