"""``VenueThread``: a local Binance venue on its own event loop in a daemon thread, for tests.

ccxt's synchronous ``binance`` blocks on its sockets and ccxt.pro runs its own loop, so the
venue needs another: ``VenueThread(config)`` starts it on an ephemeral port in a thread
(``live.fakes.thread.LoopThread``); ``port``, ``base_url`` / ``stream_url``, ``stats()``,
``state()``, ``advance(n)``, ``pause()`` / ``resume()``, ``set_faults`` / ``force_fault``,
``drop_user_streams()`` and ``close()`` each run on the venue's loop; ``ccxt_urls()`` gives
the URL entries to rewrite in ccxt.
"""

from __future__ import annotations

from typing import Any

from live.fakes.binance.config import FakeBinanceConfig
from live.fakes.binance.server import VenueHandle, start_venue
from live.fakes.thread import LoopThread


class VenueThread(LoopThread):
    """Start with ``VenueThread(config)`` (or as a context manager); ``close()`` stops it."""

    def __init__(self, config: FakeBinanceConfig) -> None:
        super().__init__(config, start_venue)
        self.handle: VenueHandle
        self.base_url = self.handle.base_url
        self.stream_url = self.handle.stream_url

    def drop_user_streams(self) -> None:
        """Close every user-data websocket now."""
        self.call(self.handle.drop_user_streams)

    def ccxt_urls(self) -> dict[str, Any]:
        """ccxt's ``urls['api']`` entries for this venue: REST (``public``, ``private``,
        ``v1``) and websockets (``ws.spot``, ``ws.ws-api.spot``)."""
        rest = f"{self.base_url}/api"
        return {
            "public": f"{rest}/v3", "private": f"{rest}/v3", "v1": f"{rest}/v1",
            "ws": {"spot": f"{self.stream_url}/ws",
                   "ws-api": {"spot": f"{self.stream_url}/ws-api/v3"}},
        }  # fmt: skip

    def __enter__(self) -> VenueThread:
        return self
