"""Durations in configuration files: one parser for every duration key.

A duration is a number of seconds (``60``, ``0.5``) or a string with units, compound forms
included, largest unit first: ``500ms``, ``10s``, ``5m``, ``2h``, ``1d``, ``1h30m``, ``33m30s``,
``1m 30.5s``. Units: ``d``, ``h``, ``m``, ``s``, ``ms``, ``us``, ``ns``. A plain number in a
string (``"60"``) is seconds too. An optional leading ``+`` is accepted (``+5s``; callers for
which it means "relative to the start" look for it themselves). Durations are never negative.

``parse_duration_s(value, where) -> float`` (seconds) and ``parse_duration_ns(value, where) ->
int`` (nanoseconds; a value that is not a whole number of nanoseconds is an error) raise
``DurationError`` (a ``ValueError``) whose message names ``where`` and shows an example;
``.where`` and ``.reason`` hold the two parts.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from kernel.units import UnitError, to_decimal

__all__ = ["EXAMPLE", "DurationError", "parse_duration_ns", "parse_duration_s"]

EXAMPLE = "like 10s, 500ms, 5m or 1h30m, or a number of seconds"
_UNIT_NS = {
    "d": 86_400 * 10**9,
    "h": 3_600 * 10**9,
    "m": 60 * 10**9,
    "s": 10**9,
    "ms": 10**6,
    "us": 10**3,
    "ns": 1,
}
_ORDER = list(_UNIT_NS)  # largest first
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|us|ns|d|h|m|s)(?![a-z])\s*")


class DurationError(ValueError):
    """A value that is not a duration; ``where`` names the key, ``reason`` says what is wrong."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}" if where else reason)


def parse_duration_s(value: Any, where: str) -> float:
    """A duration in seconds (float); ``DurationError`` naming ``where`` otherwise."""
    return float(_parse(value, where) / 10**9)


def parse_duration_ns(value: Any, where: str) -> int:
    """A duration in whole nanoseconds; ``DurationError`` naming ``where`` otherwise."""
    ns = _parse(value, where)
    if ns != ns.to_integral_value():
        raise DurationError(where, f"{value!r} is not a whole number of nanoseconds")
    return int(ns)


def _parse(value: Any, where: str) -> Decimal:
    """The duration in nanoseconds, exactly (a Decimal)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise DurationError(where, f"expected a duration {EXAMPLE}, got {_show(value)}")
    if isinstance(value, str):
        ns = _parse_text(value, where)
    else:
        try:
            ns = to_decimal(value, where) * 10**9
        except UnitError:
            raise DurationError(
                where, f"expected a duration {EXAMPLE}, got {_show(value)}"
            ) from None
    if ns < 0:
        raise DurationError(where, f"must not be negative, got {_show(value)}")
    return ns


def _parse_text(value: str, where: str) -> Decimal:
    text = value.strip()
    if text.startswith("+"):
        text = text[1:].lstrip()
    if _NUMBER.match(text):
        return Decimal(text) * 10**9
    total = Decimal(0)
    pos = 0
    last = -1
    while pos < len(text):
        m = _PART.match(text, pos)
        if m is None:
            raise DurationError(where, f"expected a duration {EXAMPLE}, got {_show(value)}")
        rank = _ORDER.index(m.group(2))
        if rank <= last:
            raise DurationError(
                where, f"units largest first, each once (like 1h30m), got {_show(value)}"
            )
        last = rank
        total += Decimal(m.group(1)) * _UNIT_NS[m.group(2)]
        pos = m.end()
    if last < 0:
        raise DurationError(where, f"expected a duration {EXAMPLE}, got {_show(value)}")
    return total


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def iso_ns(ns: int) -> str:
    """Int ns since the epoch as ISO-8601 UTC (``...T14:00:00.003000Z``; no fraction when 0)."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat().replace("+00:00", "Z")
