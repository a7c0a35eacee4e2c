"""``FakeBinanceConfig``: what the local Binance spot venue replays, where it listens, which faults.

The market side (data file, symbol grid, replay pace, start, loop, seed) is a ``FakeAlpacaConfig``
(``market``), read from the same flags the other local venues take
(``live.fakes.alpaca.config.add_market_arguments``), with Binance's defaults: trades data
(``--kind trades``), tick 0.01 and step 0.000001 (BTCUSDT's grid when the bundled trades were
recorded; the help text says so). Symbols are written the ccxt way (``BTC/USDT``; ``BTCUSDT`` is
split on a known quote asset); the market keys them by the venue's name (``BTCUSDT``). L2 book
data (``--kind book``) may come as a snapshot file and an updates file of one symbol
(``--symbol BTC/USDT --data SNAP --data UPDATES``): the venue then serves that book. On top of it: the account's
balances per asset (``--balance USDT=100000``), the maker / taker fee in basis points, the
minimum notional of the NOTIONAL filter, the API key pair, and the seeded faults of
``FAULT_KINDS`` with the ``Retry-After`` of a 429 and the length of a 418 ban.

Command line: ``cli_parser()`` is ``executioncore venue binance``'s parser, ``from_args`` reads it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from kernel.units import Instrument
from live.fakes.alpaca.config import (
    ConfigError,
    FakeAlpacaConfig,
    add_market_arguments,
    market_kwargs,
    parse_faults,
)
from live.fakes.alpaca.faults import Faults

FAULT_KINDS = (
    "rate_limit",  # a REST request is answered 429 with Retry-After (not processed)
    "ban",  # a REST request starts a ban: every request is answered 418 for ban_s seconds
    "unknown_status",  # POST /api/v3/order is placed but answered -1007 (execution status unknown)
    "drop_report",  # an executionReport is not sent (the trade stays in myTrades)
    "ws_drop",  # the user-data websocket is closed instead of sending an event
    "dup_report",  # an executionReport is sent twice
    "partial",  # a fill is booked as 2 or 3 trades
)
FAULTS_HELP = (
    "seeded faults, each a probability per event; kinds: rate_limit (per REST request: 429 "
    "with Retry-After, not processed), ban (per REST request: 418 for --ban seconds), "
    "unknown_status (per new order: placed, but answered -1007 'execution status unknown'), "
    "drop_report (per executionReport: not sent; myTrades still has the trade), ws_drop (per "
    "user-data event: the websocket is closed instead), dup_report (per executionReport: sent "
    "twice), partial (per fill: booked as 2 or 3 trades)"
)
QUOTES = ("USDT", "FDUSD", "USDC", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY")
DEFAULT_KEY = "fake-binance-key"
DEFAULT_SECRET = "fake-binance-secret"
DEFAULT_BALANCES = {"USDT": "100000"}
TICK_SIZE = "0.01"
STEP_SIZE = "0.000001"


@dataclass(frozen=True, slots=True)
class BnSymbol:
    """One spot symbol: the venue's name (``BTCUSDT``), its assets and its grid."""

    name: str
    base: str
    quote: str
    inst: Instrument


def split_symbol(text: str) -> tuple[str, str]:
    """``"BTC/USDT"`` or ``"BTCUSDT"`` -> ``("BTC", "USDT")``."""
    text = text.strip().upper()
    base, sep, quote = text.partition("/")
    if sep:
        if base.isalnum() and quote.isalnum():
            return base, quote
    else:
        for q in QUOTES:
            if text.endswith(q) and len(text) > len(q) and text.isalnum():
                return text[: -len(q)], q
    raise ConfigError(f"symbol: {text!r} must be BASE/QUOTE, e.g. BTC/USDT")


@dataclass(slots=True)
class FakeBinanceConfig:
    """The Binance venue's settings (see the module docstring). ``market.symbol`` (or each of
    ``market.symbols``) is the venue's name, e.g. ``BTCUSDT``; ``market.faults`` stays empty."""

    market: FakeAlpacaConfig = field(
        default_factory=lambda: FakeAlpacaConfig(
            symbol="BTCUSDT", kind="trades", tick_size=TICK_SIZE, lot_size=STEP_SIZE
        )
    )
    assets: dict[str, tuple[str, str]] = field(default_factory=dict)  # venue symbol -> base, quote
    host: str = "127.0.0.1"
    port: int = 0
    api_key: str = DEFAULT_KEY
    api_secret: str = DEFAULT_SECRET
    balances: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_BALANCES))
    maker_bps: str = "10"
    taker_bps: str = "10"
    min_notional: str = "5"
    faults: dict[str, float] = field(default_factory=dict)
    retry_after_s: int = 1
    ban_s: float = 2.0

    def __post_init__(self) -> None:
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ConfigError(f"host: the local venue binds to loopback only, not {self.host!r}")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port: {self.port} is not a port number")
        if not (self.api_key and self.api_secret):
            raise ConfigError("api key and secret must be non-empty")
        if self.market.faults:
            raise ConfigError("market.faults: give the Binance venue's faults in faults")
        self.balances = {
            a.upper(): str(_decimal(v, f"balance {a}")) for a, v in self.balances.items()
        }
        for name, value in (("maker", self.maker_bps), ("taker", self.taker_bps)):
            _decimal(value, f"fees: {name} bps")
        if _decimal(self.min_notional, "min notional") < 0:
            raise ConfigError("min notional must not be negative")
        Faults(self.seed, self.faults, FAULT_KINDS, "fake-binance")  # why: its checks
        self.faults = {k: float(v) for k, v in self.faults.items()}
        if self.retry_after_s < 0 or self.ban_s < 0:
            raise ConfigError("retry_after_s and ban_s must not be negative")
        for sym in self.symbols():
            for asset in (sym.base, sym.quote):
                self.balances.setdefault(asset, "0")

    @property
    def seed(self) -> int:
        return self.market.seed

    def symbols(self) -> list[BnSymbol]:
        """Every traded symbol, in the market's order."""
        out = []
        for inst in self.market.instruments():
            base, quote = self.assets.get(inst.symbol) or split_symbol(inst.symbol)
            out.append(BnSymbol(inst.symbol, base, quote, inst))
        return out

    # --- command line -------------------------------------------------------------------------
    @classmethod
    def from_args(cls, args: argparse.Namespace) -> FakeBinanceConfig:
        """The config from parsed flags (``cli_parser``)."""
        pairs = [split_symbol(s) for s in (args.symbol or ["BTC/USDT"])]
        args.symbol = [b + q for b, q in pairs]
        args.tick_size = args.tick_size or [TICK_SIZE]
        args.lot_size = args.lot_size or [STEP_SIZE]
        maker, taker = parse_fees(args.fees)
        balances = parse_balances(args.balance) if args.balance else dict(DEFAULT_BALANCES)
        return cls(
            market=FakeAlpacaConfig(**market_kwargs(args)),
            assets={b + q: (b, q) for b, q in pairs},
            port=args.port,
            api_key=args.api_key,
            api_secret=args.api_secret,
            balances=balances,
            maker_bps=maker,
            taker_bps=taker,
            min_notional=args.min_notional,
            faults=parse_faults(args.faults),
            retry_after_s=args.retry_after,
            ban_s=args.ban,
        )

    @classmethod
    def from_cli(cls, argv: Sequence[str] | None = None) -> FakeBinanceConfig:
        """Parse ``argv`` (``--data FILE --symbol BTC/USDT --port N ...``) into a config."""
        return cls.from_args(cli_parser().parse_args(argv))


def cli_parser(prog: str = "executioncore venue binance") -> argparse.ArgumentParser:
    """``executioncore venue binance``'s whole parser (``--help`` describes every flag)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="A local Binance spot venue on 127.0.0.1: REST /api/v3 (HMAC-SHA256 "
        "signed), the user-data stream over the WebSocket API (/ws-api/v3, what ccxt.pro "
        "uses) or a listen key (/ws/<listenKey>), and market streams (/ws), backed by the "
        "simulator's fill rules on replayed market data. It prints where it listens (a JSON "
        "line first) and serves until Ctrl-C.",
        epilog="Example: executioncore venue binance --data scenarios/data/binance_btcusdt-"
        "trades.parquet --symbol BTC/USDT --port 9443 --speed 1 --loop; then point ccxt's "
        "urls['api'] public/private/v1 at http://127.0.0.1:9443/api/v3 (v1: /api/v1) and "
        "ccxt.pro's urls['api']['ws'] spot at ws://127.0.0.1:9443/ws, ws-api spot at "
        "ws://127.0.0.1:9443/ws-api/v3.",
    )
    add_market_arguments(
        parser, "a signed REST request, or a user-data or market websocket",
        symbol="BTC/USDT", kind="trades", tick_size=TICK_SIZE, lot_size=STEP_SIZE,
    )  # fmt: skip
    parser.set_defaults(cash="0", currency="USDT", position=[])
    net = parser.add_argument_group("network")
    net.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default 0: a free one)"
    )
    net.add_argument(
        "--api-key", default=DEFAULT_KEY, metavar="K",
        help=f"the API key clients send in X-MBX-APIKEY (default {DEFAULT_KEY})",
    )  # fmt: skip
    net.add_argument(
        "--api-secret", default=DEFAULT_SECRET, metavar="S",
        help=f"the secret of the HMAC-SHA256 signatures (default {DEFAULT_SECRET})",
    )  # fmt: skip
    acct = parser.add_argument_group("account")
    acct.add_argument(
        "--balance", action="append", default=[], metavar="ASSET=AMOUNT",
        help="a starting balance (repeatable), e.g. --balance USDT=100000 --balance BTC=0.5; "
        "default USDT=100000 (the symbols' other assets start at 0)",
    )  # fmt: skip
    acct.add_argument(
        "--fees", default="10,10", metavar="MAKER_BPS,TAKER_BPS",
        help="commission in basis points for maker and taker fills (default 10,10); a buy pays "
        "it in the base asset, a sell in the quote asset, as Binance does",
    )  # fmt: skip
    acct.add_argument(
        "--min-notional", default="5", metavar="X",
        help="the NOTIONAL filter's minNotional in the quote asset (default 5)",
    )  # fmt: skip
    flt = parser.add_argument_group("faults")
    flt.add_argument("--faults", metavar="KIND=RATE,...", default="", help=FAULTS_HELP)
    flt.add_argument(
        "--seed", type=int, default=0, help="seed of the faults and of the ids (default 0)"
    )
    flt.add_argument(
        "--retry-after", type=int, default=1, metavar="S",
        help="rate_limit and ban: the Retry-After header, in seconds (default 1)",
    )  # fmt: skip
    flt.add_argument(
        "--ban", type=float, default=2.0, metavar="S",
        help="ban: how long every request is answered 418 (default 2 s)",
    )  # fmt: skip
    return parser


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(str(text))
    except (InvalidOperation, ValueError):
        raise ConfigError(f"{what}: {text!r} is not a number") from None
    if not value.is_finite():
        raise ConfigError(f"{what}: {text!r} is not a number")
    return value


def parse_balances(items: Sequence[str]) -> dict[str, str]:
    """``["USDT=100000", "BTC=0.5"]`` -> ``{"USDT": "100000", "BTC": "0.5"}``."""
    out: dict[str, str] = {}
    for item in items:
        asset, sep, amount = item.partition("=")
        asset, amount = asset.strip().upper(), amount.strip()
        if not (sep and asset.isalnum() and amount):
            raise ConfigError(f"balance: {item!r} must be ASSET=AMOUNT, e.g. USDT=100000")
        if _decimal(amount, f"balance {asset}") < 0:
            raise ConfigError(f"balance {asset}: {amount} must not be negative")
        out[asset] = amount
    return out


def parse_fees(text: str) -> tuple[str, str]:
    """``"10,10"`` -> ``("10", "10")`` (maker, taker basis points)."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise ConfigError(f"fees: {text!r} must be MAKER_BPS,TAKER_BPS, e.g. 10,10")
    for p in parts:
        _decimal(p, "fees")
    return parts[0], parts[1]
