"""The TWS API socket framing, the field encoding, and the message ids both ways.

Framing (ib_async ``client.py``): a client opens with ``b"API\\0"`` and one length-prefixed
``"v{min}..{max}[ options]"``; the server answers one message of two fields, its version and
its connection time. After that every message both ways is a 4-byte big-endian length and that
many bytes: the fields, each ended by ``\\0``. The first field is the message id.

Encoding (what ib_async's ``Client.send`` does, and TWS): ``None`` is the empty field (an unset
value), ``bool`` is ``1`` / ``0``, ``Decimal`` prices and sizes are their exact text, other
values ``str``. Decoding incoming fields: ``Fields`` reads them in order (``ib_async``'s
``Client`` writes ``UNSET_DOUBLE`` / ``UNSET_INTEGER`` as empty fields).

Server versions: this venue speaks 176 to 178 (within ib_async's ``MinClientVersion`` 157 ..
``MaxClientVersion`` 178) and picks the highest the client accepts: 177 drops ``faProfile``
from orders, 178 adds ``pendingPriceRevision`` to executions.
"""

from __future__ import annotations

import builtins
import struct
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIN_SERVER_VERSION = 176
MAX_SERVER_VERSION = 178
MAX_MESSAGE_BYTES = 1 << 24  # why: TWS itself refuses longer messages; a bound on the buffer
UNSET_DOUBLE_TEXT = "1.7976931348623157E308"  # TWS's "no value" for a double it must send
HEADER = b"API\0"

# --- incoming (client -> TWS) message ids ----------------------------------------------------
REQ_MKT_DATA = 1
CANCEL_MKT_DATA = 2
PLACE_ORDER = 3
CANCEL_ORDER = 4
REQ_OPEN_ORDERS = 5
REQ_ACCOUNT_UPDATES = 6
REQ_EXECUTIONS = 7
REQ_IDS = 8
REQ_CONTRACT_DETAILS = 9
REQ_AUTO_OPEN_ORDERS = 15
REQ_ALL_OPEN_ORDERS = 16
REQ_MANAGED_ACCTS = 17
REQ_CURRENT_TIME = 49
REQ_GLOBAL_CANCEL = 58
REQ_MARKET_DATA_TYPE = 59
REQ_POSITIONS = 61
REQ_ACCOUNT_SUMMARY = 62
CANCEL_ACCOUNT_SUMMARY = 63
CANCEL_POSITIONS = 64
START_API = 71
REQ_ACCOUNT_UPDATES_MULTI = 76
CANCEL_ACCOUNT_UPDATES_MULTI = 77
REQ_COMPLETED_ORDERS = 99

# --- outgoing (TWS -> client) message ids ------------------------------------------------------
TICK_PRICE = 1
TICK_SIZE = 2
ORDER_STATUS = 3
ERR_MSG = 4
OPEN_ORDER = 5
ACCT_VALUE = 6
PORTFOLIO_VALUE = 7
ACCT_UPDATE_TIME = 8
NEXT_VALID_ID = 9
CONTRACT_DATA = 10
EXECUTION_DATA = 11
MANAGED_ACCTS = 15
CURRENT_TIME = 49
CONTRACT_DATA_END = 52
OPEN_ORDER_END = 53
ACCT_DOWNLOAD_END = 54
EXECUTION_DATA_END = 55
TICK_SNAPSHOT_END = 57
MARKET_DATA_TYPE = 58
COMMISSION_REPORT = 59
POSITION_DATA = 61
POSITION_END = 62
ACCOUNT_SUMMARY = 63
ACCOUNT_SUMMARY_END = 64
ACCOUNT_UPDATE_MULTI = 73
ACCOUNT_UPDATE_MULTI_END = 74
TICK_REQ_PARAMS = 81
COMPLETED_ORDER = 101
COMPLETED_ORDERS_END = 102


class ProtocolError(Exception):
    """A client that does not speak the protocol (bad header, versions, length): the venue
    closes its connection."""


def text(value: Any) -> str:
    """One field as TWS writes it."""
    if value is None:
        return ""
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, Decimal):
        out = format(value, "f")
        if "." in out:
            out = out.rstrip("0").rstrip(".")
        return "0" if out in ("-0", "") else out
    return str(value)


def frame(fields: Iterable[Any]) -> bytes:
    """One length-prefixed message of ``fields``."""
    body = "".join(text(f) + "\0" for f in fields).encode()
    return struct.pack(">I", len(body)) + body


def ib_time(ts_ns: int) -> str:
    """``20240102 14:30:00 UTC``: TWS's date-time with its time zone (the venue's is UTC)."""
    stamp = datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=UTC)
    return stamp.strftime("%Y%m%d %H:%M:%S") + " UTC"


def parse_time(text: str) -> int:
    """TWS's ``YYYYMMDD HH:MM:SS [zone]`` (no zone: UTC, the venue's) or ``YYYYMMDD-HH:MM:SS``
    (UTC) as int ns; ``ValueError`` otherwise."""
    text = text.strip()
    if text[8:9] == "-":
        text = text[:8] + " " + text[9:]
    head, _, rest = text.partition(" ")
    clock, _, zone = rest.strip().partition(" ")
    try:
        tz = ZoneInfo(zone.strip()) if zone.strip() else UTC
    except ZoneInfoNotFoundError:
        raise ValueError(f"unknown time zone {zone!r}") from None
    when = datetime.strptime(head + clock, "%Y%m%d%H:%M:%S").replace(tzinfo=tz)
    return int(when.timestamp()) * 1_000_000_000


def handshake_versions(payload: bytes) -> tuple[int, int]:
    """The client's ``(min, max)`` from its ``v{min}..{max}[ options]`` (``ProtocolError``)."""
    words = payload.decode(errors="replace").split()
    head = words[0] if words else ""
    lo, sep, hi = head[1:].partition("..")
    if not head.startswith("v") or not sep or not lo.isdigit() or not hi.isdigit():
        raise ProtocolError(f"bad version range {head!r}")
    return int(lo), int(hi)


def pick_version(lo: int, hi: int) -> int:
    """The highest server version both sides speak (``ProtocolError`` when none)."""
    version = min(hi, MAX_SERVER_VERSION)
    if version < max(lo, MIN_SERVER_VERSION):
        raise ProtocolError(
            f"client versions {lo}..{hi} miss this venue's {MIN_SERVER_VERSION}.."
            f"{MAX_SERVER_VERSION}"
        )
    return version


def split(body: bytes) -> list[str]:
    """A message's fields (the trailing ``\\0`` dropped)."""
    fields = body.decode(errors="backslashreplace").split("\0")
    if fields and fields[-1] == "":
        fields.pop()
    return fields


class Fields:
    """Read one incoming message's fields in order (``str()``, ``int()``, ``bool()``: the next
    field as that type); a missing field reads as empty."""

    __slots__ = ("_fields", "_i")

    def __init__(self, fields: list[str], start: int = 1) -> None:
        self._fields = fields
        self._i = start

    def str(self) -> builtins.str:
        i = self._i
        self._i = i + 1
        return self._fields[i] if i < len(self._fields) else ""

    def int(self, default: builtins.int = 0) -> builtins.int:
        """An int field (empty: ``default``); ``ValueError`` on garbage."""
        value = self.str()
        return builtins.int(value) if value else default

    def bool(self) -> builtins.bool:
        value = self.str()
        return builtins.bool(builtins.int(value)) if value else False

    def skip(self, n: builtins.int = 1) -> None:
        self._i += n

    @property
    def rest(self) -> builtins.int:
        """Fields not read yet."""
        return max(len(self._fields) - self._i, 0)
