"""Gymnasium environments over scenarios: an agent trades through the real kernel, risk guard and
simulated venue (CONTRACT.md "Strategy inputs"; the manual with a training loop: docs/AGENTS.md).

``make(scenario, **options)`` returns a ``TradingEnv``. A scenario supplies the world: data,
instruments, account, venues (fees, latency, faults) and risk limits; its own ``strategy:``,
``orders:`` and ``signals:`` are left out (the agent is the trader) and so are its ``expect:``
checks.

Design. The sim driver runs in steps (``Driver.begin`` / ``feed`` / ``finish``) inside one
generator over the scenario's merged data: ``step`` feeds rows until the next decision point, so
the kernel only runs while the agent's code waits, in one thread, and an episode is the same run
whatever the machine. A decision point falls after every ``decision_quotes`` data events of the
traded symbol (quotes on quote data, bars on bar data; default 100), or with ``decision_every``
(a duration: ``"1m"``) after the first event of the symbol at or past each multiple of it from
the data's first event. At a decision point everything due by that event's time has happened
(venue answers, timers), the event included. The data's last event is never a decision point:
the step that reaches it ends the episode.

Actions reach the kernel as journaled operator inputs (``OperatorAction``), as a live session's
signals and manual orders do: ``"signal"`` rows for the signal follower (``kernel.signals``,
strategy id ``signals``), which sends one market order for the difference between the target
and its position through the risk guard (a denied order is just denied), and ``"order"`` /
``"cancel_all"`` for order actions (strategy id ``manual``). So an episode's journal replays with
``executioncore replay`` like any run's, and the same seed with the same actions gives the same
digest. An action that would change nothing (the target already held, or being reached by the
orders working) sends nothing.

Observation (float32, ``window + 3`` values, each clipped to the space's bounds):

- ``[0:window]``: the mark (quote mid, else book mid, last trade, bar close) at each of the last
  ``window`` decision points, oldest first, in basis points from the last one (so the last is
  0); the first mark repeats until there are ``window`` of them (bounds +-10,000);
- ``[window]``: the net position of the symbol in units of the largest target,
  ``levels * lot_step`` lots (bounds +-10);
- ``[window + 1]``: cash / equity (cash: starting cash + realized P&L - commissions; bounds +-10);
- ``[window + 2]``: the symbol's open orders (bounds 0..1,000).

Actions (``action=``): ``"discrete"`` (default), ``Discrete(2 * levels + 1)``, action ``a`` the
target ``(a - levels) * lot_step`` lots; ``"continuous"``, ``Box(-1, 1, (1,))``, the target as
a fraction of ``levels * lot_step`` lots (rounded to a whole lot); ``"orders"``,
``MultiDiscrete([4, levels, offsets + 1])``: (0 nothing, 1 buy, 2 sell, 3 cancel the open
orders), the size ``(i + 1) * lot_step`` lots, and 0 for a market order or ``j`` for a limit
``j - 1`` ticks behind the touch (a buy at bid - (j - 1)).

Reward: ``"pnl"`` (default), the change in equity (net of commissions; realized and unrealized
at the mark) since the last decision, in the account currency; or a callable
``reward(previous_info, info) -> float`` of the two steps' ``info``. ``info`` holds ``step``,
``ts_ns``, ``equity`` and ``cash`` (account currency), ``position`` (lots), ``open_orders``,
``fills`` and ``denied`` (counts so far); the last step's also ``digest`` (the journal's, as
``executioncore run`` prints it), ``summary`` (the run's summary JSON) and ``journal`` (its
path). ``terminated`` at the end of the data (or the scenario's ``end``), ``truncated`` after
``max_steps`` steps; either way the run is finished first (what is due by then is drained).

``reset(seed=None)``: a fresh run (kernel, venues, journal) with the scenario seed ``seed``, or
the scenario's own when None. Journals go to ``out_dir/episode-N`` when ``out_dir`` is given,
else to a temporary folder (each episode's replaces the last; removed by ``close``).
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np

try:
    import gymnasium as gym
    from gymnasium import spaces
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "executioncore.gym needs Gymnasium: pip install 'executioncore[gym]'"
    ) from exc

from executioncore.durations import parse_duration_ns
from executioncore.runner import Run, build_summary, prepare
from executioncore.scenario import Scenario, load_scenario
from kernel.events import OperatorAction
from kernel.signals import SIGNALS_ID
from kernel.units import MONEY_SCALE
from sim.driver import Driver, fewer_collections

__all__ = ["ACTIONS", "TradingEnv", "make"]

ACTIONS = ("discrete", "continuous", "orders")
# what a scenario trades with (its strategy, scripted orders, signals file) and checks: left out
_TRADERS: dict[str, Any] = {"strategy": None, "orders": [], "signals": None, "expect": {}}
_BPS = 10_000.0
Reward = Callable[[dict[str, Any], dict[str, Any]], float]


def make(scenario: str | Path | Scenario, **options: Any) -> TradingEnv:
    """A Gymnasium environment over ``scenario`` (a YAML path or a loaded ``Scenario``);
    ``options``: ``TradingEnv``'s keyword arguments."""
    return TradingEnv(scenario, **options)


class TradingEnv(gym.Env):  # type: ignore[misc]
    """One agent trading one symbol of a scenario (the module docstring is the manual).

    ``symbol``: the traded instrument (default: the first data entry's); ``action``:
    ``"discrete"``, ``"continuous"`` or ``"orders"``; ``levels``, ``lot_step``: the targets
    (``levels * lot_step`` lots at most) and order sizes; ``offsets``: limit prices of the
    ``orders`` actions; ``decision_quotes`` or ``decision_every``: the decision points;
    ``window``: marks in the observation; ``reward``: ``"pnl"`` or a callable; ``max_steps``:
    truncate after that many steps; ``out_dir``: where the journals go.
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        scenario: str | Path | Scenario,
        *,
        symbol: str | None = None,
        action: str = "discrete",
        levels: int = 1,
        lot_step: int = 1,
        offsets: int = 3,
        decision_quotes: int | None = None,
        decision_every: str | float | None = None,
        window: int = 32,
        reward: str | Reward = "pnl",
        max_steps: int | None = None,
        out_dir: str | Path | None = None,
    ) -> None:
        base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        # why: the agent is the trader; the scenario's checks were written for its own
        names = {f.name for f in fields(Scenario)}
        self.scenario = replace(base, **{k: v for k, v in _TRADERS.items() if k in names})
        symbols = [e.spec.symbol for e in base.data]
        self.symbol = symbol if symbol is not None else symbols[0]
        if self.symbol not in symbols:
            raise ValueError(f"symbol {self.symbol!r} has no data in {base.name} ({symbols})")
        self.instrument = next(i for i in base.instruments if i.symbol == self.symbol)
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {', '.join(ACTIONS)}, got {action!r}")
        for name, value in (("levels", levels), ("lot_step", lot_step), ("window", window)):
            if int(value) < 1:
                raise ValueError(f"{name} must be at least 1, got {value!r}")
        if decision_quotes is not None and decision_every is not None:
            raise ValueError("give decision_quotes or decision_every, not both")
        self.action_kind = action
        self.levels, self.lot_step, self.offsets = int(levels), int(lot_step), int(offsets)
        self.max_lots = self.levels * self.lot_step
        self.window = int(window)
        self.every_ns = (
            parse_duration_ns(decision_every, "decision_every")
            if decision_every is not None
            else None
        )
        if self.every_ns == 0:
            raise ValueError("decision_every must be longer than 0")
        self.every_events = int(decision_quotes) if decision_quotes is not None else 100
        if self.every_events < 1:
            raise ValueError(f"decision_quotes must be at least 1, got {decision_quotes!r}")
        if reward != "pnl" and not callable(reward):
            raise ValueError(f"reward must be 'pnl' or a callable, got {reward!r}")
        self._reward_fn = None if reward == "pnl" else reward
        if max_steps is not None and int(max_steps) < 1:
            raise ValueError(f"max_steps must be at least 1, got {max_steps!r}")
        self.max_steps = max_steps
        self.observation_space = _observation_space(self.window)
        self.action_space = _action_space(action, self.levels, self.offsets)
        self._own_dir = out_dir is None
        self._out = Path(tempfile.mkdtemp(prefix="ec-gym-")) if out_dir is None else Path(out_dir)
        # why: the temporary folder goes when the environment does, even if never closed
        self._cleanup = (
            weakref.finalize(self, shutil.rmtree, str(self._out), True) if self._own_dir else None
        )
        self._episodes = 0
        self._run: Run | None = None
        self._driver: Driver | None = None
        self._decisions: Iterator[bool] = iter(())
        self._done = True
        self._signal_head = '[{"symbol": ' + json.dumps(self.symbol) + ', "value": "'

    # --- the Gymnasium API ----------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new episode: a fresh run with scenario seed ``seed`` (None: the scenario's)."""
        super().reset(seed=seed)
        self._close_run()
        self._episodes += 1
        run_dir = self._out / ("episode" if self._own_dir else f"episode-{self._episodes}")
        run_seed = self.scenario.seed if seed is None else int(seed)
        run = self._run = prepare(self.scenario, run_seed, run_dir)
        self._t0 = time.perf_counter()
        self._driver = Driver(run.kernel, run.clock, run.brokers, run.sources, run.journal)
        chunks = run.chunks()
        first = next(chunks, None)
        self._driver.begin(first)
        self._mine = {i for i, s in enumerate(run.sources) if s.symbol == self.symbol}
        self._left = self.every_events
        self._next_ns = run.start_ns + (self.every_ns or 0)
        data = itertools.chain([first], chunks) if first is not None else iter(())
        self._decisions = self._points(data)
        self._marks = np.zeros(self.window)
        self._bps = np.zeros(self.window)
        self._have_marks = False
        self._steps = 0
        self._done = False
        self._advance()
        self._mark()
        self._info = self._info_now()
        self._equity = self._equity_now
        return self._observe(), dict(self._info)

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Act at the decision point, run to the next one; ``(obs, reward, terminated,
        truncated, info)``."""
        if self._done or self._run is None:
            raise RuntimeError("the episode is over (or not started): call reset()")
        self._act(action)
        more = self._advance()
        self._steps += 1
        terminated = not more
        truncated = not terminated and self.max_steps is not None and self._steps >= self.max_steps
        if terminated or truncated:
            self._finish(self.scenario.end if terminated else None)
        self._mark()
        info = self._info_now()
        equity = self._equity_now
        if self._reward_fn is None:
            reward = (equity - self._equity) / MONEY_SCALE
        else:
            reward = float(self._reward_fn(dict(self._info), dict(info)))
        self._equity, self._info = equity, info
        out = dict(info)
        if self._done:
            out.update(self._final)
        return self._observe(), reward, terminated, bool(truncated), out

    def close(self) -> None:
        """Close the episode's journal; remove the temporary folder (when it is ours)."""
        self._close_run()
        if self._cleanup is not None:
            self._cleanup()

    @property
    def run(self) -> Run | None:
        """The episode's run (kernel, venues, journal), for inspection."""
        return self._run

    # --- decision points ------------------------------------------------------------------------
    def _points(self, chunks: Iterator[Any]) -> Iterator[bool]:
        """Feed the data to the driver, pausing (yielding True) at each decision point; the
        last data event is not one (the step that reaches it ends the episode)."""
        driver = self._driver
        assert driver is not None
        feed = driver.feed
        mine = self._mine
        chunk = next(chunks, None)
        while chunk is not None:
            following = next(chunks, None)  # why: to know the last event when it comes
            if chunk.source not in mine:
                feed(chunk)
                chunk = following
                continue
            n = len(chunk)
            pos = 0
            while pos < n:
                stop = self._cut(chunk.ts, pos, n)
                if stop is None:
                    feed(chunk, pos, n)
                    break
                feed(chunk, pos, stop)
                pos = stop
                if stop < n or following is not None:
                    yield True
            chunk = following

    def _cut(self, ts: np.ndarray, pos: int, n: int) -> int | None:
        """The end (exclusive) of the rows up to the next decision point in ``ts[pos:n]``, or
        None when it is not in them."""
        every = self.every_ns
        if every is None:
            left = self._left
            if n - pos < left:
                self._left = left - (n - pos)
                return None
            self._left = self.every_events
            return pos + left
        i = max(int(np.searchsorted(ts, self._next_ns, "left")), pos)
        if i >= n:
            return None
        t = int(ts[i])
        self._next_ns += ((t - self._next_ns) // every + 1) * every
        return i + 1

    def _advance(self) -> bool:
        """Run to the next decision point; False at the end of the data."""
        with fewer_collections():  # why: as the driver's run()
            return next(self._decisions, False)

    # --- actions --------------------------------------------------------------------------------
    def _act(self, action: Any) -> None:
        if self.action_kind == "orders":
            self._order(action)
            return
        if self.action_kind == "discrete":
            a = int(action)
            if not 0 <= a <= 2 * self.levels:
                raise ValueError(f"action {action!r} is not in {self.action_space}")
            target = (a - self.levels) * self.lot_step
        else:
            frac = min(max(float(np.asarray(action, dtype=np.float64).reshape(-1)[0]), -1.0), 1.0)
            target = round(frac * self.max_lots)
        run = self._run
        assert run is not None
        k = run.kernel
        need = target - k.portfolio.position_qty(self.symbol, SIGNALS_ID)
        buy, sell = k.oms.open_leaves(self.symbol, SIGNALS_ID)
        if (need >= 0 and not sell and buy == need) or (need < 0 and not buy and sell == -need):
            return  # why: the follower would send nothing: no input, a shorter journal
        value = self.instrument.lots_to_qty(target)
        self._input("signal", f'{self._signal_head}{value}"}}]')

    def _order(self, action: Any) -> None:
        side, size, offset = (int(x) for x in np.asarray(action).reshape(-1)[:3])
        if not (0 <= side <= 3 and 0 <= size < self.levels and 0 <= offset <= self.offsets):
            raise ValueError(f"action {action!r} is not in {self.action_space}")
        run = self._run
        assert run is not None
        k = run.kernel
        if side == 3:
            if k.oms.open_count(self.symbol):
                self._input("cancel_all", "agent")
            return
        if side not in (1, 2):
            return
        inst = self.instrument
        entry: dict[str, Any] = {
            "symbol": self.symbol,
            "side": "buy" if side == 1 else "sell",
            "quantity": str(inst.lots_to_qty((size + 1) * self.lot_step)),
            "type": "market",
        }
        if offset > 0:
            market = k.portfolio.markets[self.symbol]
            touch = market.bid if side == 1 else market.ask
            if touch is None:
                return  # why: no touch to price a limit from yet
            ticks = touch - (offset - 1) if side == 1 else touch + (offset - 1)
            if ticks <= 0:
                return
            entry["type"] = "limit"
            entry["limit_price"] = str(inst.ticks_to_price(ticks))
        self._input("order", json.dumps(entry))

    def _input(self, kind: str, text: str) -> None:
        driver = self._driver
        assert driver is not None
        now = driver.clock.now_ns()
        driver.deliver(OperatorAction(kind, text, now, now))

    # --- observation, info, the end ------------------------------------------------------------
    def _mark(self) -> None:
        run = self._run
        assert run is not None
        mark2 = run.kernel.portfolio.markets[self.symbol].mark2
        if mark2 is None:
            return
        marks = self._marks
        if not self._have_marks:
            marks.fill(mark2)
            self._have_marks = True
        else:
            marks[:-1] = marks[1:]
            marks[-1] = mark2

    def _observe(self) -> np.ndarray:
        w = self.window
        obs = np.zeros(w + 3, dtype=np.float32)
        marks = self._marks
        if self._have_marks and marks[-1] > 0:  # why: a price at or below 0 has no ratio
            bps = self._bps
            np.multiply(marks, _BPS / marks[-1], out=bps)
            bps -= _BPS
            np.minimum(bps, _BPS, out=bps)
            np.maximum(bps, -_BPS, out=bps)
            obs[:w] = bps
        info = self._info
        equity = info["equity"]
        obs[w] = min(max(info["position"] / self.max_lots, -10.0), 10.0)
        obs[w + 1] = min(max(info["cash"] / equity, -10.0), 10.0) if equity else 0.0
        obs[w + 2] = min(info["open_orders"], 1000)
        return obs

    def _info_now(self) -> dict[str, Any]:
        run = self._run
        assert run is not None
        k = run.kernel
        pf = k.portfolio
        st = k.stats
        equity = self._equity_now = pf.equity()
        return {
            "step": self._steps,
            "ts_ns": run.clock.now_ns(),
            "equity": equity / MONEY_SCALE,
            "cash": pf.cash() / MONEY_SCALE,
            "position": pf.positions[self.symbol].qty,
            "open_orders": k.oms.open_count(self.symbol),
            "fills": st.fills,
            "denied": st.denied,
        }

    def _finish(self, end_ns: int | None) -> None:
        """Drain what is due, stop the kernel, write the journal; the final info."""
        run, driver = self._run, self._driver
        assert run is not None and driver is not None
        driver.finish(end_ns)
        digest = run.journal.digest()
        summary = build_summary(run, digest, time.perf_counter() - self._t0)
        summary["tca"] = run.tca.rows() if run.tca is not None else []
        summary["expectations"] = {"passed": True, "failures": []}
        run.store.set_meta({"digest": digest, "summary": summary})
        run.journal.close()
        self._done = True
        self._final = {
            "digest": digest,
            "summary": summary,
            "journal": str(run.run_dir / "journal"),
        }

    def _close_run(self) -> None:
        """Close an episode left unfinished (its journal is flushed and closed)."""
        if self._run is not None and not self._done:
            self._run.journal.close()
        self._done = True


def _observation_space(window: int) -> spaces.Box:
    low = np.full(window + 3, -_BPS, dtype=np.float32)
    high = np.full(window + 3, _BPS, dtype=np.float32)
    low[window : window + 2] = -10.0
    high[window : window + 2] = 10.0
    low[window + 2], high[window + 2] = 0.0, 1000.0
    return spaces.Box(low, high, dtype=np.float32)


def _action_space(kind: str, levels: int, offsets: int) -> spaces.Space[Any]:
    if kind == "discrete":
        return spaces.Discrete(2 * levels + 1)
    if kind == "continuous":
        return spaces.Box(-1.0, 1.0, (1,), dtype=np.float32)
    return spaces.MultiDiscrete([4, levels, offsets + 1])


if "executioncore/Scenario-v0" not in gym.registry:
    # why: gymnasium.make("executioncore/Scenario-v0", scenario=PATH, ...) and vector envs
    gym.register("executioncore/Scenario-v0", entry_point="executioncore.gym:TradingEnv")
