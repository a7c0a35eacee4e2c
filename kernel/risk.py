"""The risk guard: pure pre-trade checks, the trading state, and the breakers that move it.

Every check is a pure function that returns a reason code (a short upper-case string) or None.
``RiskGuard.pre_trade`` runs the configured ones in a fixed order and returns the first reason;
the kernel turns it into an ``OrderDenied`` event, so every refusal is journaled and visible.

Fractions (``max_position_pct``, ``daily_loss_limit``, ``price_collar_pct``) are held in parts
per million and compared in ints: ``notional x 1e6 <= ppm x equity``. Money limits are money
units. The trading day starts at 00:00 UTC; "daily" counts and the start-of-day equity reset
then. The daily loss is the fall in equity since the day began (realized and unrealized P&L, net
of commissions) as a fraction of the start-of-day equity.

States: ACTIVE (everything allowed), REDUCING (only orders that shrink the net position),
HALTED (nothing; only the kernel's own flattening orders pass). Breakers: the daily loss limit
(-> HALTED for the rest of the trading day, flattening first when ``emergency_flatten``; the
next day starts ACTIVE), N consecutive venue rejects (-> HALTED until an operator resumes), a
venue disconnect (-> REDUCING until the venue is reconciled, then back to ACTIVE if it was).
The kill switch halts until an operator resumes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, fields

from kernel.enums import OrderType, TradingState
from kernel.orders import Order
from kernel.units import DAY_NS, MONEY_SCALE, UnitError, to_decimal

try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython

PPM = 1_000_000

R_HALTED = "HALTED"
R_REDUCING = "REDUCING"
R_MAX_ORDER_VALUE = "MAX_ORDER_VALUE"
R_MAX_DAILY_ORDERS = "MAX_DAILY_ORDERS"
R_MAX_POSITION = "MAX_POSITION"
R_DAILY_LOSS = "DAILY_LOSS_LIMIT"
R_PRICE_COLLAR = "PRICE_COLLAR"
R_RATE = "RATE_LIMIT"
R_NO_PRICE = "NO_REFERENCE_PRICE"
R_REDUCE_ONLY = "REDUCE_ONLY"


class ConfigError(ValueError):
    """A configuration value or key that cannot be used; the message names the key."""


@dataclass(slots=True)
class RiskConfig:
    """Risk limits; None switches a check off. Build from a mapping with ``from_mapping``.

    ``max_order_value`` and the money fields are money units; the ``*_pct`` / ``*_limit``
    fractions are ppm; ``max_orders_per_second`` counts submissions in any 1 s window.
    """

    max_order_value: int | None = None
    max_daily_orders: int | None = None
    max_position_pct: int | None = None
    daily_loss_limit: int | None = None
    price_collar_pct: int | None = None
    max_orders_per_second: int | None = None
    max_consecutive_rejects: int | None = None
    emergency_flatten: bool = False
    reduce_on_disconnect: bool = True

    @classmethod
    def from_mapping(cls, data: dict | None, where: str = "risk") -> RiskConfig:
        """Parse user values (money in the currency, fractions like 0.05); unknown keys and
        negative limits raise ``ConfigError`` naming ``where.key``."""
        cfg = cls()
        if not data:
            return cfg
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a mapping of limits")
        known = {f.name for f in fields(cls)}
        for key, value in data.items():
            if key not in known:
                raise ConfigError(f"{where}.{key}: unknown key (known: {', '.join(sorted(known))})")
            if value is None:
                continue
            setattr(cfg, key, _parse_value(key, value, f"{where}.{key}"))
        return cfg


_ACTIVE = TradingState.ACTIVE
_MONEY_KEYS = {"max_order_value"}
_FRACTION_KEYS = {"max_position_pct", "daily_loss_limit", "price_collar_pct"}
_COUNT_KEYS = {"max_daily_orders", "max_orders_per_second", "max_consecutive_rejects"}


def _parse_value(key: str, value: object, where: str) -> object:
    if key in ("emergency_flatten", "reduce_on_disconnect"):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if isinstance(value, bool):
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    try:
        d = to_decimal(value, where)
    except UnitError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if d < 0:
        raise ConfigError(f"{where}: must not be negative, got {value}")
    if key in _COUNT_KEYS:
        if d != d.to_integral_value():
            raise ConfigError(f"{where}: expected a whole number, got {value}")
        return int(d)
    if key in _FRACTION_KEYS:
        ppm = d * PPM
        if ppm != ppm.to_integral_value():
            raise ConfigError(f"{where}: at most 6 decimal places, got {value}")
        return int(ppm)
    money = d * MONEY_SCALE
    if money != money.to_integral_value():
        raise ConfigError(f"{where}: too many decimal places in {value}")
    return int(money)


# --- pure checks ------------------------------------------------------------------------------
def check_state(state: int, reduces: bool) -> str | None:
    """HALTED refuses everything; REDUCING refuses what does not shrink the position."""
    if state == TradingState.HALTED:
        return R_HALTED
    if state == TradingState.REDUCING and not reduces:
        return R_REDUCING
    return None


def check_order_value(value_money: int, limit_money: int) -> str | None:
    return R_MAX_ORDER_VALUE if value_money > limit_money else None


def check_daily_orders(orders_today: int, limit: int) -> str | None:
    return R_MAX_DAILY_ORDERS if orders_today >= limit else None


def check_position_pct(worst_notional: int, equity: int, limit_ppm: int) -> str | None:
    """The position after the order (worst case with open orders) within a fraction of equity."""
    if equity <= 0:
        return R_MAX_POSITION
    return R_MAX_POSITION if worst_notional * PPM > limit_ppm * equity else None


def check_daily_loss(equity: int, start_of_day_equity: int, limit_ppm: int) -> str | None:
    loss = start_of_day_equity - equity
    if loss <= 0:
        return None
    return R_DAILY_LOSS if loss * PPM >= limit_ppm * abs(start_of_day_equity) else None


def check_price_collar(price_ticks: int, ref_ticks: int, collar_ppm: int) -> str | None:
    """A limit or stop no further than ``collar`` (fraction) from the reference price."""
    if ref_ticks <= 0:
        return None
    return R_PRICE_COLLAR if abs(price_ticks - ref_ticks) * PPM > collar_ppm * ref_ticks else None


def check_rate(recent_count: int, limit: int) -> str | None:
    return R_RATE if recent_count >= limit else None


def check_reduce_only(position: int, side: int, qty: int, same_side_open: int) -> str | None:
    """A reduce-only order must not grow or flip the position (counting open orders its way)."""
    return None if reduces_position(position, side, qty, same_side_open) else R_REDUCE_ONLY


def reduces_position(position: int, side: int, qty: int, same_side_open: int) -> bool:
    """True when the order (with open orders on its side) can only shrink ``|position|``."""
    if position == 0 or (position > 0) == (side > 0):
        return False
    return qty + same_side_open <= abs(position)


class RiskGuard:
    """The stateful part: trading state, daily counters, the rate window, reject streaks.

    ``pre_trade`` is O(1) plus the equity computation when a fraction check is configured.
    """

    __slots__ = (
        "_recent",
        "config",
        "consecutive_rejects",
        "denials",
        "next_day_ns",
        "orders_today",
        "start_of_day_equity",
        "state",
        "state_before_disconnect",
    )

    def __init__(self, config: RiskConfig | None = None) -> None:
        self.config = config or RiskConfig()
        self.state = TradingState.ACTIVE
        self.state_before_disconnect: TradingState | None = None
        self.orders_today = 0
        self.consecutive_rejects = 0
        self.start_of_day_equity: int | None = None
        self.next_day_ns = 0
        self._recent: deque[int] = deque()
        self.denials: dict[str, int] = {}

    def roll_day(self, now_ns: int, equity: int) -> None:
        """Start a new trading day at ``now_ns``: reset daily counters and the loss baseline."""
        self.orders_today = 0
        self.start_of_day_equity = equity
        self.next_day_ns = (now_ns // DAY_NS + 1) * DAY_NS

    @cython.locals(order=Order)
    def pre_trade(self, order, portfolio, oms, now_ns: int) -> str | None:  # type: ignore[no-untyped-def]
        """The first reason to refuse ``order``, or None to let it go."""
        cfg = self.config
        if (
            self.state == _ACTIVE
            and not order.reduce_only
            and cfg.max_orders_per_second is None
            and cfg.max_daily_orders is None
            and cfg.max_order_value is None
            and cfg.price_collar_pct is None
            and cfg.max_position_pct is None
            and cfg.daily_loss_limit is None
        ):
            return None  # why: no limit is set and trading is on: nothing can refuse it
        symbol = order.symbol
        side = order.side
        pos = portfolio.positions[symbol].qty
        buy_open, sell_open = oms.open_leaves(symbol)
        same_side_open = buy_open if side > 0 else sell_open
        reduces = reduces_position(pos, side, order.quantity, same_side_open)
        reason = check_state(self.state, reduces)
        if reason is None and order.reduce_only and not reduces:
            reason = R_REDUCE_ONLY
        if reason is None and cfg.max_orders_per_second is not None:
            recent = self._recent
            while recent and recent[0] <= now_ns - 1_000_000_000:
                recent.popleft()
            reason = check_rate(len(recent), cfg.max_orders_per_second)
        if reason is None and cfg.max_daily_orders is not None:
            reason = check_daily_orders(self.orders_today, cfg.max_daily_orders)
        if reason is None and (
            cfg.max_order_value is not None
            or cfg.price_collar_pct is not None
            or cfg.max_position_pct is not None
            or cfg.daily_loss_limit is not None
        ):
            reason = self._value_checks(order, portfolio, pos, same_side_open, reduces)
        if reason is not None:
            self.denials[reason] = self.denials.get(reason, 0) + 1
        return reason

    def _value_checks(
        self, order, portfolio, pos: int, same_side_open: int, reduces: bool
    ) -> str | None:  # type: ignore[no-untyped-def]
        cfg = self.config
        market = portfolio.markets[order.symbol]
        ref = market.last_price()
        price = order.limit_ticks if order.limit_ticks is not None else order.stop_ticks
        if (
            cfg.price_collar_pct is not None
            and price is not None
            and ref is not None
            and order.order_type != OrderType.TRAILING_STOP
        ):
            reason = check_price_collar(price, ref, cfg.price_collar_pct)
            if reason is not None:
                return reason
        value_px = price if price is not None else touch_price(market, order.side, ref)
        if value_px is None:
            if cfg.max_order_value is not None or cfg.max_position_pct is not None:
                return R_NO_PRICE
            value_px = 0
        tlm = portfolio.positions[order.symbol].ticklot_money
        if cfg.max_order_value is not None:
            reason = check_order_value(abs(value_px) * order.quantity * tlm, cfg.max_order_value)
            if reason is not None:
                return reason
        if reduces:
            return None
        currency = portfolio.instruments[order.symbol].currency
        if portfolio.multi_currency and portfolio.rate(currency) is not None:
            # why: a crypto account's equity is over its assets (a fee paid in BTC, the BTC
            # held), and several brokers' over all of them, in the account currency: the
            # measure the daily loss baseline uses
            equity = portfolio.equity()
        else:
            # why: no known rate into the account currency: the limit applies within the
            # instrument's own currency (its broker's account)
            equity = portfolio.equity(currency)
        if cfg.daily_loss_limit is not None and self.start_of_day_equity is not None:
            reason = check_daily_loss(equity, self.start_of_day_equity, cfg.daily_loss_limit)
            if reason is not None:
                return reason
        if cfg.max_position_pct is not None:
            worst = abs(pos + order.side * (order.quantity + same_side_open))
            return check_position_pct(worst * abs(value_px) * tlm, equity, cfg.max_position_pct)
        return None

    def on_submitted(self, now_ns: int) -> None:
        self.orders_today += 1
        if self.config.max_orders_per_second is not None:
            self._recent.append(now_ns)

    def on_venue_reject(self) -> bool:
        """Count a venue reject; True when the consecutive-reject breaker should trip."""
        self.consecutive_rejects += 1
        limit = self.config.max_consecutive_rejects
        return limit is not None and self.consecutive_rejects >= limit

    def on_venue_ok(self) -> None:
        self.consecutive_rejects = 0

    def loss_breached(self, equity: int) -> bool:
        """True when the daily loss limit is reached at ``equity``."""
        limit = self.config.daily_loss_limit
        sod = self.start_of_day_equity
        if limit is None or sod is None:
            return False
        return check_daily_loss(equity, sod, limit) is not None


def touch_price(market, side: int, ref: int | None) -> int | None:  # type: ignore[no-untyped-def]
    """The price a market order would meet: the opposite touch, else the mark."""
    touch = market.ask if side > 0 else market.bid
    return touch if touch is not None else ref
