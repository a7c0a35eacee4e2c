"""Execution algorithms on scripted orders (``algo:``): checked here, run by ``kernel.algos``."""

from __future__ import annotations

from typing import Any


def check_algo(c, value: Any, where: str, item: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Validate an ``algo:`` mapping of a scripted order."""
    raise c.fail(where, "execution algorithms are not available in this build yet")


def start_algo(ctx, item: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    raise NotImplementedError("execution algorithms are not available in this build yet")
