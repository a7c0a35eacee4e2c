"""Named random streams derived from the run's seed: the only randomness the kernel knows.

``named_stream(seed, "strategy:mm")`` always yields the same numpy ``Generator`` for the same seed
and name, in any process and under any ``PYTHONHASHSEED`` (the name is hashed with BLAKE2b, never
with ``hash()``), and streams with different names are independent.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable 64-bit key for a stream name."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def named_stream(seed: int, name: str) -> np.random.Generator:
    """The PCG64 generator for stream ``name`` of run seed ``seed``."""
    seq = np.random.SeedSequence(entropy=int(seed) & (2**128 - 1), spawn_key=(stream_key(name),))
    return np.random.Generator(np.random.PCG64(seq))
