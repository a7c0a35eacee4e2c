"""The control endpoints: each is the runner's operator action (journaled), inputs are checked
(400 with a clear message), cross-site POSTs are refused; and the push stream."""

from __future__ import annotations

import asyncio
import json

import pytest
from dash_helpers import BEARER, FakeRunner, manual_order, serving
from kernel_helpers import Harness

from kernel.enums import TradingState
from live.dashboard import server as server_mod

pytestmark = [pytest.mark.network, pytest.mark.timeout(30)]


def run(coro):
    return asyncio.run(coro)


async def post(s, url, body=None, headers=None, raw=None):
    hdrs = {**BEARER, "Content-Type": "application/json", **(headers or {})}
    data = raw if raw is not None else json.dumps(body if body is not None else {})
    async with s.post(url, data=data, headers=hdrs) as r:
        return r.status, await r.json(content_type=None)


@pytest.mark.parametrize(
    ("path", "action", "prefix"),
    [
        ("halt", "halt", ""),
        ("resume", "resume", ""),
        ("cancel_all", "cancel_all", ""),
        ("kill", "kill_switch", "KILL_SWITCH:"),
    ],
)
def test_each_control_is_the_runners_operator_action(path, action, prefix):
    async def main():
        h = Harness()
        runner = FakeRunner(h.kernel, apply=False)
        async with serving(h, runner) as (d, s):
            status, answer = await post(s, d.url + f"api/{path}")
            assert status == 200 and answer["ok"] and answer["action"] == action
            assert runner.calls == [(action, prefix + "DASHBOARD")]
            assert runner.commits == 1  # write-ahead: committed before the loop sends
            status, _ = await post(s, d.url + f"api/{path}", {"reason": "fat finger\n"})
            assert runner.calls[-1] == (action, prefix + "fat finger")

    run(main())


def test_halt_resume_and_kill_act_on_the_kernel():
    async def main():
        h = Harness()
        h.quote(10000, 10002)
        a = manual_order(h, quantity=5)
        h.accept(a)
        h.fill(a, 10001, 5)
        b = manual_order(h, quantity=5, type="limit", limit_price="90")
        h.accept(b)
        async with serving(h) as (d, s):
            status, answer = await post(s, d.url + "api/halt")
            assert answer["trading_state"] == "HALTED"
            status, answer = await post(s, d.url + "api/resume")
            assert answer["trading_state"] == "ACTIVE"
            status, answer = await post(s, d.url + "api/kill")
            assert status == 200 and answer["trading_state"] == "HALTED"
        k = h.kernel
        assert k.risk.state == TradingState.HALTED
        sent = [type(c).__name__ for c in h.venue.commands]
        assert "CancelOrder" in sent  # the open limit order
        flatten = h.venue.submits()[-1]
        assert flatten.order.side < 0 and flatten.order.quantity == 5  # sells the 5 held

    run(main())


def test_cancel_one_order():
    async def main():
        h = Harness()
        a = manual_order(h, quantity=5, type="limit", limit_price="90", id="mine")
        h.accept(a)
        done = manual_order(h, quantity=1)
        h.reject(done)
        async with serving(h) as (d, s):
            status, answer = await post(s, d.url + "api/cancel", {"id": "nope"})
            assert status == 404 and "unknown order 'nope'" in answer["error"]
            status, answer = await post(s, d.url + "api/cancel", {"id": done})
            assert status == 409 and "already rejected" in answer["error"]
            status, answer = await post(s, d.url + "api/cancel", {})
            assert status == 400 and answer["error"].startswith("id: missing")
            status, answer = await post(s, d.url + "api/cancel", {"id": a})
            assert status == 200 and answer == {
                "ok": True,
                "action": "cancel",
                "id": a,
                "status": "pending_cancel",
            }
        assert h.venue.cancels()[-1].client_order_id == a

    run(main())


def test_cancel_by_the_manual_orders_own_id():
    async def main():
        h = Harness()
        a = manual_order(h, quantity=5, type="limit", limit_price="90", id="my-order")
        h.accept(a)
        async with serving(h) as (d, s):
            status, answer = await post(s, d.url + "api/cancel", {"id": "my-order"})
            assert status == 200 and answer["id"] == a

    run(main())


def test_a_manual_order_goes_through_the_runner():
    async def main():
        h = Harness()
        runner = FakeRunner(h.kernel)
        entry = {"symbol": "X", "side": "BUY", "quantity": 7, "type": "limit", "limit_price": 99.5}
        async with serving(h, runner) as (d, s):
            status, answer = await post(s, d.url + "api/orders", entry | {"id": "op-1"})
            assert status == 200, answer
        action, text = runner.calls[0]
        assert action == "order"
        sent = json.loads(text)
        assert sent == {
            "id": "op-1",
            "symbol": "X",
            "side": "buy",
            "quantity": 7,
            "type": "limit",
            "limit_price": 99.5,
            "time_in_force": "gtc",
        }
        assert answer["orders"] == [{"id": "manual-1", "status": "submitted", "reason": None}]
        order = h.kernel.oms.get("manual-1")
        assert order.quantity == 7 and order.limit_ticks == 9950

    run(main())


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"symbol": "NOPE", "side": "buy", "quantity": 1}, "symbol: unknown symbol 'NOPE'"),
        ({"side": "buy", "quantity": 1}, "symbol: missing"),
        ({"symbol": "X", "quantity": 1}, "side: missing"),
        ({"symbol": "X", "side": "hold", "quantity": 1}, "side: expected one of: buy, sell"),
        ({"symbol": "X", "side": "buy"}, "quantity: missing"),
        ({"symbol": "X", "side": "buy", "quantity": 0}, "quantity must be positive"),
        ({"symbol": "X", "side": "buy", "quantity": True}, "quantity: expected a number"),
        ({"symbol": "X", "side": "buy", "quantity": "lots"}, "quantity"),
        ({"symbol": "X", "side": "buy", "quantity": 1, "type": "limit"}, "limit_price"),
        (
            {"symbol": "X", "side": "buy", "quantity": 1, "type": "limit", "limit_price": 1.001},
            "tick",
        ),
        ({"symbol": "X", "side": "buy", "quantity": 1, "type": "teleport"}, "type: expected"),
        ({"symbol": "X", "side": "buy", "quantity": 1, "time_in_force": "soon"}, "time_in_force"),
        ({"symbol": "X", "side": "buy", "quantity": 1, "colour": "red"}, "colour: unknown key"),
        ({"symbol": "X", "side": "buy", "quantity": 1, "at": "+1s"}, "at: a manual order"),
        ({"symbol": "X", "side": "buy", "quantity": 1, "venue": "sim"}, "venue:"),
        ({"symbol": "X", "side": "buy", "quantity": 1, "id": "a b"}, "id: expected"),
    ],
)
def test_a_bad_manual_order_answers_400_and_reaches_nothing(entry, message):
    async def main():
        h = Harness()
        runner = FakeRunner(h.kernel)
        async with serving(h, runner) as (d, s):
            status, answer = await post(s, d.url + "api/orders", entry)
        assert status == 400, answer
        assert answer["error"].startswith("bad order: ") and message in answer["error"], answer
        assert runner.calls == []

    run(main())


def test_bad_bodies_and_cross_site_posts_are_refused():
    async def main():
        h = Harness()
        runner = FakeRunner(h.kernel)
        async with serving(h, runner) as (d, s):
            url = d.url + "api/halt"
            status, answer = await post(s, url, raw="{not json")
            assert status == 400 and "not JSON" in answer["error"]
            status, answer = await post(s, url, raw="[1, 2]")
            assert status == 400 and "JSON object" in answer["error"]
            status, answer = await post(s, url, headers={"Content-Type": "text/plain"})
            assert status == 415
            async with s.post(url, data={"a": "1"}, headers=BEARER) as r:  # a form
                assert r.status == 415
            status, answer = await post(s, url, headers={"Origin": "http://evil.example"})
            assert status == 403 and "cross-site" in answer["error"]
            status, answer = await post(s, url, headers={"Sec-Fetch-Site": "cross-site"})
            assert status == 403
            status, answer = await post(s, url, headers={"Origin": d.url.rstrip("/")})
            assert status == 200
        assert runner.calls == [("halt", "DASHBOARD")]

    run(main())


def test_a_manual_order_denied_by_risk_answers_409():
    async def main():
        h = Harness()
        h.kernel.set_trading_state(TradingState.HALTED, "TEST")
        async with serving(h) as (d, s):
            status, answer = await post(
                s, d.url + "api/orders", {"symbol": "X", "side": "buy", "quantity": 1}
            )
        assert status == 409 and answer["error"] == "order denied: HALTED"

    run(main())


def test_runner_errors_and_unknown_actions():
    async def main():
        h = Harness()
        async with serving(h, FakeRunner(h.kernel, raises=ValueError("no such thing"))) as (d, s):
            status, answer = await post(s, d.url + "api/halt")
            assert status == 400 and answer["error"] == "halt: no such thing"

        class OldKernelRunner(FakeRunner):
            def operator(self, action, reason):
                self.kernel.notice("UNKNOWN_OPERATOR_ACTION", action)

        async with serving(h, OldKernelRunner(h.kernel)) as (d, s):
            status, answer = await post(
                s, d.url + "api/orders", {"symbol": "X", "side": "buy", "quantity": 1}
            )
            assert status == 501 and "'order'" in answer["error"]

    run(main())


def test_the_event_stream_pushes_changes(monkeypatch):
    monkeypatch.setattr(server_mod, "PUSH_INTERVAL_S", 0.02)

    async def main():
        h = Harness()
        h.quote(10000, 10002)
        async with serving(h) as (d, s):
            async with s.get(d.url + "api/events", headers=BEARER) as r:
                assert r.status == 200
                assert r.headers["Content-Type"].startswith("text/event-stream")

                async def next_state():
                    while True:
                        line = await asyncio.wait_for(r.content.readline(), 5)
                        if line.startswith(b"data: "):
                            return json.loads(line[6:])

                first = await next_state()
                assert first["fills"] == [] and first["trading_state"] == "ACTIVE"
                a = manual_order(h, quantity=2)
                h.accept(a)
                h.fill(a, 10001, 2)
                pushed = await next_state()
                assert [f["order_id"] for f in pushed["fills"]] == [a]
                assert pushed["positions"] == {"X": 2}
                h.kernel.set_trading_state(TradingState.HALTED, "TEST")
                assert (await next_state())["trading_state"] == "HALTED"
            await asyncio.sleep(0.1)  # the server notices the page went away

    run(main())


def test_closing_ends_open_event_streams_promptly():
    async def main():
        h = Harness()
        async with serving(h) as (d, s):
            async with s.get(d.url + "api/events", headers=BEARER) as r:
                await asyncio.wait_for(r.content.readline(), 5)
                t0 = asyncio.get_running_loop().time()
                await d.close()
                while await asyncio.wait_for(r.content.readline(), 5):
                    pass
                assert asyncio.get_running_loop().time() - t0 < 3
            await d.close()  # idempotent

    run(main())


def test_a_taken_port_is_a_clear_error():
    async def main():
        h = Harness()
        async with serving(h) as (d, _):
            with pytest.raises(server_mod.DashboardUnavailable, match=f":{d.port} ") as info:
                await server_mod.start_dashboard(
                    {"port": d.port, "token": "x"}, h.kernel, FakeRunner(h.kernel), []
                )
            assert info.value.exit_code == 3

    run(main())


def test_the_token_may_be_a_secret():
    class Secret:
        def reveal(self):
            return "from-secret"

    async def main():
        h = Harness()
        d = await server_mod.start_dashboard(
            {"port": 0, "token": Secret()}, h.kernel, FakeRunner(h.kernel), []
        )
        try:
            import aiohttp

            async with aiohttp.ClientSession() as s:
                hdr = {"Authorization": "Bearer from-secret"}
                async with s.get(d.url + "api/state", headers=hdr) as r:
                    assert r.status == 200
        finally:
            await d.close()

    run(main())
