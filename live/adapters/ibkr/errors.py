"""TWS error messages and what each means to the adapter; the errors of translating IB data.

TWS reports trouble as ``error(reqId, code, text)``: ``reqId`` is an order id, a request id, or
-1 for the connection. ``classify`` names what the adapter does with a code (the kernel event
it becomes is decided in ``client``, with what the adapter knows of the order):

=================================  ===============================================================
``CONN_LOST`` 1100, 2110           the venue is down: ``VenueStatus(connected=False)``; TWS holds
                                   order messages until it comes back
``CONN_RESTORED`` 1102             back, data maintained: reconcile (then ``VenueStatus`` up)
``CONN_RESTORED_LOST`` 1101        back, data lost: subscribe market data again, reconcile
``PACING`` 100                     the message was not handled: pause a window, send it again
``CANCELED`` 202                   ``OrderCanceled``
``DUPLICATE_ID`` 103               the order id was used: look the order up by ``orderRef``; not
                                   there, place it again with a fresh id
``CANCEL_REJECTED`` 10147 (not     ``OrderCancelRejected`` with IB's text (nothing to cancel: the
found), 10148, 10149, 161, 135     order is done, unknown, or not cancellable now)
``MODIFY_REJECTED`` 104, 105       ``OrderModifyRejected`` (the order lives on with its old terms)
``PRICE_OFF_TICK`` 110             a new order: ``OrderRejected``; a modify: ``OrderModifyRejected``
``REJECTED`` 201, 200 (no          ``OrderRejected`` with IB's reason (201 also for an order refused
security), 203, 387, 434, ...      at its trigger; the ``Inactive`` status that follows is the same)
``INFO`` 399, 404, 10167, 21xx     a notice only (warnings about a live order, data farm status)
=================================  ===============================================================

Any other code about an order not yet acknowledged rejects it; about a working order it is a
notice (the status that follows says what happened). ``reason`` keeps IB's code and text: the
kernel's reason is ``"IB 201: Order rejected - reason:..."``.
"""

from __future__ import annotations

CONN_LOST = "conn_lost"
CONN_RESTORED = "conn_restored"
CONN_RESTORED_LOST = "conn_restored_data_lost"
PACING = "pacing"
CANCELED = "canceled"
DUPLICATE_ID = "duplicate_id"
CANCEL_REJECTED = "cancel_rejected"
MODIFY_REJECTED = "modify_rejected"
PRICE_OFF_TICK = "price_off_tick"
REJECTED = "rejected"
INFO = "info"

_CODES: dict[int, str] = {
    1100: CONN_LOST,
    2110: CONN_LOST,
    1101: CONN_RESTORED_LOST,
    1102: CONN_RESTORED,
    100: PACING,
    202: CANCELED,
    103: DUPLICATE_ID,
    10147: CANCEL_REJECTED,
    10148: CANCEL_REJECTED,
    10149: CANCEL_REJECTED,
    161: CANCEL_REJECTED,
    135: CANCEL_REJECTED,
    104: MODIFY_REJECTED,
    105: MODIFY_REJECTED,
    110: PRICE_OFF_TICK,
    200: REJECTED,
    201: REJECTED,
    203: REJECTED,
    387: REJECTED,
    434: REJECTED,
    399: INFO,
    404: INFO,
    10167: INFO,
}
CONNECTIVITY = frozenset({CONN_LOST, CONN_RESTORED, CONN_RESTORED_LOST})
MAX_REASON = 300


def classify(code: int) -> str | None:
    """What ``code`` means (one of the names above), or None for a code not in the table."""
    kind = _CODES.get(code)
    if kind is None and 2100 <= code < 2200 and code != 2110:
        return INFO  # why: 21xx are TWS warnings (data farms, API status), never about an order
    return kind


def reason(code: int, text: str) -> str:
    """The kernel's reason for an IB error: its code and text, cut to ``MAX_REASON``."""
    out = f"IB {code}: {text.strip()}"
    return out if len(out) <= MAX_REASON else out[:MAX_REASON] + "..."


class Unsupported(ValueError):
    """A kernel order field TWS has no equivalent for; ``field`` names it."""

    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(f"IBKR does not support {field}: {detail}")


class MalformedMessage(ValueError):
    """IB data that cannot be translated exactly; ``field`` names the part at fault."""

    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(f"IB field {field!r}: {detail}")
