"""The dashboard's token check: every request needs it (Bearer header or the login form's
cookie), compared in constant time, and it never appears in an answer or a log."""

from __future__ import annotations

import asyncio
import logging

import pytest
from dash_helpers import BEARER, TOKEN, serving
from kernel_helpers import Harness

from live.dashboard import auth as auth_mod
from live.dashboard.auth import COOKIE, Auth, login_page

pytestmark = [pytest.mark.network, pytest.mark.timeout(30)]

ROUTES = [
    ("GET", "/"),
    ("GET", "/api/state"),
    ("GET", "/api/events"),
    ("POST", "/api/halt"),
    ("POST", "/api/resume"),
    ("POST", "/api/cancel_all"),
    ("POST", "/api/kill"),
    ("POST", "/api/cancel"),
    ("POST", "/api/orders"),
    ("POST", "/logout"),
]


def run(coro):
    return asyncio.run(coro)


# --- the Auth object ----------------------------------------------------------------------------
def test_auth_accepts_the_bearer_token_only():
    a = Auth(TOKEN)
    assert a.check_header(f"Bearer {TOKEN}")
    assert a.check_header(f"bearer {TOKEN}")  # the scheme is case-insensitive
    for bad in (None, "", TOKEN, f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer ", "Bearer t0ken"):
        assert not a.check_header(bad), bad
    assert not a.check_token(None) and not a.check_token(TOKEN.upper())
    assert a.check_token(TOKEN)


def test_auth_compares_in_constant_time(monkeypatch):
    seen = []
    real = auth_mod.hmac.compare_digest

    def spy(x, y):
        seen.append((type(x), type(y)))
        return real(x, y)

    monkeypatch.setattr(auth_mod.hmac, "compare_digest", spy)
    a = Auth(TOKEN)
    assert a.check_header(f"Bearer {TOKEN}") and not a.check_token("nope")
    assert seen == [(bytes, bytes), (bytes, bytes)]


def test_auth_sessions_are_random_and_not_the_token():
    a = Auth(TOKEN)
    s1, s2 = a.new_session(), a.new_session()
    assert s1 != s2 and TOKEN not in s1 and len(s1) >= 40
    assert a.check_cookie(s1) and a.check_cookie(s2)
    assert not a.check_cookie(TOKEN) and not a.check_cookie("") and not a.check_cookie(None)
    a.end_session(s1)
    assert not a.check_cookie(s1) and a.check_cookie(s2)
    assert TOKEN not in repr(a)


def test_auth_keeps_a_bounded_number_of_sessions():
    a = Auth(TOKEN)
    first = a.new_session()
    for _ in range(auth_mod.MAX_SESSIONS):
        a.new_session()
    assert not a.check_cookie(first)


def test_auth_refuses_an_empty_token():
    with pytest.raises(ValueError, match="non-empty token"):
        Auth("")


def test_login_page_escapes_its_message():
    page = login_page("<script>x</script>")
    assert "<script>x" not in page and "&lt;script&gt;" in page
    assert 'action="/login"' in page and 'name="token"' in page


# --- over HTTP -----------------------------------------------------------------------------------
def test_every_route_answers_401_without_the_token():
    async def main():
        async with serving(Harness()) as (d, s):
            for method, path in ROUTES:
                headers = {"Content-Type": "application/json"}
                async with s.request(method, d.url.rstrip("/") + path, headers=headers) as r:
                    assert r.status == 401, (method, path, r.status)
                    assert r.headers["WWW-Authenticate"].startswith("Bearer")
                    body = await r.text()
                    if path == "/":
                        assert "<form" in body and 'name="token"' in body
                    else:
                        assert "unauthorized" in body
            for bad in ("Bearer wrong", f"Basic {TOKEN}", TOKEN):
                async with s.get(d.url + "api/state", headers={"Authorization": bad}) as r:
                    assert r.status == 401

    run(main())


def test_bearer_token_reads_the_page_and_the_state():
    async def main():
        async with serving(Harness()) as (d, s):
            async with s.get(d.url, headers=BEARER) as r:
                assert r.status == 200
                body = await r.text()
                assert 'id="trading-state"' in body and "EventSource" in body
                csp = r.headers["Content-Security-Policy"]
                nonce = csp.split("'nonce-")[1].split("'")[0]
                assert f'<script nonce="{nonce}">' in body and "{{NONCE}}" not in body
                assert r.headers["X-Frame-Options"] == "DENY"
            async with s.get(d.url + "api/state", headers=BEARER) as r:
                assert r.status == 200 and (await r.json())["trading_state"] == "ACTIVE"

    run(main())


def test_login_form_sets_an_httponly_strict_cookie_that_authorizes():
    async def main():
        async with serving(Harness()) as (d, s):
            async with s.get(d.url + "login") as r:  # the form itself needs no token
                assert r.status == 200 and 'name="token"' in await r.text()
            async with s.post(d.url + "login", data={"token": "wrong"}) as r:
                assert r.status == 401
                assert "Wrong token" in await r.text()
            assert COOKIE not in {c.key for c in s.cookie_jar}
            async with s.post(d.url + "login", data={"token": TOKEN}, allow_redirects=False) as r:
                assert r.status == 303 and r.headers["Location"] == "/"
                cookie = r.headers["Set-Cookie"]
                assert cookie.startswith(COOKIE + "=")
                assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
                assert TOKEN not in cookie
            async with s.get(d.url) as r:  # the cookie jar sends it now
                assert r.status == 200 and 'id="trading-state"' in await r.text()
            async with s.get(d.url + "api/state") as r:
                assert r.status == 200
            async with s.post(
                d.url + "api/halt", json={}, headers={"Origin": d.url.rstrip("/")}
            ) as r:
                assert r.status == 200
            async with s.post(d.url + "logout", allow_redirects=False) as r:
                assert r.status == 303
            async with s.get(d.url + "api/state") as r:
                assert r.status == 401

    run(main())


def test_a_forged_cookie_is_refused():
    async def main():
        async with serving(Harness()) as (d, s):
            for value in (TOKEN, "x" * 43, ""):
                async with s.get(d.url + "api/state", headers={"Cookie": f"{COOKIE}={value}"}) as r:
                    assert r.status == 401

    run(main())


def test_the_token_appears_in_no_answer_and_no_log(caplog):
    caplog.set_level(logging.DEBUG)

    async def main():
        texts = []
        async with serving(Harness()) as (d, s):
            calls = [
                ("GET", "", {}, None),
                ("GET", "", BEARER, None),
                ("GET", "api/state", BEARER, None),
                ("POST", "login", {}, {"token": TOKEN}),
                ("POST", "login", {}, {"token": "bad"}),
                ("POST", "api/orders", BEARER, {"symbol": "NOPE"}),
                ("POST", "api/halt", BEARER, {}),
            ]
            for method, path, headers, body in calls:
                kw = {"data": body} if path == "login" else {"json": body}
                async with s.request(
                    method, d.url + path, headers=headers, allow_redirects=False, **kw
                ) as r:
                    texts.append(await r.text())
                    texts.append(str(r.headers))
        return texts

    texts = run(main())
    assert not [t for t in texts if TOKEN in t]
    assert TOKEN not in caplog.text
