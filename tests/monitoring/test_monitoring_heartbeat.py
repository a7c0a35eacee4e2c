"""The heartbeat: ticks on its interval (log line, timestamp), pings its URL (a local
receiver standing in for a dead-man's switch) and counts the pings it missed."""

from __future__ import annotations

import asyncio
import logging

import pytest
from monitoring_helpers import Receiver, free_port, until

from live.monitoring.heartbeat import DEFAULT_INTERVAL_S, Heartbeat

pytestmark = [pytest.mark.network, pytest.mark.timeout(20)]


def test_heartbeat_ticks_every_interval_with_a_log_line_and_a_timestamp(caplog):
    async def main():
        hb = Heartbeat(0.05, describe=lambda: "state=ACTIVE", clock=lambda: 1234.5)
        hb.start()
        await asyncio.sleep(0.33)
        await hb.stop()
        return hb

    with caplog.at_level(logging.INFO, logger="executioncore.heartbeat"):
        hb = asyncio.run(main())
    assert 3 <= hb.ticks <= 8  # the first at once, then one per 50 ms (7 on an idle machine)
    assert hb.last_ts == 1234.5 and hb.missed == 0 and hb.pings == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "executioncore.heartbeat"]
    assert lines[0] == "heartbeat 1 state=ACTIVE" and len(lines) == hb.ticks


def test_heartbeat_without_an_interval_uses_the_default():
    assert Heartbeat(None).interval_s == DEFAULT_INTERVAL_S


def test_heartbeat_pings_its_url_and_counts_missed_pings_in_a_row(caplog):
    async def main():
        async with Receiver(statuses=[200, 503, 500, 200]) as rx:
            hb = Heartbeat(0.05, f"{rx.url}/ping/SECRET-UUID?k=TOKEN")
            seen = []
            for _ in range(4):
                await hb.tick()
                seen.append((hb.missed, hb.missed_total))
            await hb.stop()
            return hb, seen, rx.requests

    with caplog.at_level(logging.WARNING):
        hb, seen, requests = asyncio.run(main())
    assert seen == [(0, 0), (1, 1), (2, 2), (0, 2)]  # in a row, back to 0 once answered
    assert [r["method"] for r in requests] == ["GET"] * 4
    assert requests[0]["path"] == "/ping/SECRET-UUID"
    assert "missed (2 in a row): HTTP 500" in caplog.text
    assert "SECRET" not in caplog.text and "TOKEN" not in caplog.text
    assert hb.url is not None and "SECRET" not in hb.url


def test_a_heartbeat_that_cannot_reach_its_url_or_gets_no_answer_is_missed(caplog):
    async def main():
        down = Heartbeat(0.2, f"http://127.0.0.1:{free_port()}/p/TOKEN", method="POST")
        await down.tick()
        async with Receiver(delay_s=1.0) as rx:
            slow = Heartbeat(0.2, f"{rx.url}/slow")  # the ping's timeout is 90% of the interval
            await slow.tick()
            await slow.stop()
        await down.stop()
        return down, slow

    with caplog.at_level(logging.WARNING):
        down, slow = asyncio.run(main())
    assert down.missed == 1 and slow.missed == 1
    assert "no answer within 0.18 s" in caplog.text and "TOKEN" not in caplog.text


def test_the_heartbeat_loop_counts_misses_while_running_and_never_stops_on_errors():
    async def main():
        hb = Heartbeat(0.05, f"http://127.0.0.1:{free_port()}/")

        def broken() -> str:
            raise RuntimeError("no kernel")

        hb.describe = broken
        hb.start()
        ok = await until(lambda: hb.missed >= 3, 5.0)
        await hb.stop()
        return ok, hb

    ok, hb = asyncio.run(main())
    assert ok and hb.missed_total == hb.missed >= 3
