"""A local Alpaca-compatible venue: REST v2, ``trade_updates`` and data v2 websockets.

Backed by the simulator's fill rules on a replayed market data file, with seeded faults. Start
it in a loop with ``await start_venue(config)``, in a thread with ``VenueThread(config)``, or
blocking with ``run_venue(config)`` (the ``executioncore venue alpaca`` command). Several
symbols: ``FakeAlpacaConfig(symbols=[SymbolFeed(symbol, data, tick_size, lot_size), ...])``.
Several accounts (``accounts=[(key, secret), ...]``) and exchange mode (``mode="exchange"``:
the accounts' orders trade with each other): see ``live.fakes.alpaca.core``.
"""

from live.fakes.alpaca.config import (
    FAULT_KINDS,
    ConfigError,
    FakeAlpacaConfig,
    SymbolFeed,
    parse_accounts,
    parse_faults,
    parse_positions,
)
from live.fakes.alpaca.server import VenueHandle, run_venue, start_venue
from live.fakes.alpaca.thread import VenueThread

__all__ = [
    "FAULT_KINDS",
    "ConfigError",
    "FakeAlpacaConfig",
    "SymbolFeed",
    "VenueHandle",
    "VenueThread",
    "parse_accounts",
    "parse_faults",
    "parse_positions",
    "run_venue",
    "start_venue",
]
