"""Alpaca JSON <-> kernel: order requests out; trade updates, orders, positions, data in. Pure.

No I/O and no clock: every function maps one message, with the instrument (for exact ticks and
lots) and the id mapping given by the caller. Prices and quantities travel as decimal strings
made exactly from ticks and lots; everything read back must land on the instrument's grid, or
``MalformedMessage`` names the field (nothing is rounded). Shapes follow alpaca-py 0.44
(``alpaca.trading.models.Order`` / ``TradeUpdate`` / ``Position`` / ``TradeAccount`` /
``Clock``, ``alpaca.data.models``) and Alpaca's streaming docs.

This module is the one name callers use (``from live.adapters.alpaca import parse``); the code
lives in its siblings, each re-exported here:

- ``wire``: side / type / TIF names, ``parse_timestamp``, ``price_text`` / ``qty_text``;
- ``order_requests``: ``order_request``, ``bracket_request``, ``replace_request``;
- ``trade_updates``: ``parse_trade_update``, ``trade_update_notice`` and the table of which
  ``trade_updates`` event becomes which kernel event;
- ``order_snapshots`` (reconciliation): ``parse_order`` (-> ``OrderSnapshot``),
  ``order_state_events`` (the events that bring a kernel order to a snapshot's state),
  ``status_report``;
- ``account``: ``parse_fill_activity`` (fills since the last one known), ``parse_position``,
  ``position_report``, ``parse_account``, ``parse_clock``, ``instrument_from_asset``;
- ``market_data``: ``parse_quote``, ``parse_trade``, ``parse_bar``, ``parse_market_data`` (a
  whole data-stream frame).
"""

from __future__ import annotations

from live.adapters.alpaca.account import (
    AccountSnapshot,
    ClockSnapshot,
    FillActivity,
    instrument_from_asset,
    parse_account,
    parse_clock,
    parse_fill_activity,
    parse_position,
    position_report,
)
from live.adapters.alpaca.market_data import parse_bar, parse_market_data, parse_quote, parse_trade
from live.adapters.alpaca.order_requests import bracket_request, order_request, replace_request
from live.adapters.alpaca.order_snapshots import (
    OrderSnapshot,
    order_state_events,
    parse_order,
    status_report,
)
from live.adapters.alpaca.trade_updates import (
    TRADE_EVENTS,
    TradeUpdateNotice,
    parse_trade_update,
    trade_update_notice,
)
from live.adapters.alpaca.wire import (
    DAY_NS,
    MAX_CLIENT_ORDER_ID,
    MINUTE_NS,
    SIDE_BY_NAME,
    SIDE_NAMES,
    TIF_NAMES,
    TYPE_NAMES,
    ClientIdOf,
    InstrumentOf,
    decimal_text,
    parse_timestamp,
    price_text,
    qty_text,
)

__all__ = [
    "DAY_NS",
    "MAX_CLIENT_ORDER_ID",
    "MINUTE_NS",
    "SIDE_BY_NAME",
    "SIDE_NAMES",
    "TIF_NAMES",
    "TRADE_EVENTS",
    "TYPE_NAMES",
    "AccountSnapshot",
    "ClientIdOf",
    "ClockSnapshot",
    "FillActivity",
    "InstrumentOf",
    "OrderSnapshot",
    "TradeUpdateNotice",
    "bracket_request",
    "decimal_text",
    "instrument_from_asset",
    "order_request",
    "order_state_events",
    "parse_account",
    "parse_bar",
    "parse_clock",
    "parse_fill_activity",
    "parse_market_data",
    "parse_order",
    "parse_position",
    "parse_quote",
    "parse_timestamp",
    "parse_trade",
    "parse_trade_update",
    "position_report",
    "price_text",
    "qty_text",
    "replace_request",
    "status_report",
    "trade_update_notice",
]
