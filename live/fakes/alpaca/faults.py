"""Seeded fault injection for the fake venue: one named random stream per fault kind.

``roll(kind)`` draws from the stream ``<name>:<kind>`` of the venue's seed (numpy PCG64 through
``kernel.rng.named_stream``; ``name`` is ``fake-alpaca`` here, another venue passes its own
``kinds`` and ``name``) only when the kind's probability is above zero, so turning one fault on
never shifts another's draws, and one seed reproduces a run's faults given the same sequence of
messages and requests. Every hit is counted in ``injected``; tests read the counts at
``GET /_fake/stats`` (every kind of ``FAULT_KINDS``, ``rest_down`` and ``mute`` too: a
``rest_down`` hit counts one window, a ``mute`` hit one muted connection).
``force(kind, n)`` makes the next ``n`` rolls hit (for tests that need one fault at one place).
``pick(kind, options)`` is a seeded choice from the kind's stream (which 5xx status; whether a
request in a ``rest_down`` window is answered 503 or dropped).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kernel.rng import named_stream
from live.fakes.alpaca.config import FAULT_KINDS, ConfigError


class Faults:
    """Probabilities per kind, their random streams, forced hits and injected counts."""

    __slots__ = ("_forced", "_streams", "injected", "kinds", "probabilities", "seed")

    def __init__(
        self,
        seed: int,
        probabilities: dict[str, float],
        kinds: Iterable[str] = FAULT_KINDS,
        name: str = "fake-alpaca",
    ) -> None:
        self.seed = seed
        self.kinds = tuple(kinds)
        self.probabilities: dict[str, float] = {}
        self._streams = {k: named_stream(seed, f"{name}:{k}") for k in self.kinds}
        self._forced = dict.fromkeys(self.kinds, 0)
        self.injected = dict.fromkeys(self.kinds, 0)
        self.set(probabilities)

    def set(self, probabilities: dict[str, float]) -> None:
        """Replace the probabilities (kinds not named are off)."""
        for kind, p in probabilities.items():
            if kind not in self.kinds:
                raise ConfigError(f"faults: unknown kind {kind!r}")
            if not 0.0 <= float(p) <= 1.0:
                raise ConfigError(f"faults.{kind}: {p} is not a probability")
        self.probabilities = {k: float(v) for k, v in probabilities.items() if float(v) > 0}

    def force(self, kind: str, n: int = 1) -> None:
        """Make the next ``n`` rolls of ``kind`` hit, whatever its probability."""
        if kind not in self.kinds:
            raise ConfigError(f"faults: unknown kind {kind!r}")
        self._forced[kind] += n

    def roll(self, kind: str) -> bool:
        """Whether to inject ``kind`` now (counted when it hits)."""
        if self._forced[kind] > 0:
            self._forced[kind] -= 1
            self.injected[kind] += 1
            return True
        p = self.probabilities.get(kind, 0.0)
        if p <= 0.0:
            return False
        hit = bool(self._streams[kind].random() < p)
        if hit:
            self.injected[kind] += 1
        return hit

    def split(self, kind: str, lots: int) -> list[int]:
        """``lots`` in 2 or 3 near-equal pieces when ``kind`` hits (a fill reported as several
        executions), else ``[lots]``."""
        if lots < 2 or not self.roll(kind):
            return [lots]
        k = min(self.pick(kind, (2, 3)), lots)
        return [lots // k + (1 if i < lots % k else 0) for i in range(k)]

    def pick(self, kind: str, options: Sequence[int]) -> int:
        """A seeded choice among ``options`` from ``kind``'s stream (e.g. which 5xx status)."""
        return int(options[int(self._streams[kind].integers(len(options)))])
