"""Running a local venue: its replay task, and serving from the command line until Ctrl-C.

Shared by the local venues (``live.fakes.alpaca.server``, ``live.fakes.ibkr.server``,
``live.fakes.binance.server``; ``cli_main`` is the command's error handling). A venue's
handle has ``replay`` (``live.fakes.alpaca.replay.Replay``) and ``close()``; ``ReplayControls``
gives it the test controls of its replay.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO


class ReplayControls:
    """A venue handle's ``advance(n)`` / ``pause()`` / ``resume()`` of its ``replay``."""

    replay: Any

    async def advance(self, n: int) -> int:
        """Replay ``n`` more events now; return how many have been replayed."""
        return await self.replay.advance(n)  # type: ignore[no-any-return]

    def pause(self) -> None:
        self.replay.pause()

    def resume(self) -> None:
        self.replay.resume()


async def run_replay(replay: Any, counters: dict[str, int]) -> None:
    """Run ``replay`` to its end; a bad row stops it (``replay.error``), counted in
    ``counters["replay_errors"]``."""
    try:
        await replay.run()
    except ValueError as exc:  # why: a bad row mid-file stops the replay, not the venue
        counters["replay_errors"] += 1
        replay.error = str(exc)


async def narrate(handle: Any, out: TextIO) -> None:
    """Say when the replay starts and when the data is used up."""
    replay = handle.replay
    if replay.spec is None:
        return
    if not replay.started.is_set():
        await replay.started.wait()
        print("a client connected: replaying", file=out, flush=True)
    await replay.done.wait()
    if replay.error is not None:
        print(f"the replay stopped: {replay.error}", file=out, flush=True)
    else:
        print(
            f"the data is used up after {replay.events} events; the venue stays up on its "
            "last time (Ctrl-C stops it)",
            file=out,
            flush=True,
        )


async def announce_and_serve(
    handle: Any, head: dict[str, Any], lines: list[str], out: TextIO
) -> None:
    """Print ``head`` as one JSON line (for programs), then ``lines`` (for people), narrate the
    replay, and serve until cancelled (Ctrl-C); then close the venue."""
    print(json.dumps(head), file=out, flush=True)
    for line in lines:
        print(line, file=out, flush=True)
    narrating = asyncio.ensure_future(narrate(handle, out))
    try:
        await asyncio.Event().wait()
    finally:
        narrating.cancel()
        await handle.close()


def cli_main(
    prog: str,
    args: Any,
    from_args: Callable[[Any], Any],
    data_files: Callable[[Any], list[Any]],
    run: Callable[[Any], None],
) -> int:
    """A local venue's command: build its config from parsed ``args`` (``from_args``), check
    its data files exist, serve until Ctrl-C (0). Bad flags or data: a message on stderr and 2;
    the port cannot be bound: 3."""
    from live.fakes.alpaca.config import ConfigError

    try:
        config = from_args(args)
        for path in data_files(config):
            if path is not None and not Path(path).is_file():
                raise ConfigError(f"{path}: no such data file")
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    try:
        run(config)
    except ValueError as exc:  # a data file that cannot be read
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{prog}: cannot listen on 127.0.0.1:{config.port}: {exc}", file=sys.stderr)
        return 3
    return 0
