"""The TWS API session: links lost and restored (1100/1101/1102, the socket), pacing answered
by a pause and a second ask, bounded waits."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from live.adapters.ibkr import connection, ib_api
from live.adapters.ibkr.config import IbkrConfig
from live.adapters.template import VenueUnavailable


def make(timeout_s: float = 0.2) -> tuple[connection.IbConnection, list[str]]:
    states: list[str] = []
    cfg = IbkrConfig("ib", timeout_s=timeout_s, seed=3)
    conn = connection.IbConnection(cfg, np.random.default_rng(3), states.append)
    return conn, states


def test_error_1100_is_one_outage_until_1102_restores_it():
    async def main() -> tuple[list[str], bool, bool]:
        conn, states = make()
        conn.ready.set()
        up_before = conn.is_up
        conn._on_error(
            -1, 1100, "Connectivity between IB and Trader Workstation has been lost.", None
        )
        conn._on_error(-1, 1100, "again", None)
        down = conn.is_up
        conn._on_error(-1, 1102, "restored - data maintained", None)
        conn._on_error(-1, 1102, "restored again", None)  # not after an outage: nothing
        conn._on_error(-1, 1101, "restored - data lost", None)
        return states, up_before and not down, conn.is_up and conn.outages == 1

    states, went_down, back = asyncio.run(main())
    assert states == [connection.OUTAGE, connection.RESTORED, connection.RESTORED_DATA_LOST]
    assert went_down and back


def test_a_lost_socket_is_down_once_and_not_while_connecting_or_closing():
    async def main() -> list[str]:
        conn, states = make()
        conn._on_disconnected()  # never connected: nothing
        conn.ready.set()
        conn._on_disconnected()
        conn._on_disconnected()
        conn.ready.set()
        conn._connecting = True
        conn._on_disconnected()
        return states

    assert asyncio.run(main()) == [connection.DOWN]


def test_backoff_grows_capped_with_seeded_jitter():
    a, _ = make()
    b, _ = make()
    waits = [a.backoff(i) for i in range(8)]
    assert waits == [b.backoff(i) for i in range(8)]
    assert all(
        0.5 * min(0.25 * 2**i, 10.0) <= w <= min(0.25 * 2**i, 10.0) for i, w in enumerate(waits)
    )


def test_request_refused_for_pacing_is_asked_again_after_the_pause():
    async def main() -> tuple[str, int, int]:
        conn, _ = make()
        conn.ready.set()
        asked = []

        async def answer() -> str:
            asked.append(1)
            if len(asked) == 1:
                raise ib_api.RequestError(
                    5, 100, "Max rate of messages per second has been exceeded"
                )
            return "ok"

        conn.throttle.pause_s = 0.0  # why: the pause after error 100 made short for the test
        conn._on_error(5, 100, "Max rate", None)
        return await conn.request(answer, "executions"), len(asked), conn.paced

    assert asyncio.run(main()) == ("ok", 2, 1)


def test_request_paced_without_an_id_is_asked_again():
    async def main() -> int:
        conn, _ = make(timeout_s=5.0)
        conn.ready.set()
        conn.throttle.pause_s = 0.0
        asked: list[asyncio.Future] = []  # type: ignore[type-arg]

        def ask() -> asyncio.Future:  # type: ignore[type-arg]
            fut = asyncio.get_running_loop().create_future()
            asked.append(fut)
            if len(asked) == 2:
                fut.set_result(["order"])
            return fut

        async def refuse_first() -> None:
            await asyncio.sleep(0.01)
            conn._on_error(-1, 100, "Max rate of messages per second has been exceeded", None)

        task = asyncio.ensure_future(refuse_first())
        assert await conn.request(ask, "open orders") == ["order"]
        await task
        return len(asked)

    assert asyncio.run(main()) == 2


def test_request_without_an_answer_or_a_socket_is_unavailable_not_a_hang():
    async def main() -> None:
        conn, _ = make(timeout_s=0.05)
        with pytest.raises(VenueUnavailable, match="not connected"):
            await conn.request(lambda: asyncio.sleep(1), "positions")
        conn.ready.set()
        with pytest.raises(VenueUnavailable, match="no answer"):
            await conn.request(lambda: asyncio.sleep(1), "positions")

        async def lost() -> None:
            raise ConnectionError("Socket disconnect")

        with pytest.raises(VenueUnavailable, match="lost"):
            await conn.request(lost, "positions")
        with pytest.raises(ib_api.RequestError):
            await conn.request(_refused, "contract details")

    asyncio.run(main())


async def _refused() -> None:
    raise ib_api.RequestError(9, 200, "No security definition has been found for the request")


def test_send_refuses_while_the_socket_is_down():
    async def main() -> None:
        conn, _ = make()
        with pytest.raises(ConnectionError):
            await conn.send(lambda: None)
        conn.ready.set()
        assert await conn.send(lambda: 7) == 7

    asyncio.run(main())


def test_connect_to_a_closed_port_fails_fast_with_an_os_error():
    import socket

    async def main() -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        cfg = IbkrConfig("ib", port=port)
        conn = connection.IbConnection(cfg, np.random.default_rng(0), lambda s: None)
        with pytest.raises(OSError):
            await conn.connect_once(2.0)
        assert not conn.ready.is_set()

    asyncio.run(main())
