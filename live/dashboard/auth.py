"""The dashboard's token check: ``Authorization: Bearer TOKEN``, or the cookie the login form
sets (``POST /login`` with the token).

- The token is compared in constant time (``hmac.compare_digest``, on its UTF-8 bytes).
- A login does not put the token in the cookie: it opens a session, a random 256-bit id, kept
  only as its SHA-256 (a lookup by hash leaks nothing useful by its timing); the cookie is
  HttpOnly and SameSite=Strict, so a page elsewhere can neither read it nor send it.
- Sessions last as long as the server (at most ``MAX_SESSIONS``, the oldest dropped first).
- Nothing here logs, and no answer repeats the token.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
from collections import OrderedDict

COOKIE = "executioncore_session"
MAX_SESSIONS = 256


class Auth:
    """Checks requests against one token. ``token`` must not be empty."""

    def __init__(self, token: str) -> None:
        if not isinstance(token, str) or not token:
            raise ValueError("the dashboard needs a non-empty token (monitoring.dashboard.token)")
        self._token = token.encode("utf-8")
        self._sessions: OrderedDict[bytes, None] = OrderedDict()

    def __repr__(self) -> str:
        return f"Auth(token=***, sessions={len(self._sessions)})"

    def check_token(self, given: str | None) -> bool:
        """True when ``given`` is the token (constant time in the token's content)."""
        if not isinstance(given, str):
            return False
        return hmac.compare_digest(given.encode("utf-8"), self._token)

    def check_header(self, value: str | None) -> bool:
        """An ``Authorization`` header: ``Bearer TOKEN`` (the scheme in any case)."""
        if not value:
            return False
        scheme, _, credentials = value.strip().partition(" ")
        return scheme.lower() == "bearer" and self.check_token(credentials.strip())

    def new_session(self) -> str:
        """Open a session (after a good token): the cookie's value."""
        sid = secrets.token_urlsafe(32)
        self._sessions[_digest(sid)] = None
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return sid

    def end_session(self, sid: str | None) -> None:
        if sid:
            self._sessions.pop(_digest(sid), None)

    def check_cookie(self, sid: str | None) -> bool:
        return bool(sid) and _digest(sid) in self._sessions  # type: ignore[arg-type]

    def allows(self, authorization: str | None, cookie: str | None) -> bool:
        """A request with this ``Authorization`` header and session cookie may go on."""
        return self.check_header(authorization) or self.check_cookie(cookie)


def _digest(sid: str) -> bytes:
    return hashlib.sha256(sid.encode("utf-8")).digest()


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ExecutionCore dashboard: sign in</title>
<style>
body{{font:15px system-ui,sans-serif;background:#10141a;color:#e6e6e6;display:flex;
align-items:center;justify-content:center;height:100vh;margin:0}}
form{{background:#1a2029;padding:2em;border-radius:8px;min-width:20em}}
h1{{font-size:1.2em;margin:0 0 1em}} label{{display:block;margin-bottom:.4em}}
input{{width:100%;box-sizing:border-box;padding:.5em;font:inherit;margin-bottom:1em;
background:#0c1016;color:inherit;border:1px solid #3a4452;border-radius:4px}}
button{{padding:.5em 1.2em;font:inherit;cursor:pointer}} .err{{color:#ff6b6b}}
</style></head>
<body><form id="login" method="post" action="/login" autocomplete="off">
<h1>ExecutionCore dashboard</h1>
<p>This session's dashboard needs its token (<code>monitoring.dashboard.token</code>).</p>
{message}
<label for="token">Token</label>
<input id="token" name="token" type="password" required autofocus>
<button id="login-submit" type="submit">Sign in</button>
</form></body></html>
"""


def login_page(message: str = "") -> str:
    """The login form (the body of every unauthenticated ``GET /``)."""
    shown = f'<p class="err" id="login-error">{html.escape(message)}</p>' if message else ""
    return LOGIN_PAGE.format(message=shown)
