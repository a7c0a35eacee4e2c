"""Alpaca adapter settings. Credentials are plain strings here (the composition root unwraps its
``Secret`` objects only to build this) and never appear in ``repr``, logs or errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PAPER_URL = "https://paper-api.alpaca.markets"
LIVE_URL = "https://api.alpaca.markets"
PAPER_STREAM = "wss://paper-api.alpaca.markets/stream"
LIVE_STREAM = "wss://api.alpaca.markets/stream"
DATA_URL = "wss://stream.data.alpaca.markets/v2"


@dataclass
class AlpacaConfig:
    """``base_url``/``stream_url``/``data_url`` override Alpaca's (a self-hosted or local venue);
    ``timeout_s`` bounds every REST call; ``stale_after_s``: a stream silent that long while orders
    are open is checked against REST; ``reconcile_every_s``: a full reconciliation at least that
    often (a message the stream dropped is found even when the stream stays busy); backoff for reconnects and 429s grows from ``backoff_s`` to
    ``backoff_max_s`` with seeded jitter."""

    name: str
    key: str = field(repr=False)
    secret: str = field(repr=False)
    paper: bool = True
    base_url: str = PAPER_URL
    stream_url: str = PAPER_STREAM
    data_url: str | None = None
    feed: str = "iex"
    symbols: list[str] = field(default_factory=list)
    timeout_s: float = 10.0
    stale_after_s: float = 15.0
    reconcile_every_s: float = 30.0
    backoff_s: float = 0.25
    backoff_max_s: float = 10.0
    max_retries: int = 5
    seed: int = 0
    connect_timeout_s: float = 10.0

    @classmethod
    def from_mapping(
        cls, name: str, raw: dict[str, Any], key: str, secret: str, symbols: list[str]
    ) -> AlpacaConfig:
        paper = bool(raw.get("paper", True))
        base = raw.get("base_url") or (PAPER_URL if paper else LIVE_URL)
        stream = raw.get("stream_url") or (PAPER_STREAM if paper else LIVE_STREAM)
        feed = str(raw.get("feed", "iex"))
        data = raw.get("data_url")
        if not data and raw.get("base_url"):
            # why: a self-hosted or local venue (base_url given) serves its market data stream
            # on the same address, as ``executioncore venue alpaca`` does; never Alpaca's
            data = _ws_of(str(base)) + f"/v2/{feed}"
        data = data or f"{DATA_URL}/{feed}"
        return cls(
            name,
            key,
            secret,
            paper,
            str(base).rstrip("/"),
            str(stream),
            str(data),
            feed,
            list(symbols),
            float(raw.get("timeout_s", 10.0)),
            float(raw.get("stale_after_s", 15.0)),
            float(raw.get("reconcile_every_s", 30.0)),
            connect_timeout_s=float(raw.get("connect_timeout_s", 10.0)),
        )

    def headers(self) -> dict[str, str]:
        return {"APCA-API-KEY-ID": self.key, "APCA-API-SECRET-KEY": self.secret}


def _ws_of(url: str) -> str:
    """``http://host:port/...`` -> ``ws://host:port`` (``https`` -> ``wss``)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    return ("wss" if scheme == "https" else "ws") + "://" + host
