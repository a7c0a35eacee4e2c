"""A real browser (Chromium through Playwright) on the dashboard of a paper session: a ``type:
sim`` broker run by ``executioncore.live_cmd.live_command`` in a thread, its live runner serving
the dashboard. The browser signs in with the token, sends a manual order from the page and sees
its fill arrive without reloading, presses the kill switch (confirming) and sees HALTED and a
flat position; without the token the page is 401. The session's journal then replays exactly
(the dashboard's actions are journaled inputs)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from dash_helpers import TOKEN

from executioncore import live_cmd
from executioncore.replay import replay
from live.dashboard.server import start_dashboard
from live.runner import LiveRunner

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.network,
    pytest.mark.timeout(60),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no /usr/bin/chromium (Debian's chromium package; .ci/run installs it)",
    ),
]


def write_session(tmp_path: Path) -> Path:
    """A paper config: instrument X quoted every 100 ms for 90 s, replayed at wall speed."""
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
    }
    path = tmp_path / "executioncore.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


class Session:
    """``live_command`` in a thread, its runner serving the dashboard (as a host does when
    ``monitoring.dashboard`` is set)."""

    def __init__(self, config: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.ready = threading.Event()
        self.url = ""
        self.loop: asyncio.AbstractEventLoop | None = None
        self.runner: LiveRunner | None = None
        self.result: Any = None
        self.error: BaseException | None = None
        session = self

        class DashboardRunner(LiveRunner):
            async def run(self) -> None:
                handle = await start_dashboard(
                    {"port": 0, "token": TOKEN}, self.kernel, self, self.adapters
                )
                session.url, session.runner = handle.url, self
                session.loop = asyncio.get_running_loop()
                session.ready.set()
                try:
                    await super().run()
                finally:
                    await handle.close()

        monkeypatch.setattr(live_cmd, "LiveRunner", DashboardRunner)
        self.thread = threading.Thread(
            target=self._run, args=(config, out), name="paper-session", daemon=True
        )

    def _run(self, config: Path, out: Path) -> None:
        try:
            self.result = live_cmd.live_command(config, None, "45s", False, out, True)
        except BaseException as exc:
            self.error = exc
        finally:
            self.ready.set()

    def __enter__(self) -> Session:
        self.thread.start()
        assert self.ready.wait(20), "the paper session did not start"
        if self.error is not None:
            raise self.error
        return self

    def __exit__(self, *exc: object) -> None:
        if self.loop is not None and self.runner is not None:
            with contextlib.suppress(RuntimeError):  # the session ended already
                self.loop.call_soon_threadsafe(self.runner.stop, "TEST_DONE")
        self.thread.join(20)
        assert not self.thread.is_alive(), "the paper session did not stop"


def test_a_browser_signs_in_sees_a_fill_pushed_and_kills(tmp_path, monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    expect = sync_api.expect
    config = write_session(tmp_path)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            with Session(config, tmp_path / "run", monkeypatch) as session:
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
                response = page.goto(session.url)
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
                response = other.goto(session.url)
                assert response is not None and response.status == 401
                expect(other.locator("#token")).to_be_visible()
                assert TOKEN not in other.content()
                response = other.goto(session.url + "api/state")
                assert response is not None and response.status == 401
        finally:
            browser.close()
    if session.error is not None:
        raise session.error
    summary = session.result.summary
    assert summary["positions"] == {"X": 0}
    assert summary["trading_state"] == "HALTED"
    assert summary["fills"] == 2
    report = replay(tmp_path / "run")
    assert report.ok, (report.error, report.divergence)
