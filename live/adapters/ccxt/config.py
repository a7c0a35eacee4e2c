"""CCXT adapter settings: which exchange, where it is, the credentials, and the timings.

``CcxtConfig.from_mapping`` reads a validated ``brokers.<name>`` entry of ``executioncore.yaml``
(``executioncore.config_brokers``: ``exchange``, ``sandbox`` (default true), ``options``
(passed to ccxt), ``base_url`` / ``stream_url``, ``urls`` (deep-merged into ccxt's
``urls['api']``), ``connect_timeout``); the rest are tuning knobs with defaults, set in code by
tests. ``exchange_settings`` and ``point`` build the ccxt client's constructor settings and its
URLs; ``rewrite_urls`` is the pure URL walk (``base_url`` / ``stream_url`` replace the scheme
and host of every REST / websocket URL, keeping each path).

Credentials are plain strings here (the composition root unwraps its ``Secret`` objects only to
build this) and never appear in ``repr``, logs or errors (``errors.redact``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

# What ``load_markets`` asks of Binance by default: spot markets only, no currencies (a SAPI
# call that needs extra permissions) and no margin pairs (SAPI again). With these, loading the
# markets is ``GET /api/v3/exchangeInfo`` (and ``/api/v3/time`` for the clock offset), which a
# local venue serves. A broker entry's ``options`` override them.
EXCHANGE_OPTIONS: dict[str, dict[str, Any]] = {
    "binance": {
        "defaultType": "spot",
        "fetchMarkets": {"types": ["spot"]},
        "fetchCurrencies": False,
        "fetchMargins": False,
        "adjustForTimeDifference": True,
    },
}
WS_SCHEMES = ("ws", "wss")


@dataclass
class CcxtConfig:
    """One ccxt broker. ``exchange``: the ccxt id (``binance``); ``sandbox``: the exchange's
        test network (ccxt's ``set_sandbox_mode``); ``options``: ccxt options (over
        ``EXCHANGE_OPTIONS``); ``base_url`` / ``stream_url``: every REST / websocket URL moved onto
        them (``stream_url`` defaults to ``base_url``'s host with a ws scheme); ``urls``: merged into
        ``urls['api']`` last; ``quote``: the account currency (default: the instruments' quote).

        Timings: ``connect_timeout_s`` bounds the start; ``timeout_s`` every REST call (ccxt's
        ``timeout``); ``reconcile_every_s``: a full reconciliation at least that often;
        ``fill_wait_s``: an order whose executed quantity is ahead of the fills seen that long has
        its trades read (``myTrades?orderId``); ``lookup_delay_s`` / ``lookups``: after a submit
        with an unknown outcome, how often and how far apart the order is looked up by client id
        before it is sent again; ``submit_attempts``: sends of one order at most; 429s are retried
        ``rate_limit_retries`` times after their ``Retry-After`` (``retry_after_s`` without one);
        a 418 ban without a time lasts ``ban_default_s``; reconnects back off from ``backoff_s`` to
        ``backoff_max_s`` with seeded jitter; ``rate_limit_ms``: ccxt's spacing of requests (its
    ``rateLimit``, per unit of an endpoint's weight; None: the exchange's). ``day_expiry``: DAY / GTD orders go to the exchange as
        GTC and are canceled by the adapter at their end (the next 00:00 UTC / ``expire_ns``),
        reported as expired; False: refused (``UNSUPPORTED``)."""

    name: str
    exchange: str = "binance"
    api_key: str = field(default="", repr=False)
    api_secret: str = field(default="", repr=False)
    sandbox: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    base_url: str | None = None
    stream_url: str | None = None
    urls: dict[str, Any] = field(default_factory=dict)
    quote: str | None = None
    connect_timeout_s: float = 10.0
    timeout_s: float = 10.0
    reconcile_every_s: float = 30.0
    fill_wait_s: float = 1.0
    lookup_delay_s: float = 0.25
    lookups: int = 2
    submit_attempts: int = 3
    rate_limit_retries: int = 5
    retry_after_s: float = 1.0
    ban_default_s: float = 60.0
    backoff_s: float = 0.25
    backoff_max_s: float = 10.0
    market_data: bool = True
    day_expiry: bool = True
    rate_limit_ms: float | None = None
    seed: int = 0

    @property
    def url(self) -> str:
        """Where the adapter connects, for messages (never a credential)."""
        return self.base_url or f"{self.exchange}{' sandbox' if self.sandbox else ''}"

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.api_key, self.api_secret) if s)

    @classmethod
    def from_mapping(
        cls, name: str, raw: dict[str, Any], api_key: str, api_secret: str, seed: int = 0
    ) -> CcxtConfig:
        """A config from a validated broker entry (``raw`` holds no credentials)."""
        return cls(
            name,
            exchange=str(raw.get("exchange") or "binance"),
            api_key=api_key or "",
            api_secret=api_secret or "",
            sandbox=bool(raw.get("sandbox", True)),
            options=copy.deepcopy(dict(raw.get("options") or {})),
            base_url=_text(raw.get("base_url")),
            stream_url=_text(raw.get("stream_url")),
            urls=copy.deepcopy(dict(raw.get("urls") or {})),
            connect_timeout_s=float(raw.get("connect_timeout", 10.0)),
            seed=seed,
        )

    def exchange_settings(self) -> dict[str, Any]:
        """The ccxt constructor's settings: keys, options, rate limiting, timeout."""
        options = copy.deepcopy(EXCHANGE_OPTIONS.get(self.exchange, {}))
        options.update(copy.deepcopy(self.options))
        out: dict[str, Any] = {
            "enableRateLimit": True,
            "timeout": int(self.timeout_s * 1000),
            "options": options,
        }
        if self.rate_limit_ms is not None:
            out["rateLimit"] = self.rate_limit_ms
        if self.api_key:
            out["apiKey"] = self.api_key
            out["secret"] = self.api_secret
        return out

    def effective_stream_url(self) -> str | None:
        if self.stream_url:
            return self.stream_url
        if self.base_url:
            scheme, _, rest = self.base_url.partition("://")
            return ("wss" if scheme == "https" else "ws") + "://" + rest.split("/", 1)[0]
        return None

    def point(self, ex: Any) -> Any:
        """Set ``ex``'s network: the sandbox first (it swaps ``urls['api']`` for
        ``urls['test']``), then ``base_url`` / ``stream_url`` over every URL, then ``urls``."""
        if self.sandbox:
            try:
                ex.set_sandbox_mode(True)
            except Exception:  # ccxt's NotSupported: the exchange has no test network
                raise ValueError(
                    f"broker {self.name}: ccxt's {self.exchange} has no sandbox (test network); "
                    "set sandbox: false to trade on the exchange itself"
                ) from None
        if self.base_url or self.stream_url:
            ex.urls["api"] = rewrite_urls(
                ex.urls["api"], self.base_url, self.effective_stream_url()
            )
        if self.urls:
            ex.urls["api"] = deep_merge(ex.urls["api"], self.urls)
        return ex


def _text(value: Any) -> str | None:
    return str(value).rstrip("/") if value else None


def rewrite_urls(urls: Any, base_url: str | None, stream_url: str | None) -> Any:
    """Every URL in ``urls`` (nested dicts, lists, strings) with its scheme and host replaced:
    ``http(s)`` ones by ``base_url``, ``ws(s)`` ones by ``stream_url`` (None: left as is),
    keeping the path: ``https://api.binance.com/api/v3`` -> ``http://127.0.0.1:PORT/api/v3``,
    ``wss://ws-api.binance.com:443/ws-api/v3`` -> ``ws://127.0.0.1:PORT/ws-api/v3``. Pure."""
    if isinstance(urls, dict):
        return {k: rewrite_urls(v, base_url, stream_url) for k, v in urls.items()}
    if isinstance(urls, list):
        return [rewrite_urls(v, base_url, stream_url) for v in urls]
    if not isinstance(urls, str) or "://" not in urls:
        return urls
    scheme, rest = urls.split("://", 1)
    target = stream_url if scheme.lower() in WS_SCHEMES else base_url
    if not target:
        return urls
    _, slash, path = rest.partition("/")
    return target.rstrip("/") + (slash + path if slash else "")


def deep_merge(base: Any, extra: Any) -> Any:
    """``extra`` merged into a copy of ``base`` (dicts recursively; anything else replaces)."""
    if not isinstance(base, dict) or not isinstance(extra, dict):
        return copy.deepcopy(extra)
    out = copy.deepcopy(base)
    for k, v in extra.items():
        out[k] = deep_merge(out[k], v) if k in out else copy.deepcopy(v)
    return out
