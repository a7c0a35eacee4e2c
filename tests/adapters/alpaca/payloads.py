"""Alpaca payloads for the parse tests, built field for field from alpaca-py 0.44's models.

Each constant names the model it follows; ``test_parse.py`` validates every one against that
model, which is what proves the shape. Values follow Alpaca's documented examples (the order
entity and the ``trade_updates`` example of Alpaca's streaming docs, the data v2 schemas):
RFC3339 times with nanoseconds and offsets, decimal strings for REST, JSON numbers for data.
"""

from __future__ import annotations

import copy
from typing import Any

ORDER_ID = "61e69015-8549-4bfd-b9c3-01e75843f47d"
ASSET_ID = "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415"
ACCOUNT_ID = "904837e3-3b76-47ec-b432-046db621571b"

# alpaca.trading.models.Order -- a resting limit order (Alpaca's order entity example, qty form)
ORDER_NEW_LIMIT: dict[str, Any] = {
    "id": ORDER_ID,
    "client_order_id": "strat1-17",
    "created_at": "2021-03-16T18:38:01.942282Z",
    "updated_at": "2021-03-16T18:38:01.942282Z",
    "submitted_at": "2021-03-16T18:38:01.937734Z",
    "filled_at": None,
    "expired_at": None,
    "expires_at": None,
    "canceled_at": None,
    "failed_at": None,
    "replaced_at": None,
    "replaced_by": None,
    "replaces": None,
    "asset_id": ASSET_ID,
    "symbol": "AAPL",
    "asset_class": "us_equity",
    "notional": None,
    "qty": "100",
    "filled_qty": "0",
    "filled_avg_price": None,
    "order_class": "",
    "order_type": "limit",
    "type": "limit",
    "side": "buy",
    "position_intent": "buy_to_open",
    "time_in_force": "day",
    "limit_price": "126.55",
    "stop_price": None,
    "status": "new",
    "extended_hours": False,
    "legs": None,
    "trail_percent": None,
    "trail_price": None,
    "hwm": None,
}


def order(**changes: Any) -> dict[str, Any]:
    """A copy of ``ORDER_NEW_LIMIT`` with ``changes`` (still an alpaca-py ``Order``)."""
    out = copy.deepcopy(ORDER_NEW_LIMIT)
    out.update(changes)
    return out


# alpaca.trading.models.Order -- partially filled: 40 of 100 at an average off the tick grid
ORDER_PARTIAL = order(
    status="partially_filled",
    filled_qty="40",
    filled_avg_price="126.5425",
    updated_at="2021-03-16T14:38:05.1234567-04:00",
)
# alpaca.trading.models.Order -- a filled market order (sell side)
ORDER_FILLED_MARKET = order(
    id="a5be8f5e-fdfa-41f5-a644-7a74fe947a8f",
    client_order_id="strat1-18",
    type="market",
    order_type="market",
    side="sell",
    position_intent="sell_to_close",
    time_in_force="gtc",
    limit_price=None,
    status="filled",
    filled_qty="100",
    filled_avg_price="126.55",
    filled_at="2021-03-16T18:38:05.024916716Z",
    updated_at="2021-03-16T18:38:05.027690731Z",
)
# alpaca.trading.models.Order -- a stop-limit
ORDER_STOP_LIMIT = order(
    id="c1f5e6c4-3a0b-4a47-9fd4-2f9f5f3e1a11",
    client_order_id="strat1-19",
    type="stop_limit",
    order_type="stop_limit",
    side="sell",
    limit_price="120.10",
    stop_price="120.25",
    time_in_force="gtc",
)
# alpaca.trading.models.Order -- a trailing stop: Alpaca computes stop_price from hwm (off-grid)
ORDER_TRAILING = order(
    id="0c3e1f9a-4b8e-4c0d-9a0e-6e2b8f2d7c55",
    client_order_id="strat1-20",
    type="trailing_stop",
    order_type="trailing_stop",
    side="sell",
    limit_price=None,
    stop_price="123.3863",
    trail_percent="2.5",
    hwm="126.55",
    time_in_force="gtc",
)
# alpaca.trading.models.Order -- the old order after a replace (Alpaca keeps old qty/price)
ORDER_REPLACED = order(
    status="replaced",
    replaced_at="2021-03-16T18:39:00.000000001Z",
    replaced_by="7a3f0f8e-2f4f-4d9e-8d1b-7f3c6f0b9a21",
    updated_at="2021-03-16T18:39:00.000000001Z",
)
# alpaca.trading.models.Order -- the replacement: new id, new client id, new qty and limit
ORDER_REPLACEMENT = order(
    id="7a3f0f8e-2f4f-4d9e-8d1b-7f3c6f0b9a21",
    client_order_id="strat1-17~r1",
    replaces=ORDER_ID,
    qty="150",
    limit_price="126.50",
    created_at="2021-03-16T18:39:00.000000001Z",
    submitted_at="2021-03-16T18:39:00.000000001Z",
    updated_at="2021-03-16T18:39:00.000000002Z",
)
_TP_LEG = order(
    id="2d8e9b1c-7f6a-4e5d-8c3b-1a0f9e8d7c6b",
    client_order_id="b7f0a3c2-5d4e-4f6a-9b8c-7d6e5f4a3b2c",
    type="limit",
    order_type="limit",
    side="sell",
    limit_price="130.00",
    status="held",
    order_class="bracket",
    time_in_force="gtc",
)
_SL_LEG = order(
    id="3e9f0c2d-8a7b-4f6e-9d4c-2b1a0f9e8d7c",
    client_order_id="c8a1b4d3-6e5f-4a7b-8c9d-8e7f6a5b4c3d",
    type="stop",
    order_type="stop",
    side="sell",
    limit_price=None,
    stop_price="120.00",
    status="held",
    order_class="bracket",
    time_in_force="gtc",
)
# alpaca.trading.models.Order -- a bracket entry with its two held legs (nested form)
ORDER_BRACKET = order(
    client_order_id="strat1-21",
    order_class="bracket",
    time_in_force="gtc",
    legs=[_TP_LEG, _SL_LEG],
)
ORDERS = {
    "new_limit": ORDER_NEW_LIMIT,
    "partial": ORDER_PARTIAL,
    "filled_market": ORDER_FILLED_MARKET,
    "stop_limit": ORDER_STOP_LIMIT,
    "trailing": ORDER_TRAILING,
    "replaced": ORDER_REPLACED,
    "replacement": ORDER_REPLACEMENT,
    "bracket": ORDER_BRACKET,
}


def trade_update(event: str, order_json: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A ``trade_updates`` stream message; its ``data`` is an alpaca.trading.models.TradeUpdate."""
    data: dict[str, Any] = {
        "event": event,
        "order": order_json,
        "timestamp": fields.pop("timestamp", order_json["updated_at"]),
    }
    data.update(fields)
    return {"stream": "trade_updates", "data": data}


EXEC_1 = "2f63ea93-423d-4169-b3f6-3fdafc10c418"
EXEC_2 = "5b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"

# alpaca.trading.models.TradeUpdate -- one message per event Alpaca's streaming docs list
UPDATES: dict[str, dict[str, Any]] = {
    "new": trade_update(
        "new", ORDER_NEW_LIMIT, execution_id="0f1e2d3c-4b5a-4968-8776-655443322110"
    ),
    "partial_fill": trade_update(
        "partial_fill",
        ORDER_PARTIAL,
        execution_id=EXEC_1,
        price="126.54",
        qty="40",
        position_qty="40",
        timestamp="2021-03-16T14:38:05.1234567-04:00",
    ),
    "fill": trade_update(
        "fill",
        order(
            status="filled",
            filled_qty="100",
            filled_avg_price="126.5460",
            filled_at="2021-03-16T18:38:06.000000001Z",
            updated_at="2021-03-16T18:38:06.000000001Z",
        ),
        execution_id=EXEC_2,
        price="126.55",
        qty="60",
        position_qty="100",
        timestamp="2021-03-16T18:38:06.000000001Z",
    ),
    "canceled": trade_update(
        "canceled",
        order(status="canceled", canceled_at="2021-03-16T18:40:00.5Z"),
        timestamp="2021-03-16T18:40:00.5Z",
    ),
    "expired": trade_update(
        "expired",
        order(status="expired", expired_at="2021-03-16T20:00:00Z"),
        timestamp="2021-03-16T20:00:00Z",
    ),
    "done_for_day": trade_update("done_for_day", order(status="done_for_day")),
    "replaced": trade_update(
        "replaced", ORDER_REPLACED, timestamp="2021-03-16T18:39:00.000000001Z"
    ),
    "rejected": trade_update(
        "rejected",
        order(status="rejected", failed_at="2021-03-16T18:38:02Z"),
        timestamp="2021-03-16T18:38:02Z",
    ),
    "pending_new": trade_update("pending_new", order(status="pending_new")),
    "accepted": trade_update("accepted", order(status="accepted")),
    "pending_cancel": trade_update("pending_cancel", order(status="pending_cancel")),
    "pending_replace": trade_update("pending_replace", order(status="pending_replace")),
    "stopped": trade_update("stopped", order(status="stopped")),
    "suspended": trade_update("suspended", order(status="suspended")),
    "calculated": trade_update("calculated", order(status="calculated")),
    "restated": trade_update("restated", order(limit_price="126.45")),
    "order_replace_rejected": trade_update("order_replace_rejected", order(status="new")),
    "order_cancel_rejected": trade_update("order_cancel_rejected", order(status="filled")),
}
# the replacement order's acknowledgement (its ``new``) and its rejection
UPDATE_REPLACEMENT_NEW = trade_update("new", ORDER_REPLACEMENT)
UPDATE_REPLACEMENT_REJECTED = trade_update(
    "rejected", dict(ORDER_REPLACEMENT, status="rejected", failed_at="2021-03-16T18:39:00.1Z")
)

# alpaca.trading.models.Position -- long and short (Alpaca reports shorts with a negative qty)
POSITION_LONG: dict[str, Any] = {
    "asset_id": ASSET_ID,
    "symbol": "AAPL",
    "exchange": "NASDAQ",
    "asset_class": "us_equity",
    "asset_marginable": True,
    "avg_entry_price": "126.5460",
    "qty": "100",
    "qty_available": "100",
    "side": "long",
    "market_value": "12660",
    "cost_basis": "12654.6",
    "unrealized_pl": "5.4",
    "unrealized_plpc": "0.0004267224",
    "unrealized_intraday_pl": "5.4",
    "unrealized_intraday_plpc": "0.0004267224",
    "current_price": "126.6",
    "lastday_price": "125.9",
    "change_today": "0.0055599682",
}
POSITION_SHORT = dict(
    POSITION_LONG,
    qty="-25",
    qty_available="-25",
    side="short",
    market_value="-3165",
    cost_basis="-3163.65",
)

# alpaca.trading.models.TradeAccount
ACCOUNT: dict[str, Any] = {
    "id": ACCOUNT_ID,
    "account_number": "PA2RWHDYLYA1",
    "status": "ACTIVE",
    "crypto_status": "ACTIVE",
    "currency": "USD",
    "buying_power": "199730.8",
    "regt_buying_power": "199730.8",
    "daytrading_buying_power": "0",
    "non_marginable_buying_power": "87345.4",
    "cash": "87345.400000001",
    "accrued_fees": "0",
    "pending_transfer_out": None,
    "pending_transfer_in": "0",
    "portfolio_value": "99865.4",
    "pattern_day_trader": False,
    "trading_blocked": False,
    "transfers_blocked": False,
    "account_blocked": False,
    "created_at": "2021-03-01T17:03:44.612356Z",
    "trade_suspended_by_user": False,
    "multiplier": "2",
    "shorting_enabled": True,
    "equity": "99865.4",
    "last_equity": "100000",
    "long_market_value": "12660",
    "short_market_value": "-140",
    "initial_margin": "6330",
    "maintenance_margin": "3798",
    "last_maintenance_margin": "0",
    "sma": "0",
    "daytrade_count": 0,
    "options_approved_level": 0,
    "options_trading_level": 0,
}

# alpaca.trading.models.Clock (Alpaca answers in New York time)
CLOCK: dict[str, Any] = {
    "timestamp": "2021-03-16T14:38:01.942282612-04:00",
    "is_open": True,
    "next_open": "2021-03-17T09:30:00-04:00",
    "next_close": "2021-03-16T16:00:00-04:00",
}

# alpaca.trading.models.TradeActivity fields (Alpaca's FILL account activity; the id is
# "<yyyymmddhhmmssmmm>::<execution id>", the same execution id the stream sends)
FILL_ACTIVITY: dict[str, Any] = {
    "id": f"20210316183805024::{EXEC_2}",
    "activity_type": "FILL",
    "transaction_time": "2021-03-16T18:38:05.024916716Z",
    "type": "fill",
    "price": "126.55",
    "qty": "60",
    "side": "buy",
    "symbol": "AAPL",
    "leaves_qty": "0",
    "order_id": ORDER_ID,
    "cum_qty": "100",
    "order_status": "filled",
}

# alpaca.data.models.Quote / Trade / Bar (data v2 stream, JSON form; Alpaca's schema examples)
QUOTE_MSG: dict[str, Any] = {
    "T": "q",
    "S": "AAPL",
    "bx": "U",
    "bp": 126.54,
    "bs": 1,
    "ax": "Q",
    "ap": 126.56,
    "as": 4,
    "t": "2021-02-22T15:51:45.335689322Z",
    "c": ["R"],
    "z": "C",
}
TRADE_MSG: dict[str, Any] = {
    "T": "t",
    "i": 96921,
    "S": "AAPL",
    "x": "D",
    "p": 126.55,
    "s": 100,
    "t": "2021-02-22T15:51:44.208Z",
    "c": ["@", "I"],
    "z": "C",
}
BAR_MSG: dict[str, Any] = {
    "T": "b",
    "S": "AAPL",
    "o": 126.5,
    "h": 126.61,
    "l": 126.48,
    "c": 126.6,
    "v": 49378,
    "t": "2021-02-22T19:15:00Z",
    "n": 312,
    "vw": 126.5523,
}
DAILY_BAR_MSG = dict(BAR_MSG, T="d", t="2021-02-22T05:00:00Z", v=749378)
CONTROL_MSGS = [
    {"T": "success", "msg": "authenticated"},
    {"T": "subscription", "trades": ["AAPL"], "quotes": ["AAPL"], "bars": []},
    {"T": "error", "code": 405, "msg": "symbol limit exceeded"},
]

# Alpaca REST error bodies (status, body)
ERRORS = {
    403: {"code": 40310000, "message": "insufficient buying power"},
    404: {"code": 40410000, "message": "order not found"},
    422: {"code": 40010001, "message": "client_order_id must be unique"},
    429: {"code": 42910000, "message": "rate limit exceeded"},
    500: {"code": 50010000, "message": "internal server error occurred"},
}
