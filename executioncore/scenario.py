"""Scenario files: YAML in, a validated ``Scenario`` out, or a ``ScenarioError`` naming the file,
the key and what was expected.

The schema is CONTRACT.md's "Scenario file", extended with: ``venues:`` (a list, for several
venues), ``name`` inside a venue, ``latency.jitter_ms``, ``fill.queue_ahead`` (size assumed ahead
when the data cannot tell), ``venue:`` on a data entry (which venues see it), ``modify:`` entries
in ``orders``, ``end:`` (run until), ``faults:`` entries ``{kind: outage, venue, start, end}`` and
``{kind: reject, venue, probability}``, ``start:`` (data before it is skipped), ``mode:`` in a
venue (``recorded``, the default, or ``exchange``: ``sim.exchange_market``), ``kernel:
{retain_closed_orders: N}`` (how many closed orders the kernel keeps in full: ``kernel.oms``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from executioncore.checker import ScenarioError, _Checker, _show, unknown_value
from kernel.risk import ConfigError, RiskConfig
from kernel.units import Instrument, InvalidInstrument, UnitError, money_to_units, to_decimal
from sim.feeds import DataSpec
from sim.feeds.spec import KINDS, ON_BAD_ROW

TOP_KEYS = {
    "start",
    "name",
    "seed",
    "account",
    "instruments",
    "data",
    "venue",
    "venues",
    "risk",
    "strategy",
    "orders",
    "faults",
    "expect",
    "end",
    "description",
    "monitoring",
    "signals",
    "kernel",
}
KERNEL_KEYS = {"retain_closed_orders"}
INSTRUMENT_KEYS = {"symbol", "tick_size", "lot_size", "currency", "multiplier", "venue"}
VENUE_KEYS = {"name", "fees", "latency", "fill", "session"}
# why: ``mode`` is for scenarios only; a live ``type: sim`` broker (VENUE_KEYS) is recorded mode
SCENARIO_VENUE_KEYS = VENUE_KEYS | {"mode", "stp"}
# exchange mode's self-trade prevention between one strategy's orders (Binance's EXPIRE_TAKER,
# EXPIRE_MAKER, EXPIRE_BOTH, NONE)
STP_MODES = ("cancel_newest", "cancel_oldest", "cancel_both", "none")
VENUE_MODES = ("recorded", "exchange")
FAULT_KINDS = ("outage", "disconnect", "reject", "duplicate")
FEE_KEYS = {"maker_bps", "taker_bps", "per_unit", "minimum"}
LATENCY_KEYS = {"order_ms", "response_ms", "jitter_ms"}
FILL_KEYS = {"queue_position", "queue_ahead"}
SESSION_KEYS = {"open", "close", "tz"}
EXPECT_NUMBERS = {
    "realized_pnl",
    "unrealized_pnl",
    "commissions",
    "cash",
    "equity",
    "fills",
    "orders",
    "cancels",
    "expired",
    "rejects",
    "denied",
    "events",
    "max_drawdown",
    "total_return",
}
EXPECT_KEYS = EXPECT_NUMBERS | {"positions", "digest", "trading_state", "risk_events", "invariants"}


@dataclass
class VenueSpec:
    name: str = "sim"
    fees: dict[str, Any] = field(default_factory=dict)
    latency: dict[str, Any] = field(default_factory=dict)
    fill: dict[str, Any] = field(default_factory=dict)
    session: dict[str, Any] | None = None
    mode: str = "recorded"
    stp: str | None = None  # exchange mode only; None: cancel_newest


@dataclass
class DataEntry:
    spec: DataSpec
    venues: tuple[str, ...] | None
    raw: dict[str, Any]


@dataclass
class Scenario:
    """A validated scenario. Times in ``orders`` are resolved by the runner (``at``)."""

    path: Path
    name: str
    seed: int
    currency: str
    cash: str
    instruments: list[Instrument]
    data: list[DataEntry]
    venues: list[VenueSpec]
    risk: dict[str, Any]
    strategy: dict[str, Any] | None
    orders: list[dict[str, Any]]
    faults: list[dict[str, Any]]
    expect: dict[str, Any]
    end: int | None
    raw: dict[str, Any]
    start: int | None = None
    # symbol -> its venues in routing order (an instrument's ``venue: [a, b]``): failover
    routes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # ``monitoring:`` alert rules (``alerts``, ``alert_on_rejection``): alerts in backtests too
    monitoring: dict[str, Any] = field(default_factory=dict)
    # ``signals: {path, kind, algo}``: a file of targets (``kernel.signals``), path resolved
    signals: dict[str, Any] | None = None
    # ``kernel: {retain_closed_orders}``: closed orders kept in full (None: all; ``kernel.oms``)
    retain_closed_orders: int | None = None

    @property
    def base_dir(self) -> Path:
        return self.path.parent


def read_yaml(path: Path) -> Any:
    """A YAML file's document; ``ScenarioError`` for a missing, unreadable, invalid or empty file
    (``<path>: the file is empty`` when it holds no document: nothing, or only comments)."""
    if not path.is_file():
        raise ScenarioError(path, "", "no such file")
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(path, where, f"not valid YAML: {problem}") from None
    except UnicodeDecodeError:
        raise ScenarioError(path, "", "not a UTF-8 text file") from None
    if raw is None and not _explicit_null(text):
        raise ScenarioError(path, "", "the file is empty")
    return raw


def _explicit_null(text: str) -> bool:
    # why: a file that says ``null`` (or ``~``) holds a document; only "nothing there" is empty
    return any(
        line.strip() and not line.strip().startswith(("#", "---", "..."))
        for line in text.splitlines()
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    path = Path(path)
    return parse_scenario(read_yaml(path), path)


def parse_scenario(raw: Any, path: Path) -> Scenario:
    """Validate an already-parsed scenario mapping (``path`` is for messages and relative paths)."""
    c = _Checker(path)
    raw = c.mapping(raw, "", TOP_KEYS)
    name = c.text(raw.get("name", path.stem), "name")
    seed = c.integer(raw.get("seed", 0), "seed", minimum=0)
    account = c.mapping(raw.get("account", {}), "account", {"currency", "cash"})
    currency = c.text(account.get("currency", "USD"), "account.currency")
    cash = c.number(account.get("cash", 0), "account.cash", non_negative=True)
    try:
        money_to_units(cash)
    except UnitError as exc:
        raise c.fail("account.cash", str(exc)) from None
    instruments, routes = _instruments(c, raw.get("instruments"), currency)
    symbols = {i.symbol for i in instruments}
    venues = _venues(c, raw)
    venue_names = {v.name for v in venues}
    for i, inst in enumerate(instruments):
        for name in routes.get(inst.symbol, (inst.venue,) if inst.venue else ()):
            if name not in venue_names:
                raise c.fail(
                    f"instruments[{i}].venue",
                    f"unknown venue {name!r} (accepted: {', '.join(sorted(venue_names))})",
                )
    data = _data(c, raw.get("data"), symbols, venue_names, path.parent)
    _check_exchange_data(c, venues, data, "venues" in raw)
    risk = c.mapping(raw.get("risk") or {}, "risk")
    try:
        RiskConfig.from_mapping(risk, "risk")
    except ConfigError as exc:
        raise ScenarioError(path, "", str(exc)) from None
    strategy = _strategy(c, raw.get("strategy"))
    from executioncore.orders_spec import check_orders

    orders = check_orders(
        c, raw.get("orders") or [], {i.symbol: i for i in instruments}, venue_names
    )
    faults = _faults(c, raw.get("faults") or [], venue_names)
    expect = _expect(c, raw.get("expect") or {}, symbols)
    end = None if raw.get("end") is None else c.time(raw["end"], "end")[1]
    start = None if raw.get("start") is None else c.time(raw["start"], "start")[1]
    if start is not None and end is not None and end <= start:
        raise c.fail("end", "must be after start")
    if not data:
        raise c.fail("data", "at least one data source is needed")
    return Scenario(
        path,
        name,
        seed,
        currency,
        str(cash),
        instruments,
        data,
        venues,
        risk,
        strategy,
        orders,
        faults,
        expect,
        end,
        raw,
        start,
        routes=routes,
        monitoring=_scenario_monitoring(c, raw.get("monitoring")),
        signals=_scenario_signals(c, raw.get("signals"), path.parent),
        retain_closed_orders=_retain_closed(c, raw.get("kernel")),
    )


def _retain_closed(c: _Checker, value: Any) -> int | None:
    """``kernel: {retain_closed_orders: N}``: a whole number >= 0, or null (keep every order)."""
    value = c.mapping({} if value is None else value, "kernel", KERNEL_KEYS)
    n = value.get("retain_closed_orders")
    return None if n is None else c.integer(n, "kernel.retain_closed_orders", minimum=0)


def _instruments(
    c: _Checker, value: Any, currency: str
) -> tuple[list[Instrument], dict[str, tuple[str, ...]]]:
    if value is None:
        raise c.fail("instruments", "missing: list the instruments the scenario trades")
    out = []
    routes: dict[str, tuple[str, ...]] = {}
    for i, entry in enumerate(c.listing(value, "instruments")):
        where = f"instruments[{i}]"
        entry = c.mapping(entry, where, INSTRUMENT_KEYS)
        venue = entry.get("venue")
        if isinstance(venue, list):
            # why: several venues trade it, in routing order: orders go to the first that is up
            names = tuple(c.text(v, f"{where}.venue") for v in venue)
            if not names or len(set(names)) != len(names):
                raise c.fail(f"{where}.venue", "a list of distinct venue names, in routing order")
            venue = names[0]
            if len(names) > 1:
                routes[str(entry.get("symbol"))] = names
        for key in ("symbol", "tick_size", "lot_size"):
            if key not in entry:
                raise c.fail(f"{where}.{key}", "missing")
        symbol = c.text(entry["symbol"], f"{where}.symbol")
        c.number(entry["tick_size"], f"{where}.tick_size", positive=True)
        c.number(entry["lot_size"], f"{where}.lot_size", positive=True)
        try:
            inst = Instrument(
                symbol,
                _dec(entry["tick_size"]),
                _dec(entry["lot_size"]),
                currency=entry.get("currency", currency),
                multiplier=_dec(entry.get("multiplier", 1)),
                venue=venue,
            )
        except InvalidInstrument as exc:
            raise c.fail(where, str(exc)) from None
        if any(o.symbol == symbol for o in out):
            raise c.fail(f"{where}.symbol", f"{symbol!r} is listed twice")
        out.append(inst)
    if not out:
        raise c.fail("instruments", "at least one instrument is needed")
    return out, routes


SCENARIO_MONITORING_KEYS = {"alerts", "alert_on_rejection", "log_all_orders"}


def _scenario_monitoring(c: _Checker, value: Any) -> dict[str, Any]:
    """A scenario's ``monitoring:``, its keys checked: its alert rules (as in
    ``executioncore.yaml``; sinks, heartbeat, dashboard and metrics are the live host's). The
    rules themselves are checked when the run is prepared (``executioncore.build``)."""
    if value is None:
        return {}
    return dict(c.mapping(value, "monitoring", SCENARIO_MONITORING_KEYS))


SIGNAL_KINDS = ("target_position", "target_weight")


def _scenario_signals(c: _Checker, value: Any, base: Path) -> dict[str, Any] | None:
    """``signals: {path, kind (target_position), algo (market)}``: the file's rows are read
    and checked when the run is built (``executioncore.build``)."""
    if value is None:
        return None
    from executioncore.algo_spec import ALGO_NAMES, NO_ALGO

    value = c.mapping(value, "signals", {"path", "kind", "algo"})
    if "path" not in value:
        raise c.fail("signals.path", "missing: the signals file (ts, symbol, value)")
    file = Path(c.text(value["path"], "signals.path"))
    file = file if file.is_absolute() else base / file
    if not file.is_file():
        raise c.fail("signals.path", f"no such file {file}")
    kind = value.get("kind", "target_position")
    if kind not in SIGNAL_KINDS:
        raise c.fail("signals.kind", unknown_value(kind, SIGNAL_KINDS))
    algo = value.get("algo", NO_ALGO)
    if algo != NO_ALGO and algo not in ALGO_NAMES:
        raise c.fail("signals.algo", unknown_value(algo, (NO_ALGO, *ALGO_NAMES)))
    return {"path": str(value["path"]), "kind": kind, "algo": algo}


def _dec(value: Any) -> Any:
    # why: YAML reads 0.001 as a float; its shortest repr is the decimal the user wrote
    return to_decimal(value)


def _venues(c: _Checker, raw: dict[str, Any]) -> list[VenueSpec]:
    if "venue" in raw and "venues" in raw:
        raise c.fail("venues", "give either venue (one) or venues (a list), not both")
    entries = raw.get("venues")
    if entries is None:
        entries = [raw.get("venue") or {}]
        wheres = ["venue"]
    else:
        entries = c.listing(entries, "venues")
        wheres = [f"venues[{i}]" for i in range(len(entries))]
    out: list[VenueSpec] = []
    for entry, where in zip(entries, wheres, strict=True):
        entry = c.mapping(entry, where, SCENARIO_VENUE_KEYS)
        name = c.text(entry.get("name", "sim"), f"{where}.name")
        mode = entry.get("mode", "recorded")
        if mode not in VENUE_MODES:
            raise c.fail(f"{where}.mode", f"expected recorded or exchange, got {_show(mode)}")
        stp = entry.get("stp")
        if stp is not None:
            if mode != "exchange":
                raise c.fail(f"{where}.stp", "only with mode: exchange (one engine for everyone)")
            if stp not in STP_MODES:
                raise c.fail(
                    f"{where}.stp",
                    f"unknown value {_show(stp)} (accepted: {', '.join(STP_MODES)})",
                )
        fees = c.mapping(entry.get("fees") or {}, f"{where}.fees", FEE_KEYS)
        for k, v in fees.items():
            # why: a negative maker fee is a rebate; per-unit fees and minimums cannot be
            c.number(v, f"{where}.fees.{k}", non_negative=k in ("per_unit", "minimum"))
        latency = c.mapping(entry.get("latency") or {}, f"{where}.latency", LATENCY_KEYS)
        for k, v in latency.items():
            c.number(v, f"{where}.latency.{k}", non_negative=True)
        fill = c.mapping(entry.get("fill") or {}, f"{where}.fill", FILL_KEYS)
        if "queue_position" in fill:
            c.boolean(fill["queue_position"], f"{where}.fill.queue_position")
        if "queue_ahead" in fill:
            c.number(fill["queue_ahead"], f"{where}.fill.queue_ahead", non_negative=True)
        session = entry.get("session")
        if session is not None:
            session = c.mapping(session, f"{where}.session", SESSION_KEYS)
            for key in ("open", "close"):
                if key not in session:
                    raise c.fail(f"{where}.session.{key}", "missing (HH:MM)")
            from sim.session import Session, SessionError

            try:
                Session(str(session["open"]), str(session["close"]), str(session.get("tz", "UTC")))
            except SessionError as exc:
                raise c.fail(f"{where}.session", str(exc)) from None
        if any(v.name == name for v in out):
            raise c.fail(f"{where}.name", f"venue {name!r} is listed twice")
        out.append(VenueSpec(name, fees, latency, fill, session, mode, stp))
    return out


def _check_exchange_data(
    c: _Checker, venues: list[VenueSpec], data: list[DataEntry], listed: bool
) -> None:
    """An exchange-mode venue seeds its book from book or quotes data: each symbol it sees
    must have one of them (trades or bars alone leave the book empty)."""
    for i, v in enumerate(venues):
        if v.mode != "exchange":
            continue
        kinds: dict[str, set[str]] = {}
        for e in data:
            if e.venues is None or v.name in e.venues:
                kinds.setdefault(e.spec.symbol, set()).add(e.spec.kind)
        for sym, seen in kinds.items():
            if not seen & {"book", "quotes"}:
                raise c.fail(
                    f"venues[{i}].mode" if listed else "venue.mode",
                    f"exchange mode seeds its book from book or quotes data; {sym!r} has only "
                    f"{' and '.join(sorted(seen))} at venue {v.name!r}",
                )


def _data(
    c: _Checker, value: Any, symbols: set[str], venues: set[str], base: Path
) -> list[DataEntry]:
    out = []
    for i, entry in enumerate(c.listing(value if value is not None else [], "data")):
        where = f"data[{i}]"
        entry = dict(c.mapping(entry, where))
        venue = entry.pop("venue", None)
        if "kind" in entry and entry["kind"] not in KINDS:
            raise c.fail(f"{where}.kind", unknown_value(entry["kind"], KINDS))
        if "on_bad_row" in entry and entry["on_bad_row"] not in ON_BAD_ROW:
            raise c.fail(f"{where}.on_bad_row", unknown_value(entry["on_bad_row"], ON_BAD_ROW))
        sym = entry.get("symbol")
        if sym is not None and sym not in symbols:
            raise c.fail(
                f"{where}.symbol",
                f"unknown symbol {sym!r} (instruments: {', '.join(sorted(symbols))})",
            )
        if venue is not None:
            names = (venue,) if isinstance(venue, str) else tuple(venue)
            for name in names:
                if name not in venues:
                    raise c.fail(
                        f"{where}.venue",
                        f"unknown venue {name!r} (accepted: {', '.join(sorted(venues))})",
                    )
            venue_t: tuple[str, ...] | None = names
        else:
            venue_t = None
        try:
            spec = DataSpec.from_entry(entry, base)
        except ValueError as exc:
            raise c.fail(where, str(exc)) from None
        if not spec.path.is_file():
            raise c.fail(f"{where}.path", f"no such file {spec.path}")
        if spec.kind == "bars" and spec.interval_ns is None:
            raise c.fail(f"{where}.interval", "bars need an interval, e.g. 1m or 1d")
        out.append(DataEntry(spec, venue_t, entry))
    return out


def _strategy(c: _Checker, value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    value = c.mapping(value, "strategy", {"class", "params", "id"})
    cls = c.text(value.get("class"), "strategy.class")
    if ":" not in cls:
        raise c.fail("strategy.class", f"expected 'package.module:ClassName', got {cls!r}")
    params = c.mapping(value.get("params") or {}, "strategy.params")
    out = {"class": cls, "params": params}
    if "id" in value:
        out["id"] = c.text(value["id"], "strategy.id")
    return out


def _faults(c: _Checker, value: Any, venues: set[str]) -> list[dict[str, Any]]:
    out = []
    for i, entry in enumerate(c.listing(value, "faults")):
        where = f"faults[{i}]"
        entry = c.mapping(entry, where)
        kind = entry.get("kind")
        if kind in ("outage", "disconnect"):
            c.mapping(entry, where, {"kind", "venue", "start", "end"})
            start = c.time(entry.get("start"), f"{where}.start")[1]
            end = c.time(entry.get("end"), f"{where}.end")[1]
            if end <= start:
                raise c.fail(f"{where}.end", "must be after start")
            item: dict[str, Any] = {"kind": kind, "start": start, "end": end}
        elif kind in ("reject", "duplicate"):
            c.mapping(entry, where, {"kind", "venue", "probability"})
            p = c.number(entry.get("probability"), f"{where}.probability", non_negative=True)
            if float(p) > 1:
                raise c.fail(f"{where}.probability", f"must be between 0 and 1, got {p}")
            item = {"kind": kind, "probability": float(p)}
        else:
            raise c.fail(f"{where}.kind", unknown_value(kind, FAULT_KINDS))
        venue = entry.get("venue")
        if venue is not None and venue not in venues:
            raise c.fail(
                f"{where}.venue",
                f"unknown venue {venue!r} (accepted: {', '.join(sorted(venues))})",
            )
        item["venue"] = venue
        out.append(item)
    return out


def _expect(c: _Checker, value: Any, symbols: set[str]) -> dict[str, Any]:
    value = c.mapping(value, "expect", EXPECT_KEYS)
    for key, v in value.items():
        where = f"expect.{key}"
        if key in EXPECT_NUMBERS:
            if isinstance(v, dict):
                c.mapping(v, where, {"min", "max"})
                for bound in v.values():
                    c.number(bound, where)
            else:
                c.number(v, where)
        elif key == "positions":
            for sym, qty in c.mapping(v, where).items():
                if sym not in symbols:
                    raise c.fail(f"{where}.{sym}", "unknown symbol")
                c.number(qty, f"{where}.{sym}")
        elif key in ("digest", "trading_state"):
            c.text(v, where)
        elif key == "risk_events":
            for j, code in enumerate(c.listing(v, where)):
                c.text(code, f"{where}[{j}]")
        elif key == "invariants":
            _expect_invariants(c, v, where)
    return value


def _expect_invariants(c: _Checker, value: Any, where: str) -> None:
    """``true`` (every built-in invariant, and the strategy's ``@invariant`` methods), or a
    list of built-in names, ``all``, and ``module:function`` names (executioncore.testing)."""
    from executioncore.invariants import BUILTINS

    if value is True or value is False:
        return
    for j, name in enumerate(c.listing(value, where)):
        name = c.text(name, f"{where}[{j}]")
        if ":" not in name and name != "all" and name not in BUILTINS:
            raise c.fail(f"{where}[{j}]", unknown_value(name, ["all", *sorted(BUILTINS)]))
