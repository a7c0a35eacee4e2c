"""``executioncore gym``: a scenario as a Gymnasium environment, played by a random agent.

    executioncore gym SCENARIO [--episodes N] [--seed N] [--action discrete|continuous|orders]
        [--levels K] [--lot-step N] [--decision-quotes N | --decision-every D] [--window N]
        [--max-steps N] [--check] [--out DIR] [--json]

Plays ``--episodes`` episodes of ``executioncore.gym.make(SCENARIO, ...)`` with uniformly random
actions (the action space seeded with ``--seed``; episode ``i`` resets with scenario seed
``--seed + i``, or the scenario's own seed + i without ``--seed``) and prints, per episode, the
steps, the total reward, fills, denied orders, the digest and steps per second (``--json``: a
list with one object per episode). ``--check`` runs Gymnasium's environment checker first.
``--out DIR`` keeps each episode's journal (``DIR/episode-N``, replayable with ``executioncore
replay``). The example training loop: docs/AGENTS.md. Exit codes: 0 every episode ran; 2 bad
input (the scenario, an option); 3 Gymnasium is not installed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from executioncore.durations import DurationError, parse_duration_ns

ACTIONS = ("discrete", "continuous", "orders")


def add_gym_parser(sub: Any) -> None:
    p = sub.add_parser(
        "gym",
        help="play a scenario as a Gymnasium environment with a random agent",
        description="Play random-agent episodes of executioncore.gym.make(SCENARIO): a check "
        "that a scenario works as an environment, and its speed (docs/AGENTS.md).",
    )
    p.add_argument("scenario", type=Path)
    p.add_argument("--episodes", type=int, default=1, help="episodes to play (default 1)")
    p.add_argument("--seed", type=int, help="the first episode's scenario seed and the agent's")
    p.add_argument("--action", choices=ACTIONS, default="discrete", help="the action space")
    p.add_argument("--levels", type=int, default=1, help="target levels each side (default 1)")
    p.add_argument("--lot-step", type=int, default=1, help="lots per level (default 1)")
    p.add_argument("--decision-quotes", type=int, help="decide every N data events (default 100)")
    p.add_argument("--decision-every", help="decide every duration of data time (e.g. 1m)")
    p.add_argument("--window", type=int, default=32, help="marks in the observation")
    p.add_argument("--max-steps", type=int, help="truncate an episode after N steps")
    p.add_argument("--check", action="store_true", help="run Gymnasium's env checker first")
    p.add_argument("--out", type=Path, help="keep the episodes' journals here")
    p.add_argument("--json", action="store_true", help="print one JSON object per episode")


def gym_cli(args: argparse.Namespace) -> int:
    try:
        from executioncore.gym import make
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    if args.episodes < 1:
        print("error: --episodes must be at least 1", file=sys.stderr)
        return 2
    if args.decision_every is not None:
        try:
            parse_duration_ns(args.decision_every, "--decision-every")
        except DurationError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    try:
        env = make(
            args.scenario,
            action=args.action,
            levels=args.levels,
            lot_step=args.lot_step,
            decision_quotes=args.decision_quotes,
            decision_every=args.decision_every,
            window=args.window,
            max_steps=args.max_steps,
            out_dir=args.out,
        )
    except ValueError as exc:
        if type(exc) is not ValueError:
            raise  # why: a ScenarioError or a data error: the CLI's own message for it
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.check:
            from gymnasium.utils.env_checker import check_env

            with warnings.catch_warnings():
                # why: a remark that applies to environments made without gymnasium.make
                warnings.filterwarnings("ignore", message=".*not having a spec")
                check_env(env)
        first = env.scenario.seed if args.seed is None else args.seed
        env.action_space.seed(first)
        rows = [_episode(env, first + i) for i in range(args.episodes)]
    finally:
        env.close()
    if args.json:
        print(json.dumps(rows))
    else:
        _print(rows)
    return 0


def _episode(env: Any, seed: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    env.reset(seed=seed)
    steps, total = 0, 0.0
    while True:
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        steps += 1
        total += reward
        if terminated or truncated:
            break
    seconds = time.perf_counter() - t0
    summary = info["summary"]
    return {
        "seed": seed,
        "steps": steps,
        "reward": round(total, 6),
        "end": "terminated" if terminated else "truncated",
        "fills": summary["fills"],
        "denied": summary["denied"],
        "equity": summary["equity"],
        "digest": info["digest"],
        "steps_per_s": round(steps / seconds) if seconds > 0 else None,
    }


def _print(rows: list[dict[str, Any]]) -> None:
    print(f"{'seed':>6} {'steps':>8} {'reward':>14} {'fills':>7} {'denied':>7}  {'digest':16}")
    for r in rows:
        print(
            f"{r['seed']:>6} {r['steps']:>8,} {r['reward']:>14,.2f} {r['fills']:>7,} "
            f"{r['denied']:>7,}  {r['digest'][:16]}  ({r['end']}, {r['steps_per_s'] or 0:,} steps/s)"
        )
