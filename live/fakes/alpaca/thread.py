"""``VenueThread``: a fake Alpaca venue on its own event loop in a daemon thread, driven
synchronously (``live.fakes.thread.LoopThread``), with the URLs alpaca-py needs.

For tests and scripts whose own code blocks (alpaca-py's ``TradingClient`` is synchronous): the
venue keeps serving while the caller waits on a socket.
"""

from __future__ import annotations

from live.fakes.alpaca.config import FakeAlpacaConfig
from live.fakes.alpaca.server import VenueHandle, start_venue
from live.fakes.thread import LoopThread


class VenueThread(LoopThread):
    """Start with ``VenueThread(config)`` (or as a context manager); ``close()`` stops it."""

    def __init__(self, config: FakeAlpacaConfig) -> None:
        super().__init__(config, start_venue)
        self.handle: VenueHandle
        self.base_url = self.handle.base_url
        self.stream_url = self.handle.stream_url
        self.data_url = self.handle.data_url

    def offline(self) -> None:
        """Cut the venue off the network (``VenueHandle.go_offline``); ``online()`` restores."""
        self._call(self.handle.go_offline())

    def online(self) -> None:
        self._call(self.handle.go_online())

    def __enter__(self) -> VenueThread:
        return self
