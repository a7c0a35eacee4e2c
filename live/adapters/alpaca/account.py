"""Alpaca account state, -> kernel units: fill activities (``parse_fill_activity``),
positions (``parse_position``, ``position_report``), the account (``parse_account``), the
market clock (``parse_clock``) and assets as instruments (``instrument_from_asset``). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from kernel.units import Instrument, UnitError, money_to_units
from live.adapters.alpaca.errors import MalformedMessage
from live.adapters.alpaca.wire import (
    SIDE_BY_NAME,
    InstrumentOf,
    _decimal,
    _instrument,
    _lots,
    _ticks,
    parse_timestamp,
)


# --- fills, positions, account, clock (reconciliation) -------------------------------------
@dataclass(slots=True)
class FillActivity:
    """A ``FILL`` account activity (``GET /v2/account/activities/FILL``) in kernel units.

    ``execution_id`` is the part of the activity id after ``::``, the same id the stream's
    ``execution_id`` carries, so a fill recovered here and one seen live are one trade.
    """

    activity_id: str
    execution_id: str
    order_id: str
    symbol: str
    side: int
    price_ticks: int
    qty_lots: int
    cum_lots: int | None
    leaves_lots: int | None
    order_status: str | None
    ts_ns: int


def parse_fill_activity(
    activity: Mapping[str, Any], instrument_of: InstrumentOf
) -> FillActivity | None:
    """A ``FILL`` activity -> ``FillActivity`` (None for other activities and unknown symbols).

    ``qty`` is this execution's quantity (``cum_qty`` is the order's running total).
    """
    if activity.get("activity_type") != "FILL":
        return None
    inst = instrument_of(str(activity.get("symbol")))
    if inst is None:
        return None
    side = SIDE_BY_NAME.get(activity.get("side"))  # type: ignore[arg-type]
    if side is None:
        raise MalformedMessage("side", f"{activity.get('side')!r}")
    activity_id = str(activity.get("id"))
    cum, leaves = activity.get("cum_qty"), activity.get("leaves_qty")
    return FillActivity(
        activity_id=activity_id,
        execution_id=activity_id.rsplit("::", 1)[-1],
        order_id=str(activity.get("order_id")),
        symbol=inst.symbol,
        side=int(side),
        price_ticks=_ticks(inst, activity.get("price"), "price"),
        qty_lots=_lots(inst, activity.get("qty"), "qty"),
        cum_lots=None if cum is None else _lots(inst, cum, "cum_qty"),
        leaves_lots=None if leaves is None else _lots(inst, leaves, "leaves_qty"),
        order_status=activity.get("order_status"),
        ts_ns=parse_timestamp(activity.get("transaction_time"), "transaction_time"),
    )


def parse_position(position: Mapping[str, Any], instrument_of: InstrumentOf) -> tuple[str, int]:
    """An Alpaca position -> ``(symbol, signed qty in lots)`` (short positions negative)."""
    symbol = str(position.get("symbol"))
    inst = _instrument(instrument_of, symbol)
    qty = _decimal(position.get("qty"), "qty")
    if qty is None:
        raise MalformedMessage("qty", "missing")
    lots = _lots(inst, abs(qty), "qty")
    short = position.get("side") == "short" or qty < 0
    return symbol, -lots if short else lots


@dataclass(slots=True)
class AccountSnapshot:
    """The account's money in int money units of its currency (``kernel.units.MONEY_SCALE``)."""

    account_id: str
    account_number: str
    status: str
    currency: str
    cash: int | None
    equity: int | None
    buying_power: int | None
    portfolio_value: int | None
    long_market_value: int | None
    short_market_value: int | None
    trading_blocked: bool
    account_blocked: bool
    pattern_day_trader: bool


def _money(account: Mapping[str, Any], field: str) -> int | None:
    value = account.get(field)
    if value is None or value == "":
        return None
    try:
        return money_to_units(value, field)
    except (UnitError, InvalidOperation) as exc:
        raise MalformedMessage(field, str(exc)) from None


def parse_account(account: Mapping[str, Any]) -> AccountSnapshot:
    """Translate ``GET /v2/account``."""
    return AccountSnapshot(
        account_id=str(account["id"]),
        account_number=str(account.get("account_number", "")),
        status=str(account.get("status", "")),
        currency=str(account.get("currency") or "USD"),
        cash=_money(account, "cash"),
        equity=_money(account, "equity"),
        buying_power=_money(account, "buying_power"),
        portfolio_value=_money(account, "portfolio_value"),
        long_market_value=_money(account, "long_market_value"),
        short_market_value=_money(account, "short_market_value"),
        trading_blocked=bool(account.get("trading_blocked")),
        account_blocked=bool(account.get("account_blocked")),
        pattern_day_trader=bool(account.get("pattern_day_trader")),
    )


@dataclass(slots=True)
class ClockSnapshot:
    """``GET /v2/clock`` in int ns."""

    ts_ns: int
    is_open: bool
    next_open_ns: int
    next_close_ns: int


def parse_clock(clock: Mapping[str, Any]) -> ClockSnapshot:
    """Translate ``GET /v2/clock``."""
    return ClockSnapshot(
        parse_timestamp(clock.get("timestamp"), "timestamp"),
        bool(clock.get("is_open")),
        parse_timestamp(clock.get("next_open"), "next_open"),
        parse_timestamp(clock.get("next_close"), "next_close"),
    )


def position_report(
    position: Mapping[str, Any], instrument_of: InstrumentOf
) -> tuple[str, int, int] | None:
    """An Alpaca position -> ``(symbol, signed lots, signed cost in ticks x lots)`` (the average
    entry price times the quantity, rounded to whole ticks x lots); None for a symbol the session
    has no instrument for."""
    symbol = str(position.get("symbol"))
    inst = instrument_of(symbol)
    if inst is None:
        return None
    _, lots = parse_position(position, instrument_of)
    avg = _decimal(position.get("avg_entry_price"), "avg_entry_price") or Decimal(0)
    cost = (avg / inst.tick_size * lots).to_integral_value()
    return symbol, lots, int(cost)


def instrument_from_asset(asset: Mapping[str, Any], venue: str | None = None) -> Instrument:
    """``GET /v2/assets/{symbol}`` -> an instrument: tick from ``price_increment`` (else 0.01,
    Alpaca's tick for US equities at or above $1), lot from ``min_trade_increment`` (else 1;
    fractional shares trade in 1e-9 units only when the asset is ``fractionable``), USD."""
    tick = _decimal(asset.get("price_increment"), "price_increment") or Decimal("0.01")
    lot = _decimal(asset.get("min_trade_increment"), "min_trade_increment") or Decimal(1)
    return Instrument(
        str(asset.get("symbol")), tick.normalize(), lot.normalize(), "USD", Decimal(1), venue
    )
