"""Alert sinks: where the kernel's alerts go in a live or paper session (``monitoring.sinks``).

Each sink owns a bounded asyncio queue and one worker task, so the kernel's listener only
enqueues (``offer``: never blocks, never raises) and a slow or failing sink delays nothing else.
The worker sends one alert at a time and retries a failure with exponential backoff; an alert
that still fails after ``attempts`` tries is given up with a warning, and when the queue is full
the oldest waiting alert is dropped (with a warning) to make room: a sink that keeps failing
never stops the session. ``close`` delivers what is queued within a time bound, then stops.

Kinds (CONTRACT.md "Monitoring"): ``log`` (one line per alert on the ``executioncore.alerts``
logger), ``file`` (JSON lines: ts, rule, severity, state, message), ``webhook`` (a JSON POST
that Slack and Discord incoming webhooks both take: ``text`` and ``content`` plus the alert's
fields) and ``email`` (SMTP through the standard library, in a thread). Credentials - a
webhook's URL (its path and query are the token), an SMTP password - are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("executioncore.monitoring")
alert_log = logging.getLogger("executioncore.alerts")

FIELDS = ("ts", "rule", "severity", "state", "message")
LEVELS = {
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
TEXT_LIMIT = 1900  # Discord refuses ``content`` over 2,000 characters


class PermanentSinkError(Exception):
    """A failure that retrying cannot fix (a webhook answering 404, a refused recipient)."""


def reveal(value: Any) -> str:
    """A configured value as text for the wire (a ``Secret`` shows itself only here)."""
    shown = getattr(value, "reveal", None)
    return str(shown() if callable(shown) else value)


def redact_url(url: str) -> str:
    """``scheme://host[:port]/…``: a URL fit for a log line (webhook and dead-man's-switch
    URLs carry their token in the path or the query)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<url>"
    tail = "/…" if (parts.path not in ("", "/") or parts.query) else ""
    return f"{parts.scheme}://{host}{port}{tail}"


def scrub(text: str, *secrets: str) -> str:
    """``text`` with every secret (and a URL's path and query) replaced: error messages from
    HTTP and SMTP libraries may quote them."""
    for secret in secrets:
        if not secret:
            continue
        text = text.replace(secret, "***")
        with contextlib.suppress(ValueError):
            parts = urlsplit(secret)
            for piece in (parts.path, parts.query):
                if len(piece) > 1:
                    text = text.replace(piece, "/***")
    return text


def alert_fields(alert: Any) -> dict[str, Any]:
    """An ``Alert`` (or a mapping with its fields) as a plain dict of ``FIELDS``."""
    if isinstance(alert, dict):
        return {k: alert.get(k) for k in FIELDS}
    as_dict = getattr(alert, "as_dict", None)
    if callable(as_dict):
        return dict(as_dict())
    return {k: getattr(alert, k, None) for k in FIELDS}


def headline(fields: dict[str, Any]) -> str:
    """``[WARNING] deep_dd firing: drawdown 3.2% > 3%`` (one line)."""
    severity = str(fields.get("severity") or "info").upper()
    return f"[{severity}] {fields.get('rule')} {fields.get('state')}: {fields.get('message')}"


class Sink:
    """One destination with its own queue and worker (subclasses implement ``send``)."""

    kind = "sink"

    def __init__(
        self,
        *,
        queue_size: int = 1000,
        attempts: int = 5,
        retry_base_s: float = 0.5,
        retry_max_s: float = 30.0,
        timeout_s: float = 10.0,
    ) -> None:
        self.queue_size = max(int(queue_size), 1)
        self.attempts = max(int(attempts), 1)
        self.retry_base_s = retry_base_s
        self.retry_max_s = retry_max_s
        self.timeout_s = timeout_s
        self.queue: asyncio.Queue[dict[str, Any]] | None = None
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.failures = 0  # failed attempts (each retry counts)
        self.dropped = 0  # alerts given up or pushed out of a full queue

    # --- the sending side ------------------------------------------------------------------------
    async def send(self, fields: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release the sink's resources (an HTTP session) after the worker stopped."""

    def describe(self) -> str:
        """The sink as a log line names it, without secrets."""
        return self.kind

    # --- the queue -------------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self.queue = asyncio.Queue(self.queue_size)
            self._task = asyncio.get_running_loop().create_task(
                self._work(), name=f"alert-sink-{self.kind}"
            )

    def offer(self, fields: dict[str, Any]) -> None:
        """Queue an alert without waiting; a full queue drops its oldest (on the loop's
        thread only)."""
        if self.queue is None:
            return
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                old = self.queue.get_nowait()
                self.queue.task_done()
                self.dropped += 1
                log.warning(
                    "alert sink %s: queue full (%d), dropped the oldest alert %s",
                    self.describe(),
                    self.queue_size,
                    old.get("rule"),
                )
        self.queue.put_nowait(fields)

    def pending(self) -> int:
        return 0 if self.queue is None else self.queue.qsize()

    async def _work(self) -> None:
        assert self.queue is not None
        while True:
            fields = await self.queue.get()
            try:
                await self._deliver(fields)
            finally:
                self.queue.task_done()

    async def _deliver(self, fields: dict[str, Any]) -> None:
        delay = self.retry_base_s
        for attempt in range(1, self.attempts + 1):
            try:
                await asyncio.wait_for(self.send(fields), self.timeout_s)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failures += 1
                reason = self._reason(exc)
                if isinstance(exc, PermanentSinkError) or attempt == self.attempts:
                    self.dropped += 1
                    log.warning(
                        "alert sink %s: gave up on alert %s after %d attempt(s): %s",
                        self.describe(),
                        fields.get("rule"),
                        attempt,
                        reason,
                    )
                    return
                log.warning(
                    "alert sink %s: attempt %d/%d failed (%s); retrying in %.2g s",
                    self.describe(),
                    attempt,
                    self.attempts,
                    reason,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max_s)
            else:
                self.sent += 1
                return

    def _reason(self, exc: BaseException) -> str:
        if isinstance(exc, TimeoutError):
            return f"no answer within {self.timeout_s:g} s"
        return f"{type(exc).__name__}: {exc}"

    async def close(self, timeout_s: float) -> None:
        """Deliver what is queued (and in flight) for up to ``timeout_s``, then stop."""
        task, queue = self._task, self.queue
        if task is None or queue is None:
            return
        try:
            await asyncio.wait_for(queue.join(), max(timeout_s, 0.0))
        except TimeoutError:
            left = queue.qsize() + 1  # the queued ones and the one in flight
            self.dropped += left
            log.warning(
                "alert sink %s: %d alert(s) not delivered within %.3g s at shutdown",
                self.describe(),
                left,
                timeout_s,
            )
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        self._task = None
        with contextlib.suppress(Exception):
            await self.aclose()


class LogSink(Sink):
    """One line per alert on the ``executioncore.alerts`` logger, at the alert's severity."""

    kind = "log"

    async def send(self, fields: dict[str, Any]) -> None:
        level = LEVELS.get(str(fields.get("severity")), logging.WARNING)
        alert_log.log(level, "ALERT %s", headline(fields))


class FileSink(Sink):
    """JSON lines appended to ``path`` (one object per alert), written in a thread."""

    kind = "file"

    def __init__(self, path: str | Path, **kw: Any) -> None:
        super().__init__(**kw)
        self.path = Path(path)

    def describe(self) -> str:
        return f"file ({self.path})"

    async def send(self, fields: dict[str, Any]) -> None:
        line = json.dumps({k: fields.get(k) for k in FIELDS}, separators=(",", ":")) + "\n"
        await asyncio.to_thread(self._append, line)

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line)


class WebhookSink(Sink):
    """A JSON POST per alert: ``text`` (Slack), ``content`` (Discord) and the alert's fields.
    2xx is delivered; 429 and 5xx are retried; another 4xx is given up (the URL is wrong)."""

    kind = "webhook"

    def __init__(self, url: Any, **kw: Any) -> None:
        super().__init__(**kw)
        self._url = reveal(url)
        self._session: Any = None

    def describe(self) -> str:
        return f"webhook ({redact_url(self._url)})"

    def _reason(self, exc: BaseException) -> str:
        return scrub(super()._reason(exc), self._url)

    @staticmethod
    def payload(fields: dict[str, Any]) -> dict[str, Any]:
        text = headline(fields)
        if len(text) > TEXT_LIMIT:
            text = text[: TEXT_LIMIT - 1] + "…"
        return {"text": text, "content": text, **{k: fields.get(k) for k in FIELDS}}

    async def send(self, fields: dict[str, Any]) -> None:
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_s)
            )
        async with self._session.post(self._url, json=self.payload(fields)) as resp:
            if resp.status < 300:
                return
            body = (await resp.text())[:200]
            detail = f"HTTP {resp.status}" + (f" {body!r}" if body else "")
            if resp.status == 429 or resp.status >= 500:
                raise ConnectionError(detail)
            raise PermanentSinkError(detail)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class EmailSink(Sink):
    """An email per alert over SMTP (``smtplib`` in a thread): subject
    ``[SEVERITY] rule state``. Port 465 speaks TLS from the start; elsewhere STARTTLS is used
    when the server offers it. ``username``/``password`` (optional) log in; never logged."""

    kind = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        to: list[str] | str,
        *,
        username: Any = None,
        password: Any = None,
        starttls: bool | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.host = host
        self.port = int(port)
        self.sender = sender
        self.to = [to] if isinstance(to, str) else list(to)
        self._username = None if username is None else reveal(username)
        self._password = None if password is None else reveal(password)
        self.starttls = starttls

    def describe(self) -> str:
        return f"email ({self.host}:{self.port})"

    def _reason(self, exc: BaseException) -> str:
        return scrub(super()._reason(exc), self._password or "")

    def message(self, fields: dict[str, Any]) -> EmailMessage:
        msg = EmailMessage()
        severity = str(fields.get("severity") or "info").upper()
        msg["Subject"] = f"[{severity}] {fields.get('rule')} {fields.get('state')} - executioncore"
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = make_msgid(domain="executioncore")
        lines = [headline(fields), ""] + [f"{k}: {fields.get(k)}" for k in FIELDS]
        msg.set_content("\n".join(lines) + "\n")
        return msg

    async def send(self, fields: dict[str, Any]) -> None:
        await asyncio.to_thread(self._send_sync, self.message(fields))

    def _send_sync(self, msg: EmailMessage) -> None:
        timeout = self.timeout_s
        smtp: smtplib.SMTP
        if self.port == 465:
            smtp = smtplib.SMTP_SSL(
                self.host, self.port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=timeout)
        try:
            smtp.ehlo()
            wants_tls = self.starttls if self.starttls is not None else smtp.has_extn("starttls")
            if self.port != 465 and wants_tls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self._username is not None and self._password is not None:
                smtp.login(self._username, self._password)
            try:
                refused = smtp.send_message(msg, self.sender, self.to)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
                raise PermanentSinkError(f"{type(exc).__name__}: {exc}") from None
            if refused:
                log.warning(
                    "alert sink %s: refused recipients %s", self.describe(), sorted(refused)
                )
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentSinkError(f"authentication failed ({exc.smtp_code})") from None
        finally:
            with contextlib.suppress(Exception):
                smtp.quit()


def build_sinks(sinks_cfg: dict[str, Any] | None, **kw: Any) -> dict[str, Sink]:
    """``monitoring.sinks`` (checked by ``executioncore.config_monitoring``) -> sinks by kind.
    ``kw`` (queue_size, attempts, retry_base_s, retry_max_s, timeout_s) applies to every one."""
    out: dict[str, Sink] = {}
    for kind, entry in (sinks_cfg or {}).items():
        entry = entry or {}
        if kind == "log":
            out[kind] = LogSink(**kw)
        elif kind == "file":
            out[kind] = FileSink(entry["path"], **kw)
        elif kind == "webhook":
            out[kind] = WebhookSink(entry["url"], **kw)
        elif kind == "email":
            out[kind] = EmailSink(
                entry["host"],
                entry["port"],
                entry["from"],
                entry["to"],
                username=entry.get("username"),
                password=entry.get("password"),
                starttls=entry.get("starttls"),
                **kw,
            )
        else:
            raise ValueError(f"monitoring.sinks: unknown sink {kind!r}")
    return out


class AlertRouter:
    """Routes each alert to its rule's ``sinks`` (``monitoring.alerts[].sinks``), or to every
    configured sink when its rule names none (the built-in rules, and rules without
    ``sinks``). No sinks configured: the ``log`` sink (the config allows ``log`` anywhere)."""

    def __init__(
        self,
        sinks_cfg: dict[str, Any] | None,
        rules: list[dict[str, Any]] | None = None,
        **kw: Any,
    ) -> None:
        self.sinks = build_sinks(sinks_cfg, **kw)
        self.default = list(self.sinks) or ["log"]
        self.routes: dict[str, list[str]] = {}
        for rule in rules or ():
            if rule.get("sinks") is not None:
                self.routes[str(rule["name"])] = list(rule["sinks"])
        wanted = set(self.default).union(*self.routes.values())
        if "log" in wanted and "log" not in self.sinks:
            self.sinks["log"] = LogSink(**kw)
        for name in sorted(wanted - set(self.sinks)):
            log.warning("alert routing names sink %r, which is not configured: skipped", name)

    def targets(self, rule: str) -> list[str]:
        names = self.routes.get(rule, self.default)
        return [n for n in names if n in self.sinks]

    def start(self) -> None:
        for sink in self.sinks.values():
            sink.start()

    def dispatch(self, alert: Any) -> list[str]:
        """Queue ``alert`` on its sinks (on the loop's thread); the names it went to."""
        fields = alert_fields(alert)
        names = self.targets(str(fields.get("rule")))
        for name in names:
            try:
                self.sinks[name].offer(fields)
            except Exception:  # why: an alert must never break the caller (the kernel)
                log.exception("alert sink %s: could not queue an alert", name)
        return names

    def pending(self) -> int:
        return sum(s.pending() for s in self.sinks.values())

    async def close(self, timeout_s: float) -> None:
        """Flush every sink concurrently, all within ``timeout_s``."""
        await asyncio.gather(
            *(s.close(timeout_s) for s in self.sinks.values()), return_exceptions=True
        )
