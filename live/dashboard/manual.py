"""A manual order (``POST /api/orders``, ``executioncore order submit``) checked before it reaches
the kernel: a JSON object with the fields of a scenario's ``orders:`` entry for one order.

``check_manual_order(entry, kernel)`` returns the entry normalized (names lower case, the
kernel's default time in force filled in) or raises ``ManualOrderError`` with a message naming
the field and what was expected; the order is built once through ``kernel.operator.build_manual``
(the kernel's own validation: prices on the tick grid, quantities on the lot grid, the prices
each type needs), so what passes here is an order the kernel can make.
"""

from __future__ import annotations

import re
from typing import Any

from kernel.enums import ORDER_TYPE_BY_NAME, SIDE_BY_NAME, TIF_BY_NAME
from kernel.kernel import Kernel
from kernel.operator import MANUAL_KEYS, build_manual
from kernel.orders import InvalidOrder

NUMBER_KEYS = ("quantity", "limit_price", "stop_price")
_OPTIONS = "not taken by manual orders (send it from a strategy or an orders: file)"
NOT_MANUAL = {
    "trail_price": _OPTIONS,
    "trail_percent": _OPTIONS,
    "post_only": _OPTIONS,
    "reduce_only": _OPTIONS,
    "display_qty": _OPTIONS,
    "venue": "manual orders are routed like the strategy's (no venue key)",
    "at": "a manual order is sent now",
    "expire_at": "give time_in_force day or gtc instead",
    "oco": "links between orders are not taken by manual orders",
    "take_profit": "brackets are not taken by manual orders",
    "stop_loss": "brackets are not taken by manual orders",
    "algo": "algo orders are not taken by manual orders",
    "cancel": "use /api/cancel (executioncore order cancel ID)",
    "modify": "modifying an order is not taken by manual orders",
}
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class ManualOrderError(ValueError):
    """A manual order the dashboard refuses (HTTP 400); the message names the field."""


def _fail(field: str, what: str) -> ManualOrderError:
    return ManualOrderError(f"{field}: {what}" if field else what)


def check_manual_order(entry: Any, kernel: Kernel) -> dict[str, Any]:
    """The checked, normalized entry (see the module docstring)."""
    if not isinstance(entry, dict):
        raise _fail("", f"expected a JSON object with the fields of an order, got {entry!r}")
    for key in entry:
        if key in NOT_MANUAL:
            raise _fail(key, NOT_MANUAL[key])
        if key not in MANUAL_KEYS:
            raise _fail(key, f"unknown key (expected one of: {', '.join(MANUAL_KEYS)})")
    out: dict[str, Any] = {}
    if "id" in entry:
        oid = entry["id"]
        if not isinstance(oid, str) or not _ID.match(oid):
            raise _fail("id", f"expected 1 to 64 letters, digits or ._:- characters, got {oid!r}")
        out["id"] = oid
    symbol = entry.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise _fail("symbol", "missing: the instrument to trade")
    if symbol not in kernel.instruments:
        raise _fail(
            "symbol",
            f"unknown symbol {symbol!r} (instruments: {', '.join(sorted(kernel.instruments))})",
        )
    out["symbol"] = symbol
    names = {
        "side": tuple(SIDE_BY_NAME),
        "type": tuple(ORDER_TYPE_BY_NAME),
        "time_in_force": tuple(TIF_BY_NAME),
    }
    defaults = {"type": "market", "time_in_force": kernel.default_tif.name.lower()}
    for key, allowed in names.items():
        value = entry.get(key, defaults.get(key))
        if value is None:
            raise _fail(key, f"missing (expected one of: {', '.join(allowed)})")
        if not isinstance(value, str) or value.lower() not in allowed:
            raise _fail(key, f"expected one of: {', '.join(allowed)}, got {value!r}")
        out[key] = value.lower()
    if "quantity" not in entry:
        raise _fail("quantity", "missing: how much to trade, in the instrument's units")
    for key in NUMBER_KEYS:
        if key in entry and entry[key] is not None:
            value = entry[key]
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise _fail(key, f"expected a number, got {value!r}")
            out[key] = value
    try:
        build_manual(kernel.instruments[symbol], out, "manual", out["time_in_force"])
    except InvalidOrder as exc:
        text = str(exc).split(": ", 1)[-1]
        raise _fail(_field_of(text), text) from None
    return out


def _field_of(text: str) -> str:
    """The entry's key a kernel message is about (its messages say "limit price")."""
    for key in (*NUMBER_KEYS, "time_in_force"):
        if key in text or key.replace("_", " ") in text:
            return key
    if "stop (trigger) price" in text:
        return "stop_price"
    if "GTD" in text:
        return "time_in_force"
    return ""
