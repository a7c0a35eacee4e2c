"""Symbols <-> IB contracts, and the instrument provider's answer (contract details). Pure.

A user writes a symbol (``AAPL``, ``USDJPY``, ``BTC/USD``); ``contract_for`` makes the IB
contract TWS is asked about: ``Stock(symbol, "SMART", "USD")`` unless the ``instruments:`` entry
gives ``sec_type`` / ``exchange`` / ``currency`` (CONTRACT.md): ``CASH`` is a ``Forex`` pair
(``USDJPY`` or ``USD.JPY``, on IDEALPRO), ``CRYPTO`` a ``Crypto`` (``BTC/USD`` or ``BTCUSD``, on
PAXOS), any other type a plain ``Contract`` of that type. ``symbol_of`` goes back, for positions
and executions: the contract id the session resolved first, else the symbol the way the user
writes it.

``instrument_from_details``: the tick is ``minTick``; the lot is ``sizeIncrement`` when TWS
gives one (fractional shares, crypto, forex lots), else 1 (a share); the currency and the
multiplier (futures, options) are the contract's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kernel.units import Instrument
from live.adapters.ibkr import ib_api
from live.adapters.ibkr.errors import MalformedMessage
from live.adapters.ibkr.wire import number

DEFAULT_EXCHANGE = {"STK": "SMART", "CASH": "IDEALPRO", "CRYPTO": "PAXOS"}


def contract_for(symbol: str, spec: dict[str, str] | None = None) -> Any:
    """The IB contract for a user's ``symbol``; ``spec`` holds ``sec_type``/``exchange``/
    ``currency`` from the instruments entry (each optional)."""
    spec = spec or {}
    sec_type = (spec.get("sec_type") or "STK").upper()
    exchange = spec.get("exchange") or DEFAULT_EXCHANGE.get(sec_type, "SMART")
    currency = spec.get("currency") or ""
    if sec_type == "STK":
        return ib_api.Stock(symbol, exchange, currency or "USD")
    if sec_type == "CASH":
        pair = symbol.replace(".", "").replace("/", "")
        if len(pair) != 6:
            raise MalformedMessage("symbol", f"{symbol!r}: a CASH pair is six letters (USDJPY)")
        return ib_api.Forex(pair, exchange=exchange)
    if sec_type == "CRYPTO":
        base, quote = _split_crypto(symbol, currency)
        return ib_api.Crypto(base, exchange, quote)
    return ib_api.Contract(
        secType=sec_type, symbol=symbol, exchange=exchange, currency=currency or "USD"
    )


def _split_crypto(symbol: str, currency: str) -> tuple[str, str]:
    if "/" in symbol:
        base, _, quote = symbol.partition("/")
        return base, quote
    for quote in (currency, "USDT", "USDC", "USD"):
        if quote and symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)], quote
    return symbol, currency or "USD"


def instrument_from_details(details: Any, symbol: str, venue: str | None = None) -> Instrument:
    """A ``ContractDetails`` -> the kernel's instrument for ``symbol``."""
    contract = details.contract
    tick = number(details.minTick)
    if tick is None or tick <= 0:
        raise MalformedMessage("minTick", f"{details.minTick!r} for {symbol}")
    lot = number(getattr(details, "sizeIncrement", None))
    if lot is None or lot <= 0:
        lot = Decimal(1)
    multiplier = number(getattr(contract, "multiplier", "") or None) or Decimal(1)
    currency = str(getattr(contract, "currency", "") or "USD")
    return Instrument(symbol, tick.normalize(), lot.normalize(), currency, multiplier, venue)


def symbol_of(contract: Any, by_con_id: dict[int, str]) -> str:
    """The user's symbol for an IB contract (positions, executions)."""
    con_id = getattr(contract, "conId", 0) or 0
    if con_id in by_con_id:
        return by_con_id[con_id]
    sec_type = getattr(contract, "secType", "")
    symbol = str(getattr(contract, "symbol", ""))
    if sec_type == "CASH":
        return symbol + str(getattr(contract, "currency", ""))
    if sec_type == "CRYPTO":
        return f"{symbol}/{getattr(contract, 'currency', '')}"
    return symbol
