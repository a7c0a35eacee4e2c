"""Check ``POST /v2/orders`` and ``PATCH /v2/orders/{id}`` bodies as Alpaca does; 422 otherwise.

Accepted: ``symbol``, ``qty`` (decimal on the lot grid; ``notional`` is refused), ``side``,
``type`` (market, limit, stop, stop_limit, trailing_stop), ``time_in_force`` (day, gtc, opg,
cls, ioc, fok), the prices each type needs (on the tick grid) and no others, ``trail_price`` or
``trail_percent``, ``client_order_id`` (at most 128 characters, unique), ``extended_hours``,
``order_class`` (simple, bracket, oco, oto) with ``take_profit.limit_price`` and
``stop_loss.stop_price`` / ``stop_loss.limit_price``. Prices and quantities may be JSON numbers
(alpaca-py sends floats) or strings (Alpaca's documented form).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from kernel.units import Instrument, UnitError, to_decimal

TYPES = ("market", "limit", "stop", "stop_limit", "trailing_stop")
TIFS = ("day", "gtc", "opg", "cls", "ioc", "fok")
CLASSES = ("simple", "bracket", "oco", "oto")
_PRICE_FIELDS = ("limit_price", "stop_price", "trail_price", "trail_percent")
_ALLOWED = {
    "market": (),
    "limit": ("limit_price",),
    "stop": ("stop_price",),
    "stop_limit": ("limit_price", "stop_price"),
    "trailing_stop": ("trail_price", "trail_percent"),
}


class VenueError(Exception):
    """An answer other than 2xx: HTTP ``status`` and Alpaca's ``code`` and ``message``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


def unprocessable(message: str) -> VenueError:
    return VenueError(422, 42210000, message)


def not_found(message: str = "order not found") -> VenueError:
    return VenueError(404, 40410000, message)


@dataclass(slots=True)
class SubmitSpec:
    """A checked new-order request in ticks and lots."""

    symbol: str
    qty: int
    side: str
    type: str
    tif: str
    limit: int | None
    stop: int | None
    trail_ticks: int | None
    trail_ppm: int | None
    client_order_id: str | None
    order_class: str
    tp_limit: int | None
    sl_stop: int | None
    sl_limit: int | None
    extended_hours: bool


def price(inst: Instrument, value: Any, name: str) -> int:
    """A positive price on the tick grid, in ticks (422 otherwise)."""
    try:
        ticks = inst.price_to_ticks(value, name)
    except UnitError:
        raise unprocessable(
            f"invalid {name} {value}: sub-penny increment does not fulfill minimum pricing criteria"
        ) from None
    if ticks <= 0:
        raise unprocessable(f"{name} must be > 0")
    return ticks


def quantity(inst: Instrument, value: Any, name: str = "qty") -> int:
    """A positive quantity on the lot grid, in lots (422 otherwise)."""
    try:
        lots = inst.qty_to_lots(value, name)
    except UnitError:
        raise unprocessable(f"invalid {name} {value}") from None
    if lots <= 0:
        raise unprocessable(f"{name} must be > 0")
    return lots


def percent_ppm(value: Any, name: str = "trail_percent") -> int:
    """A percent (0 < p < 100, at most 4 decimals) as parts per million."""
    try:
        ppm = Fraction(to_decimal(value, name)) * 10_000
    except UnitError:
        raise unprocessable(f"invalid {name} {value}") from None
    if ppm.denominator != 1 or not 0 < ppm < 1_000_000:
        raise unprocessable(f"invalid {name} {value}")
    return int(ppm)


def client_id(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 128:
        raise unprocessable("client_order_id must be a string of at most 128 characters")
    return value


def _choice(body: dict[str, Any], name: str, options: tuple[str, ...]) -> str:
    value = body.get(name)
    if value not in options:
        raise unprocessable(f"invalid {name}: {value!r} (one of {', '.join(options)})")
    return str(value)


def check_submit(body: Any, inst: Instrument) -> SubmitSpec:
    """Check a ``POST /v2/orders`` body (422 ``VenueError`` on the first problem)."""
    if not isinstance(body, dict):
        raise unprocessable("request body format is invalid")
    if body.get("symbol") != inst.symbol:
        raise unprocessable(f'asset "{body.get("symbol")}" not found')
    if body.get("notional") is not None:
        raise unprocessable("notional orders are not supported by this venue")
    qty = quantity(inst, body.get("qty"))
    side = _choice(body, "side", ("buy", "sell"))
    otype = _choice(body, "type", TYPES)
    tif = _choice(body, "time_in_force", TIFS)
    oclass = body.get("order_class") or "simple"
    if oclass not in CLASSES:
        raise unprocessable(f"invalid order_class: {oclass!r}")
    for name in _PRICE_FIELDS:
        if body.get(name) is not None and name not in _ALLOWED[otype]:
            raise unprocessable(f"{name} is not supported for {otype} orders")
    limit = stop = trail_ticks = trail_ppm = None
    if otype in ("limit", "stop_limit") and not (
        oclass == "oco" and body.get("limit_price") is None
    ):
        limit = price(inst, _required(body, "limit_price"), "limit_price")
    if otype in ("stop", "stop_limit"):
        stop = price(inst, _required(body, "stop_price"), "stop_price")
    if otype == "trailing_stop":
        tp, tc = body.get("trail_price"), body.get("trail_percent")
        if (tp is None) == (tc is None):
            raise unprocessable(
                "trailing_stop orders need exactly one of trail_price, trail_percent"
            )
        if tp is not None:
            trail_ticks = price(inst, tp, "trail_price")
        else:
            trail_ppm = percent_ppm(tc)
    tp_limit, sl_stop, sl_limit = _legs(body, inst, oclass, otype, side, limit, tif)
    if oclass == "oco":
        limit = tp_limit
    return SubmitSpec(
        inst.symbol,
        qty,
        side,
        otype,
        tif,
        limit,
        stop,
        trail_ticks,
        trail_ppm,
        client_id(body.get("client_order_id")),
        oclass,
        tp_limit,
        sl_stop,
        sl_limit,
        bool(body.get("extended_hours")),
    )


def _required(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if value is None:
        raise unprocessable(f"{name} is required")
    return value


def _legs(
    body: dict[str, Any],
    inst: Instrument,
    oclass: str,
    otype: str,
    side: str,
    limit: int | None,
    tif: str,
) -> tuple[int | None, int | None, int | None]:
    tp_body, sl_body = body.get("take_profit"), body.get("stop_loss")
    if oclass == "simple":
        if tp_body or sl_body:
            raise unprocessable("take_profit and stop_loss need order_class bracket, oco or oto")
        return None, None, None
    if tif not in ("day", "gtc"):
        raise unprocessable(f"time_in_force must be day or gtc for {oclass} orders")
    tp = sl = sl_lim = None
    if isinstance(tp_body, dict):
        tp = price(inst, _required(tp_body, "limit_price"), "take_profit.limit_price")
    if isinstance(sl_body, dict):
        sl = price(inst, _required(sl_body, "stop_price"), "stop_loss.stop_price")
        if sl_body.get("limit_price") is not None:
            sl_lim = price(inst, sl_body["limit_price"], "stop_loss.limit_price")
    if oclass in ("bracket", "oco") and (tp is None or sl is None):
        raise unprocessable(f"{oclass} orders require take_profit.limit_price and stop_loss")
    if oclass == "oto" and tp is None and sl is None:
        raise unprocessable("oto orders require either take_profit or stop_loss")
    if oclass == "oco" and otype != "limit":
        raise unprocessable("oco orders must be limit orders")
    if oclass != "oco" and otype not in ("market", "limit"):
        raise unprocessable(f"{oclass} entry orders must be market or limit orders")
    # exit side: a buy entry exits with a sell, which takes profit above and stops below
    up = (side == "buy") != (oclass == "oco")
    if tp is not None and sl is not None and (tp <= sl if up else tp >= sl):
        relation = ">" if up else "<"
        raise unprocessable(f"take_profit.limit_price must be {relation} stop_loss.stop_price")
    if limit is not None and oclass == "oco" and limit != tp:
        raise unprocessable("limit_price must equal take_profit.limit_price for oco orders")
    return tp, sl, sl_lim


@dataclass(slots=True)
class ReplaceSpec:
    """A checked replace request: None keeps a value."""

    qty: int | None
    limit: int | None
    stop: int | None
    tif: str | None
    client_order_id: str | None


def check_replace(body: Any, inst: Instrument) -> ReplaceSpec:
    """Check a ``PATCH /v2/orders/{id}`` body (fields only; the order's state is the venue's)."""
    if not isinstance(body, dict):
        raise unprocessable("request body format is invalid")
    if body.get("trail") is not None:
        raise unprocessable("replacing trail is not supported by this venue")
    qty = None if body.get("qty") is None else quantity(inst, body["qty"])
    limit = (
        None if body.get("limit_price") is None else price(inst, body["limit_price"], "limit_price")
    )
    stop = None if body.get("stop_price") is None else price(inst, body["stop_price"], "stop_price")
    tif = None if body.get("time_in_force") is None else _choice(body, "time_in_force", TIFS)
    return ReplaceSpec(qty, limit, stop, tif, client_id(body.get("client_order_id")))


REPLACEABLE = frozenset({"new", "partially_filled", "held"})


def check_replaceable(order: Any, spec: ReplaceSpec, client_ids: Container[str]) -> None:
    """Check a replace against the order's state (an ``AOrder``) and the ids in use."""
    if order.status not in REPLACEABLE:
        raise unprocessable(f'order is not replaceable in "{order.status}" state')
    if spec.client_order_id is not None and spec.client_order_id in client_ids:
        raise VenueError(422, 40010001, "client_order_id must be unique")
    if spec.qty is not None and spec.qty <= order.filled:
        raise unprocessable("qty must be greater than filled_qty")
    if spec.limit is not None and order.type not in ("limit", "stop_limit"):
        raise unprocessable(f"cannot replace limit_price of a {order.type} order")
    if spec.stop is not None and order.type not in ("stop", "stop_limit"):
        raise unprocessable(f"cannot replace stop_price of a {order.type} order")
    if spec.tif is not None and spec.tif != order.tif:
        raise unprocessable("replacing time_in_force is not supported by this venue")
    unchanged = (
        spec.qty in (None, order.qty)
        and spec.limit in (None, order.limit)
        and spec.stop in (None, order.stop)
    )
    if unchanged:
        raise VenueError(403, 40310000, "order parameters are not changed")
