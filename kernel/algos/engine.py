"""The algo engine: starts parent orders, feeds them market data and timers, keeps the tapes.

One engine per kernel, registered as a strategy named ``_algos`` the first time it is needed
(``AlgoEngine.of(kernel)``): it only watches and sets timers, so a run without algos is exactly
what it was. Per symbol it keeps a ``Tape`` (volume, notional, mark-time, volume by minute of
day) that POV participation, VWAP's historical profile and the TCA all read. Market data reaches
the tape first, then the working parents of that symbol that watch the data (POV, iceberg, SOR;
a TWAP or VWAP needs only its timers). A parent started while the kernel is
handling a market event does not see that event (it happened before the parent arrived): its
tape snapshot is retaken after the event and the event is not passed to it.

Timers are the kernel's (owner ``_algos``, name ``<parent id>:<tag>``), so algos run the same in
a backtest, a replay and live. Parent ids are ``<prefix><strategy>-A<n>``: deterministic, and
never equal to a client order id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kernel.algos.base import ExecAlgo
from kernel.algos.iceberg import Iceberg
from kernel.algos.params import AlgoParamError, build_params
from kernel.algos.pov import Pov
from kernel.algos.schedule import Twap, Vwap
from kernel.algos.sor import ConsolidatedQuotes, SmartRouter, VenueQuotes
from kernel.algos.states import AlgoStatus
from kernel.algos.tape import Tape
from kernel.enums import SIDE_BY_NAME, Side
from kernel.strategy import Strategy

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.units import Instrument

ENGINE_ID = "_algos"
WORKING = AlgoStatus.WORKING
ALGOS: dict[str, type[ExecAlgo]] = {
    "twap": Twap,
    "vwap": Vwap,
    "pov": Pov,
    "iceberg": Iceberg,
    "sor": SmartRouter,
}


class AlgoEngine(Strategy):
    """Parent orders of every strategy of one kernel. ``parents`` holds them all (in start
    order, finished ones too, for reports); ``tapes`` one ``Tape`` per instrument.

    ``default_algo`` and ``defaults`` (per algo, parameters in the units ``param_converter``
    takes, converted per instrument when a parent starts) come from the configuration;
    ``venue_quotes`` is what the smart router reads per venue.
    """

    strategy_id = ENGINE_ID

    def __init__(self, kernel: Kernel) -> None:
        super().__init__()
        self.kernel = kernel
        self.parents: dict[str, ExecAlgo] = {}
        self._working: dict[str, ExecAlgo] = {}
        self._by_symbol: dict[str, list[ExecAlgo]] = {}  # working parents that watch the data
        self._pending: list[ExecAlgo] = []  # just started, or still without an arrival mark
        self._markets = kernel.portfolio.markets
        self._counts: dict[str, int] = {}
        now = kernel.clock.now_ns()
        self.tapes: dict[str, Tape] = {
            s: Tape(self._markets[s].mark2, now) for s in kernel.instruments
        }
        self.default_algo: str | None = None
        self.defaults: dict[str, dict[str, Any]] = {}
        self.param_converter: Callable[[str, Instrument, dict[str, Any]], dict[str, Any]] | None = (
            None
        )
        self.venue_quotes: VenueQuotes = ConsolidatedQuotes(kernel)

    @classmethod
    def of(cls, kernel: Kernel) -> AlgoEngine:
        """The kernel's engine, registered on first use."""
        engine = kernel.strategies.get(ENGINE_ID)
        if engine is None:
            engine = cls(kernel)
            kernel.add_strategy(engine)
        assert isinstance(engine, AlgoEngine)
        return engine

    @staticmethod
    def find(kernel: Kernel) -> AlgoEngine | None:
        """The kernel's engine if one was ever needed, else None."""
        engine = kernel.strategies.get(ENGINE_ID)
        return engine if isinstance(engine, AlgoEngine) else None

    # --- parents ------------------------------------------------------------------------------
    def execute(
        self,
        strategy_id: str,
        symbol: str,
        side: Side | int | str,
        quantity_lots: int,
        algo: str | None = None,
        **params: Any,
    ) -> str:
        """Start a parent order for ``strategy_id``; return its id. Raises ``AlgoParamError``
        (with the offending key) for anything it cannot run."""
        k = self.kernel
        name = algo if algo is not None else self.default_algo
        if name is None:
            raise AlgoParamError("algo", "no algo given and no default algo configured")
        cls = ALGOS.get(name)
        if cls is None:
            raise AlgoParamError(
                "algo", f"unknown algo {name!r} (expected one of: {', '.join(ALGOS)})"
            )
        inst = k.instruments.get(symbol)
        if inst is None:
            raise AlgoParamError("symbol", f"unknown symbol {symbol!r}")
        side_v = _side(side)
        if (
            isinstance(quantity_lots, bool)
            or not isinstance(quantity_lots, int)
            or quantity_lots <= 0
        ):
            raise AlgoParamError("quantity_lots", f"must be a positive int, got {quantity_lots!r}")
        values: dict[str, Any] = {}
        if name in self.defaults and self.param_converter is not None:
            values.update(self.param_converter(name, inst, self.defaults[name]))
        values.update(params)
        p = build_params(name, values)
        for venue in (p.venue,) if p.venues is None else p.venues:
            if venue is not None and venue not in k.venues:
                key = "venue" if p.venues is None else "venues"
                raise AlgoParamError(key, f"unknown venue {venue!r}")
        n = self._counts.get(strategy_id, 0) + 1
        self._counts[strategy_id] = n
        pid = f"{k.id_prefix}{strategy_id}-A{n}"
        parent = cls(self, pid, strategy_id, symbol, side_v, quantity_lots, p)
        k.register_algo(pid, parent.on_child_event)
        self.parents[pid] = parent
        self._working[pid] = parent
        if parent.WANTS_DATA:
            self._by_symbol.setdefault(symbol, []).append(parent)
        self._pending.append(parent)
        parent.start()
        return pid

    def cancel(self, parent_id: str) -> None:
        """Cancel a parent (no-op once it has ended); KeyError for an unknown id."""
        self.parents[parent_id].cancel()

    def finished(self, parent: ExecAlgo) -> None:
        """A parent reached a terminal state: no more data, timers or child events for it."""
        self._working.pop(parent.parent_id, None)
        working = self._by_symbol.get(parent.symbol)
        if working is not None and parent in working:
            working.remove(parent)
        self.kernel.unregister_algo(parent.parent_id)

    def working(self) -> list[ExecAlgo]:
        return list(self._working.values())

    # --- timers -------------------------------------------------------------------------------
    def set_timer(self, parent: ExecAlgo, at_ns: int, tag: str) -> int:
        return self.ctx.set_timer(at_ns, f"{parent.parent_id}:{tag}")

    def cancel_timer(self, handle: int) -> None:
        self.ctx.cancel_timer(handle)

    def on_timer(self, timer) -> None:  # type: ignore[no-untyped-def]
        pid, _, tag = timer.name.rpartition(":")
        parent = self._working.get(pid)
        if parent is not None:
            parent.on_timer(tag)

    # --- market data: the tape first, then the working parents ---------------------------------
    def on_quote(self, quote) -> None:  # type: ignore[no-untyped-def]
        # why: the hot path (every quote of the run once an algo exists): Tape.advance inlined,
        # and the mark taken from the quote itself (with quotes the kernel marks at their mid)
        sym = quote.symbol
        tape = self.tapes[sym]
        ts = quote.ts_init
        dt = ts - tape.last_ts
        if dt > 0:
            last = tape.last_mark2
            if last is not None:
                tape.mark_time += last * dt
                tape.marked_ns += dt
            tape.last_ts = ts
        tape.last_mark2 = quote.bid_ticks + quote.ask_ticks
        if self._pending:
            self._settle(sym, quote.ts_init)
        if self._by_symbol.get(sym):
            self._dispatch(sym, quote)

    def on_trade(self, trade) -> None:  # type: ignore[no-untyped-def]
        sym = trade.symbol
        tape = self.tapes[sym]
        tape.add_trade(trade.price_ticks, trade.size_lots, trade.ts_event)
        tape.advance(trade.ts_init, self._markets[sym].mark2)
        if self._pending:
            self._settle(sym, trade.ts_init)
        if self._by_symbol.get(sym):
            self._dispatch(sym, trade)

    def on_bar(self, bar) -> None:  # type: ignore[no-untyped-def]
        sym = bar.symbol
        tape = self.tapes[sym]
        span = bar.interval_ns
        tape.add_bar(
            bar.high_ticks,
            bar.low_ticks,
            bar.close_ticks,
            bar.volume_lots,
            bar.ts_event - span,
            span,
        )
        tape.advance(bar.ts_init, self._markets[sym].mark2)
        if self._pending:
            self._settle(sym, bar.ts_init)
        if self._by_symbol.get(sym):
            self._dispatch(sym, bar)

    def on_book(self, book) -> None:  # type: ignore[no-untyped-def]
        sym = book.symbol
        self.tapes[sym].advance(book.ts_init, self._markets[sym].mark2)
        if self._pending:
            self._settle(sym, book.ts_init)
        if self._by_symbol.get(sym):
            self._dispatch(sym, book)

    def _settle(self, symbol: str, ts: int) -> None:
        """Parents that arrived lately: retake the start of the tape of one that arrived while
        this event was being handled (so it does not count it), and give a parent that arrived
        before any market data its arrival mark."""
        n = self.kernel.stats.md_events
        keep = []
        for parent in self._pending:
            if parent.symbol == symbol:
                if parent.start_md == n:
                    parent.tape_start = self.tapes[symbol].mark(ts)
                if parent.arrival_mark2 is None and not parent.is_done:
                    parent.arrival_mark2 = self._markets[symbol].mark2
            if (parent.start_md == n or parent.arrival_mark2 is None) and not parent.is_done:
                keep.append(parent)
        self._pending = keep

    def _dispatch(self, symbol: str, event: Any) -> None:
        n = self.kernel.stats.md_events
        for parent in tuple(self._by_symbol[symbol]):
            # why: one that started while this event was being handled arrived after it
            if parent.start_md != n and parent.status == WORKING:
                parent.on_data(event)

    def _check(self) -> None:
        for parent in self.parents.values():
            parent._check()
            assert (parent.parent_id in self._working) != parent.is_done


def _side(side: Side | int | str) -> Side:
    try:
        return SIDE_BY_NAME[side.lower()] if isinstance(side, str) else Side(side)
    except (KeyError, ValueError):
        raise AlgoParamError("side", f"expected buy or sell, got {side!r}") from None
