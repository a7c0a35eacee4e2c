"""The scenario and config readers' shared checks: ``ScenarioError`` (a message naming the
file, the key and what was expected) and ``_Checker``, the small typed accessors that raise it
with the key path (``executioncore.scenario``, ``executioncore.config*`` re-use them)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kernel.units import UnitError, to_decimal


class ScenarioError(ValueError):
    """A scenario that cannot run; the message names the file, the key and what was expected."""

    def __init__(self, path: Path | str, where: str, message: str) -> None:
        self.path = str(path)
        self.where = where
        super().__init__(f"{path}: {where}: {message}" if where else f"{path}: {message}")


class _Checker:
    """Small typed accessors that raise ``ScenarioError`` with the key path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> ScenarioError:
        return ScenarioError(self.path, where, message)

    def mapping(self, value: Any, where: str, keys: set[str] | None = None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, got {_show(value)}")
        if keys is not None:
            for key in value:
                if key not in keys:
                    raise self.fail(
                        f"{where}.{key}" if where else str(key),
                        f"unknown key (expected one of: {', '.join(sorted(keys))})",
                    )
        return value

    def choice(
        self, value: Any, where: str, accepted: tuple[str, ...], any_case: bool = True
    ) -> str:
        """One of ``accepted`` (in any case unless ``any_case`` is false); the error names the
        key, the value and the accepted ones."""
        if isinstance(value, str) and (value.lower() if any_case else value) in accepted:
            return value
        raise self.fail(where, unknown_value(value, accepted))

    def listing(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {_show(value)}")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(where, f"expected a non-empty string, got {_show(value)}")
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, got {_show(value)}")
        return value

    def integer(self, value: Any, where: str, minimum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"expected a whole number, got {_show(value)}")
        if minimum is not None and value < minimum:
            raise self.fail(where, f"must be at least {minimum}, got {value}")
        return value

    def number(
        self, value: Any, where: str, positive: bool = False, non_negative: bool = False
    ) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.fail(where, f"expected a number, got {_show(value)}")
        try:
            d = to_decimal(value, where)
        except UnitError:
            raise self.fail(where, f"expected a number, got {_show(value)}") from None
        if positive and d <= 0:
            raise self.fail(where, f"must be positive, got {value}")
        if non_negative and d < 0:
            raise self.fail(where, f"must not be negative, got {value}")
        return value

    def time(self, value: Any, where: str, relative: bool = False) -> tuple[str, int]:
        """``("abs", ns)`` or, when allowed, ``("rel", ns)`` for ``+DURATION``."""
        if isinstance(value, bool):
            raise self.fail(where, f"expected a time, got {_show(value)}")
        if isinstance(value, int):
            return "abs", value
        if isinstance(value, datetime):
            dt = value if value.tzinfo else value.replace(tzinfo=UTC)
            return "abs", _dt_ns(dt)
        if isinstance(value, str):
            if value.strip().startswith("+"):
                if not relative:
                    raise self.fail(where, "a relative time (+DURATION) is not allowed here")
                from executioncore.durations import DurationError, parse_duration_ns

                try:
                    return "rel", parse_duration_ns(value.strip(), where)
                except DurationError:
                    raise self.fail(
                        where, f"expected +DURATION like +5s, +2m or +1h30m, got {_show(value)}"
                    ) from None
            try:
                dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                return "abs", _dt_ns(dt if dt.tzinfo else dt.replace(tzinfo=UTC))
        expect = "ISO-8601, int ns" + (", or +DURATION like +5s" if relative else "")
        raise self.fail(where, f"expected a time ({expect}), got {_show(value)}")


def _dt_ns(dt: datetime) -> int:
    delta = dt.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1_000


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def unknown_value(value: Any, accepted: tuple[str, ...] | list[str]) -> str:
    """The one wording for a value outside a fixed set: ``unknown value 'long' (accepted: buy,
    sell)``, or ``missing (accepted: ...)`` when there is none."""
    names = ", ".join(accepted)
    if value is None:
        return f"missing (accepted: {names})"
    return f"unknown value {_show(value)} (accepted: {names})"
