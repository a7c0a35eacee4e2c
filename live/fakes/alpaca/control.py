"""The fake venue's test-only endpoints (no auth; the venue binds to loopback only).

``GET /_fake/stats``: faults injected per kind (every kind of ``FAULT_KINDS``), their
probabilities, traffic counts (among them ``silenced_messages``, ``muted_messages``,
``rest_down_refused``, ``rest_down_dropped``), replay progress (``replayed`` events,
``replay_started``, ``waiting_for_client``, ``replay_passes`` over the data, ``replay_time`` of
the last event, ``replay_done``). ``GET /_fake/state``: orders, fills, positions and cash (the
"final positions equal the venue's" check) of the first account, and with several accounts
each one's under ``accounts``. ``POST /_fake/faults`` with ``{"probabilities": {kind: p}}`` (replaces them)
and/or ``{"force": {kind: n}}`` (the next n rolls hit). ``POST /_fake/advance?n=N`` replays N
events now; ``POST /_fake/pause`` and ``/_fake/resume`` stop and restart the timed replay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from live.fakes.alpaca import views
from live.fakes.alpaca.core import VenueCore
from live.fakes.alpaca.faults import Faults
from live.fakes.alpaca.orders import fmt_ns
from live.fakes.alpaca.replay import Replay


def venue_stats(
    faults: Faults, replay: Replay, core: VenueCore, counters: dict[str, int]
) -> dict[str, Any]:
    """What ``GET /_fake/stats`` answers: faults injected per kind, traffic, replay progress."""
    return {
        "faults": dict(faults.injected),
        "fault_probabilities": dict(faults.probabilities),
        "replayed": replay.events,
        "replay_started": replay.started.is_set(),
        "waiting_for_client": replay.waiting_for_client,
        "replay_passes": replay.passes,
        "replay_time": fmt_ns(replay.last_ts),
        "replay_done": replay.done.is_set(),
        "replay_error": replay.error,
        "venue": core.counts(),  # summed over the accounts
        **counters,
    }


def add_control_routes(
    app: web.Application,
    stats: Callable[[], dict[str, Any]],
    core: VenueCore,
    replay: Replay,
    faults: Faults,
) -> None:
    """Add the ``/_fake/*`` routes to ``app``."""

    async def fake_stats(request: web.Request) -> web.StreamResponse:
        return web.json_response(stats())

    async def fake_state(request: web.Request) -> web.StreamResponse:
        return web.json_response({**views.venue_state(core), "replayed": replay.events})

    async def fake_faults(request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            if "probabilities" in body:
                faults.set(body["probabilities"])
            for kind, n in (body.get("force") or {}).items():
                faults.force(kind, int(n))
        except (ValueError, TypeError, AttributeError) as exc:
            return web.json_response({"message": str(exc)}, status=422)
        return web.json_response({"fault_probabilities": faults.probabilities})

    async def fake_advance(request: web.Request) -> web.StreamResponse:
        n = int(request.query.get("n", "1"))
        return web.json_response({"replayed": await replay.advance(n)})

    async def fake_pause(request: web.Request) -> web.StreamResponse:
        replay.pause()
        return web.json_response({"replayed": replay.events})

    async def fake_resume(request: web.Request) -> web.StreamResponse:
        replay.resume()
        return web.json_response({"replayed": replay.events})

    r = app.router
    r.add_get("/_fake/stats", fake_stats)
    r.add_get("/_fake/state", fake_state)
    r.add_post("/_fake/faults", fake_faults)
    r.add_post("/_fake/advance", fake_advance)
    r.add_post("/_fake/pause", fake_pause)
    r.add_post("/_fake/resume", fake_resume)
