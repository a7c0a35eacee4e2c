"""What the live runner needs of a venue adapter, on top of the kernel's venue port.

An adapter takes the kernel's commands without blocking (``submit``/``cancel``/``modify`` only
schedule work on the event loop) and reports everything that happens (order events, market
data, connection status) through ``emit``, which puts it on the runner's queue. ``start``
connects, authenticates and reconciles (it must emit what the kernel missed: fills, status
changes, orders it never knew); ``stop`` closes. A disconnect is reported as
``VenueStatus(connected=False)``, and a reconnection that has been reconciled as
``VenueStatus(connected=True, reconciled=True)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

Emit = Callable[[Any], Awaitable[None]]


class Adapter(Protocol):
    name: str

    def bind(self, emit: Emit, kernel: Any) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def submit(self, cmd: Any) -> None: ...

    def cancel(self, cmd: Any) -> None: ...

    def modify(self, cmd: Any) -> None: ...

    def stats(self) -> dict[str, Any]: ...
