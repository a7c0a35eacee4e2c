"""A real browser (Chromium through Playwright) on the dashboard of a paper session, everything
driven by the config as a user runs it: ``executioncore.live_cmd.live_command`` (in a thread)
on a ``type: sim`` broker whose ``monitoring:`` section asks for the dashboard (token from the
environment), ``/metrics``, a webhook sink and a ``halted`` alert; the session's monitoring host
starts them all.

The browser signs in with the token, sends a manual order from the page and sees its fill arrive
without reloading, presses the kill switch (confirming) and sees HALTED and a flat position;
without the token the page is 401. ``/metrics`` then carries the contract's names (halted: 2,
the ``halted`` alert counted once); the webhook receiver got that alert once and no secret;
the session's summary lists the alerts and its journal replays exactly (the dashboard's actions
are journaled inputs).

No public way ends a session started in a thread early (no dashboard endpoint does, and SIGINT
reaches only a main thread's loop): the session runs for ``RUN_FOR_S`` and ends by itself."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from dash_helpers import TOKEN

from executioncore import live_cmd
from executioncore.config import load_config
from executioncore.replay import replay

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
RUN_FOR_S = 15  # the browser steps take ~2-3 s, on a loaded machine too: a wide margin
CONTRACT_METRICS = {
    "executioncore_orders_total",
    "executioncore_fills_total",
    "executioncore_equity",
    "executioncore_realized_pnl",
    "executioncore_unrealized_pnl",
    "executioncore_position",
    "executioncore_broker_connected",
    "executioncore_trading_state",
    "executioncore_heartbeat_timestamp_seconds",
    "executioncore_alerts_total",
}

pytestmark = [pytest.mark.network, pytest.mark.timeout(90)]


def free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback ports (each bound at once, then released)."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]


def write_session(tmp_path: Path, dash: int, metrics: int, hook: int) -> Path:
    """A paper config: instrument X quoted every 100 ms for 90 s, replayed at wall speed, with
    the dashboard, metrics, a webhook sink and a ``halted`` alert."""
    rows = ["ts,bid,ask"]
    for i in range(900):
        bid = 10000 + (i * 7) % 11 - 5  # a small wiggle, in cents
        rows.append(f"2024-01-02T10:{i // 600:02d}:{(i // 10) % 60:02d}.{i % 10}00Z,"
                    f"{bid / 100:.2f},{(bid + 2) / 100:.2f}")  # fmt: skip
    (tmp_path / "q.csv").write_text("\n".join(rows) + "\n")
    cfg = {
        "name": "dash",
        "seed": 1,
        "account": {"currency": "USD", "cash": 100_000},
        "instruments": [{"symbol": "X", "tick_size": 0.01, "lot_size": 1}],
        "brokers": {
            "paper": {
                "type": "sim",
                "data": {"kind": "quotes", "symbol": "X", "path": "q.csv"},
                "speed": 1,
            }
        },
        "monitoring": {
            "dashboard": {"port": dash, "token": "${EC_DASH_TOKEN}"},
            "metrics": {"port": metrics},
            "sinks": {"webhook": {"url": f"http://127.0.0.1:{hook}/hook"}},
            "alert_on_rejection": True,
            "alerts": [
                {"name": "halted", "when": "trading_state == halted", "severity": "critical"}
            ],
        },
    }
    path = tmp_path / "executioncore.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


class Webhook:
    """An aiohttp receiver on 127.0.0.1:``port`` (its own loop, in a thread): ``posts`` holds
    each POST's path and raw body, in arrival order."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.posts: list[tuple[str, str]] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="webhook", daemon=True)
        self._runner: Any = None

    async def _handle(self, request: Any) -> Any:
        from aiohttp import web

        self.posts.append((request.path, await request.text()))
        return web.json_response({"ok": True})

    async def _start(self) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.posts]

    def __enter__(self) -> Webhook:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def http_status(url: str) -> int | None:
    """The status a GET of ``url`` answers (None: nothing listens yet)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


def scrape(url: str) -> tuple[str, dict[str, dict[tuple[tuple[str, str], ...], float]]]:
    """``/metrics`` as text and parsed: ``{sample name: {sorted labels: value}}``."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(url, timeout=5) as resp:
        assert resp.status == 200
        text = resp.read().decode()
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return text, samples


class Session:
    """``live_command`` on ``config`` in a thread (for ``RUN_FOR_S``); entered once its
    dashboard and metrics answer."""

    def __init__(self, config: Path, out: Path, dash_url: str, metrics_url: str) -> None:
        self.dash_url, self.metrics_url = dash_url, metrics_url
        self.result: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(
            target=self._run, args=(config, out), name="paper-session", daemon=True
        )

    def _run(self, config: Path, out: Path) -> None:
        try:
            self.result = live_cmd.live_command(config, None, f"{RUN_FOR_S}s", False, out, True)
        except BaseException as exc:
            self.error = exc

    def __enter__(self) -> Session:
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.thread.is_alive():
            if http_status(self.dash_url) == 401 and http_status(self.metrics_url) == 200:
                return self
            time.sleep(0.05)
        if self.error is not None:
            raise self.error
        raise AssertionError("the paper session's dashboard and metrics did not come up")

    def __exit__(self, *exc: object) -> None:
        self.thread.join(RUN_FOR_S + 30)
        assert not self.thread.is_alive(), "the paper session did not stop"


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no /usr/bin/chromium (Debian's chromium package; .ci/run installs it)",
)
def test_a_browser_signs_in_sees_a_fill_pushed_and_kills(tmp_path, monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    pytest.importorskip("prometheus_client", reason="pip install 'executioncore[live]'")
    expect = sync_api.expect
    monkeypatch.setenv("EC_DASH_TOKEN", TOKEN)
    dash_port, metrics_port, hook_port = free_ports(3)
    config = write_session(tmp_path, dash_port, metrics_port, hook_port)
    assert TOKEN not in config.read_text()
    dash_url = f"http://127.0.0.1:{dash_port}/"
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    run_dir = tmp_path / "run"
    with Webhook(hook_port) as hook, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            with Session(config, run_dir, dash_url, metrics_url) as session:
                page = browser.new_page()
                dialogs: list[str] = []
                answer = {"accept": False}

                def on_dialog(dialog: Any) -> None:
                    dialogs.append(dialog.message)
                    dialog.accept() if answer["accept"] else dialog.dismiss()

                page.on("dialog", on_dialog)

                def asked(n: int) -> list[str]:
                    for _ in range(250):  # why: the dialog event may trail the click
                        if len(dialogs) >= n:
                            break
                        page.wait_for_timeout(20)
                    return dialogs

                # signed out: 401 and the login form; the token opens the page
                response = page.goto(dash_url)
                assert response is not None and response.status == 401
                page.fill("#token", TOKEN)
                page.click("#login-submit")
                state = page.locator("#trading-state")
                expect(state).to_have_text("ACTIVE", timeout=10_000)
                expect(page.locator("#conn")).to_have_text("live")
                assert TOKEN not in page.content()
                page.evaluate("window.notReloaded = true")
                fills = page.locator("#fills tbody tr[data-order]")
                expect(fills).to_have_count(0)
                position = page.locator('#positions tr[data-symbol="X"] td.qty')
                expect(position).to_have_text("0")

                # a manual order from the page: asked first (dismissed: nothing happens)
                page.fill('#order-form input[name="quantity"]', "25")
                page.click("#btn-order")
                assert asked(1) == ["Send buy 25 X market?"]
                page.wait_for_timeout(500)
                expect(fills).to_have_count(0)
                answer["accept"] = True
                page.click("#btn-order")
                # the fill arrives by push: no reload
                expect(fills).to_have_count(1, timeout=10_000)
                expect(fills.first).to_contain_text("buy")
                expect(position).to_have_text("25")
                assert page.evaluate("window.notReloaded") is True

                # the kill switch, confirmed: halted and flat
                page.click("#btn-kill")
                assert asked(3)[-1].startswith("KILL SWITCH")
                expect(state).to_have_text("HALTED", timeout=10_000)
                expect(position).to_have_text("0", timeout=10_000)
                expect(fills).to_have_count(2)
                expect(page.locator("#open-orders tbody")).to_contain_text("no open orders")
                assert page.evaluate("window.notReloaded") is True
                page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

                # another browser without the token: 401, the form, no state
                other = browser.new_context().new_page()
                response = other.goto(dash_url)
                assert response is not None and response.status == 401
                expect(other.locator("#token")).to_be_visible()
                assert TOKEN not in other.content()
                response = other.goto(dash_url + "api/state")
                assert response is not None and response.status == 401

                # /metrics while the session runs: the contract's names, halted, alert counted
                text, metrics = scrape(metrics_url)
                assert TOKEN not in text
                assert set(metrics) >= CONTRACT_METRICS, sorted(CONTRACT_METRICS - set(metrics))
                assert metrics["executioncore_trading_state"] == {(): 2.0}
                assert metrics["executioncore_alerts_total"][(("rule", "halted"),)] == 1.0
                assert metrics["executioncore_position"] == {(("symbol", "X"),): 0.0}
                assert metrics["executioncore_fills_total"] == {(("broker", "paper"),): 2.0}
                assert metrics["executioncore_broker_connected"] == {(("broker", "paper"),): 1.0}
                filled = (("broker", "paper"), ("status", "filled"))
                assert metrics["executioncore_orders_total"][filled] == 2.0
                assert metrics["executioncore_unrealized_pnl"] == {(): 0.0}  # flat
                money = {k: metrics[f"executioncore_{k}"][()] for k in ("equity", "realized_pnl")}
                (beat,) = metrics["executioncore_heartbeat_timestamp_seconds"].values()
                assert abs(time.time() - beat) < 120
        finally:
            browser.close()
    if session.error is not None:
        raise session.error

    # the webhook: the halted alert once (one episode), every post JSON, no secret in any
    alerts = hook.payloads()
    assert all(path == "/hook" for path, _ in hook.posts)
    assert not any(TOKEN in body for _, body in hook.posts)
    halted = [a for a in alerts if a["rule"] == "halted"]
    assert len(halted) == 1, alerts
    assert halted[0]["state"] == "firing" and halted[0]["severity"] == "critical"
    assert "halted" in halted[0]["text"] and halted[0]["content"] == halted[0]["text"]

    summary = session.result.summary
    assert summary["positions"] == {"X": 0}
    assert summary["trading_state"] == "HALTED"
    assert summary["fills"] == 2
    assert summary["live"]["stop"] == "RUN_FOR_ELAPSED"
    # flat and halted since the scrape: the money it showed is the session's final money
    assert money == {k: pytest.approx(summary[k]) for k in money}
    # the summary lists the alerts the webhook got, in order (rules without sinks go to all)
    assert [(a["rule"], a["state"]) for a in summary["alerts"]] == [
        (a["rule"], a["state"]) for a in alerts
    ]
    assert [a["state"] for a in summary["alerts"] if a["rule"] == "halted"] == ["firing"]
    assert TOKEN not in json.dumps(summary, default=str)
    report = replay(run_dir)
    assert report.ok, (report.error, report.divergence)


def test_the_paper_dashboard_example_loads(monkeypatch):
    """``scenarios/live/paper_dashboard.yaml``: a sim broker on bundled data, the dashboard
    with its token from the environment, metrics, the ``halted`` alert."""
    monkeypatch.setenv("EC_DASH_TOKEN", TOKEN)
    cfg = load_config(ROOT / "scenarios" / "live" / "paper_dashboard.yaml")
    (broker,) = cfg.brokers
    assert broker.type == "sim" and not cfg.real_money
    assert (cfg.base_dir / broker.raw["data"]["path"]).is_file()
    dashboard = cfg.monitoring["dashboard"]
    assert dashboard["port"] > 0 and dashboard["token"].reveal() == TOKEN
    assert TOKEN not in repr(cfg)
    assert cfg.monitoring["metrics"]["port"] > 0
    assert "halted" in [a["name"] for a in cfg.monitoring["alerts"]]
