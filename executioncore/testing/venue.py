"""Generated venue behaviour and operator actions, as scenario pieces.

``behaviours()`` draws what the simulated venue does to orders (latency and its jitter, queue
position, fees, random rejects, duplicate and late fill reports, a lost order connection
recovered by reconciliation, an outage), the risk limits in force and the operator's actions
(halt, resume, kill switch, cancel all) at points of the run. Each is a plain mapping that goes
into the scenario file as written (``venue:``, ``faults:``, ``risk:``, ``orders:``), so a
failing example is a scenario anyone can run. Every choice shrinks toward "nothing unusual".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

OPERATOR = ("kill_switch", "halt", "resume", "cancel_all")


@dataclass(frozen=True)
class Behaviour:
    """What the venue, the risk guard and the operator do in one example. Windows and actions
    are at fractions (per mille) of the market's span."""

    latency: dict[str, int] = field(default_factory=dict)
    queue_position: bool = False
    fees: dict[str, float] = field(default_factory=dict)
    reject: float = 0.0
    duplicate: float = 0.0
    disconnect: tuple[int, int] | None = None  # (start, end) per mille
    outage: tuple[int, int] | None = None
    risk: dict[str, Any] = field(default_factory=dict)
    operator: tuple[tuple[int, str], ...] = ()

    def faults(self, t0: int, span: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if self.reject:
            out.append({"kind": "reject", "probability": self.reject})
        if self.duplicate:
            out.append({"kind": "duplicate", "probability": self.duplicate})
        for kind, window in (("disconnect", self.disconnect), ("outage", self.outage)):
            if window is not None:
                start, end = (t0 + span * w // 1000 for w in window)
                if end > start:
                    out.append({"kind": kind, "start": start, "end": end})
        return out

    def operator_entries(self, t0: int, span: int) -> list[dict[str, Any]]:
        return [{"at": t0 + span * at // 1000, "operator": action} for at, action in self.operator]


def _window() -> st.SearchStrategy[tuple[int, int] | None]:
    return st.one_of(
        st.none(),
        st.tuples(st.integers(0, 900), st.integers(20, 500)).map(
            lambda w: (w[0], min(1000, w[0] + w[1]))
        ),
    )


def _risk() -> st.SearchStrategy[dict[str, Any]]:
    limits = st.fixed_dictionaries(
        {},
        optional={
            "max_order_value": st.sampled_from([50_000, 5_000, 500]),
            "max_position_pct": st.sampled_from([0.5, 0.05]),
            "max_daily_orders": st.integers(1, 30),
            "daily_loss_limit": st.sampled_from([0.05, 0.001]),
            "max_consecutive_rejects": st.integers(1, 5),
            "emergency_flatten": st.booleans(),
        },
    )
    return st.one_of(st.just({}), limits)


@st.composite
def behaviours(
    draw: Any, faults: bool = True, operator: bool = True, risk: bool = True
) -> Behaviour:
    """A venue behaviour; ``faults`` / ``operator`` / ``risk`` False leave those out."""
    order_ms = draw(st.sampled_from([0, 1, 5, 50, 250]))
    response_ms = draw(st.sampled_from([0, 1, 5, 50, 250]))
    jitter = draw(st.sampled_from([0, 3]))
    latency = {"order_ms": order_ms, "response_ms": response_ms}
    if jitter:
        latency["jitter_ms"] = jitter
    taker = draw(st.sampled_from([0.0, 1.0, 5.0]))
    out = Behaviour(
        latency=latency,
        queue_position=draw(st.booleans()),
        fees={"maker_bps": 0.0, "taker_bps": taker} if taker else {},
    )
    if faults:
        out = Behaviour(
            **{
                **out.__dict__,
                "reject": draw(st.sampled_from([0.0, 0.05, 0.3])),
                "duplicate": draw(st.sampled_from([0.0, 0.5, 1.0])),
                "disconnect": draw(_window()),
                "outage": draw(_window()),
            }
        )
    if risk:
        out = Behaviour(**{**out.__dict__, "risk": draw(_risk())})
    if operator:
        actions = draw(
            st.lists(st.tuples(st.integers(0, 1000), st.sampled_from(OPERATOR)), max_size=2)
        )
        out = Behaviour(**{**out.__dict__, "operator": tuple(sorted(actions))})
    return out
