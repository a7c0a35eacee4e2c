"""``executioncore order``: operator actions and manual orders against a running live session,
through its dashboard's API (``monitoring.dashboard``).

    executioncore order submit --url URL --symbol S --side buy --quantity Q
                               [--type limit --limit-price P] [--stop-price P] [--tif gtc]
                               [--id X]
    executioncore order cancel ID --url URL
    executioncore order halt | resume | kill | cancel-all --url URL [--reason TEXT]
    executioncore order state --url URL

The token comes from ``EXECUTIONCORE_TOKEN`` (never from the command line, where other users
could read it). Prints the server's JSON answer on stdout. Exit codes: 0 the session did it
(2xx); 2 bad input or refused (a 4xx answer, no token, a bad flag); 3 the session cannot be
reached (or failed: 5xx). Standard library only (urllib).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation
from typing import Any

TOKEN_ENV = "EXECUTIONCORE_TOKEN"
EXIT_OK, EXIT_BAD_INPUT, EXIT_CANNOT_GO_ON = 0, 2, 3
# action -> the endpoint it posts to
ENDPOINTS = {
    "submit": "/api/orders",
    "cancel": "/api/cancel",
    "cancel-all": "/api/cancel_all",
    "halt": "/api/halt",
    "resume": "/api/resume",
    "kill": "/api/kill",
}
ACTION_HELP = {
    "submit": "send a manual order",
    "cancel": "cancel one order by its client order id",
    "cancel-all": "cancel every open order",
    "halt": "halt trading (no new orders)",
    "resume": "resume trading after a halt",
    "kill": "the kill switch: halt, cancel every open order, flatten every position",
    "state": "print the session's state (GET /api/state)",
}


def add_order_parser(sub: Any) -> None:
    """The ``order`` subcommand and its actions, on the CLI's subparsers."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url", required=True, help="the session's dashboard, e.g. http://127.0.0.1:8080"
    )
    common.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    order = sub.add_parser(
        "order",
        help="operator actions and manual orders against a running live session",
        description="Act on a running live session through its dashboard's API. The token is "
        f"read from ${TOKEN_ENV}. Exit 0 done, 2 refused or bad input, 3 unreachable.",
    )
    actions = order.add_subparsers(dest="order_action", metavar="ACTION", required=True)
    for name, text in ACTION_HELP.items():
        p = actions.add_parser(name, help=text, description=text, parents=[common])
        if name == "submit":
            p.add_argument("--symbol", required=True)
            p.add_argument("--side", required=True, choices=("buy", "sell"))
            p.add_argument("--quantity", required=True, help="in the instrument's units")
            p.add_argument("--type", default="market", help="market (default), limit, stop, ...")
            p.add_argument("--limit-price")
            p.add_argument("--stop-price")
            p.add_argument(
                "--tif", help="time in force: day, gtc, ioc, fok (default: the session's)"
            )
            p.add_argument("--id", help="your name for the order (cancel takes it too)")
        elif name == "cancel":
            p.add_argument("order_id", metavar="ID", help="the client order id (or a manual --id)")
        if name not in ("state", "cancel", "submit"):
            p.add_argument("--reason", help="journaled with the action (default CLI)")


class OrderCommandError(Exception):
    """Bad input to ``executioncore order`` (exit 2)."""


def _number(text: str, flag: str) -> int | float:
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise OrderCommandError(f"{flag}: expected a number, got {text!r}") from None
    if not d.is_finite():
        raise OrderCommandError(f"{flag}: expected a finite number, got {text!r}")
    return int(d) if d == d.to_integral_value() else float(d)


def order_body(args: argparse.Namespace) -> dict[str, Any]:
    """The JSON body an action sends."""
    action = args.order_action
    if action == "submit":
        body: dict[str, Any] = {
            "symbol": args.symbol,
            "side": args.side,
            "quantity": _number(args.quantity, "--quantity"),
            "type": args.type.lower(),
        }
        for flag, key in (("limit_price", "limit_price"), ("stop_price", "stop_price")):
            value = getattr(args, flag)
            if value is not None:
                body[key] = _number(value, f"--{flag.replace('_', '-')}")
        if args.tif:
            body["time_in_force"] = args.tif.lower()
        if args.id:
            body["id"] = args.id
        return body
    if action == "cancel":
        return {"id": args.order_id}
    return {"reason": getattr(args, "reason", None) or "CLI"}


def _base_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise OrderCommandError(f"--url: expected http://HOST:PORT, got {url!r}")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def request(url: str, token: str, body: dict[str, Any] | None, timeout: float) -> tuple[int, Any]:
    """``(status, answer)``: POST ``body`` as JSON (GET when None); the answer parsed as JSON
    when it is. Raises ``urllib.error.URLError`` / ``OSError`` when nothing answered."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(
        url, data=data, headers=headers, method="GET" if data is None else "POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def order_cli(args: argparse.Namespace) -> int:
    """Run one ``executioncore order`` action; the exit code."""
    token = os.environ.get(TOKEN_ENV, "")
    try:
        if not token:
            raise OrderCommandError(
                f"set {TOKEN_ENV} to the session's dashboard token (monitoring.dashboard.token)"
            )
        base = _base_url(args.url)
        action = args.order_action
        body = None if action == "state" else order_body(args)
        path = "/api/state" if action == "state" else ENDPOINTS[action]
    except OrderCommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        status, answer = request(base + path, token, body, args.timeout)
    except (urllib.error.URLError, OSError) as exc:
        why = getattr(exc, "reason", None) or exc
        print(f"error: cannot reach the session at {base}: {why}", file=sys.stderr)
        return EXIT_CANNOT_GO_ON
    print(answer if isinstance(answer, str) else json.dumps(answer))
    if 200 <= status < 300:
        return EXIT_OK
    message = answer.get("error") if isinstance(answer, dict) else None
    if status == 401:
        message = f"the session refused the token in {TOKEN_ENV}"
    print(f"error: HTTP {status}: {message or 'refused'}", file=sys.stderr)
    return EXIT_BAD_INPUT if 400 <= status < 500 else EXIT_CANNOT_GO_ON
