"""Value checks shared by the live configuration's sections (``executioncore.config``):
durations, URLs, ports and credentials (``Secret``); a value outside a fixed set is worded by
``executioncore.scenario.unknown_value``."""

from __future__ import annotations

from typing import Any

from executioncore.durations import DurationError, parse_duration_s
from executioncore.scenario import ScenarioError, _Checker
from kernel.risk import ConfigError

_HTTP = ("http://", "https://")
_WS = ("ws://", "wss://")


class Secret:
    """A credential: its value is only for the wire; it prints as ``***``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


def _secret(
    c: _Checker, entry: dict[str, Any], where: str, key: str, required: bool
) -> Secret | None:
    value = entry.get(key)
    if value is None or value == "":
        if required:
            raise c.fail(f"{where}.{key}", "missing (use ${ENV_VAR}, never the value itself)")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        # why: never echo the value back: it may be the credential itself
        raise c.fail(f"{where}.{key}", "expected a string (use ${ENV_VAR}); the value is not shown")
    return Secret(str(value))


def _duration(c: _Checker, value: Any, where: str, positive: bool = False) -> float:
    try:
        seconds = parse_duration_s(value, where)
    except DurationError as exc:
        raise c.fail(where, exc.reason) from None
    if positive and seconds <= 0:
        raise c.fail(where, f"must be positive, got {value!r}")
    return seconds


def _url(c: _Checker, value: Any, where: str, schemes: tuple[str, ...]) -> str:
    if not isinstance(value, str) or not value.startswith(schemes) or value.endswith("://"):
        kinds = ", ".join(s.rstrip(":/") for s in schemes)
        shown = repr(value) if isinstance(value, str) and len(value) <= 80 else "that"
        raise c.fail(where, f"expected a URL ({kinds}), got {shown}")
    return value


def _port(c: _Checker, value: Any, where: str) -> int:
    port = c.integer(value, where, minimum=0)
    if port > 65535:
        raise c.fail(where, f"expected a port number 0-65535, got {port}")
    return port


def _config_error(c: _Checker, exc: ConfigError) -> ScenarioError:
    """A ``ConfigError`` (``"key.path: message"``) as a ``ScenarioError`` naming the file."""
    text = str(exc)
    where, sep, message = text.partition(": ")
    if sep and where and " " not in where:
        return c.fail(where, message)
    return c.fail("", text)
