"""The dashboard's web server (aiohttp) on 127.0.0.1, in the live runner's event loop.

Every request needs the token (``live.dashboard.auth``): ``Authorization: Bearer TOKEN`` or the
cookie of the login form; without it 401 (``GET /`` answers 401 with the login form). Routes:

- ``GET /``: the page (``page.html``: plain HTML, CSS and JS in one file, no CDN; charts drawn
  as inline SVG), updated by server-sent events;
- ``GET /api/state``: ``live.dashboard.state.snapshot`` as JSON;
- ``GET /api/events``: server-sent events, the state each time it changed (at most every
  ``PUSH_INTERVAL_S``), a comment every ``KEEPALIVE_S`` otherwise;
- ``POST /api/halt``, ``/api/resume``, ``/api/cancel_all``, ``/api/kill`` (the kernel's kill
  switch: halt, cancel all, flatten), ``/api/cancel`` (``{"id": CLIENT_ORDER_ID}``),
  ``/api/orders`` (a manual order, ``live.dashboard.manual``): each is an operator action of
  the live runner (``runner.operator(action, reason)``), journaled as a kernel input, so a
  replay repeats it; ``POST /api/signals`` (``{symbol, value}`` rows) likewise feeds the
  kernel's signal follower. The body may carry ``"reason"`` (default ``DASHBOARD``; the kill switch's
  is ``KILL_SWITCH:`` and that).
- ``GET /login`` (the form), ``POST /login`` (form field ``token``), ``POST /logout``.

Cross-site requests cannot act: a control POST needs ``Content-Type: application/json`` (a form
elsewhere cannot send it without the browser asking first, and nothing here says yes), and a
request whose ``Sec-Fetch-Site`` says another site (or, without it, whose ``Origin`` is one)
gets 403;
the cookie is SameSite=Strict. Answers carry a content security policy (scripts only with the
page's nonce), no framing, no caching. There is no access log (and nothing logged holds the
token).

The kernel is not thread-safe, and need not be: handlers run in the runner's event loop between
its bursts, so an action is applied between two inputs, like any other input.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from importlib import resources
from itertools import islice
from typing import Any

from aiohttp import web

from kernel.fsm import CLOSED_STATUSES
from kernel.kernel import Kernel
from live.dashboard.auth import COOKIE, Auth, login_page
from live.dashboard.manual import ManualOrderError, check_manual_order
from live.dashboard.state import attach

log = logging.getLogger("executioncore.dashboard")

PUSH_INTERVAL_S = 0.25  # the most often a change is pushed to a page
SAMPLE_INTERVAL_S = 1.0  # equity curve sampling
KEEPALIVE_S = 15.0  # a comment on an idle event stream
MAX_BODY = 64 * 1024
DEFAULT_REASON = "DASHBOARD"
# the control endpoints -> the runner's operator actions
ACTIONS = {"halt": "halt", "resume": "resume", "cancel_all": "cancel_all", "kill": "kill_switch"}
# the kernel's notices that an operator action was refused -> the answer
_REFUSALS = {
    "MANUAL_ORDER_REFUSED": (400, "bad order"),
    "OPERATOR_CANCEL_REFUSED": (409, "cancel refused"),
}
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_PAGE_CSP = (
    "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
    "connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


class DashboardUnavailable(OSError):
    """The dashboard cannot serve (its port is taken): the session cannot go on as configured."""

    exit_code = 3


class DashboardHandle:
    """A running dashboard: ``url`` (``http://127.0.0.1:PORT/``), ``port``, ``close()``."""

    def __init__(self, dashboard: Dashboard, app_runner: web.AppRunner, host: str, port: int):
        self.dashboard = dashboard
        self.host = host
        self.port = port
        self.url = f"http://{host}:{port}/"
        self._app_runner = app_runner
        self._sampler: asyncio.Task[None] | None = None
        self.closed = False

    def __repr__(self) -> str:
        return f"DashboardHandle({self.url})"

    async def close(self) -> None:
        """Stop serving: event streams end, the port is freed (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self.dashboard.closing.set()
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
        await self._app_runner.cleanup()


async def start_dashboard(
    cfg: dict[str, Any], kernel: Kernel, runner: Any, adapters: list[Any], host: str = "127.0.0.1"
) -> DashboardHandle:
    """Serve the dashboard for ``kernel`` on ``host:cfg["port"]`` (0: a free port) with the
    token ``cfg["token"]`` (a ``Secret`` or a str); ``runner`` takes the operator actions."""
    token = cfg["token"]
    token = token.reveal() if hasattr(token, "reveal") else token
    dashboard = Dashboard(token, kernel, runner, adapters)
    app_runner = web.AppRunner(
        dashboard.app(), access_log=None, handle_signals=False, shutdown_timeout=1.0
    )
    await app_runner.setup()
    port = int(cfg.get("port") or 0)
    try:
        site = web.TCPSite(app_runner, host, port)
        await site.start()
    except OSError as exc:
        await app_runner.cleanup()
        raise DashboardUnavailable(
            f"monitoring.dashboard.port: cannot serve the dashboard on {host}:{port} "
            f"({exc.strerror or exc})"
        ) from None
    bound = next(a for a in app_runner.addresses if isinstance(a, tuple))
    handle = DashboardHandle(dashboard, app_runner, host, int(bound[1]))
    dashboard.state.sample()
    handle._sampler = asyncio.create_task(dashboard.sample_forever())
    log.info("dashboard on %s", handle.url)
    return handle


class Dashboard:
    """The app's handlers over one kernel, its runner and its adapters."""

    def __init__(self, token: str, kernel: Kernel, runner: Any, adapters: list[Any]) -> None:
        self.auth = Auth(token)
        self.kernel = kernel
        self.runner = runner
        self.state = attach(kernel, adapters)
        self.closing = asyncio.Event()
        self._cache: tuple[Any, bytes] | None = None
        self._page = resources.files(__package__).joinpath("page.html").read_text("utf-8")

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard], client_max_size=MAX_BODY)
        app.on_response_prepare.append(_secure_headers)
        app.router.add_get("/", self.index)
        app.router.add_get("/login", self.login_form)
        app.router.add_post("/login", self.login)
        app.router.add_post("/logout", self.logout)
        app.router.add_get("/api/state", self.api_state)
        app.router.add_get("/api/events", self.api_events)
        for name, action in ACTIONS.items():
            app.router.add_post(f"/api/{name}", self._control_handler(action))
        app.router.add_post("/api/cancel", self.api_cancel)
        app.router.add_post("/api/orders", self.api_orders)
        app.router.add_post("/api/signals", self.api_signals)
        return app

    # --- auth ---------------------------------------------------------------------------------
    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "POST" and not _same_site(request):
            return _error(403, "cross-site request refused")
        if request.path == "/login":
            return await handler(request)  # type: ignore[no-any-return]
        if not self.auth.allows(request.headers.get("Authorization"), request.cookies.get(COOKIE)):
            headers = {"WWW-Authenticate": 'Bearer realm="executioncore"'}
            if request.method == "GET" and request.path == "/":
                return web.Response(
                    status=401, text=login_page(), content_type="text/html", headers=headers
                )
            return _error(
                401,
                "unauthorized: send Authorization: Bearer TOKEN (monitoring.dashboard.token)",
                headers,
            )
        return await handler(request)  # type: ignore[no-any-return]

    async def login_form(self, request: web.Request) -> web.Response:
        return web.Response(text=login_page(), content_type="text/html")

    async def login(self, request: web.Request) -> web.Response:
        form = await request.post()
        token = form.get("token")
        if not self.auth.check_token(token if isinstance(token, str) else None):
            await asyncio.sleep(0.2)  # why: a guesser gets no more than a few tries a second
            return web.Response(
                status=401, text=login_page("Wrong token."), content_type="text/html"
            )
        resp = web.Response(status=303, headers={"Location": "/"})
        resp.set_cookie(COOKIE, self.auth.new_session(), httponly=True, samesite="Strict", path="/")
        return resp

    async def logout(self, request: web.Request) -> web.Response:
        self.auth.end_session(request.cookies.get(COOKIE))
        resp = web.Response(status=303, headers={"Location": "/"})
        resp.del_cookie(COOKIE, path="/")
        return resp

    # --- reading ------------------------------------------------------------------------------
    async def index(self, request: web.Request) -> web.Response:
        nonce = secrets.token_urlsafe(16)
        return web.Response(
            text=self._page.replace("{{NONCE}}", nonce),
            content_type="text/html",
            headers={"Content-Security-Policy": _PAGE_CSP.format(nonce=nonce)},
        )

    def state_bytes(self) -> bytes:
        """The state as JSON, encoded once per change whoever asks (pages, API clients)."""
        version = self.state.version()
        cache = self._cache
        if cache is None or cache[0] != version:
            body = json.dumps(self.state.snapshot(), separators=(",", ":")).encode()
            cache = self._cache = (version, body)
        return cache[1]

    async def api_state(self, request: web.Request) -> web.Response:
        return web.Response(body=self.state_bytes(), content_type="application/json")

    async def api_events(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"}
        )
        await resp.prepare(request)
        last: Any = None
        idle = 0.0
        try:
            await resp.write(b"retry: 2000\n\n")
            while not self.closing.is_set():
                version = self.state.version()
                if version != last:
                    last = version
                    await resp.write(b"data: " + self.state_bytes() + b"\n\n")
                    idle = 0.0
                elif idle >= KEEPALIVE_S:
                    await resp.write(b": keepalive\n\n")
                    idle = 0.0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.closing.wait(), PUSH_INTERVAL_S)
                idle += PUSH_INTERVAL_S
        except (ConnectionResetError, ConnectionError):
            pass  # the page went away
        return resp

    async def sample_forever(self) -> None:
        while not self.closing.is_set():
            await asyncio.sleep(SAMPLE_INTERVAL_S)
            try:
                self.state.sample()
            except Exception:  # why: a chart point is not worth the dashboard
                log.exception("dashboard: sampling the equity curve failed")

    # --- acting -------------------------------------------------------------------------------
    def _control_handler(self, action: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            body = await _json_body(request)
            if isinstance(body, web.Response):
                return body
            reason = _reason(body)
            if action == "kill_switch":  # why: the reason is the kill notice's code
                reason = f"KILL_SWITCH:{reason}"
            failed = self._operate(action, reason)
            if failed is not None:
                return failed
            k = self.kernel
            return _json(
                200,
                {
                    "ok": True,
                    "action": action,
                    "trading_state": k.risk.state.name,
                    "open_orders": len(k.oms.open_orders()),
                    "positions": self.state.positions(),
                },
            )

        handler.__name__ = f"api_{action}"
        return handler

    async def api_cancel(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        if isinstance(body, web.Response):
            return body
        oid = body.get("id")
        if not isinstance(oid, str) or not oid:
            return _error(400, 'id: missing: the client order id to cancel, as {"id": "..."}')
        oid = self._resolve(oid)
        order = self.kernel.oms.get(oid)
        if order is None:
            return _error(404, f"id: unknown order {oid!r}")
        if order.status in CLOSED_STATUSES:
            return _error(409, f"order {oid!r} is already {order.status.name.lower()}")
        failed = self._operate("cancel", oid)
        if failed is not None:
            return failed
        return _json(200, {"ok": True, "action": "cancel", "id": oid, "status": _status(order)})

    async def api_orders(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        if isinstance(body, web.Response):
            return body
        try:
            entry = check_manual_order(body, self.kernel)
        except ManualOrderError as exc:
            return _error(400, f"bad order: {exc}")
        oms = self.kernel.oms
        before = oms.added
        failed = self._operate("order", json.dumps(entry, sort_keys=True))
        if failed is not None:
            return failed
        # why: the orders it made are the newest (``retain_closed`` may drop older ones)
        new = min(oms.added - before, len(oms.orders))
        made = [
            {"id": o.client_order_id, "status": _status(o), "reason": o.reason}
            for o in islice(oms.orders.values(), len(oms.orders) - new, None)
        ]
        if made and all(m["status"] in ("denied", "rejected") for m in made):
            first = made[0]
            why = f"order {first['status']}" + (f": {first['reason']}" if first["reason"] else "")
            return _json(409, {"ok": False, "error": why, "order": entry, "orders": made})
        return _json(200, {"ok": True, "action": "order", "order": entry, "orders": made})

    async def api_signals(self, request: web.Request) -> web.Response:
        """Signal rows (``[{"symbol": ..., "value": ...}, ...]`` or one): the kernel's signal
        follower's targets (``kernel.signals``), a journaled operator action."""
        body = await _json_body(request, rows=True)
        if isinstance(body, web.Response):
            return body
        rows = body if isinstance(body, list) else body.get("rows", [body])
        for i, row in enumerate(rows):
            if not isinstance(row, dict) or set(row) - {"symbol", "value", "ts"}:
                return _error(400, f"signals[{i}]: expected {{symbol, value}}")
            if str(row.get("symbol")) not in self.kernel.instruments:
                return _error(400, f"signals[{i}]: unknown symbol {row.get('symbol')!r}")
            try:
                float(str(row.get("value")))
            except ValueError:
                return _error(400, f"signals[{i}]: value {row.get('value')!r} is not a number")
        clean = [{"symbol": str(r["symbol"]), "value": str(r["value"])} for r in rows]
        failed = self._operate("signal", json.dumps(clean))
        if failed is not None:
            return failed
        return _json(200, {"ok": True, "action": "signal", "rows": len(clean)})

    def _resolve(self, oid: str) -> str:
        """A client order id, or the ``id`` a manual order was given (the kernel's
        ``MANUAL_ORDER`` notice says which client order id it became)."""
        k = self.kernel
        if k.oms.get(oid) is not None:
            return oid
        prefix = f"{oid}: "
        for _, code, detail in reversed(k.risk_events):
            if code == "MANUAL_ORDER" and detail.startswith(prefix):
                return detail[len(prefix) :]
        return oid

    def _operate(self, action: str, reason: str) -> web.Response | None:
        """Apply an operator action through the runner (journaled); an error answer or None."""
        k = self.kernel
        seen = len(k.risk_events)
        try:
            self.runner.operator(action, reason)
        except (ValueError, KeyError, TypeError) as exc:
            return _error(400, f"{action}: {exc}")
        commit = getattr(self.runner, "_commit", None)
        if commit is not None:  # why: write-ahead: the action is on disk before its orders go
            commit()
        for _, code, detail in k.risk_events[seen:]:
            if code == "UNKNOWN_OPERATOR_ACTION" and detail == action:
                return _error(501, f"this session's kernel does not take the action {action!r}")
            if code in _REFUSALS:
                status, what = _REFUSALS[code]
                return _error(status, f"{what}: {detail}")
        return None


# --- helpers ---------------------------------------------------------------------------------------
async def _secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", _CSP)


def _same_site(request: web.Request) -> bool:
    """False for a request a page of another site made: its ``Sec-Fetch-Site`` (set by the
    browser, beyond a page's reach) when there is one, else its ``Origin``."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.host}"


async def _json_body(request: web.Request, rows: bool = False) -> Any:
    """The request's JSON object (``rows``: also a list of objects), or the error answer."""
    if request.content_type != "application/json":
        return _error(415, "send the body as JSON (Content-Type: application/json)")
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, f"the body is not JSON: {exc}")
    if not isinstance(body, dict) and not (rows and isinstance(body, list)):
        return _error(400, f"expected a JSON object, got {type(body).__name__}")
    return body


def _reason(body: dict[str, Any]) -> str:
    reason = body.get("reason")
    if isinstance(reason, str) and reason.strip():
        return "".join(c for c in reason.strip() if c.isprintable())[:120]
    return DEFAULT_REASON


def _status(order: Any) -> str:
    return str(order.status.name.lower())


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return _json(status, {"ok": False, "error": message}, headers)
