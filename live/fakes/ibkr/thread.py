"""``VenueThread``: a local IB venue on its own event loop in a daemon thread, for tests.

ib_async's ``IB`` runs its own event loop (its blocking calls run it), so the venue needs
another: ``VenueThread(config)`` starts the venue on an ephemeral port in a thread
(``live.fakes.thread.LoopThread``); ``port``, ``stats()``, ``state()``, ``advance(n)``,
``pause()`` / ``resume()``, ``set_faults`` / ``force_fault``, ``lose_connection()`` and
``close()`` each run on the venue's loop.
"""

from __future__ import annotations

from live.fakes.ibkr.config import FakeIbkrConfig
from live.fakes.ibkr.server import VenueHandle, start_venue
from live.fakes.thread import LoopThread


class VenueThread(LoopThread):
    """Start with ``VenueThread(config)`` (or as a context manager); ``close()`` stops it."""

    def __init__(self, config: FakeIbkrConfig) -> None:
        super().__init__(config, start_venue)
        self.handle: VenueHandle

    def lose_connection(self) -> None:
        """Start a ``conn_lost`` outage now (error 1100; 1102 after ``conn_lost_s``)."""
        self.call(self.handle.lose_connection)

    def __enter__(self) -> VenueThread:
        return self
