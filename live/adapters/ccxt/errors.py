"""ccxt's errors as the adapter reads them, and the adapter's own: what a refusal means, how
long to wait, and text that never holds a secret.

ccxt raises one class per meaning (``ccxt.base.errors``): ``DDoSProtection`` for HTTP 418 (an
IP ban) and 429 (rate limited; ``RateLimitExceeded`` is its subclass), ``RequestTimeout`` for a
timeout and Binance's -1007 ("execution status unknown"), ``ExchangeNotAvailable`` for 5xx,
both ``NetworkError``s: the request's effect is unknown. ``InvalidNonce`` for -1021 (the clock
off), ``OrderNotFound`` for -2013 / -2011, ``InvalidOrder`` (``OrderImmediatelyFillable`` for
a post-only order that would take), ``InsufficientFunds``, ``AuthenticationError``.

``describe(exc)`` is the short text an event or notice carries: the exchange's code and message
when its JSON body is in the exception, else the exception's text, always through ``redact``
(the key, the secret, any ``signature=`` / ``apiKey=`` / ``timestamp=`` query parameter).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable

MAX_TEXT = 300
REDACTED = "<redacted>"
_QUERY_SECRET = re.compile(r"(?i)((?:signature|apikey|api_key|secret|timestamp)=)[^&\s\"',}]+")
_BODY = re.compile(r"\{.*\}", re.S)
_BANNED_UNTIL = re.compile(r"banned until (\d{10,16})")


class Unsupported(ValueError):
    """A kernel order the exchange cannot take as asked; ``field`` names what (refused locally,
    never sent: ``OrderRejected("UNSUPPORTED: ...")``)."""

    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(f"{field}: {detail}")


class LocalReject(ValueError):
    """An order the exchange's filters would refuse (under the minimum quantity or notional,
    off its grid): refused locally with ``reason`` (``BELOW_MIN_NOTIONAL: ...``), never sent."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class MalformedMessage(ValueError):
    """A ccxt structure the adapter cannot translate; ``field`` names the part at fault."""

    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(f"ccxt field {field!r}: {detail}")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without ``secrets`` and without credential-looking query parameters."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _QUERY_SECRET.sub(lambda m: m.group(1) + REDACTED, text)


class RedactingFilter(logging.Filter):
    """A logging filter that takes every registered secret (and signed query parameters) out
    of a record: ccxt logs each request's headers (the API key) and URL (the signature) at
    DEBUG level."""

    def __init__(self) -> None:
        super().__init__("ccxt-secrets")
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = redact(msg, self.secrets)
        if clean != msg:
            record.msg, record.args = clean, ()
        return True


_FILTER = RedactingFilter()


def guard_logger(logger: object, secrets: Iterable[str]) -> None:
    """Redact ``secrets`` from everything ``logger`` (ccxt's) records."""
    _FILTER.secrets.update(s for s in secrets if s)
    if isinstance(logger, logging.Logger) and _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


def venue_code(exc: BaseException) -> tuple[int | None, str]:
    """The exchange's ``(code, msg)`` from the JSON body in a ccxt error (``(None, text)``
    when there is none)."""
    text = str(exc)
    m = _BODY.search(text)
    if m is not None:
        try:
            body = json.loads(m.group(0))
        except ValueError:
            body = None
        if isinstance(body, dict) and "msg" in body:
            code = body.get("code")
            return (code if isinstance(code, int) else None), str(body["msg"])
    head = text.split(" ", 1)
    return None, head[1] if len(head) == 2 and head[0].isalnum() else text


def describe(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """``"-2010 Account has insufficient balance..."`` (or the error's own text), redacted and
    cut to ``MAX_TEXT`` characters."""
    code, msg = venue_code(exc)
    text = f"{code} {msg}" if code is not None else msg or type(exc).__name__
    text = redact(text, secrets)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "..."


def is_ban(exc: BaseException) -> bool:
    """An IP ban (HTTP 418, "banned until"), as opposed to a rate limit (429)."""
    text = str(exc)
    return " 418 " in f" {text} " or "banned until" in text.lower()


def ban_seconds(
    exc: BaseException, retry_after: float | None, now_ms: int, default: float
) -> float:
    """How long a ban lasts: Binance's "banned until <ms>" (clamped to [0, 1 h]), else the
    ``Retry-After`` header, else ``default``."""
    m = _BANNED_UNTIL.search(str(exc))
    if m is not None:
        return min(max((int(m.group(1)) - now_ms) / 1000.0, 0.0), 3600.0)
    if retry_after is not None:
        return retry_after
    return default


def retry_after_of(headers: object) -> float | None:
    """The ``Retry-After`` header (seconds) of a response's headers, or None."""
    if not isinstance(headers, dict):
        return None
    for k, v in headers.items():
        if str(k).lower() == "retry-after":
            try:
                return max(float(v), 0.0)
            except (TypeError, ValueError):
                return None
    return None


REJECT_CODES = (
    ("would immediately match and take", "POST_ONLY_WOULD_TAKE"),
    ("insufficient balance", "INSUFFICIENT_FUNDS"),
    ("filter failure: notional", "BELOW_MIN_NOTIONAL"),
    ("filter failure: min_notional", "BELOW_MIN_NOTIONAL"),
    ("filter failure: lot_size", "OFF_LOT_SIZE"),
    ("filter failure: price_filter", "OFF_PRICE_FILTER"),
    ("duplicate order", "DUPLICATE_CLIENT_ORDER_ID"),
)


def reject_reason(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """An exchange's refusal of an order as ``OrderRejected.reason``: a stable code first
    (``POST_ONLY_WOULD_TAKE``, ``INSUFFICIENT_FUNDS``, ``BELOW_MIN_NOTIONAL``, ...; else
    ``VENUE_REJECTED``), then the exchange's words."""
    text = describe(exc, secrets)
    low = text.lower()
    code = next((c for needle, c in REJECT_CODES if needle in low), "VENUE_REJECTED")
    return f"{code}: {text}"
