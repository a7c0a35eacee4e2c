"""A local Interactive Brokers venue speaking the TWS API socket protocol on 127.0.0.1.

Backed by the simulated venue on recorded data (the Alpaca fake's market core, replay and
ledger: ``live.fakes.alpaca``), with seeded faults. ib_async (and ib_insync, ibapi) connect to
it as to TWS: ``IB().connect('127.0.0.1', port, clientId=1)``. Start it in a loop with
``await start_venue(config)``, in a thread with ``VenueThread(config)``, or from the command
line (``executioncore venue ibkr``: ``main(argv)``). What it speaks: ``live.fakes.ibkr.wire``
(framing, versions, message ids), ``requests`` (every request), ``account`` (the order life),
``session`` (handshake, pacing, faults), ``server`` (conn_lost).
"""

from live.fakes.ibkr.config import FAULT_KINDS, FakeIbkrConfig, cli_parser
from live.fakes.ibkr.server import VenueHandle, main, run_venue, start_venue
from live.fakes.ibkr.thread import VenueThread

__all__ = [
    "FAULT_KINDS",
    "FakeIbkrConfig",
    "VenueHandle",
    "VenueThread",
    "cli_parser",
    "main",
    "run_venue",
    "start_venue",
]
