"""placeOrder as the venue reads it, its checks, and the venue's order record.

``read_place(fields, version)`` walks a placeOrder message (3) in the order ib_async's
``Client.placeOrder`` writes it for server versions 176-178 (no message version field; the
contract's 12 fields; ``faProfile`` only below 177) as far as the venue needs. ``check``
turns it into kernel units or raises ``IbError`` with the code TWS would send:

- 387 an order type other than MKT, LMT, STP, STP LMT, TRAIL, MIT, LIT;
- 434 a zero quantity; 201 a negative one, or one off the lot grid;
- 110 a price off the tick grid (a float within 1e-6 tick of a grid price counts as on it:
  ib_async sends ``str(float)``), 201 a missing or non-positive price;
- 201 a time in force other than DAY, GTC, IOC, FOK, OPG, GTD (GTD needs ``goodTillDate``,
  ``YYYYMMDD HH:MM:SS`` with an optional zone, default UTC, or ``YYYYMMDD-HH:MM:SS`` UTC);
- 201 what the venue does not do: native brackets and OCA groups (``parentId``, ``ocaGroup``,
  ``transmit=False``: the client emulates contingent orders), what-if orders, algos,
  conditions, scale, hedge and delta-neutral orders, combos, another account.

TRAIL takes its offset from ``auxPrice`` (an amount) or ``trailingPercent``, and an optional
initial ``trailStopPrice``; MIT and LIT trigger at ``auxPrice``; STP and STP LMT stop at it.
``outsideRth`` and ``orderRef`` are kept and sent back; other fields are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from kernel.enums import OrderType, TimeInForce
from kernel.units import Instrument
from live.fakes.ibkr.contracts import IbContract
from live.fakes.ibkr.wire import Fields, parse_time

TYPES = {
    "MKT": OrderType.MARKET,
    "LMT": OrderType.LIMIT,
    "STP": OrderType.STOP,
    "STP LMT": OrderType.STOP_LIMIT,
    "TRAIL": OrderType.TRAILING_STOP,
    "MIT": OrderType.MIT,
    "LIT": OrderType.LIT,
}
TIFS = {
    "DAY": TimeInForce.DAY,
    "GTC": TimeInForce.GTC,
    "IOC": TimeInForce.IOC,
    "FOK": TimeInForce.FOK,
    "OPG": TimeInForce.OPG,
    "GTD": TimeInForce.GTD,
}
_LIMIT_TYPES = frozenset({"LMT", "STP LMT", "LIT"})
_AUX_TYPES = frozenset({"STP", "STP LMT", "MIT", "LIT"})
CONDITIONAL = frozenset({"STP", "STP LMT", "TRAIL", "MIT", "LIT"})  # PreSubmitted until triggered
OPEN_STATUSES = frozenset({"PreSubmitted", "Submitted"})


class IbError(Exception):
    """A request TWS answers with an error message: ``code`` and its text."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


def rejected(reason: str) -> IbError:
    return IbError(201, f"Order rejected - reason:{reason}")


@dataclass(slots=True)
class PlaceRequest:
    """The placeOrder fields the venue reads (prices and sizes as sent, text)."""

    order_id: int
    con_id: int
    symbol: str
    sec_type: str
    currency: str
    local_symbol: str
    action: str
    quantity: str
    order_type: str
    lmt_price: str
    aux_price: str
    tif: str
    oca_group: str
    account: str
    order_ref: str
    transmit: bool
    parent_id: int
    outside_rth: bool
    good_till_date: str = ""
    trail_stop_price: str = ""
    trailing_percent: str = ""
    unsupported: str = ""  # the first feature the venue does not do, if any


def read_place(fields: list[str], version: int) -> PlaceRequest:
    """Read a placeOrder message (``ValueError`` on a malformed number)."""
    f = Fields(fields)
    order_id, con_id, symbol, sec_type = f.int(), f.int(), f.str(), f.str()
    f.skip(6)  # lastTradeDateOrContractMonth, strike, right, multiplier, exchange, primaryExch.
    currency, local = f.str(), f.str()
    f.skip(3)  # tradingClass, secIdType, secId
    action, quantity, order_type = f.str(), f.str(), f.str()
    lmt_price, aux_price, tif, oca_group, account = f.str(), f.str(), f.str(), f.str(), f.str()
    f.skip(2)  # openClose, origin
    order_ref, transmit, parent_id = f.str(), f.bool(), f.int()
    req = PlaceRequest(
        order_id, con_id, symbol, sec_type, currency, local, action, quantity, order_type,
        lmt_price, aux_price, tif, oca_group, account, order_ref, transmit, parent_id, False,
    )  # fmt: skip
    f.skip(4)  # blockOrder, sweepToFill, displaySize, triggerMethod
    req.outside_rth = f.bool()
    f.skip(1)  # hidden
    if sec_type == "BAG":
        req.unsupported = "combo (BAG) orders are not supported by this venue"
        return req
    f.skip(3)  # shares allocation (deprecated), discretionaryAmt, goodAfterTime
    req.good_till_date = f.str()
    f.skip(3 if version >= 177 else 4)  # faGroup, faMethod, faPercentage (faProfile < 177)
    f.skip(22)  # modelCode .. volatilityType
    if f.str():  # deltaNeutralOrderType
        req.unsupported = "delta-neutral orders are not supported by this venue"
        return req
    f.skip(3)  # deltaNeutralAuxPrice, continuousUpdate, referencePriceType
    req.trail_stop_price, req.trailing_percent = f.str(), f.str()
    f.skip(2)  # scaleInitLevelSize, scaleSubsLevelSize
    req.unsupported = _rest(f)
    return req


def _rest(f: Fields) -> str:
    """The tail of placeOrder: the first unsupported feature it asks for ("" if none)."""
    if f.str():  # scalePriceIncrement
        return "scale orders are not supported by this venue"
    f.skip(3)  # scaleTable, activeStartTime, activeStopTime
    if f.str():  # hedgeType
        return "hedge orders are not supported by this venue"
    f.skip(4)  # optOutSmartRouting, clearingAccount, clearingIntent, notHeld
    if f.bool():  # deltaNeutralContract
        return "delta-neutral orders are not supported by this venue"
    if f.str():  # algoStrategy
        return "IB algos are not supported by this venue"
    f.skip(1)  # algoId
    if f.bool():  # whatIf
        return "what-if orders are not supported by this venue"
    f.skip(4)  # orderMiscOptions, solicited, randomizeSize, randomizePrice
    if f.rest and f.int() > 0:  # conditions (PEG BENCH fields never reach here: 387 first)
        return "order conditions are not supported by this venue"
    return ""


@dataclass(slots=True)
class OrderSpec:
    """A checked placeOrder in kernel units (prices in ticks, quantity in lots)."""

    side: int
    qty: int
    otype: str
    lmt: int | None
    aux: int | None
    trail_ticks: int | None
    trail_ppm: int | None
    trail_pct: str
    trail_stop: int | None
    tif: str
    expire_ns: int | None


def check(req: PlaceRequest, inst: Instrument, account: str) -> OrderSpec:
    """The request in kernel units, or ``IbError`` (see the module docstring)."""
    otype = req.order_type.upper()
    if otype not in TYPES:
        raise IbError(387, "Unsupported order type for this exchange and security type.")
    if req.unsupported:
        raise rejected(req.unsupported)
    if req.parent_id or req.oca_group or not req.transmit:
        raise rejected(
            "native bracket, OCA and untransmitted orders (parentId, ocaGroup, transmit=False) "
            "are not supported by this venue; send single orders"
        )
    if req.account and req.account != account:
        raise rejected(f"account {req.account} is not managed here ({account})")
    if req.action not in ("BUY", "SELL"):
        raise rejected(f"invalid action {req.action!r} (BUY or SELL)")
    qty = _quantity(req.quantity, inst)
    lmt = _price(req.lmt_price, inst, "limit price") if otype in _LIMIT_TYPES else None
    aux = _price(req.aux_price, inst, "aux price") if otype in _AUX_TYPES else None
    trail_ticks = trail_ppm = trail_stop = None
    if otype == "TRAIL":
        if _given(req.trailing_percent):
            trail_ppm = _percent_ppm(req.trailing_percent)
        else:
            trail_ticks = _price(req.aux_price, inst, "trailing amount")
        if _given(req.trail_stop_price):
            trail_stop = _price(req.trail_stop_price, inst, "trail stop price")
    tif = req.tif.upper() or "DAY"
    if tif not in TIFS:
        raise rejected(f"time in force {req.tif!r} is not supported by this venue")
    expire_ns = _gtd(req.good_till_date) if tif == "GTD" else None
    side = 1 if req.action == "BUY" else -1
    return OrderSpec(
        side, qty, otype, lmt, aux, trail_ticks, trail_ppm, req.trailing_percent if trail_ppm
        else "", trail_stop, tif, expire_ns,
    )  # fmt: skip


def _given(value: str) -> bool:
    # why: ib_async writes unset doubles as ""; TWS itself as 1.79e308
    try:
        return bool(value) and float(value) < 1e300
    except ValueError:
        return True  # why: garbage is "given"; reading it as a number rejects it


def _number(value: str, what: str) -> Decimal:
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise rejected(f"{what} {value!r} is not a number") from None
    if not d.is_finite():
        raise rejected(f"{what} {value!r} is not a number")
    return d


def _quantity(value: str, inst: Instrument) -> int:
    d = _number(value or "0", "quantity")
    if d == 0:
        raise IbError(434, "The order size cannot be zero")
    lots = Fraction(d) / Fraction(inst.lot_size)
    if d < 0 or lots.denominator != 1:
        raise rejected(f"quantity {d} is not a positive multiple of the lot size {inst.lot_size}")
    return int(lots)


def _price(value: str, inst: Instrument, what: str) -> int:
    if not _given(value):
        raise rejected(f"this order type needs a {what}")
    d = _number(value, what)
    ticks = Fraction(d) / Fraction(inst.tick_size)
    near = round(ticks)
    if abs(ticks - near) > Fraction(1, 1_000_000):
        raise IbError(110, "The price does not conform to the minimum price variation for this contract.")  # fmt: skip
    if near <= 0:
        raise rejected(f"the {what} must be positive, not {d}")
    return int(near)


def _percent_ppm(value: str) -> int:
    pct = Fraction(_number(value, "trailing percent"))
    ppm = pct * 10_000
    if not 0 < ppm < 1_000_000 or ppm.denominator != 1:
        raise rejected(f"trailing percent {value} must be in (0, 100) with at most 4 decimals")
    return int(ppm)


def _gtd(text: str) -> int:
    """``goodTillDate`` as int ns (``wire.parse_time``)."""
    if not text:
        raise rejected("a GTD order needs a goodTillDate")
    try:
        return parse_time(text)
    except ValueError:
        raise rejected(f"goodTillDate {text!r} is not YYYYMMDD HH:MM:SS [zone]") from None


class IbOrder:
    """One order at the venue: who sent it (``client_id``, ``order_id``), ``perm_id``, the
    contract, its terms in kernel units (see ``OrderSpec``), its IB ``status`` and fills."""

    __slots__ = (
        "account", "aux", "cancel_requested", "client_id", "contract", "done_ns", "expire_ns",
        "fill_cost", "filled", "gtd_text", "key", "last_fill", "lmt", "order_id", "order_ref",
        "otype", "outside_rth", "perm_id", "qty", "reason", "side", "status", "tif",
        "trail_pct", "trail_ppm", "trail_stop", "trail_ticks",
    )  # fmt: skip

    def __init__(
        self, client_id: int, order_id: int, perm_id: int, contract: IbContract,
        spec: OrderSpec, req: PlaceRequest, account: str,
    ) -> None:  # fmt: skip
        self.client_id, self.order_id, self.perm_id = client_id, order_id, perm_id
        self.contract = contract
        self.account = account
        self.side, self.qty, self.otype = spec.side, spec.qty, spec.otype
        self.lmt, self.aux, self.tif = spec.lmt, spec.aux, spec.tif
        self.trail_ticks, self.trail_ppm, self.trail_pct = (
            spec.trail_ticks, spec.trail_ppm, spec.trail_pct,
        )  # fmt: skip
        self.trail_stop, self.expire_ns = spec.trail_stop, spec.expire_ns
        self.gtd_text = req.good_till_date if spec.tif == "GTD" else ""
        self.outside_rth, self.order_ref = req.outside_rth, req.order_ref
        self.status = "PendingSubmit"
        self.filled = self.fill_cost = 0
        self.last_fill: int | None = None
        self.key = ""
        self.reason = ""
        self.cancel_requested = False
        self.done_ns: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def action(self) -> str:
        return "BUY" if self.side > 0 else "SELL"

    @property
    def inst(self) -> Instrument:
        return self.contract.inst

    def avg_price(self) -> Decimal:
        """The average fill price (0 before any fill), exact to 1e-9 at least."""
        if not self.filled:
            return Decimal(0)
        avg = Fraction(self.fill_cost, self.filled) * Fraction(self.inst.tick_size)
        return (Decimal(avg.numerator) / Decimal(avg.denominator)).quantize(Decimal("1e-9"))
