"""The venue's IB contracts: one per traded symbol, how a request finds it, its wire fields.

Each symbol of the venue (``--symbol``) is one contract. Its security type is given
(``--sec-type``) or inferred from the symbol: ``BTC/USD`` (a slash) is ``CRYPTO`` on PAXOS (base
``BTC``, currency ``USD``); six letters that are two ISO currencies (``USDJPY``) are ``CASH`` on
IDEALPRO (``USD`` in ``JPY``, local symbol ``USD.JPY``, ib_async's ``Forex('USDJPY')``); a known
coin followed by USD, USDT or USDC (``BTCUSDT``) is ``CRYPTO`` too; anything else is a ``STK``
routed ``SMART`` (primary exchange NASDAQ) in the account currency, ib_async's
``Stock('AAPL', 'SMART', 'USD')``. ``conId`` is a stable number derived from the symbol.

A request (reqContractDetails, reqMktData, placeOrder) finds a contract by its ``conId`` when it
gives one (non-zero), else by symbol: the IB symbol, the venue's symbol or the local symbol,
with the security type and the currency when it gives them; the exchange is not checked (the
details echo a requested ``SMART``). The minimum tick is the instrument's tick size, the
minimum size and size increment its lot size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from kernel.rng import stream_key
from kernel.units import Instrument

SEC_TYPES = ("STK", "CASH", "CRYPTO")
ORDER_TYPES = "LMT,MKT,STP,STPLMT,TRAIL,MIT,LIT,DAY,GTC,GTD,IOC,FOK,OPG"
_ISO = frozenset((
    "USD", "EUR", "JPY", "GBP", "CHF", "AUD", "CAD", "NZD", "SEK", "NOK", "DKK", "HKD", "SGD",
    "CNH", "MXN", "ZAR", "PLN", "CZK", "HUF", "TRY", "ILS", "KRW",
))  # fmt: skip
_COINS = ("BTC", "ETH", "LTC", "BCH", "SOL", "XRP", "ADA", "DOGE", "AVAX", "LINK", "DOT")
_QUOTES = ("USDT", "USDC", "USD")
_HOME = {"STK": ("SMART", "NASDAQ"), "CASH": ("IDEALPRO", "IDEALPRO"), "CRYPTO": ("PAXOS", "PAXOS")}


@dataclass(slots=True, frozen=True)
class IbContract:
    """One traded symbol as IB describes it (``venue_symbol`` is the venue's own name)."""

    con_id: int
    symbol: str
    currency: str
    sec_type: str
    local_symbol: str
    inst: Instrument

    @property
    def venue_symbol(self) -> str:
        return self.inst.symbol

    @property
    def exchange(self) -> str:
        return _HOME[self.sec_type][0]

    @property
    def primary_exchange(self) -> str:
        return _HOME[self.sec_type][1]

    def fields(self, exchange: str | None = None) -> list[Any]:
        """The 11 contract fields of openOrder, execDetails, position, completedOrder:
        conId, symbol, secType, lastTradeDate, strike, right, multiplier, exchange, currency,
        localSymbol, tradingClass."""
        ex = self.exchange if exchange is None else exchange
        return [self.con_id, self.symbol, self.sec_type, "", 0, "", "", ex, self.currency,
                self.local_symbol, self.local_symbol]  # fmt: skip

    def portfolio_fields(self) -> list[Any]:
        """updatePortfolio's contract: the primary exchange where the others have the exchange."""
        return [self.con_id, self.symbol, self.sec_type, "", 0, "", "", self.primary_exchange,
                self.currency, self.local_symbol, self.local_symbol]  # fmt: skip


def infer(symbol: str, account_currency: str) -> tuple[str, str, str, str]:
    """``(sec_type, ib_symbol, currency, local_symbol)`` for a venue symbol (module docstring)."""
    if "/" in symbol:
        base, _, quote = symbol.partition("/")
        return "CRYPTO", base, quote, f"{base}.{quote}"
    if len(symbol) == 6 and symbol[:3] in _ISO and symbol[3:] in _ISO:
        return "CASH", symbol[:3], symbol[3:], f"{symbol[:3]}.{symbol[3:]}"
    for quote in _QUOTES:
        base = symbol[: -len(quote)]
        if symbol.endswith(quote) and base in _COINS:
            return "CRYPTO", base, quote, f"{base}.{quote}"
    return "STK", symbol, account_currency, symbol


def build(inst: Instrument, sec_type: str | None, account_currency: str) -> IbContract:
    """The contract of one instrument (``sec_type`` None: inferred)."""
    kind, ib_symbol, currency, local = infer(inst.symbol, account_currency)
    if sec_type is not None and sec_type != kind:
        assert sec_type in SEC_TYPES, sec_type
        if sec_type == "STK":
            ib_symbol, currency, local = inst.symbol, account_currency, inst.symbol
        kind = sec_type
    con_id = 100_000_000 + stream_key(f"ibkr-conid:{inst.symbol}") % 800_000_000
    return IbContract(con_id, ib_symbol, currency, kind, local, inst)


class Contracts:
    """Every contract of the venue, found by conId or by symbol."""

    def __init__(self, contracts: list[IbContract]) -> None:
        self.all = contracts
        self.by_con_id = {c.con_id: c for c in contracts}
        self.by_venue_symbol = {c.venue_symbol: c for c in contracts}
        assert len(self.by_con_id) == len(contracts), "conId collision"

    def find(self, con_id: int, symbol: str, sec_type: str, currency: str, local: str) -> Any:
        """The one contract a request names, or None (unknown, or ambiguous)."""
        if con_id:
            return self.by_con_id.get(con_id)
        hits = [
            c
            for c in self.all
            if (symbol in (c.symbol, c.venue_symbol) or (local and local == c.local_symbol))
            and sec_type in ("", c.sec_type)
            and currency in ("", c.currency)
        ]
        return hits[0] if len(hits) == 1 else None


def trading_hours(now_ns: int) -> str:
    """Around the clock: today's and tomorrow's sessions (``YYYYMMDD:HHMM-YYYYMMDD:HHMM;...``)."""
    day = datetime.fromtimestamp(now_ns // 1_000_000_000, tz=UTC).date()
    days = [(day + timedelta(days=i)).strftime("%Y%m%d") for i in range(3)]
    return f"{days[0]}:0000-{days[1]}:0000;{days[1]}:0000-{days[2]}:0000"


def details_fields(req_id: int, c: IbContract, exchange: str, now_ns: int) -> list[Any]:
    """contractDetails (10) as ib_async's decoder reads it for server version >= 164."""
    inst = c.inst
    hours = trading_hours(now_ns)
    lot: Decimal = inst.lot_size
    return [
        10, req_id, c.symbol, c.sec_type, "", 0, "", exchange, c.currency, c.local_symbol,
        c.local_symbol, c.local_symbol, c.con_id, inst.tick_size,
        "", ORDER_TYPES, f"SMART,{c.exchange}" if c.exchange != "SMART" else "SMART,NASDAQ",
        1, 0, f"{c.venue_symbol} (local venue)", c.primary_exchange, "", "", "", "",
        "UTC", hours, hours, "", "", 0,  # evRule, evMultiplier, no secIds
        1, "", "", "", "", "COMMON" if c.sec_type == "STK" else "",
        lot, lot, lot,  # minSize, sizeIncrement, suggestedSizeIncrement
    ]  # fmt: skip
