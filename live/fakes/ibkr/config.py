"""``FakeIbkrConfig``: what the local IB venue replays, where it listens, which faults.

The market side (data files, symbols and their grids, replay pace, start, loop, seed, cash,
currency, positions held from before, matching mode) is a ``FakeAlpacaConfig`` (``market``):
the same simulated venue, replay and ledger the Alpaca fake runs, so both venues read the same
flags the same way (``live.fakes.alpaca.config.add_market_arguments``). On top of it: the
loopback ``host`` / ``port``, the ``account`` id (``managedAccounts``), the security type of a
symbol when the inference of ``live.fakes.ibkr.contracts`` is not wanted, the seeded faults of
``FAULT_KINDS``, how long a ``conn_lost`` outage lasts, and the pacing limit.

Command line: ``cli_parser()`` is ``executioncore venue ibkr``'s parser, ``from_args`` reads it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field

from live.fakes.alpaca.config import (
    ConfigError,
    FakeAlpacaConfig,
    add_account_arguments,
    add_market_arguments,
    market_kwargs,
    parse_faults,
)
from live.fakes.alpaca.faults import Faults
from live.fakes.ibkr.contracts import SEC_TYPES

FAULT_KINDS = (
    "drop_exec",  # a live execDetails is not sent (reqExecutions still returns it)
    "socket_close",  # after a message is handled the venue drops the connection
    "conn_lost",  # error 1100, orders refused, events held, then 1102 after conn_lost_s
    "pacing",  # a message is answered with error 100 and not handled
    "dup_status",  # an orderStatus is sent twice
    "partial",  # a fill is reported as 2 or 3 partial executions
)
FAULTS_HELP = (
    "seeded faults, each a probability per event; kinds: drop_exec (per execution: its live "
    "execDetails is not sent), socket_close (per client message: the connection is dropped "
    "after it), conn_lost (per client message: error 1100, orders refused, then 1102), pacing "
    "(per client message: a spurious error 100, not handled), dup_status (per orderStatus: "
    "sent twice), partial (per fill: reported as 2 or 3 executions)"
)
DEFAULT_ACCOUNT = "DU0000001"
MAX_RATE = 50  # messages a second a client may send (TWS's limit)


@dataclass(slots=True)
class FakeIbkrConfig:
    """The IB venue's settings (see the module docstring); ``market.faults`` stays empty:
    ``faults`` holds this venue's kinds, seeded by ``market.seed``."""

    market: FakeAlpacaConfig = field(default_factory=FakeAlpacaConfig)
    host: str = "127.0.0.1"
    port: int = 0
    account: str = DEFAULT_ACCOUNT
    sec_types: dict[str, str] = field(default_factory=dict)
    faults: dict[str, float] = field(default_factory=dict)
    conn_lost_s: float = 3.0
    max_rate: int = MAX_RATE

    def __post_init__(self) -> None:
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ConfigError(f"host: the local venue binds to loopback only, not {self.host!r}")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port: {self.port} is not a port number")
        if not self.account or "," in self.account:
            raise ConfigError(f"account: {self.account!r} must be one account id, e.g. DU0000001")
        if self.market.faults:
            raise ConfigError("market.faults: give the IB venue's faults in faults")
        symbols = {f.symbol for f in self.market.feeds()}
        for sym, kind in self.sec_types.items():
            if sym not in symbols:
                raise ConfigError(f"sec-type: {sym!r} is not a symbol of this venue")
            if kind not in SEC_TYPES:
                raise ConfigError(f"sec-type {sym}: {kind!r} is not one of {', '.join(SEC_TYPES)}")
        Faults(self.market.seed, self.faults, FAULT_KINDS, "fake-ibkr")  # why: its checks
        self.faults = {k: float(v) for k, v in self.faults.items()}
        if not self.conn_lost_s >= 0:
            raise ConfigError(f"conn_lost_s: {self.conn_lost_s} must not be negative")
        if self.max_rate < 1:
            raise ConfigError(f"max_rate: {self.max_rate} must be at least 1")

    @property
    def seed(self) -> int:
        return self.market.seed

    # --- command line -------------------------------------------------------------------------
    @classmethod
    def from_args(cls, args: argparse.Namespace) -> FakeIbkrConfig:
        """The config from parsed flags (``cli_parser``)."""
        return cls(
            market=FakeAlpacaConfig(**market_kwargs(args)),
            port=args.port,
            account=args.account,
            sec_types=parse_sec_types(args.sec_type),
            faults=parse_faults(args.faults),
            conn_lost_s=args.conn_lost,
            max_rate=args.max_rate,
        )

    @classmethod
    def from_cli(cls, argv: Sequence[str] | None = None) -> FakeIbkrConfig:
        """Parse ``argv`` (``--data FILE --symbol S --port N ...``) into a config."""
        return cls.from_args(cli_parser().parse_args(argv))


def cli_parser(prog: str = "executioncore venue ibkr") -> argparse.ArgumentParser:
    """``executioncore venue ibkr``'s whole parser (``--help`` describes every flag)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="A local Interactive Brokers venue on 127.0.0.1 speaking the TWS API "
        "socket protocol (what TWS and IB Gateway speak; ib_async, ib_insync and ibapi "
        "connect to it), backed by the simulator's fill rules on replayed market data. It "
        "prints where it listens (a JSON line first) and serves until Ctrl-C.",
        epilog="Example: executioncore venue ibkr --data scenarios/data/truefx_usdjpy-ticks.csv "
        "--symbol USDJPY --tick-size 0.001 --lot-size 1000 --port 7497 --speed 10 --loop; "
        "then IB().connect('127.0.0.1', 7497, clientId=1) and Forex('USDJPY').",
    )
    add_market_arguments(parser, "an API client completing the handshake")
    net = parser.add_argument_group("network")
    net.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default 0: a free one; TWS "
        "paper trading uses 7497, IB Gateway paper 4002)",
    )  # fmt: skip
    net.add_argument(
        "--account",
        default=DEFAULT_ACCOUNT,
        help=f"the account id clients see in managedAccounts and on their orders (default "
        f"{DEFAULT_ACCOUNT})",
    )
    net.add_argument(
        "--sec-type",
        action="append",
        default=[],
        metavar="SYMBOL=TYPE",
        help="a symbol's IB security type, STK, CASH or CRYPTO (repeatable); default: "
        "inferred (BTC/USD and BTCUSDT crypto, USDJPY forex, the rest stocks)",
    )
    net.add_argument(
        "--max-rate",
        type=int,
        default=MAX_RATE,
        metavar="N",
        help=f"messages a second a client may send; the next one within the second is "
        f"answered with error 100 and not handled, as TWS does (default {MAX_RATE})",
    )
    add_account_arguments(parser)
    flt = parser.add_argument_group("faults")
    flt.add_argument("--faults", metavar="KIND=RATE,...", default="", help=FAULTS_HELP)
    flt.add_argument(
        "--seed", type=int, default=0, help="seed of the faults and of the ids (default 0)"
    )
    flt.add_argument(
        "--conn-lost",
        type=float,
        default=3.0,
        metavar="S",
        help="conn_lost: seconds between error 1100 and 1102 (default 3)",
    )
    return parser


def parse_sec_types(items: Sequence[str]) -> dict[str, str]:
    """``["USDJPY=CASH"]`` -> ``{"USDJPY": "CASH"}``."""
    out: dict[str, str] = {}
    for item in items:
        sym, sep, kind = item.partition("=")
        if not (sep and sym.strip() and kind.strip()):
            raise ConfigError(f"sec-type: {item!r} must be SYMBOL=TYPE, e.g. USDJPY=CASH")
        out[sym.strip()] = kind.strip().upper()
    return out
