"""One client connection: the handshake, startApi, the message loop, pacing, held messages.

Handshake: ``API\\0`` and the client's version range; the venue answers the highest server
version both speak (``live.fakes.ibkr.wire``) and its connection time, or closes. The first
message must be startApi (71, the client id): a client id another connection holds is error
326 and the connection closes; otherwise the venue sends nextValidId, managedAccounts and the
farm status messages TWS sends (2104, 2106, 2158), and the replay starts if it waits for a
client. Other messages before startApi are ignored.

Pacing: a client may send ``max_rate`` (50) messages in any second; the next one in that
second is answered with error 100 ``Max rate of messages per second has been exceeded`` about
its request (its order or request id when it has one, else -1) and not handled, as TWS does
(ib_async throttles itself to 45 a second, so only a client that turns that off meets it).

Faults rolled per client message after startApi, in this order: ``pacing`` (a spurious error
100, the message not handled), ``conn_lost`` (the outage starts, then the message is handled:
an order is refused), then the message is handled, then ``socket_close`` (the connection is
dropped: answers not yet written are lost; the client's orders stay at the venue).

While the connection to IB is lost (``conn_lost``) the client's order, execution and account
messages are held and sent after 1102; market data ticks are not sent (the current values are,
after 1102); requests are still answered. A client that does not read (more than 16 MB
waiting) is disconnected.
"""

from __future__ import annotations

import asyncio
import collections
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from live.fakes.ibkr.contracts import IbContract
from live.fakes.ibkr.wire import (
    ERR_MSG,
    HEADER,
    MANAGED_ACCTS,
    MAX_MESSAGE_BYTES,
    NEXT_VALID_ID,
    START_API,
    ProtocolError,
    frame,
    handshake_versions,
    ib_time,
    pick_version,
    split,
)

if TYPE_CHECKING:
    from live.fakes.ibkr.server import IbVenue

MAX_PENDING_BYTES = 16 << 20
FARMS = (
    (2104, "Market data farm connection is OK:usfarm"),
    (2106, "HMDS data farm connection is OK:ushmds"),
    (2158, "Sec-def data farm connection is OK:secdefnj"),
)
# where a request's id sits in its message (message id -> field index), for errors about it
REQ_ID_AT = {1: 2, 2: 2, 3: 1, 4: 2, 7: 2, 9: 2, 10: 2, 20: 1, 50: 2, 62: 2, 63: 2, 76: 2,
             78: 1, 87: 1, 88: 1, 96: 1, 97: 1}  # fmt: skip


def req_id_of(fields: list[str]) -> int:
    """The order or request id a message carries (-1 if none or unreadable)."""
    try:
        at = REQ_ID_AT.get(int(fields[0]))
        return int(fields[at]) if at is not None and at < len(fields) else -1
    except (ValueError, IndexError):
        return -1


class Session:
    """One connected API client (``client_id`` None until startApi). Subscriptions:
    ``tickers`` (market data request id -> contract), ``positions``, ``account_updates``,
    ``summaries`` (request ids); ``auto_bind`` (client 0 after reqAutoOpenOrders(True))."""

    def __init__(
        self, venue: IbVenue, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.venue = venue
        self.reader = reader
        self.writer = writer
        self.version = 0
        self.client_id: int | None = None
        self.tickers: dict[int, IbContract] = {}
        self.positions = False
        self.account_updates = False
        self.summaries: set[int] = set()
        self.auto_bind = False
        self.held: list[bytes] | None = None  # while the connection to IB is lost
        self.closed = False
        self._times: collections.deque[float] = collections.deque()

    # --- sending -------------------------------------------------------------------------------
    def send(self, fields: list[Any]) -> None:
        """Write one message now (unless the connection is gone)."""
        self._write(frame(fields))

    def send_held(self, fields: list[Any]) -> None:
        """Write one order, execution or account message, or hold it during an outage."""
        data = frame(fields)
        if self.held is not None:
            self.held.append(data)
        else:
            self._write(data)

    def error(self, req_id: int, code: int, message: str) -> None:
        """An error message (4, version 2) with an empty advancedOrderRejectJson."""
        self.send([ERR_MSG, 2, req_id, code, message, ""])

    def release(self) -> None:
        """The outage is over: send what was held."""
        held, self.held = self.held or [], None
        for data in held:
            self._write(data)

    def _write(self, data: bytes) -> None:
        if self.closed:
            return
        self.writer.write(data)
        self.venue.counters["messages_out"] += 1
        if self.writer.transport.get_write_buffer_size() > MAX_PENDING_BYTES:
            self.venue.counters["slow_client_closes"] += 1
            self.abort()

    def abort(self) -> None:
        """Drop the connection at once (what is not written is lost)."""
        self.closed = True
        self.writer.transport.abort()

    # --- the connection ------------------------------------------------------------------------
    async def run(self, handlers: dict[int, Callable[[Session, list[str]], None]]) -> None:
        """Serve the connection until it closes."""
        try:
            await self._handshake()
            while not self.closed:
                fields = split(await self._message())
                if fields:
                    self._one(fields, handlers)
        except (asyncio.IncompleteReadError, ConnectionError, ProtocolError):
            pass
        finally:
            self.closed = True
            self.venue.drop(self)
            if not self.writer.is_closing():  # why: a graceful close (326) flushes first
                self.writer.transport.abort()

    async def _message(self) -> bytes:
        (size,) = struct.unpack(">I", await self.reader.readexactly(4))
        if size > MAX_MESSAGE_BYTES:
            raise ProtocolError(f"a message of {size} bytes")
        return await self.reader.readexactly(size)

    async def _handshake(self) -> None:
        if await self.reader.readexactly(4) != HEADER:
            raise ProtocolError("no API header")
        lo, hi = handshake_versions(await self._message())
        self.version = pick_version(lo, hi)
        self.send([self.version, ib_time(self.venue.core.now)])

    def _one(self, fields: list[str], handlers: dict[int, Callable[..., None]]) -> None:
        venue = self.venue
        venue.counters["messages_in"] += 1
        try:
            msg_id = int(fields[0])
        except ValueError:
            return
        if self.client_id is None:
            if msg_id == START_API:
                self._start_api(fields)
            return
        if not self._paced() or venue.faults.roll("pacing"):
            venue.counters["pacing_refused"] += 1
            rate = len(self._times) + 1
            self.error(req_id_of(fields), 100, "Max rate of messages per second has been "
                       f"exceeded:max={venue.config.max_rate} rec={rate} (1)")  # fmt: skip
            return
        if venue.faults.roll("conn_lost"):
            venue.lose_connection()
        handler = handlers.get(msg_id)
        if handler is None:
            # why: 322 is no warning to ib_async, so the request it waits for ends
            self.error(req_id_of(fields), 322, "Error processing request.-'' : cause - this "
                       f"local venue does not serve message id {msg_id}")  # fmt: skip
        else:
            try:
                handler(self, fields)
            except (ValueError, IndexError) as exc:
                self.error(req_id_of(fields), 320, f"Error reading request.-'{exc}'")
        if not self.closed and venue.faults.roll("socket_close"):
            self.abort()

    def _paced(self) -> bool:
        """Whether this message is within the client's rate (then it counts)."""
        now = asyncio.get_running_loop().time()
        times = self._times
        while times and now - times[0] >= 1.0:
            times.popleft()
        if len(times) >= self.venue.config.max_rate:
            return False
        times.append(now)
        return True

    def _start_api(self, fields: list[str]) -> None:
        venue = self.venue
        try:
            client_id = int(fields[2]) if len(fields) > 2 and fields[2] else 0
        except ValueError:
            raise ProtocolError(f"startApi with client id {fields[2]!r}") from None
        if any(s.client_id == client_id for s in venue.clients()):
            self.error(-1, 326, "Unable to connect as the client id is already in use. Retry "
                       "with a unique client id.")  # fmt: skip
            self.closed = True
            self.writer.close()
            return
        self.client_id = client_id
        self.send([NEXT_VALID_ID, 1, venue.account.next_valid_id(client_id)])
        self.send([MANAGED_ACCTS, 1, venue.config.account])
        for code, text in FARMS:
            self.error(-1, code, text)
        venue.joined(self)
