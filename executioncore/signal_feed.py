"""A live session's signal file, followed as it grows (CONTRACT.md "Strategy inputs").

``follow_signals`` polls the file (``executioncore.signals_file.SignalTail``): at the start the
last row of each symbol (the current target; a resumed session reaches the same one again),
then every row appended, each batch handed to the kernel as an ``OperatorAction("signal",
JSON)`` - a journaled input, so a replay repeats what the rows did without the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("executioncore.signals")
POLL_S = 0.5


def latest_per_symbol(rows: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """The last row of each symbol, in time order."""
    last: dict[str, tuple[int, str, str]] = {}
    for row in rows:
        last[row[1]] = row
    return sorted(last.values(), key=lambda r: r[0])


async def follow_signals(path: str | Path, runner: Any, poll_s: float = POLL_S) -> None:
    """Feed ``path``'s rows to ``runner``'s kernel until cancelled (a bad row: logged, the
    file followed on)."""
    from executioncore.signals_file import SignalFileError, SignalTail

    tail = SignalTail(path)
    first = True
    while True:
        if runner.running:
            try:
                rows = tail.poll()
            except SignalFileError as exc:
                log.warning("signals: %s", exc)
                rows = []
            if first:
                rows, first = latest_per_symbol(rows), False
            if rows:
                text = json.dumps([{"symbol": s, "value": v} for _, s, v in rows])
                with contextlib.suppress(Exception):  # why: a refused row is the kernel's notice
                    runner.operator("signal", text)
        await asyncio.sleep(poll_s)
