"""Alpaca's error answers as typed exceptions, and the errors of translating its messages.

Alpaca answers a failed REST call with an HTTP status and a JSON body ``{"code": 40310000,
"message": "..."}`` (the code is the status followed by a five-digit reason). ``error_from_response``
turns one into the matching ``AlpacaError`` subclass: ``Unauthorized`` (401), ``Forbidden`` (403:
also "insufficient buying power"), ``NotFound`` (404), ``Unprocessable`` (422: a bad or duplicate
request), ``RateLimited`` (429, with the wait the venue asked for), ``ServerError`` (5xx); any
other status gives the base class.

Secrets never reach a message: the venue's text is cut to ``MAX_MESSAGE`` characters, every
secret the caller names is replaced by ``<redacted>``, and so is anything that looks like a
credential assignment (``secret_key=...``, ``APCA-API-KEY-ID: ...``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

MAX_MESSAGE = 300
REDACTED = "<redacted>"
_CREDENTIAL = re.compile(
    r"(?i)(apca-api-[a-z-]+|secret[_-]?key|key[_-]?id|api[_-]?key|secret|password|token)"
    r"""(["']?\s*[:=]\s*["']?)[^\s"',;}]+"""
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with each of ``secrets`` and any credential-looking assignment removed."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _CREDENTIAL.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)


class AlpacaError(Exception):
    """A REST call Alpaca refused: ``status`` (HTTP), ``code`` (Alpaca's, or None), ``message``."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"Alpaca HTTP {status} (code {code}): {message}")


class Unauthorized(AlpacaError):
    """401: the key or secret is wrong or missing."""


class Forbidden(AlpacaError):
    """403: not allowed (insufficient buying power or shares, bad credentials on some routes)."""


class NotFound(AlpacaError):
    """404: no such order, position or route."""


class Unprocessable(AlpacaError):
    """422: the request was understood but refused (bad field, duplicate client_order_id)."""


class RateLimited(AlpacaError):
    """429: too many requests. ``retry_after`` (seconds) and ``reset_at`` (unix s) when given."""

    def __init__(
        self,
        status: int,
        code: int | None,
        message: str,
        retry_after: float | None = None,
        reset_at: int | None = None,
    ) -> None:
        super().__init__(status, code, message)
        self.retry_after = retry_after
        self.reset_at = reset_at


class ServerError(AlpacaError):
    """5xx: the venue failed; the request may or may not have taken effect."""


_BY_STATUS: dict[int, type[AlpacaError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    422: Unprocessable,
}


def error_from_response(
    status: int,
    body: bytes | str | Mapping[str, Any] | None,
    headers: Mapping[str, str] | None = None,
    *,
    secrets: Iterable[str] = (),
) -> AlpacaError:
    """Build the typed error for an HTTP ``status`` and its ``body`` (JSON text, bytes or dict)."""
    code, message = _code_and_message(body)
    message = redact(message, tuple(secrets))
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + "..."
    if status == 429:
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        return RateLimited(
            status,
            code,
            message,
            retry_after=_float_or_none(hdrs.get("retry-after")),
            reset_at=_int_or_none(hdrs.get("x-ratelimit-reset")),
        )
    if 500 <= status <= 599:
        return ServerError(status, code, message)
    return _BY_STATUS.get(status, AlpacaError)(status, code, message)


def _code_and_message(body: bytes | str | Mapping[str, Any] | None) -> tuple[int | None, str]:
    if body is None:
        return None, ""
    data: Any = body
    if isinstance(body, bytes | str):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError:
            return None, text.strip()
    if not isinstance(data, Mapping):
        return None, str(data)
    code = data.get("code")
    message = data.get("message", "")
    return (code if isinstance(code, int) and not isinstance(code, bool) else None), str(message)


def _float_or_none(value: str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None


def _int_or_none(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def is_duplicate_client_order_id(exc: AlpacaError) -> bool:
    """Alpaca's answer to a second order with a client order id it already has (422, code
    40010001, "client_order_id must be unique"; the code alone is shared by other 422s)."""
    text = exc.message.lower()
    return exc.status == 422 and "client_order_id" in text and "unique" in text


class Unsupported(ValueError):
    """A kernel order field Alpaca has no equivalent for; ``field`` names it."""

    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(f"Alpaca does not support {field}: {detail}")


class MalformedMessage(ValueError):
    """An Alpaca message that cannot be translated; ``field`` names the part at fault."""

    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(f"Alpaca message field {field!r}: {detail}")
