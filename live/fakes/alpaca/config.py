"""``FakeAlpacaConfig``: what the fake Alpaca venue replays, where it listens, which faults.

Built in code (tests) or from the command line (``executioncore venue alpaca --data FILE
--symbol S --port PORT --faults drop=0.1,http_429=0.05``): ``add_cli_arguments`` declares the
flags on an ``argparse`` parser and ``from_args`` reads them back, ``from_cli(argv)`` does both;
``cli_parser()`` is the whole parser (``executioncore venue alpaca --help`` prints it).

Mode: ``mode="recorded"`` (default: every order meets the recorded market) or ``"exchange"``
(every account's orders meet each other in one L3 book per symbol, the recorded quotes as
background liquidity; ``live.fakes.alpaca.core``). Accounts: ``key`` / ``secret`` is the first;
``accounts=[(key, secret), ...]`` (``--account KEY:SECRET``, repeatable) adds more.

One symbol: ``FakeAlpacaConfig(symbol=..., data=..., tick_size=..., lot_size=...)``. Several:
``symbols=[SymbolFeed(symbol, data, tick_size, lot_size), ...]`` (one data file per symbol; the
files are merged by time), or on the command line several ``--data FILE --symbol S`` pairs
(paired in order; ``--tick-size`` / ``--lot-size`` likewise, or given once for all).

L2 book data (``kind="book"``) often comes as several files of one symbol, a snapshot and then
its diff updates: one ``SymbolFeed`` per file with the same symbol and grid (``--symbol S --data
SNAP --data UPDATES``, or ``--symbol S`` repeated); the symbol is traded once.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from kernel.units import Instrument, UnitError, money_to_units, to_decimal
from live.fakes.alpaca.flags import ConfigError, parse_accounts, parse_faults, parse_positions
from sim.feeds import KINDS, DataSpec

FAULT_KINDS = (
    "drop",  # a trade_updates message is not sent
    "duplicate",  # ... is sent twice
    "reorder",  # ... is held back and sent after the next one
    "silence",  # the socket stops sending (stays open) for silence_s seconds (None: for good)
    "disconnect",  # the venue closes the trade_updates socket instead of sending a message
    "http_429",  # a REST request is answered 429 with Alpaca's error body
    "http_5xx",  # a REST request is answered 500/502/503/504 (not processed)
    "submit_timeout",  # POST /v2/orders succeeds but the answer comes too late (or never)
    # rolled per REST request: REST goes down for rest_down_s seconds -- every request in the
    # window is answered 503 or has its connection dropped (a seeded choice each); streams stay up
    "rest_down",
    # rolled per trade_updates message: the socket stays open but sends nothing more for the rest
    # of the connection (until the client reconnects); REST keeps answering
    "mute",
)
DATA_KINDS = ("quotes", "trades", "bars", "book")
START_MODES = ("on-connect", "now")
MODES = ("recorded", "exchange")
DEFAULT_STEP_MS = 5.0
DEFAULT_MAX_WAIT_S = 3.0


@dataclass(slots=True)
class SymbolFeed:
    """One traded symbol: its data file (None: no market, orders rest) and its unit grid."""

    symbol: str
    data: Path | None = None
    tick_size: str = "0.01"
    lot_size: str = "1"

    def __post_init__(self) -> None:
        if self.data is not None:
            self.data = Path(self.data)

    def instrument(self) -> Instrument:
        try:
            return Instrument(self.symbol, self.tick_size, self.lot_size)
        except ValueError as exc:
            raise ConfigError(f"instrument: {exc}") from None


@dataclass(slots=True)
class FakeAlpacaConfig:
    """The fake venue's settings.

    Market data: ``data`` (a CSV/Parquet file in the contract's columns for ``kind``: quotes,
    trades, bars with ``interval``, or L2 book updates), for ``symbol`` on a grid of
    ``tick_size`` / ``lot_size``;
    ``columns`` renames file columns. ``data=None`` runs a venue with no market (orders rest).
    Several symbols: ``symbols`` (a list of ``SymbolFeed``; when given it replaces ``symbol``,
    ``data``, ``tick_size`` and ``lot_size``, which are set to its first entry's); every file is
    of ``kind``; the files are replayed merged by time. A symbol appears once, except with book
    data: one entry per file (a snapshot, then updates), each with data and the same grid.

    Replay: ``start`` is ``"on-connect"`` (the replay waits for the first client: a websocket
    connection to ``/stream`` or ``/v2/{feed}``, or a REST request with the right keys; the
    ``/_fake/`` endpoints do not count) or ``"now"``. Pace: one event every ``step_ms`` of wall
    time (0: as fast as the loop allows), or with ``speed`` X the data's own pace X times faster
    (a gap between two rows' timestamps waits gap / X, at most ``max_wait_s``); not both;
    neither: ``step_ms`` 5. ``loop``: when the data is used up, replay it again from the first
    row, shifted forward by the data's span plus one mean gap between rows (bars: one interval),
    so the venue's time keeps increasing. ``start_paused`` waits for ``handle.resume()`` or
    ``handle.advance(n)`` whatever ``start`` says.

    Network: ``host`` (loopback only), ``port`` (0: ephemeral), ``key`` / ``secret`` (the first
    account's), ``accounts`` more ``(key, secret)`` pairs, one account each (``key_pairs()``).
    ``mode``: ``"recorded"`` (each account's orders meet the recorded market, independently) or
    ``"exchange"`` (one matching engine per symbol for every account's orders).
    Faults: ``faults`` maps a kind of ``FAULT_KINDS`` to a probability; ``seed`` seeds them;
    ``timeout_s`` is how late a ``submit_timeout`` answer comes (``submit_timeout_mode`` "delay"
    or "drop": close the connection unanswered); ``silence_s`` how long a silent socket lasts;
    ``retry_after_s`` the wait a 429 asks for; ``rest_down_s`` how long REST stays down.

    Account: ``cash`` (in ``currency``), ``exchange`` of the assets, ``initial_positions``
    (``{symbol: (qty, avg_entry_price)}``, qty negative for a short: held from before the
    session, their cost taken from ``cash``); every account starts so.
    """

    data: Path | None = None
    symbol: str = "XYZ"
    tick_size: str = "0.01"
    lot_size: str = "1"
    kind: str = "quotes"
    interval: str | None = None
    columns: dict[str, str] | None = None
    host: str = "127.0.0.1"
    port: int = 0
    key: str = "fake-key-id"
    secret: str = "fake-secret-key"
    step_ms: float | None = None
    start_paused: bool = False
    seed: int = 0
    faults: dict[str, float] = field(default_factory=dict)
    timeout_s: float = 10.0
    submit_timeout_mode: str = "delay"
    silence_s: float | None = None
    retry_after_s: int = 1
    cash: str = "100000"
    exchange: str = "NASDAQ"
    symbols: list[SymbolFeed] | None = None
    start: str = "on-connect"
    loop: bool = False
    speed: float | None = None
    max_wait_s: float = DEFAULT_MAX_WAIT_S
    rest_down_s: float = 2.0
    currency: str = "USD"
    initial_positions: dict[str, tuple[str, str]] = field(default_factory=dict)
    mode: str = "recorded"
    accounts: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.symbols is not None:
            feeds = [f if isinstance(f, SymbolFeed) else SymbolFeed(*f) for f in self.symbols]
            if not feeds:
                raise ConfigError("symbols: give at least one symbol")
            names = [f.symbol for f in feeds]
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup and self.kind != "book":
                raise ConfigError(
                    f"symbols: {', '.join(dup)} given more than once (several files of one "
                    "symbol: book data only)"
                )
            for name in dup:
                same = [f for f in feeds if f.symbol == name]
                if (
                    any(f.data is None for f in same)
                    or len({(f.tick_size, f.lot_size) for f in same}) > 1
                ):
                    raise ConfigError(f"symbols: each file of {name} needs data and one grid")
            self.symbols = feeds
            first = feeds[0]
            self.symbol, self.data = first.symbol, first.data
            self.tick_size, self.lot_size = first.tick_size, first.lot_size
        if self.data is not None:
            self.data = Path(self.data)
        if self.kind not in DATA_KINDS:
            raise ConfigError(f"kind: {self.kind!r} must be one of {', '.join(DATA_KINDS)}")
        if self.kind == "bars" and self.interval is None:
            raise ConfigError("interval: bars need an interval (e.g. 1m)")
        if self.kind == "book" and all(f.data is None for f in self.feeds()):
            # why: the venue shows the replayed book; without its files --kind book is a slip
            raise ConfigError("data: book data needs its files (e.g. a snapshot, then updates)")
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ConfigError(f"host: the fake venue binds to loopback only, not {self.host!r}")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port: {self.port} is not a port number")
        if self.speed is not None and self.step_ms is not None:
            raise ConfigError("speed and step_ms: give one pace, not both")
        if self.speed is None and self.step_ms is None:
            self.step_ms = DEFAULT_STEP_MS
        if self.speed is not None and not self.speed > 0:
            raise ConfigError(f"speed: {self.speed} must be positive")
        if (self.step_ms or 0) < 0 or self.timeout_s < 0:
            raise ConfigError("step_ms and timeout_s must not be negative")
        if self.max_wait_s < 0 or self.rest_down_s < 0:
            raise ConfigError("max_wait_s and rest_down_s must not be negative")
        if self.start not in START_MODES:
            raise ConfigError(f"start: {self.start!r} must be one of {', '.join(START_MODES)}")
        if self.mode not in MODES:
            raise ConfigError(f"mode: {self.mode!r} must be one of {', '.join(MODES)}")
        self.accounts = [(str(k), str(v)) for k, v in self.accounts]
        keys = [k for k, _ in self.key_pairs()]
        if not all(k and v for k, v in self.key_pairs()):
            raise ConfigError("accounts: every key and secret must be non-empty")
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ConfigError(f"accounts: key {', '.join(dup)} given more than once")
        if self.submit_timeout_mode not in ("delay", "drop"):
            raise ConfigError("submit_timeout_mode must be 'delay' or 'drop'")
        if not isinstance(self.currency, str) or not self.currency:
            raise ConfigError("currency: must be a non-empty code, e.g. USD")
        for kind, p in self.faults.items():
            if kind not in FAULT_KINDS:
                raise ConfigError(f"faults: unknown kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
            if not 0.0 <= float(p) <= 1.0:
                raise ConfigError(f"faults.{kind}: probability {p} is not in [0, 1]")
        self.faults = {k: float(v) for k, v in self.faults.items()}
        instruments = {f.symbol: f.instrument() for f in self.feeds()}  # why: fail here
        try:
            money_to_units(self.cash, "cash")
        except UnitError as exc:
            raise ConfigError(f"cash: {exc}") from None
        self.initial_positions = {
            sym: (str(qty), str(px)) for sym, (qty, px) in self.initial_positions.items()
        }
        for sym in self.initial_positions:
            if sym not in instruments:
                raise ConfigError(f"initial_positions: {sym!r} is not a symbol of this venue")
            self.opening_position(instruments[sym])

    def feeds(self) -> list[SymbolFeed]:
        """The traded symbols, in order (one ``SymbolFeed`` for a single-symbol config)."""
        if self.symbols is not None:
            return list(self.symbols)
        return [SymbolFeed(self.symbol, self.data, self.tick_size, self.lot_size)]

    def key_pairs(self) -> list[tuple[str, str]]:
        """Every account's ``(key, secret)``: ``key`` / ``secret`` first, then ``accounts``."""
        return [(self.key, self.secret), *self.accounts]

    def instrument(self) -> Instrument:
        """The (first) traded instrument."""
        return self.feeds()[0].instrument()

    def instruments(self) -> list[Instrument]:
        """Every traded instrument, in order (a symbol with several book files once)."""
        out: dict[str, Instrument] = {}
        for f in self.feeds():
            if f.symbol not in out:
                out[f.symbol] = f.instrument()
        return list(out.values())

    def opening_position(self, inst: Instrument) -> tuple[int, Fraction, int] | None:
        """``initial_positions[symbol]`` as (signed lots, signed cost in ticks x lots, cost in
        money units), or None when the symbol starts flat."""
        entry = self.initial_positions.get(inst.symbol)
        if entry is None:
            return None
        where = f"initial_positions.{inst.symbol}"
        qty_text, px_text = entry
        try:
            qty = to_decimal(qty_text, f"{where} qty")
            px = to_decimal(px_text, f"{where} price")
            lots = inst.qty_to_lots(abs(qty), f"{where} qty") * (1 if qty >= 0 else -1)
            cost_money = money_to_units(qty * px, f"{where} cost")
        except (UnitError, ValueError) as exc:
            raise ConfigError(str(exc)) from None
        if lots == 0:
            raise ConfigError(f"{where}: qty must not be zero")
        if px <= 0:
            raise ConfigError(f"{where}: price must be positive")
        cost = Fraction(px) / Fraction(inst.tick_size) * lots
        return lots, cost, cost_money

    def data_specs(self) -> list[tuple[Instrument, DataSpec]]:
        """The market data entries with their instruments (symbols without data left out)."""
        out = []
        for feed in self.feeds():
            if feed.data is None:
                continue
            assert self.kind in KINDS
            entry: dict[str, object] = {"kind": self.kind, "symbol": feed.symbol, "path": feed.data}
            if self.interval is not None:
                entry["interval"] = self.interval
            if self.columns:
                entry["columns"] = self.columns
            try:
                out.append((feed.instrument(), DataSpec.from_entry(entry)))
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        return out

    def data_spec(self) -> DataSpec | None:
        """The (first) market data entry (None without data)."""
        specs = self.data_specs()
        return specs[0][1] if specs else None

    def pace(self) -> str:
        """The replay's pace in words (``--speed 2`` or ``--step-ms 5``)."""
        if self.speed is not None:
            return f"{_num(self.speed)}x the data's pace (a gap waits at most {_num(self.max_wait_s)} s)"
        return f"one event every {_num(self.step_ms or 0)} ms"

    # --- command line -------------------------------------------------------------------------
    @staticmethod
    def add_cli_arguments(parser: argparse.ArgumentParser) -> None:
        """Declare the venue's flags on ``parser``."""
        add_market_arguments(
            parser, "a websocket to the trade or data stream, or a REST request with the right keys"
        )
        net = parser.add_argument_group("network")
        net.add_argument(
            "--port", type=int, default=0, help="port on 127.0.0.1 (default 0: a free one)"
        )
        net.add_argument(
            "--key",
            default="fake-key-id",
            help="API key id clients must send (default fake-key-id)",
        )
        net.add_argument(
            "--secret",
            default="fake-secret-key",
            help="API secret key clients must send (default fake-secret-key)",
        )
        net.add_argument(
            "--account",
            action="append",
            default=[],
            metavar="KEY:SECRET",
            help="one more account with its own API key pair (repeatable): its own cash, "
            "positions, orders and trade_updates stream; --key/--secret stays the first account",
        )
        acct = add_account_arguments(parser)
        acct.add_argument(
            "--exchange", default="NASDAQ", help="the assets' exchange (default NASDAQ)"
        )
        flt = parser.add_argument_group("faults")
        flt.add_argument(
            "--faults",
            default="",
            metavar="KIND=RATE,...",
            help="seeded faults, each a probability per message or request; kinds: "
            + ", ".join(FAULT_KINDS),
        )
        flt.add_argument(
            "--seed", type=int, default=0, help="seed of the faults and the ids (default 0)"
        )
        flt.add_argument(
            "--timeout",
            type=float,
            default=10.0,
            metavar="S",
            help="submit_timeout: how late the answer comes (default 10 s)",
        )
        flt.add_argument(
            "--submit-timeout-mode",
            default="delay",
            choices=("delay", "drop"),
            help="submit_timeout: answer late (delay, default) or drop the connection unanswered",
        )
        flt.add_argument(
            "--silence",
            type=float,
            default=None,
            metavar="S",
            help="silence: how long the trade stream stays silent (default: for good)",
        )
        flt.add_argument(
            "--retry-after",
            type=int,
            default=1,
            metavar="S",
            help="http_429: the Retry-After it asks for (default 1 s)",
        )
        flt.add_argument(
            "--rest-down",
            type=float,
            default=2.0,
            metavar="S",
            help="rest_down: how long REST stays down (default 2 s)",
        )

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> FakeAlpacaConfig:
        """The config from parsed flags (see ``add_cli_arguments``)."""
        return cls(
            **market_kwargs(args),
            port=args.port,
            key=args.key,
            secret=args.secret,
            faults=parse_faults(args.faults),
            timeout_s=args.timeout,
            submit_timeout_mode=args.submit_timeout_mode,
            silence_s=args.silence,
            retry_after_s=args.retry_after,
            rest_down_s=args.rest_down,
            exchange=args.exchange,
            accounts=parse_accounts(args.account),
        )

    @staticmethod
    def cli_parser(prog: str = "executioncore venue alpaca") -> argparse.ArgumentParser:
        """The venue's whole command line parser."""
        parser = argparse.ArgumentParser(
            prog=prog,
            description="A local Alpaca-compatible venue on 127.0.0.1: REST v2, trade_updates "
            "and market data websockets, backed by the simulator's fill rules on replayed "
            "market data. It prints its URLs (a JSON line first) and serves until Ctrl-C.",
            epilog="Example: executioncore venue alpaca --data scenarios/data/truefx_usdjpy-"
            "ticks.csv --symbol USDJPY --tick-size 0.001 --lot-size 1000 --speed 10 --loop",
        )
        FakeAlpacaConfig.add_cli_arguments(parser)
        return parser

    @classmethod
    def from_cli(cls, argv: Sequence[str] | None = None) -> FakeAlpacaConfig:
        """Parse ``argv`` (``--data FILE --port N ...``) into a config."""
        return cls.from_args(cls.cli_parser().parse_args(argv))


def add_market_arguments(
    parser: argparse.ArgumentParser,
    first_client: str,
    *,
    symbol: str = "XYZ",
    kind: str = "quotes",
    tick_size: str = "0.01",
    lot_size: str = "1",
) -> None:
    """Declare the market data, matching and replay flags (shared with the other local venues;
    ``market_kwargs`` reads them); ``first_client`` is what starts ``--start on-connect``.
    ``symbol``, ``kind``, ``tick_size`` and ``lot_size`` are the venue's defaults (``--kind``'s
    and, for the help text, the others': a venue with its own fills them in before
    ``market_kwargs``)."""
    data = parser.add_argument_group("market data")
    data.add_argument(
        "--data",
        type=Path,
        action="append",
        metavar="FILE",
        help="recorded market data (CSV or Parquet, one symbol a file); repeat it with "
        "--symbol for several symbols (paired in order). Book data of one symbol in several "
        "files (a snapshot, then diff updates): one --symbol, a --data for each file. "
        "Without it: no market, orders rest",
    )
    data.add_argument(
        "--symbol",
        action="append",
        metavar="S",
        help=f"the symbol traded (repeatable, paired in order with --data; with --kind book "
        f"one --symbol serves every --data, or repeat the same symbol; default {symbol})",
    )
    data.add_argument(
        "--tick-size",
        action="append",
        metavar="TICK",
        help=f"price increment, e.g. {tick_size} (repeatable, paired with --symbol; one "
        f"value: all symbols; default {tick_size})",
    )
    data.add_argument(
        "--lot-size",
        action="append",
        metavar="LOT",
        help=f"quantity increment and minimum order size, e.g. {lot_size} (repeatable like "
        f"--tick-size; default {lot_size})",
    )
    data.add_argument(
        "--kind",
        default=kind,
        choices=DATA_KINDS,
        help=f"what the data files hold: quotes, trades, bars (with --interval) or book (L2 "
        f"snapshot and diff rows, replayed one timestamp of a file at a time; default {kind})",
    )
    data.add_argument("--interval", default=None, help="bar length for --kind bars, e.g. 1m")
    parser.add_argument_group("matching").add_argument(
        "--mode",
        default="recorded",
        choices=MODES,
        help="recorded (default): every order meets the recorded market (each account on "
        "its own); exchange: one matching engine per symbol where the accounts' orders "
        "trade with each other at the resting order's price, the recorded quotes or book "
        "as background liquidity (self-trade prevention within an account)",
    )
    replay = parser.add_argument_group("replay")
    replay.add_argument(
        "--start",
        default="on-connect",
        choices=START_MODES,
        help=f"on-connect (default): the replay starts when the first client connects "
        f"({first_client}); now: at once",
    )
    replay.add_argument(
        "--speed",
        type=float,
        default=None,
        metavar="X",
        help="replay at X times the data's own pace (gaps between timestamps divided by X, "
        "each wait capped by --max-wait); not with --step-ms",
    )
    replay.add_argument(
        "--step-ms",
        type=float,
        default=None,
        metavar="MS",
        help=f"replay one event every MS milliseconds, whatever the timestamps (0: as fast "
        f"as possible); the default pace ({_num(DEFAULT_STEP_MS)}) when --speed is not given",
    )
    replay.add_argument(
        "--max-wait",
        type=float,
        default=DEFAULT_MAX_WAIT_S,
        metavar="S",
        help=f"with --speed: the longest wait between two events, so a long gap (a weekend) "
        f"does not stall the replay (default {_num(DEFAULT_MAX_WAIT_S)} s)",
    )
    replay.add_argument(
        "--loop",
        action="store_true",
        help="when the data is used up, replay it again from the first row (book data: the "
        "book restarts from it), shifted forward in time (the venue's clock, order ids and "
        "fills keep increasing)",
    )


def add_account_arguments(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """Declare ``--cash``, ``--currency`` and ``--position`` in an "account" group (returned)."""
    acct = parser.add_argument_group("account")
    acct.add_argument(
        "--cash", default="100000", help="starting cash of the account (default 100000)"
    )
    acct.add_argument("--currency", default="USD", help="the account's currency (default USD)")
    acct.add_argument(
        "--position",
        action="append",
        default=[],
        metavar="SYMBOL=QTY@PRICE",
        help="a position held from before the session, e.g. AAPL=10@150 (QTY negative for "
        "a short); its cost comes out of --cash (repeatable)",
    )
    return acct


def market_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The ``FakeAlpacaConfig`` arguments of the flags ``add_market_arguments`` and
    ``add_account_arguments`` declare, plus ``--seed`` (symbols paired with their files; book
    data: one symbol for every file)."""
    symbols = list(args.symbol or ["XYZ"])
    data = list(args.data or [])
    if args.kind == "book" and len(symbols) == 1 and len(data) > 1:
        symbols *= len(data)  # why: a snapshot and its updates are files of one symbol
    n = len(symbols)
    if data and len(data) != n:
        raise ConfigError(
            f"--data: {len(data)} file(s) for {n} symbol(s); give one --data per --symbol "
            "(a file holds one symbol)"
        )
    ticks = _per_symbol(args.tick_size, n, "--tick-size", "0.01")
    lots = _per_symbol(args.lot_size, n, "--lot-size", "1")
    feeds = [
        SymbolFeed(s, data[i] if data else None, ticks[i], lots[i]) for i, s in enumerate(symbols)
    ]
    out: dict[str, Any] = dict(
        kind=args.kind,
        interval=args.interval,
        step_ms=args.step_ms,
        speed=args.speed,
        max_wait_s=args.max_wait,
        start=args.start,
        loop=args.loop,
        seed=args.seed,
        cash=args.cash,
        currency=args.currency,
        initial_positions=parse_positions(args.position),
        mode=args.mode,
    )
    if n == 1:
        f = feeds[0]
        out.update(data=f.data, symbol=f.symbol, tick_size=f.tick_size, lot_size=f.lot_size)
    else:
        out["symbols"] = feeds
    return out


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _per_symbol(values: list[str] | None, n: int, flag: str, default: str) -> list[str]:
    if not values:
        return [default] * n
    if len(values) == 1:
        return list(values) * n
    if len(values) != n:
        raise ConfigError(f"{flag}: {len(values)} values for {n} symbols; give one, or one each")
    return list(values)
