"""executioncore.gym: the Gymnasium API, decision points, actions through the risk guard,
observation, reward, episode ends (USD/JPY quotes and the BTC bars of the bundled scenarios)."""

from __future__ import annotations

import itertools
import warnings
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import gymnasium
import numpy as np
import pandas as pd
import pytest
from gymnasium.utils.env_checker import check_env

from executioncore.gym import TradingEnv, make
from executioncore.replay import replay
from executioncore.scenario import load_scenario
from kernel.enums import OrderStatus, OrderType, Side

ROOT = Path(__file__).resolve().parents[2]
USDJPY = ROOT / "scenarios" / "usdjpy_twap.yaml"
DEMO = ROOT / "scenarios" / "demo.yaml"
QUOTES = ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv"


def _quote_times() -> list[int]:
    # why: read independently of the feeds (pandas), the oracle for decision times
    ts = pd.to_datetime(pd.read_csv(QUOTES)["timestamp"], utc=True, format="ISO8601")
    return [int(t.value) for t in ts]


def _episode(env: TradingEnv, actions, seed: int = 3):  # type: ignore[no-untyped-def]
    _, info = env.reset(seed=seed)
    infos, rewards = [info], []
    for a in actions:
        _, reward, terminated, truncated, info = env.step(a)
        infos.append(info)
        rewards.append(reward)
        if terminated or truncated:
            break
    return infos, rewards, terminated, truncated


def _checked(env) -> list[str]:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env)
    return [str(w.message) for w in caught]


@pytest.mark.parametrize("action", ["discrete", "continuous", "orders"])
def test_gym_env_checker_each_action_kind_passes(action, tmp_path):
    env = make(USDJPY, action=action, levels=2, lot_step=5, decision_quotes=25, out_dir=tmp_path)
    messages = _checked(env)
    env.close()
    # the only remark: an environment made without gymnasium.make has no spec
    assert all("spec" in m for m in messages), messages


def test_gym_registered_id_passes_the_checker_with_its_spec(tmp_path):
    env = gymnasium.make(
        "executioncore/Scenario-v0", scenario=str(USDJPY), decision_quotes=50, out_dir=tmp_path
    )
    assert env.spec is not None and isinstance(env.unwrapped, TradingEnv)
    messages = _checked(env.unwrapped)
    env.close()
    assert messages == [], messages


def test_gym_decision_quotes_pauses_after_every_nth_quote(tmp_path):
    times = _quote_times()
    env = make(USDJPY, decision_quotes=30, out_dir=tmp_path)
    infos, _, terminated, truncated = _episode(env, [1] * 10_000)
    env.close()
    assert terminated and not truncated
    # decision points after quotes 30, 60, ..., 990; the last step runs to the end of the data
    assert [i["ts_ns"] for i in infos[:-1]] == times[29::30]
    assert len(infos) - 1 == len(times) // 30
    assert infos[-1]["summary"]["events"] == len(times) == 1000


def test_gym_last_quote_is_no_decision_point_the_step_reaching_it_ends(tmp_path):
    times = _quote_times()
    env = make(USDJPY, decision_quotes=25, out_dir=tmp_path)
    infos, _, terminated, _ = _episode(env, [1] * 10_000)
    env.close()
    assert terminated and len(infos) - 1 == 39
    assert [i["ts_ns"] for i in infos] == times[24::25]


def test_gym_decision_every_pauses_at_the_first_quote_of_each_interval(tmp_path):
    times = _quote_times()
    minute = 60 * 10**9
    expected, boundary = [], times[0] + minute
    for t in times:  # the first quote at or after each whole minute from the first quote
        if t >= boundary:
            expected.append(t)
            boundary += ((t - boundary) // minute + 1) * minute
    env = make(USDJPY, decision_every="1m", out_dir=tmp_path)
    infos, _, terminated, _ = _episode(env, [1] * 10_000)
    env.close()
    assert terminated
    assert [i["ts_ns"] for i in infos[:-1]] == expected
    assert len(expected) > 25


def test_gym_discrete_target_becomes_one_market_order_for_the_difference(tmp_path):
    env = make(USDJPY, levels=2, lot_step=3, decision_quotes=20, out_dir=tmp_path)
    env.reset(seed=1)
    _, _, _, _, info = env.step(4)  # target +6 lots
    assert info["position"] == 6
    _, _, _, _, info = env.step(4)  # the target is held: nothing is sent
    _, _, _, _, info = env.step(0)  # target -6 lots: one sell of 12
    assert info["position"] == -6
    kernel = env.run.kernel
    orders = list(kernel.oms.orders.values())
    assert [(o.side, o.quantity, o.order_type) for o in orders] == [
        (Side.BUY, 6, OrderType.MARKET),
        (Side.SELL, 12, OrderType.MARKET),
    ]
    assert {o.strategy_id for o in orders} == {"signals"}
    env.close()


def test_gym_continuous_target_is_a_fraction_of_the_largest_target(tmp_path):
    env = make(
        USDJPY, action="continuous", levels=2, lot_step=5, decision_quotes=20, out_dir=tmp_path
    )
    env.reset()
    _, _, _, _, info = env.step(np.array([0.42], dtype=np.float32))  # round(0.42 * 10) lots
    assert info["position"] == 4
    _, _, _, _, info = env.step(np.array([-7.0], dtype=np.float32))  # clipped to -1
    assert info["position"] == -10
    env.close()


def test_gym_orders_action_sends_a_limit_behind_the_touch_and_cancels_it(tmp_path):
    env = make(USDJPY, action="orders", levels=3, offsets=4, decision_quotes=20, out_dir=tmp_path)
    env.reset()
    kernel = env.run.kernel
    bid = kernel.portfolio.markets["USDJPY"].bid
    _, _, _, _, info = env.step(np.array([1, 2, 3]))  # buy 3 lots, limit at bid - 2 ticks
    (order,) = kernel.oms.orders.values()
    assert (order.side, order.quantity, order.limit_ticks) == (Side.BUY, 3, bid - 2)
    assert order.strategy_id == "manual"
    assert info["open_orders"] == 1  # the bid did not fall 2 ticks in those 20 quotes
    _, _, _, _, info = env.step(np.array([3, 0, 0]))  # cancel the open orders
    assert info["open_orders"] == 0 and order.status == OrderStatus.CANCELED
    env.close()


def test_gym_denied_order_is_just_denied_and_the_episode_goes_on(tmp_path):
    # one lot of USD/JPY is worth ~86,700 JPY: over this order value limit
    scenario = replace(load_scenario(USDJPY), risk={"max_order_value": 50_000})
    env = make(scenario, decision_quotes=100, out_dir=tmp_path)
    infos, _, terminated, _ = _episode(env, [2] * 3)
    env.close()
    assert [i["denied"] for i in infos] == [0, 1, 2, 3]
    assert all(i["position"] == 0 and i["fills"] == 0 for i in infos)
    assert not terminated


def test_gym_pnl_rewards_add_up_to_the_equity_change(tmp_path):
    rng = np.random.default_rng(7)
    env = make(USDJPY, levels=3, lot_step=10, decision_quotes=10, out_dir=tmp_path)
    infos, rewards, terminated, _ = _episode(env, rng.integers(0, 7, 200).tolist())
    env.close()
    assert terminated and len(rewards) == 99  # 100 decision points, the last at the end
    summary = infos[-1]["summary"]
    assert summary["commissions"] > 0
    change = Decimal(str(summary["equity"])) - Decimal(100_000_000)
    assert sum(rewards) == pytest.approx(float(change), abs=1e-6)
    steps = [round(b["equity"] - a["equity"], 6) for a, b in itertools.pairwise(infos)]
    assert [round(r, 6) for r in rewards] == steps


def test_gym_callable_reward_gets_the_previous_and_current_info(tmp_path):
    seen = []

    def reward(prev, now):  # type: ignore[no-untyped-def]
        seen.append((prev["step"], now["step"]))
        return -abs(now["position"])

    env = make(USDJPY, levels=2, decision_quotes=50, reward=reward, out_dir=tmp_path)
    _, rewards, _, _ = _episode(env, [4, 4, 0])
    env.close()
    assert seen == [(0, 1), (1, 2), (2, 3)]
    assert rewards == [-2.0, -2.0, -2.0]


def test_gym_observation_layout(tmp_path):
    env = make(USDJPY, levels=2, lot_step=2, window=8, decision_quotes=5, out_dir=tmp_path)
    obs, _ = env.reset()
    assert obs.shape == (11,) and obs.dtype == np.float32
    assert np.all(obs[:8] == 0.0)  # one mark so far, repeated
    marks = []
    for _ in range(10):
        obs, _, _, _, info = env.step(4)  # target +4 lots
        marks.append(env.run.kernel.portfolio.markets["USDJPY"].mark2)
    last = np.array(marks[-8:], dtype=np.float64)
    assert obs[:8] == pytest.approx((last / last[-1] - 1) * 1e4, abs=1e-3)
    assert obs[7] == 0.0
    assert obs[8] == pytest.approx(info["position"] / 4) and info["position"] == 4
    assert obs[9] == pytest.approx(info["cash"] / info["equity"])
    assert obs[10] == info["open_orders"]
    env.close()


def test_gym_max_steps_truncates_with_the_digest_and_summary(tmp_path):
    env = make(USDJPY, decision_quotes=10, max_steps=5, out_dir=tmp_path)
    infos, _, terminated, truncated = _episode(env, [2] * 50)
    assert truncated and not terminated and len(infos) == 6
    final = infos[-1]
    assert len(final["digest"]) == 64 and final["summary"]["digest"] == final["digest"]
    assert final["summary"]["events"] == 60
    assert all("digest" not in i for i in infos[:-1])
    with pytest.raises(RuntimeError, match="reset"):
        env.step(1)
    env.close()


def test_gym_random_agent_on_bars_runs_to_the_end_and_replays(tmp_path):
    env = make(DEMO, decision_every="2h", levels=3, lot_step=20, out_dir=tmp_path)
    env.action_space.seed(11)
    obs, _ = env.reset(seed=42)
    steps = 0
    while True:
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        steps += 1
        assert obs in env.observation_space and np.isfinite(reward)
        if terminated or truncated:
            break
    env.close()
    assert terminated and steps > 300
    assert info["summary"]["fills"] > 100
    report = replay(info["journal"])
    assert report.ok, report.as_dict()
    assert report.replayed_digest == info["digest"]


def test_gym_orders_episode_replays(tmp_path):
    env = make(USDJPY, action="orders", levels=3, decision_quotes=10, out_dir=tmp_path)
    env.action_space.seed(5)
    env.reset(seed=9)
    while True:
        *_, terminated, truncated, info = env.step(env.action_space.sample())
        if terminated or truncated:
            break
    env.close()
    assert info["summary"]["orders"] > 10
    report = replay(info["journal"])
    assert report.ok and report.replayed_digest == info["digest"], report.as_dict()


def test_gym_bad_options_are_refused(tmp_path):
    with pytest.raises(ValueError, match="action"):
        make(USDJPY, action="limit", out_dir=tmp_path)
    with pytest.raises(ValueError, match="symbol"):
        make(USDJPY, symbol="EURUSD", out_dir=tmp_path)
    with pytest.raises(ValueError, match="not both"):
        make(USDJPY, decision_quotes=5, decision_every="1m", out_dir=tmp_path)
    with pytest.raises(ValueError, match="decision_every"):
        make(USDJPY, decision_every="soon", out_dir=tmp_path)
    env = make(USDJPY, levels=1, out_dir=tmp_path)
    env.reset()
    with pytest.raises(ValueError, match="not in"):
        env.step(3)
    env.close()


def test_gym_scenario_strategy_orders_and_checks_are_left_out(tmp_path):
    env = make(USDJPY, decision_quotes=500, out_dir=tmp_path)
    assert load_scenario(USDJPY).orders  # the scenario's own TWAP orders
    infos, _, terminated, _ = _episode(env, [1] * 5)
    env.close()
    assert terminated
    assert infos[-1]["summary"]["orders"] == 0
    assert infos[-1]["summary"]["expectations"]["passed"]


def test_gym_temporary_journal_folder_is_removed_on_close():
    env = make(USDJPY, decision_quotes=500)
    infos, _, _, _ = _episode(env, [1] * 5)
    journal = Path(infos[-1]["journal"])
    assert journal.exists()
    env.close()
    assert not journal.parent.parent.exists()
