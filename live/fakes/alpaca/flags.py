"""The text of the local venues' repeatable flags, parsed, and the error a bad setting raises.

``parse_faults`` (``KIND=RATE,...``), ``parse_accounts`` (``KEY:SECRET``) and ``parse_positions``
(``SYMBOL=QTY@PRICE``) turn what ``--faults``, ``--account`` and ``--position`` hold into a
config's fields; ``ConfigError`` names the field at fault. Apart from ``live.fakes.alpaca.config``
(which re-exports them) so that module stays small.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal


class ConfigError(ValueError):
    """A fake venue configuration that cannot be used (names the field)."""


def parse_faults(text: str) -> dict[str, float]:
    """``"drop=0.1,http_429=0.05"`` -> ``{"drop": 0.1, "http_429": 0.05}``."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep:
            raise ConfigError(f"faults: {part!r} must be KIND=PROBABILITY")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"faults: {value!r} is not a probability") from None
    return out


def parse_accounts(items: Sequence[str]) -> list[tuple[str, str]]:
    """``["alice:s1", "bob:s2"]`` -> ``[("alice", "s1"), ("bob", "s2")]`` (the secret may hold
    a colon; the key may not)."""
    out = []
    for item in items:
        key, sep, secret = item.partition(":")
        if not (sep and key.strip() and secret.strip()):
            raise ConfigError(f"account: {item!r} must be KEY:SECRET")
        out.append((key.strip(), secret.strip()))
    return out


def parse_positions(items: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``["AAPL=10@150", "MSFT=-5@300.5"]`` -> ``{"AAPL": ("10", "150"), ...}``."""
    out: dict[str, tuple[str, str]] = {}
    for item in items:
        sym, sep, rest = item.partition("=")
        qty, at, px = rest.partition("@")
        sym, qty, px = sym.strip(), qty.strip(), px.strip()
        if not (sep and at and sym and qty and px):
            raise ConfigError(f"position: {item!r} must be SYMBOL=QTY@PRICE, e.g. AAPL=10@150")
        for name, text in (("qty", qty), ("price", px)):
            try:
                Decimal(text)
            except ArithmeticError:
                raise ConfigError(f"position {item!r}: {name} {text!r} is not a number") from None
        if sym in out:
            raise ConfigError(f"position: {sym} given more than once")
        out[sym] = (qty, px)
    return out
