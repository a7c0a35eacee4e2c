"""A local Binance spot venue: REST /api/v3 (signed), the user-data stream and market streams.

Backed by the simulated venue on recorded data (the Alpaca fake's market core, replay and
faults: ``live.fakes.alpaca``), with the spot account's balances per asset and Binance's fees.
ccxt's ``binance`` (REST) and ``ccxt.pro``'s (``watch_orders``, ``watch_my_trades``,
``watch_balance`` over the WebSocket API) connect to it with their ``urls['api']`` rewritten
(``VenueThread.ccxt_urls()``). Start it in a loop with ``await start_venue(config)``, in a
thread with ``VenueThread(config)``, or from the command line (``executioncore venue binance``:
``main(argv)``). What it speaks: ``rest`` (REST, signatures, REST faults), ``streams``
(websockets, stream faults), ``account`` (the order life), ``orders`` (checks, JSON), ``wallet``
(balances, fees).
"""

from live.fakes.binance.config import FAULT_KINDS, FakeBinanceConfig, cli_parser
from live.fakes.binance.server import VenueHandle, main, run_venue, start_venue
from live.fakes.binance.thread import VenueThread

__all__ = [
    "FAULT_KINDS",
    "FakeBinanceConfig",
    "VenueHandle",
    "VenueThread",
    "cli_parser",
    "main",
    "run_venue",
    "start_venue",
]
