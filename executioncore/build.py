"""Run headers and the one ``build_kernel``: what a run is, written once, rebuilt the same way.

A run's journal starts with its header (``TAG_RUN``): a backtest's (``run_header``, from a
scenario) or a live session's (``live_header``, from ``executioncore.yaml``). ``build_kernel``
turns a header into a kernel, and it is how ``executioncore run``, ``executioncore live`` and
``executioncore replay`` all build theirs, so what a replay rebuilds is by construction what ran.
The header's key order is part of the journal's digest: change it only with the golden digests.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from executioncore import __version__
from executioncore.orders_spec import ScriptedOrders
from kernel.clock import SimClock
from kernel.enums import TimeInForce
from kernel.kernel import Kernel
from kernel.risk import RiskConfig
from kernel.strategy import Strategy
from kernel.units import Instrument, money_to_units

if TYPE_CHECKING:
    from executioncore.config import LiveConfig
    from executioncore.scenario import Scenario


class StrategyError(RuntimeError):
    """The scenario's strategy could not be loaded or built."""


def check_symbols(strategy: Strategy, symbols: Iterable[str]) -> None:
    """``StrategyError`` if the strategy subscribes to a symbol that is not traded."""
    known = list(symbols)
    for sym in strategy.symbols or ():
        if sym not in known:
            raise StrategyError(
                f"strategy.params: symbol {sym!r} is not an instrument here "
                f"(instruments: {', '.join(known)})"
            )


def build_strategies(
    spec: dict[str, Any] | None, orders: list[dict[str, Any]], start_ns: int, base_dir: Path
) -> list[Strategy]:
    """The scenario's strategy (imported by path) and the scripted orders, in that order."""
    out: list[Strategy] = []
    if spec is not None:
        out.append(load_strategy(spec, base_dir))
    if orders:
        out.append(ScriptedOrders(orders, start_ns))
    return out


def _forget_other_copy(path: str, base_dir: Path) -> None:
    """A module of this name imported earlier from another folder (another scenario's, in the
    same process: tests, sweeps) must not stand in for the one beside this scenario."""
    module = sys.modules.get(path)
    here = base_dir / (path.replace(".", "/") + ".py")
    if module is None or not here.is_file():
        return
    loaded = getattr(module, "__file__", None)
    if loaded is None or Path(loaded).resolve() != here.resolve():
        del sys.modules[path]
        importlib.invalidate_caches()


def load_strategy(spec: dict[str, Any], base_dir: Path) -> Strategy:
    """Import ``package.module:ClassName`` (the scenario's folder is on the path) and build it
    with ``params``; ``StrategyError`` names what is wrong (a module that does not import, a
    class it does not define, a parameter the class does not take)."""
    path, _, name = spec["class"].partition(":")
    # the scenario's folder first, then the current one
    for extra in (str(Path.cwd()), str(base_dir)):
        if extra in sys.path:
            sys.path.remove(extra)
        sys.path.insert(0, extra)
    _forget_other_copy(path, base_dir)
    try:
        module = importlib.import_module(path)
    except ImportError as exc:
        raise StrategyError(f"strategy.class: cannot import {path!r}: {exc}") from None
    except Exception as exc:  # why: the user's module failed while importing (a bug of theirs)
        raise StrategyError(
            f"strategy.class: cannot import {path!r}: {type(exc).__name__}: {exc}{_at(exc)}"
        ) from None
    if not hasattr(module, name):
        raise StrategyError(f"strategy.class: {_not_in_module(module, path, name)}")
    cls = getattr(module, name)
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise StrategyError(f"strategy.class: {spec['class']!r} is not a Strategy subclass")
    params = spec.get("params", {})
    check_params(cls, params)
    try:
        strategy = cls(**params)
    except TypeError as exc:
        raise StrategyError(f"strategy.params: {exc}") from None
    except Exception as exc:
        raise StrategyError(
            f"strategy.class: {spec['class']!r} could not be built: "
            f"{type(exc).__name__}: {exc}{_at(exc)}"
        ) from None
    if "id" in spec:
        strategy.strategy_id = spec["id"]
    return strategy


def check_params(cls: type, params: dict[str, Any]) -> None:
    """Raise ``StrategyError`` for a key of ``params`` the class's constructor does not take
    (listing the ones it does) or a required one missing. A constructor taking ``**kwargs``
    takes any key."""
    try:
        sig = inspect.signature(cls)
    except (TypeError, ValueError):  # why: a constructor Python cannot describe: let it judge
        return
    named = [
        p
        for p in sig.parameters.values()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    ]
    accepted = ", ".join(p.name for p in named) or "none"
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()):
        names = {p.name for p in named}
        for key in params:
            if key not in names:
                raise StrategyError(f"strategy.params: unknown key {key!r} (accepted: {accepted})")
    for p in named:
        if p.default is inspect.Parameter.empty and p.name not in params:
            raise StrategyError(f"strategy.params: missing key {p.name!r} (accepted: {accepted})")


def _not_in_module(module: Any, path: str, name: str) -> str:
    """``'Clas' does not exist in module 'pkg.mod'`` and the Strategy subclasses it defines."""
    defined = sorted(
        n
        for n, v in vars(module).items()
        if isinstance(v, type)
        and issubclass(v, Strategy)
        and v is not Strategy
        and v.__module__ == module.__name__
    )
    found = (
        f"the Strategy subclasses it defines: {', '.join(defined)}"
        if defined
        else "it defines no Strategy subclass"
    )
    return f"{name!r} does not exist in module {path!r} ({found})"


def _at(exc: BaseException) -> str:
    """`` at FILE:LINE`` of the innermost frame of ``exc`` (of a syntax error: its own place)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" at {exc.filename}:{exc.lineno}"
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f" at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else ""


def instrument_rows(
    instruments: Iterable[Instrument], routes: dict[str, tuple[str, ...]] | None = None
) -> list[dict[str, Any]]:
    """Instruments as header rows (exact decimals as strings; ``base`` only for spot pairs,
    ``venues`` only for a symbol with several venues, in routing order)."""
    rows: list[dict[str, Any]] = []
    for i in instruments:
        row: dict[str, Any] = {
            "symbol": i.symbol,
            "tick_size": str(i.tick_size),
            "lot_size": str(i.lot_size),
            "currency": i.currency,
            "multiplier": str(i.multiplier),
            "venue": i.venue,
        }
        if i.base is not None:
            row["base"] = i.base
        if routes and len(routes.get(i.symbol, ())) > 1:
            row["venues"] = list(routes[i.symbol])
        rows.append(row)
    return rows


def run_header(scenario: Scenario, seed: int, start_ns: int) -> dict[str, Any]:
    """What a replay needs to rebuild the kernel (JSON-like: str, int, float, lists, dicts)."""
    return {
        "format": 1,
        "version": __version__,
        "scenario": scenario.name,
        "seed": seed,
        "start_ns": start_ns,
        "currency": scenario.currency,
        "cash": str(scenario.cash),
        "instruments": instrument_rows(scenario.instruments, scenario.routes),
        "venues": [v.name for v in scenario.venues],
        **_venue_fees({v.name: v.fees.get("taker_bps", 0) for v in scenario.venues}),
        "sources": [
            {
                "kind": e.spec.kind,
                "symbol": e.spec.symbol,
                "interval_ns": e.spec.interval_ns or 0,
                "venues": list(e.venues) if e.venues is not None else None,
            }
            for e in scenario.data
        ],
        "outages": {
            v.name: [
                [f["start"], f["end"]]
                for f in scenario.faults
                if f["kind"] == "outage" and f["venue"] in (None, v.name)
            ]
            for v in scenario.venues
        },
        "risk": plain(scenario.risk),
        "strategy": plain(scenario.strategy),
        "orders": plain(scenario.orders),
        "journal_market_data": False,
        **({"monitoring": plain(_alert_rules(scenario))} if scenario.monitoring else {}),
        **({"signals": dict(scenario.signals)} if scenario.signals else {}),
    }


def _signal_follower(spec: dict[str, Any], base_dir: str | Path) -> Any:
    """The kernel's signal follower for a run's ``signals:`` (a backtest's rows read from its
    file, relative to the run's folder; live, rows come as journaled inputs)."""
    from executioncore.signals_file import SignalFileError, read_signals
    from kernel.signals import SignalFollower

    rows = []
    if spec.get("path"):
        path = Path(spec["path"])
        try:
            rows = read_signals(path if path.is_absolute() else Path(base_dir) / path)
        except SignalFileError as exc:
            raise StrategyError(f"signals: {exc}") from None
    return SignalFollower(spec.get("kind", "target_position"), spec.get("algo", "market"), rows)


def _alert_rules(scenario: Scenario) -> dict[str, Any]:
    """A scenario's ``monitoring:`` rules, checked as ``executioncore.yaml``'s (ScenarioError
    naming the key when one is wrong)."""
    from executioncore.config_monitoring import _monitoring
    from executioncore.scenario import _Checker

    checked = _monitoring(_Checker(scenario.path), scenario.monitoring)
    return {k: v for k, v in checked.items() if k in ("alerts", "alert_on_rejection")}


def _venue_fees(taker_bps: dict[str, Any]) -> dict[str, Any]:
    """``{"venue_fees": {venue: taker bps}}`` for the smart order router's default fees (each
    venue's own fee model), when there are several venues to choose between; else nothing (a
    one-venue run's header, and digest, stay as they were)."""
    if len(taker_bps) < 2:
        return {}
    return {"venue_fees": {v: str(b) for v, b in sorted(taker_bps.items()) if b is not None}}


def plain(value: Any) -> Any:
    """YAML values as msgpack-safe plain types (dates become ISO strings)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def live_header(
    cfg: LiveConfig,
    instruments: list[Instrument],
    orders: list[dict[str, Any]],
    start_ns: int,
    routes: dict[str, tuple[str, ...]] | None = None,
    venue_fees: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The journal header of a live run (what a replay or a recovery needs; no secrets)."""
    return {
        "format": 1,
        "scenario": cfg.name,
        "seed": cfg.seed,
        "start_ns": start_ns,
        "currency": cfg.currency,
        "cash": cfg.cash,
        "instruments": instrument_rows(instruments, routes),
        "venues": [b.name for b in cfg.brokers],
        **_venue_fees(venue_fees or {}),
        "sources": [],
        "outages": {},
        "risk": plain(cfg.risk),
        "strategy": plain(cfg.strategy),
        "orders": plain(orders),
        "id_prefix": cfg.id_prefix,
        "execution": plain(cfg.execution),
        "journal_market_data": True,
        "deny_when_down": True,
        "default_tif": cfg.default_tif,
        "live": True,
        "routing_policy": (cfg.routing or {}).get("policy", "hold"),
        # live signal rows arrive as journaled inputs (the file followed, /api/signals)
        **({"signals": {k: cfg.signals[k] for k in ("kind", "algo")}} if cfg.signals else {}),
        "monitoring": plain(
            {
                k: v
                for k, v in (cfg.monitoring or {}).items()
                if k in ("alerts", "alert_on_rejection")
            }
        ),
    }


def build_kernel(
    header: dict[str, Any],
    journal: Any,
    clock: Any = None,
    base_dir: str | Path = ".",
    venues: dict[str, Any] | None = None,
    strategy: Strategy | None = None,
    retain_closed: int | None = None,
) -> tuple[Kernel, Any]:
    """The kernel a run header describes: the one way ``run``, ``live`` and ``replay`` build it
    (a run is by construction what a replay rebuilds). ``venues``: the venue ports (default:
    ports that listen and answer nothing, for a replay); ``base_dir``: where the run's strategy
    files are (the journal's meta keeps it, outside the digest); ``strategy``: the header's
    strategy already built (live builds it first to learn its symbols); ``retain_closed``: the
    closed orders the OMS keeps in full (None: all; a run's meta keeps it, outside the digest)."""
    instruments = [
        Instrument(
            i["symbol"],
            Decimal(i["tick_size"]),
            Decimal(i["lot_size"]),
            i["currency"],
            Decimal(i["multiplier"]),
            i.get("venue"),
            i.get("base"),
        )
        for i in header["instruments"]
    ]
    if clock is None:
        clock = SimClock(header["start_ns"])
    else:
        clock.advance_to(header["start_ns"])
    if venues is None:
        venues = {name: _Listener(name) for name in header["venues"]}
    currency = header["currency"]
    kernel = Kernel(
        clock,
        instruments,
        venues,
        journal,
        currency=currency,  # type: ignore[arg-type]
        starting_cash={currency: money_to_units(header["cash"])},
        risk=RiskConfig.from_mapping(header.get("risk") or {}),
        seed=header["seed"],
        id_prefix=header.get("id_prefix", ""),
        journal_market_data=header.get("journal_market_data", False),
        default_venue=header.get("default_venue"),
        deny_when_down=header.get("deny_when_down", False),
        routes={i["symbol"]: tuple(i["venues"]) for i in header["instruments"] if "venues" in i},
        routing_policy=header.get("routing_policy", "hold"),
        venue_fees={v: Fraction(Decimal(b)) for v, b in (header.get("venue_fees") or {}).items()},
        retain_closed=retain_closed,
    )
    if header.get("monitoring"):
        from kernel.monitor import Monitor

        Monitor.install(kernel, header["monitoring"])
    if header.get("default_tif"):
        kernel.default_tif = TimeInForce[str(header["default_tif"]).upper()]
    strategies = build_strategies(
        None if strategy is not None else header.get("strategy"),
        header.get("orders") or [],
        header["start_ns"],
        Path(header.get("scenario_dir", base_dir)),
    )
    if strategy is not None:
        strategies.insert(0, strategy)
    if header.get("signals"):
        strategies.append(_signal_follower(header["signals"], base_dir))
    for s in strategies:
        try:
            kernel.add_strategy(s)
        except ValueError as exc:  # why: a symbol it names is not traded, or its id is taken
            raise StrategyError(f"strategy: {exc}") from None
    if header.get("execution"):
        from executioncore.algo_spec import algo_defaults

        algo_defaults(header["execution"]).install(kernel)
    elif any("algo" in o for o in header.get("orders") or []) or any(
        getattr(s, "uses_algos", False) for s in strategies
    ):
        # why: the host installs the algo engine before the run starts (a VWAP's historical
        # profile sees the whole run), never depending on when a strategy first touches it
        kernel.algo_engine()
    return kernel, clock


class _Listener:
    """A venue port that takes commands and answers nothing (the answers are in the journal)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def submit(self, cmd: Any) -> None:
        pass

    def cancel(self, cmd: Any) -> None:
        pass

    def modify(self, cmd: Any) -> None:
        pass
