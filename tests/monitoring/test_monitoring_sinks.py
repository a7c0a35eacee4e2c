"""Alert sinks against local receivers: a temp file, the log, an aiohttp webhook receiver, an
aiosmtpd SMTP server; retries, bounded queues, routing by rule, secrets kept out of the log."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from monitoring_helpers import Receiver, alert, free_port, until

from live.monitoring.sinks import (
    AlertRouter,
    EmailSink,
    FileSink,
    LogSink,
    Sink,
    WebhookSink,
    redact_url,
    scrub,
)

pytestmark = [pytest.mark.network, pytest.mark.timeout(20)]

FAST = {"retry_base_s": 0.01, "retry_max_s": 0.05}


class Recording(Sink):
    """A sink whose ``send`` waits on ``gate`` (when set) and records what it sent."""

    kind = "rec"

    def __init__(self, gate: asyncio.Event | None = None, fail: int = 0, **kw) -> None:
        super().__init__(**kw)
        self.gate = gate
        self.fail = fail
        self.got: list[dict] = []

    async def send(self, fields):
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            self.fail -= 1
            raise ConnectionError("down")
        self.got.append(fields)


def test_file_sink_appends_one_json_object_per_alert(tmp_path):
    path = tmp_path / "sub" / "alerts.jsonl"

    async def main():
        sink = FileSink(path, **FAST)
        sink.start()
        sink.offer(alert("deep_dd").as_dict())
        sink.offer(alert("deep_dd", state="resolved", ts=2).as_dict())
        await sink.close(2.0)
        return sink

    sink = asyncio.run(main())
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows == [
        {"ts": 1, "rule": "deep_dd", "severity": "warning", "state": "firing",
         "message": "deep_dd is firing"},
        {"ts": 2, "rule": "deep_dd", "severity": "warning", "state": "resolved",
         "message": "deep_dd is resolved"},
    ]  # fmt: skip
    assert sink.sent == 2 and sink.dropped == 0


def test_log_sink_writes_one_line_at_the_alerts_severity(caplog):
    async def main():
        sink = LogSink(**FAST)
        sink.start()
        sink.offer(alert("halted", severity="critical").as_dict())
        sink.offer(alert("info_rule", severity="info").as_dict())
        await sink.close(2.0)

    with caplog.at_level(logging.INFO, logger="executioncore.alerts"):
        asyncio.run(main())
    records = [r for r in caplog.records if r.name == "executioncore.alerts"]
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (logging.CRITICAL, "ALERT [CRITICAL] halted firing: halted is firing"),
        (logging.INFO, "ALERT [INFO] info_rule firing: info_rule is firing"),
    ]


def test_webhook_posts_slack_and_discord_json_and_retries_after_a_500(caplog):
    async def main():
        async with Receiver(statuses=[500, 204]) as rx:
            url = f"{rx.url}/services/T000/B000/SECRETTOKEN?token=QUERYSECRET"
            sink = WebhookSink(url, **FAST)
            sink.start()
            sink.offer(alert("deep_dd").as_dict())
            assert await until(lambda: sink.sent == 1)
            await sink.close(2.0)
            return sink, rx.requests

    with caplog.at_level(logging.WARNING):
        sink, requests = asyncio.run(main())
    assert len(requests) == 2 and sink.failures == 1 and sink.dropped == 0
    body = requests[-1]["json"]
    assert requests[-1]["method"] == "POST"
    assert requests[-1]["query"] == {"token": "QUERYSECRET"}
    assert body["text"] == body["content"] == "[WARNING] deep_dd firing: deep_dd is firing"
    assert {k: body[k] for k in ("ts", "rule", "severity", "state", "message")} == alert(
        "deep_dd"
    ).as_dict()
    assert "attempt 1/5 failed (ConnectionError: HTTP 500" in caplog.text
    assert "SECRETTOKEN" not in caplog.text and "QUERYSECRET" not in caplog.text


def test_webhook_gives_up_at_once_on_a_4xx_and_keeps_delivering_the_next(caplog):
    async def main():
        async with Receiver(statuses=[404, 200]) as rx:
            sink = WebhookSink(f"{rx.url}/hook/SECRET", **FAST)
            sink.start()
            sink.offer(alert("a").as_dict())
            sink.offer(alert("b").as_dict())
            assert await until(lambda: sink.sent == 1)
            await sink.close(2.0)
            return sink, rx.requests

    with caplog.at_level(logging.WARNING):
        sink, requests = asyncio.run(main())
    assert [r["json"]["rule"] for r in requests] == ["a", "b"]
    assert sink.dropped == 1 and sink.failures == 1
    assert "gave up on alert a after 1 attempt(s): PermanentSinkError: HTTP 404" in caplog.text
    assert "SECRET" not in caplog.text


def test_webhook_unreachable_retries_with_backoff_then_gives_up(caplog):
    port = free_port()  # nothing listens there

    async def main():
        sink = WebhookSink(f"http://127.0.0.1:{port}/x/TOKEN", attempts=3, **FAST)
        sink.start()
        t0 = time.perf_counter()
        sink.offer(alert().as_dict())
        assert await until(lambda: sink.dropped == 1)
        await sink.close(1.0)
        return sink, time.perf_counter() - t0

    with caplog.at_level(logging.WARNING):
        sink, took = asyncio.run(main())
    assert sink.failures == 3 and sink.sent == 0
    assert took >= 0.01 + 0.02  # the two waits between the three attempts
    assert caplog.text.count("retrying in") == 2 and "TOKEN" not in caplog.text


def test_email_sink_sends_through_a_local_smtp_server():
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:

        async def main():
            sink = EmailSink(
                "127.0.0.1", port, "bot@example.com", ["ops@example.com", "me@example.com"], **FAST
            )
            sink.start()
            sink.offer(alert("deep_dd", severity="error").as_dict())
            assert await until(lambda: sink.sent == 1)
            await sink.close(2.0)

        asyncio.run(main())
    finally:
        controller.stop()
    [env] = received
    assert env.mail_from == "bot@example.com"
    assert env.rcpt_tos == ["ops@example.com", "me@example.com"]
    msg = message_from_bytes(env.content)
    assert msg["Subject"] == "[ERROR] deep_dd firing - executioncore"
    assert "deep_dd is firing" in msg.get_payload()


def test_email_sink_retries_while_the_server_is_down():
    port = free_port()
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)

    async def main():
        sink = EmailSink("127.0.0.1", port, "a@b.c", "d@e.f", retry_base_s=0.2, attempts=5)
        sink.start()
        sink.offer(alert().as_dict())
        assert await until(lambda: sink.failures >= 1)
        await asyncio.to_thread(controller.start)  # the server comes up during the backoff
        try:
            assert await until(lambda: sink.sent == 1, 5.0)
        finally:
            await sink.close(1.0)
            await asyncio.to_thread(controller.stop)
        return sink

    sink = asyncio.run(main())
    assert len(received) == 1 and sink.dropped == 0


def test_a_slow_sink_never_blocks_the_caller_nor_the_other_sinks(tmp_path):
    path = tmp_path / "a.jsonl"

    async def main():
        async with Receiver(delay_s=1.0) as rx:
            router = AlertRouter(
                {"file": {"path": str(path)}, "webhook": {"url": f"{rx.url}/hook"}},
                timeout_s=5.0,
                **FAST,
            )
            router.start()
            t0 = time.perf_counter()
            for i in range(50):
                router.dispatch(alert(f"r{i}"))
            took = time.perf_counter() - t0
            file_done = await until(lambda: router.sinks["file"].sent == 50, 1.5)
            webhook_sent = router.sinks["webhook"].sent
            await router.close(0.2)
            return took, file_done, webhook_sent, router

    took, file_done, webhook_sent, router = asyncio.run(main())
    assert took < 0.05  # 50 alerts queued on two sinks: no waiting on the receiver
    assert file_done and webhook_sent == 0  # the file got all while the webhook still waited
    assert len(path.read_text().splitlines()) == 50
    assert router.sinks["webhook"].dropped >= 49  # not delivered within the flush bound


def test_a_full_queue_drops_its_oldest_alert(caplog):
    async def main():
        gate = asyncio.Event()
        sink = Recording(gate, queue_size=2, **FAST)
        sink.start()
        sink.offer({"rule": "a"})
        await asyncio.sleep(0.01)  # the worker takes "a" and waits on the gate
        for rule in "bcde":
            sink.offer({"rule": rule})
        gate.set()
        await sink.close(1.0)
        return sink

    with caplog.at_level(logging.WARNING):
        sink = asyncio.run(main())
    assert [f["rule"] for f in sink.got] == ["a", "d", "e"]
    assert sink.dropped == 2 and caplog.text.count("queue full (2), dropped the oldest") == 2


def test_a_failing_sink_retries_then_delivers_and_close_is_bounded():
    async def main():
        flaky = Recording(fail=2, **FAST)
        flaky.start()
        flaky.offer({"rule": "x"})
        assert await until(lambda: len(flaky.got) == 1)
        await flaky.close(1.0)
        stuck = Recording(asyncio.Event(), **FAST)  # its gate never opens
        stuck.start()
        stuck.offer({"rule": "y"})
        stuck.offer({"rule": "z"})
        t0 = time.perf_counter()
        await stuck.close(0.2)
        return flaky, stuck, time.perf_counter() - t0

    flaky, stuck, took = asyncio.run(main())
    assert flaky.failures == 2 and flaky.sent == 1
    assert stuck.dropped == 2 and took < 1.0


def test_routing_follows_each_rules_sinks_and_the_rest_go_to_all(tmp_path, caplog):
    path = tmp_path / "alerts.jsonl"
    rules = [
        {"name": "to_file", "sinks": ["file"]},
        {"name": "to_log", "sinks": ["log"]},
        {"name": "everywhere"},
    ]

    async def main():
        async with Receiver() as rx:
            router = AlertRouter(
                {"file": {"path": str(path)}, "webhook": {"url": f"{rx.url}/h"}}, rules, **FAST
            )
            assert sorted(router.sinks) == ["file", "log", "webhook"]  # log: named by a rule
            assert router.targets("to_file") == ["file"]
            assert router.targets("to_log") == ["log"]
            assert router.targets("everywhere") == ["file", "webhook"]
            assert router.targets("rejection") == ["file", "webhook"]  # a built-in rule
            router.start()
            for rule in ("to_file", "to_log", "everywhere", "rejection"):
                router.dispatch(alert(rule))
            await router.close(2.0)
            return [r["json"]["rule"] for r in rx.requests]

    with caplog.at_level(logging.INFO, logger="executioncore.alerts"):
        webhook = asyncio.run(main())
    assert sorted(webhook) == ["everywhere", "rejection"]
    rows = [json.loads(line)["rule"] for line in path.read_text().splitlines()]
    assert rows == ["to_file", "everywhere", "rejection"]
    logged = [r.getMessage() for r in caplog.records if r.name == "executioncore.alerts"]
    assert logged == ["ALERT [WARNING] to_log firing: to_log is firing"]


def test_without_sinks_configured_alerts_go_to_the_log():
    router = AlertRouter(None, [{"name": "a"}])
    assert list(router.sinks) == ["log"] and router.targets("a") == ["log"]


def test_urls_and_secrets_are_redacted():
    assert redact_url("https://hooks.slack.com/services/T/B/XYZ") == "https://hooks.slack.com/…"
    assert redact_url("http://127.0.0.1:8080/?k=1") == "http://127.0.0.1:8080/…"
    assert redact_url("https://example.com") == "https://example.com"
    url = "https://discord.com/api/webhooks/1/TOKEN"
    assert "TOKEN" not in scrub(f"failed for {url} (path /api/webhooks/1/TOKEN)", url)
    assert scrub("login pw hunter2 refused", "hunter2") == "login pw *** refused"


def test_the_email_sink_never_shows_its_password():
    class Pw:
        def reveal(self):
            return "hunter2"

        def __repr__(self):
            return "***"

    sink = EmailSink("127.0.0.1", 1, "a@b.c", "d@e.f", username="u", password=Pw())
    assert "hunter2" not in sink.describe()
    assert "hunter2" not in sink._reason(RuntimeError("auth hunter2 bad"))
