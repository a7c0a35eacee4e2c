"""``FakeAlpacaConfig``: what the fake Alpaca venue replays, where it listens, which faults.

Built in code (tests) or from the command line (``executioncore venue alpaca --data FILE
--port PORT --faults drop=0.1,http_429=0.05``): ``add_cli_arguments`` declares the flags on an
``argparse`` parser and ``from_args`` reads them back, ``from_cli(argv)`` does both.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kernel.units import Instrument
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
)
DATA_KINDS = ("quotes", "trades", "bars")


class ConfigError(ValueError):
    """A fake venue configuration that cannot be used (names the field)."""


@dataclass(slots=True)
class FakeAlpacaConfig:
    """The fake venue's settings.

    Market data: ``data`` (a CSV/Parquet file in the contract's columns for ``kind``: quotes,
    trades or bars with ``interval``), for ``symbol`` on a grid of ``tick_size`` / ``lot_size``;
    ``columns`` renames file columns. ``data=None`` runs a venue with no market (orders rest).
    Replay: one event every ``step_ms`` of wall time (0: as fast as the loop allows);
    ``start_paused`` waits for ``handle.resume()`` or ``handle.advance(n)``.
    Network: ``host`` (loopback only), ``port`` (0: ephemeral), ``key`` / ``secret``.
    Faults: ``faults`` maps a kind of ``FAULT_KINDS`` to a probability; ``seed`` seeds them;
    ``timeout_s`` is how late a ``submit_timeout`` answer comes (``submit_timeout_mode`` "delay"
    or "drop": close the connection unanswered); ``silence_s`` how long a silent socket lasts;
    ``retry_after_s`` the wait a 429 asks for. Account: ``cash`` (USD), ``exchange`` of the asset.
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
    step_ms: float = 5.0
    start_paused: bool = False
    seed: int = 0
    faults: dict[str, float] = field(default_factory=dict)
    timeout_s: float = 10.0
    submit_timeout_mode: str = "delay"
    silence_s: float | None = None
    retry_after_s: int = 1
    cash: str = "100000"
    exchange: str = "NASDAQ"

    def __post_init__(self) -> None:
        if self.data is not None:
            self.data = Path(self.data)
        if self.kind not in DATA_KINDS:
            raise ConfigError(f"kind: {self.kind!r} must be one of {', '.join(DATA_KINDS)}")
        if self.kind == "bars" and self.interval is None:
            raise ConfigError("interval: bars need an interval (e.g. 1m)")
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ConfigError(f"host: the fake venue binds to loopback only, not {self.host!r}")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port: {self.port} is not a port number")
        if self.step_ms < 0 or self.timeout_s < 0:
            raise ConfigError("step_ms and timeout_s must not be negative")
        if self.submit_timeout_mode not in ("delay", "drop"):
            raise ConfigError("submit_timeout_mode must be 'delay' or 'drop'")
        for kind, p in self.faults.items():
            if kind not in FAULT_KINDS:
                raise ConfigError(f"faults: unknown kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
            if not 0.0 <= float(p) <= 1.0:
                raise ConfigError(f"faults.{kind}: probability {p} is not in [0, 1]")
        self.faults = {k: float(v) for k, v in self.faults.items()}
        self.instrument()  # why: a bad tick or lot size fails here, not at the first order

    def instrument(self) -> Instrument:
        """The traded instrument."""
        try:
            return Instrument(self.symbol, self.tick_size, self.lot_size)
        except ValueError as exc:
            raise ConfigError(f"instrument: {exc}") from None

    def data_spec(self) -> DataSpec | None:
        """The market data entry (None without data)."""
        if self.data is None:
            return None
        assert self.kind in KINDS
        entry: dict[str, object] = {"kind": self.kind, "symbol": self.symbol, "path": self.data}
        if self.interval is not None:
            entry["interval"] = self.interval
        if self.columns:
            entry["columns"] = self.columns
        try:
            return DataSpec.from_entry(entry)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    # --- command line -------------------------------------------------------------------------
    @staticmethod
    def add_cli_arguments(parser: argparse.ArgumentParser) -> None:
        """Declare the venue's flags on ``parser``."""
        parser.add_argument("--data", type=Path, default=None, help="market data file")
        parser.add_argument("--symbol", default="XYZ")
        parser.add_argument("--tick-size", default="0.01")
        parser.add_argument("--lot-size", default="1")
        parser.add_argument("--kind", default="quotes", choices=DATA_KINDS)
        parser.add_argument("--interval", default=None, help="bar interval, e.g. 1m")
        parser.add_argument("--port", type=int, default=0)
        parser.add_argument("--key", default="fake-key-id")
        parser.add_argument("--secret", default="fake-secret-key")
        parser.add_argument("--step-ms", type=float, default=5.0)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--faults", default="", help="e.g. drop=0.1,http_429=0.05")
        parser.add_argument("--timeout", type=float, default=10.0, help="submit_timeout delay s")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> FakeAlpacaConfig:
        """The config from parsed flags (see ``add_cli_arguments``)."""
        return cls(
            data=args.data,
            symbol=args.symbol,
            tick_size=args.tick_size,
            lot_size=args.lot_size,
            kind=args.kind,
            interval=args.interval,
            port=args.port,
            key=args.key,
            secret=args.secret,
            step_ms=args.step_ms,
            seed=args.seed,
            faults=parse_faults(args.faults),
            timeout_s=args.timeout,
        )

    @classmethod
    def from_cli(cls, argv: Sequence[str] | None = None) -> FakeAlpacaConfig:
        """Parse ``argv`` (``--data FILE --port N ...``) into a config."""
        parser = argparse.ArgumentParser(prog="executioncore venue alpaca")
        cls.add_cli_arguments(parser)
        return cls.from_args(parser.parse_args(argv))


def parse_faults(text: str) -> dict[str, float]:
    """``"drop=0.1,http_429=0.05"`` -> ``{"drop": 0.1, "http_429": 0.05}``."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep:
            raise ConfigError(f"faults: {part!r} must be KIND=PROBABILITY")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"faults: {value!r} is not a probability") from None
    return out
