"""``LoopThread``: a local venue on its own event loop in a daemon thread, driven synchronously.

For tests and scripts whose own code blocks (alpaca-py's ``TradingClient``, ib_async's ``IB``
in its blocking style): the venue keeps serving while the caller waits on a socket. Every method
hands its work to the venue's loop and waits for the answer, so the venue is only ever touched
from its own thread. ``start`` is the venue's ``start_venue(config)`` coroutine function; the
handle it returns has ``port``, ``stats()``, ``state()``, ``advance(n)``, ``pause()``,
``resume()``, ``faults`` (``set`` / ``force``) and ``close()``. Each venue subclasses it
(``live.fakes.alpaca.thread``, ``live.fakes.ibkr.thread``) to add what its clients need.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

START_TIMEOUT_S = 10.0
CALL_TIMEOUT_S = 30.0


class LoopThread:
    """Start with ``LoopThread(config, start)`` (or as a context manager); ``close()`` stops it."""

    def __init__(self, config: Any, start: Callable[[Any], Awaitable[Any]]) -> None:
        self.config = config
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.handle: Any = self._call(start(config), START_TIMEOUT_S)
        self.port: int = self.handle.port

    def _call(self, coro: Any, timeout: float = CALL_TIMEOUT_S) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _run(self, fn: Any, *args: Any) -> Any:
        return fn(*args)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` on the venue's loop and return its result."""
        return self._call(self._run(fn, *args))

    def stats(self) -> dict[str, Any]:
        return self._call(self._run(self.handle.stats))  # type: ignore[no-any-return]

    def state(self) -> dict[str, Any]:
        return self._call(self._run(self.handle.state))  # type: ignore[no-any-return]

    def advance(self, n: int) -> int:
        return self._call(self.handle.advance(n))  # type: ignore[no-any-return]

    def pause(self) -> None:
        self._call(self._run(self.handle.pause))

    def resume(self) -> None:
        self._call(self._run(self.handle.resume))

    def set_faults(self, probabilities: dict[str, float]) -> None:
        self._call(self._run(self.handle.faults.set, probabilities))

    def force_fault(self, kind: str, n: int = 1) -> None:
        self._call(self._run(self.handle.faults.force, kind, n))

    async def _shutdown(self) -> None:
        await self.handle.close()
        # why: a handler still inside a delayed answer (submit_timeout) must not outlive the loop
        me = asyncio.current_task()
        rest = [t for t in asyncio.all_tasks() if t is not me]
        for task in rest:
            task.cancel()
        if rest:
            await asyncio.wait(rest, timeout=2.0)

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            self._call(self._shutdown())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5.0)
            if not self._thread.is_alive():
                self._loop.close()

    def __enter__(self) -> LoopThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
