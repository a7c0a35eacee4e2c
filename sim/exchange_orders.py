"""The matching engine's own order record, its rarely used extras, and the codes it reports.

``Rec`` *is* a ``sim.book.BookOrder`` (a slotted subclass), so a resting order costs one object:
the book queues the record itself. The book's lazy deletion never revives a dead entry, so an
order that must rejoin the book (a modify that loses priority) is re-created with ``requeued``.

Quantities: ``qty`` is the order's total quantity (as modified), ``filled`` what has executed,
so the open quantity ("leaves") is ``qty - filled``; while the order rests that equals the
book's ``visible + hidden``. Everything an ordinary limit or market order does not need (stop
and trailing state, post-only, reduce-only) lives in ``ext`` (None for plain orders) so the hot
path builds one small object.
"""

from __future__ import annotations

from sim.book import BookOrder

BUY = 1
SELL = -1

# order types and TIF as plain ints (the values of kernel.enums.OrderType / TimeInForce)
MARKET, LIMIT, STOP, STOP_LIMIT, TRAILING_STOP, MIT, LIT = 1, 2, 3, 4, 5, 6, 7
DAY, GTC, IOC, FOK, GTD, OPG, CLS = 1, 2, 3, 4, 5, 6, 7
TRIGGER_TYPES = frozenset({STOP, STOP_LIMIT, TRAILING_STOP, MIT, LIT})
LIMIT_TYPES = frozenset({LIMIT, STOP_LIMIT, LIT})  # types that carry a limit price

# where a live record is
W_NEW = 0  # being admitted or matched
W_BOOK = 1  # resting in the book
W_TRIGGER = 2  # waiting for its trigger (stop, trailing stop, MIT, LIT)
W_AUCTION = 3  # collected for an auction (OPG, CLS, or sent while the market is closed)
W_DONE = 4  # filled, canceled, expired or rejected
W_FIRED = 5  # triggered, queued to be worked once the current sweep is settled

# self-trade prevention policies
STP_NONE, STP_NEWEST, STP_OLDEST, STP_BOTH = 0, 1, 2, 3
STP_POLICIES = {
    "none": STP_NONE,
    "cancel_newest": STP_NEWEST,
    "cancel_oldest": STP_OLDEST,
    "cancel_both": STP_BOTH,
}

# reject / cancel-reject / modify-reject reason codes
R_DUPLICATE = "DUPLICATE_ORDER_ID"
R_WRONG_SYMBOL = "WRONG_SYMBOL"
R_INVALID = "INVALID_ORDER"
R_CONFLICT = "CONFLICTING_OPTIONS"
R_EXPIRED_ON_ARRIVAL = "EXPIRE_TIME_PASSED"
R_OPG_AFTER_OPEN = "OPG_AFTER_OPEN"
R_MARKET_CLOSED = "MARKET_CLOSED"
R_POST_ONLY = "POST_ONLY_WOULD_TAKE"
R_REDUCE_ONLY = "REDUCE_ONLY_WOULD_INCREASE"
R_UNKNOWN_ORDER = "UNKNOWN_ORDER"
R_ORDER_CLOSED = "ORDER_CLOSED"
R_NOT_ABOVE_FILLED = "QUANTITY_NOT_ABOVE_FILLED"
R_NO_LIMIT = "ORDER_HAS_NO_LIMIT_PRICE"
R_NO_STOP = "ORDER_HAS_NO_STOP_PRICE"


class Ext:
    """What a plain limit/market order does not need. All prices int ticks."""

    __slots__ = (
        "post_only",
        "reduce_only",
        "stop",
        "trail_ppm",
        "trail_ticks",
        "triggered",
        "up",
        "wm",
    )

    def __init__(self) -> None:
        self.stop: int | None = None  # trigger price (the current stop of a trailing stop)
        self.trail_ticks: int | None = None
        self.trail_ppm: int | None = None
        self.wm: int | None = None  # trailing: best trade price seen since acceptance
        self.up = False  # fires when the last trade is >= stop (else <= stop)
        self.triggered = False
        self.post_only = False
        self.reduce_only = False


class Rec(BookOrder):
    """The engine's record of one order (also what rests in the book)."""

    __slots__ = ("ext", "filled", "otype", "qty", "tif", "void", "where")

    def __init__(
        self,
        oid: str,
        side: int,
        price: int | None,
        qty: int,
        display: int | None,
        owner: object,
        seq: int,
        otype: int,
        tif: int,
        void: str,
    ) -> None:
        # why: not BookOrder.__init__: visible/hidden are set when the order comes to rest
        self.oid = oid
        self.side = side
        self.price = price  # the limit (None for market); what it rests at
        self.display = display
        self.visible = 0
        self.hidden = 0
        self.owner = owner
        self.seq = seq
        self.live = False  # True exactly while queued in the book
        self.qty = qty
        self.filled = 0
        self.otype = otype
        self.tif = tif
        self.void = void  # venue order id
        self.where = W_NEW
        self.ext: Ext | None = None

    def requeued(self, seq: int) -> Rec:
        """A copy with a new sequence number, to rejoin the book at the back of a queue."""
        new = Rec(
            self.oid,
            self.side,
            self.price,
            self.qty,
            self.display,
            self.owner,
            seq,
            self.otype,
            self.tif,
            self.void,
        )
        new.filled = self.filled
        new.ext = self.ext
        return new

    def __repr__(self) -> str:
        side = "B" if self.side > 0 else "S"
        return (
            f"Rec({self.oid} {side} {self.filled}/{self.qty}@{self.price} t{self.otype} "
            f"w{self.where})"
        )
