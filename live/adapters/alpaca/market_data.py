"""Market data, Alpaca's data v2 stream -> kernel: ``parse_quote``, ``parse_trade``,
``parse_bar`` and ``parse_market_data`` (a whole data-stream frame). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kernel.events import Bar, QuoteTick, TradeTick
from kernel.units import Instrument
from live.adapters.alpaca.wire import (
    DAY_NS,
    MINUTE_NS,
    InstrumentOf,
    _lots,
    _ticks,
    parse_timestamp,
)


# --- market data (data v2 stream) ---------------------------------------------------------------
def parse_quote(
    msg: Mapping[str, Any], instrument: Instrument, ts_init: int, *, zero_size_unknown: bool = False
) -> QuoteTick:
    """A ``{"T": "q"}`` message -> ``QuoteTick`` (sizes in lots; with ``zero_size_unknown`` a
    size of 0 becomes None, "unlimited", for feeds that carry no sizes)."""
    bid_lots: int | None = _lots(instrument, msg.get("bs", 0), "bs")
    ask_lots: int | None = _lots(instrument, msg.get("as", 0), "as")
    if zero_size_unknown:
        bid_lots = bid_lots or None
        ask_lots = ask_lots or None
    return QuoteTick(
        instrument.symbol,
        _ticks(instrument, msg.get("bp"), "bp"),
        _ticks(instrument, msg.get("ap"), "ap"),
        bid_lots,
        ask_lots,
        parse_timestamp(msg.get("t"), "t"),
        ts_init,
    )


def parse_trade(msg: Mapping[str, Any], instrument: Instrument, ts_init: int) -> TradeTick:
    """A ``{"T": "t"}`` message -> ``TradeTick`` (Alpaca gives no aggressor: 0)."""
    trade_id = msg.get("i")
    return TradeTick(
        instrument.symbol,
        _ticks(instrument, msg.get("p"), "p"),
        _lots(instrument, msg.get("s"), "s"),
        0,
        None if trade_id is None else str(trade_id),
        parse_timestamp(msg.get("t"), "t"),
        ts_init,
    )


def parse_bar(
    msg: Mapping[str, Any], instrument: Instrument, ts_init: int, interval_ns: int = MINUTE_NS
) -> Bar:
    """A ``{"T": "b"}`` (or ``"d"``) message -> ``Bar``; Alpaca's ``t`` is the bar's open, the
    kernel's ``ts_event`` its close (open + interval)."""
    return Bar(
        instrument.symbol,
        _ticks(instrument, msg.get("o"), "o"),
        _ticks(instrument, msg.get("h"), "h"),
        _ticks(instrument, msg.get("l"), "l"),
        _ticks(instrument, msg.get("c"), "c"),
        _lots(instrument, msg.get("v", 0), "v"),
        interval_ns,
        parse_timestamp(msg.get("t"), "t") + interval_ns,
        ts_init,
    )


def parse_market_data(
    messages: list[Mapping[str, Any]] | Mapping[str, Any],
    instrument_of: InstrumentOf,
    ts_init: int,
    *,
    bar_interval_ns: int = MINUTE_NS,
    zero_size_unknown: bool = False,
) -> list[Any]:
    """Translate a data-stream frame (a list of messages) into kernel market data.

    Quotes, trades, minute bars (``b``) and daily bars (``d``) of known symbols become events;
    control messages (success, subscription, error), updated bars, statuses and symbols the
    caller does not know are skipped.
    """
    out: list[Any] = []
    for msg in [messages] if isinstance(messages, Mapping) else messages:
        kind = msg.get("T")
        if kind not in ("q", "t", "b", "d"):
            continue
        inst = instrument_of(str(msg.get("S")))
        if inst is None:
            continue
        if kind == "q":
            out.append(parse_quote(msg, inst, ts_init, zero_size_unknown=zero_size_unknown))
        elif kind == "t":
            out.append(parse_trade(msg, inst, ts_init))
        else:
            out.append(parse_bar(msg, inst, ts_init, bar_interval_ns if kind == "b" else DAY_NS))
    return out
