"""executioncore.gym: the same seed and the same actions give the same episode and digest, in one
process and in another under other PYTHONHASHSEED values; a reset mid-episode starts afresh."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from executioncore.gym import make

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "usdjpy_twap.yaml"


def actions(n: int = 120) -> list[int]:
    """A fixed action sequence (targets from -3 to +3 lots, changing often)."""
    return np.random.default_rng(20240102).integers(0, 7, n).tolist()


def episode(seed: int = 4, moves: list[int] | None = None) -> tuple[str, list[float], list]:
    """``(digest, rewards, observations)`` of an episode playing ``moves`` from ``seed``."""
    with tempfile.TemporaryDirectory() as tmp:
        env = make(SCENARIO, levels=3, lot_step=7, decision_quotes=9, out_dir=tmp)
        obs, _ = env.reset(seed=seed)
        rewards, observations = [], [obs]
        for a in actions() if moves is None else moves:
            obs, reward, terminated, truncated, info = env.step(a)
            rewards.append(reward)
            observations.append(obs)
            if terminated or truncated:
                break
        if "digest" not in info:  # why: the episode must end for its digest
            while not (terminated or truncated):
                obs, reward, terminated, truncated, info = env.step(3)
        env.close()
    return info["digest"], rewards, observations


def test_gym_same_seed_same_actions_same_episode_and_digest():
    d1, r1, o1 = episode()
    d2, r2, o2 = episode()
    assert d1 == d2
    assert r1 == r2
    assert all(np.array_equal(a, b) for a, b in zip(o1, o2, strict=True))
    assert any(r != 0 for r in r1)


def test_gym_other_seed_or_other_actions_other_digest():
    base = episode()[0]
    assert episode(seed=5)[0] != base
    moves = actions()
    moves[40] = (moves[40] + 1) % 7
    assert episode(moves=moves)[0] != base


@pytest.mark.parametrize("hashseed", ["0", "4242"])
def test_gym_digest_same_in_subprocess_under_hashseed(hashseed):
    code = (
        "import runpy, sys; "
        f"ns = runpy.run_path({str(Path(__file__).resolve())!r}); "
        "sys.stdout.write(ns['episode']()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": hashseed},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout == episode()[0]


def test_gym_reset_mid_episode_starts_the_same_episode_afresh(tmp_path):
    env = make(SCENARIO, levels=3, lot_step=7, decision_quotes=9, out_dir=tmp_path)
    env.reset(seed=4)
    for a in actions(30):
        env.step(a)
    env.reset(seed=4)
    for a in actions():
        _, _, terminated, truncated, info = env.step(a)
        if terminated or truncated:
            break
    env.close()
    assert info["digest"] == episode()[0]
