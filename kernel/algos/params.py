"""Parameters of a parent order, in kernel units, validated with errors that name the key.

One slotted record serves every algo; ``KEYS`` says which keys each algo takes. Times are int
ns, quantities int lots, prices int ticks; rates, jitters, fees and profile weights are exact
``Fraction``s (given as int, str, Decimal, float by its shortest repr, or Fraction), so a run is
the same on every machine. ``build_params`` is the one place that checks them: the scenario and
configuration layers translate user units and reuse it, mapping ``AlgoParamError.key`` back to
the user's key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from kernel.units import UnitError, to_decimal

AT_END = ("leave", "market")  # at the horizon: leave the rest unfilled, or finish with a market
COMMON = frozenset({"duration_ns", "at_end", "max_rejects", "retry_ns", "limit_ticks", "venue"})
KEYS: dict[str, frozenset[str]] = {
    "twap": COMMON
    | {"slices", "time_jitter", "size_jitter", "min_child_lots", "limit_offset_ticks"},
    "vwap": COMMON | {"slices", "profile", "min_child_lots", "limit_offset_ticks"},
    "pov": COMMON | {"rate", "min_child_lots", "max_child_lots", "limit_offset_ticks"},
    "iceberg": COMMON | {"display_lots"},
    "sor": (COMMON - {"venue"}) | {"venues", "fees_bps", "sweep_ticks"},
}
HISTORICAL = "historical"
MAX_SLICES = 10_000


class AlgoParamError(ValueError):
    """A parameter an algo cannot use; ``key`` names it (kernel-unit name), ``message`` why."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


@dataclass(slots=True)
class AlgoParams:
    """A parent order's parameters (kernel units). Which apply depends on the algo:

    every algo: ``duration_ns`` (the horizon; None: until filled or canceled), ``at_end``
    (``leave`` | ``market``), ``max_rejects`` (consecutive child rejects or denials before the
    parent gives up), ``retry_ns`` (wait after a rejected child), ``limit_ticks`` (the parent's
    limit: no child trades through it), ``venue`` (where children go);
    twap/vwap: ``slices``, ``time_jitter`` and ``size_jitter`` (twap, fractions in [0, 1)),
    ``profile`` (vwap: weights per slice, or ``"historical"``), ``min_child_lots``,
    ``limit_offset_ticks`` (children are limits at the near touch + offset, else market);
    pov: ``rate`` (0 < rate <= 1), ``min_child_lots``, ``max_child_lots``, ``limit_offset_ticks``;
    iceberg: ``display_lots``;
    sor: ``venues`` (None: every venue), ``fees_bps`` (taker fee assumed per venue; a venue it
    does not name: that venue's own fee model, ``Kernel.venue_fees``), ``sweep_ticks`` (how far
    past the touch it may take when the parent has no limit).
    """

    duration_ns: int | None = None
    at_end: str = "leave"
    max_rejects: int = 5
    retry_ns: int = 1_000_000_000
    limit_ticks: int | None = None
    venue: str | None = None
    slices: int = 10
    time_jitter: Fraction = Fraction(0)
    size_jitter: Fraction = Fraction(0)
    profile: tuple[Fraction, ...] | str | None = None
    min_child_lots: int = 1
    max_child_lots: int | None = None
    limit_offset_ticks: int | None = None
    rate: Fraction | None = None
    display_lots: int | None = None
    venues: tuple[str, ...] | None = None
    fees_bps: dict[str, Fraction] = field(default_factory=dict)
    sweep_ticks: int = 0


def build_params(name: str, values: dict[str, Any]) -> AlgoParams:
    """Validate ``values`` (kernel units) for algo ``name``; raise ``AlgoParamError``."""
    allowed = KEYS.get(name)
    if allowed is None:
        raise AlgoParamError("algo", f"unknown algo {name!r} (expected one of: {', '.join(KEYS)})")
    for key in values:
        if key not in allowed:
            raise AlgoParamError(
                key, f"not a parameter of {name} (expected one of: {', '.join(sorted(allowed))})"
            )
    p = AlgoParams()
    v = values.get
    if v("duration_ns") is not None:
        p.duration_ns = _int(values, "duration_ns", 1)
    elif name in ("twap", "vwap"):
        raise AlgoParamError("duration_ns", f"{name} needs a duration")
    if "at_end" in values:
        if values["at_end"] not in AT_END:
            raise AlgoParamError(
                "at_end", f"unknown value {values['at_end']!r} (accepted: {', '.join(AT_END)})"
            )
        p.at_end = values["at_end"]
    if "max_rejects" in values:
        p.max_rejects = _int(values, "max_rejects", 1)
    if "retry_ns" in values:
        p.retry_ns = _int(values, "retry_ns", 0)
    if v("limit_ticks") is not None:
        p.limit_ticks = _int(values, "limit_ticks")
    if v("venue") is not None:
        p.venue = _text(values, "venue")
    if "slices" in values:
        p.slices = _int(values, "slices", 1)
        if p.slices > MAX_SLICES:
            raise AlgoParamError("slices", f"at most {MAX_SLICES}")
    for key in ("time_jitter", "size_jitter"):
        if key in values:
            setattr(p, key, _fraction(values, key, Fraction(0), Fraction(1), hi_open=True))
    if v("min_child_lots") is not None:
        p.min_child_lots = _int(values, "min_child_lots", 1)
    if v("max_child_lots") is not None:
        p.max_child_lots = _int(values, "max_child_lots", 1)
        if p.max_child_lots < p.min_child_lots:
            # why: no key names in the message: the user knows them as max_child and min_child
            raise AlgoParamError("max_child_lots", "must be at least the minimum child size")
    if v("limit_offset_ticks") is not None:
        p.limit_offset_ticks = _int(values, "limit_offset_ticks")
    if v("sweep_ticks") is not None:
        p.sweep_ticks = _int(values, "sweep_ticks", 0)
    _specific(name, values, p)
    return p


def _specific(name: str, values: dict[str, Any], p: AlgoParams) -> None:
    if name == "vwap":
        p.profile = _profile(values.get("profile", HISTORICAL))
        if isinstance(p.profile, tuple):
            if "slices" in values and p.slices != len(p.profile):
                raise AlgoParamError("slices", f"the profile has {len(p.profile)} entries")
            p.slices = len(p.profile)
    elif name == "pov":
        if values.get("rate") is None:
            raise AlgoParamError("rate", "pov needs a participation rate")
        p.rate = _fraction(values, "rate", Fraction(0), Fraction(1), lo_open=True)
    elif name == "iceberg":
        if values.get("display_lots") is None:
            raise AlgoParamError("display_lots", "an iceberg needs a display size")
        p.display_lots = _int(values, "display_lots", 1)
    elif name == "sor":
        if values.get("venues") is not None:
            venues = values["venues"]
            if isinstance(venues, str) or not isinstance(venues, (list, tuple)) or not venues:
                raise AlgoParamError("venues", "expected a non-empty list of venue names")
            for x in venues:
                if not isinstance(x, str) or not x:
                    raise AlgoParamError("venues", f"not a venue name: {x!r}")
            if len(set(venues)) != len(venues):
                raise AlgoParamError("venues", "a venue is listed twice")
            p.venues = tuple(venues)
        fees = values.get("fees_bps") or {}
        if not isinstance(fees, dict):
            raise AlgoParamError("fees_bps", "expected a mapping of venue -> taker fee in bps")
        p.fees_bps = {
            str(k): _fraction(fees, k, Fraction(-10_000), Fraction(10_000), where="fees_bps")
            for k in fees
        }


def _int(values: dict[str, Any], key: str, minimum: int | None = None) -> int:
    x = values[key]
    if isinstance(x, bool) or not isinstance(x, int):
        raise AlgoParamError(key, f"expected a whole number, got {x!r}")
    if minimum is not None and x < minimum:
        raise AlgoParamError(key, f"must be at least {minimum}, got {x}")
    return x


def _text(values: dict[str, Any], key: str) -> str:
    x = values[key]
    if not isinstance(x, str) or not x:
        raise AlgoParamError(key, f"expected a name, got {x!r}")
    return x


def to_fraction(x: Any, key: str) -> Fraction:
    """An exact fraction from int, str, Decimal, float (by its repr) or Fraction."""
    if isinstance(x, Fraction):
        return x
    try:
        return Fraction(to_decimal(x, key))
    except UnitError:
        raise AlgoParamError(key, f"expected a number, got {x!r}") from None


def _fraction(
    values: dict[str, Any],
    key: str,
    lo: Fraction,
    hi: Fraction,
    lo_open: bool = False,
    hi_open: bool = False,
    where: str | None = None,
) -> Fraction:
    name = f"{where}.{key}" if where else key
    f = to_fraction(values[key], name)
    if f < lo or (lo_open and f == lo) or f > hi or (hi_open and f == hi):
        left, right = "(" if lo_open else "[", ")" if hi_open else "]"
        raise AlgoParamError(name, f"must be in {left}{lo}, {hi}{right}, got {values[key]}")
    return f


def _profile(x: Any) -> tuple[Fraction, ...] | str:
    if x == HISTORICAL:
        return HISTORICAL
    if isinstance(x, str) or not isinstance(x, (list, tuple)) or not x:
        raise AlgoParamError("profile", "expected 'historical' or a non-empty list of weights")
    if len(x) > MAX_SLICES:
        raise AlgoParamError("profile", f"at most {MAX_SLICES} entries")
    out = tuple(to_fraction(w, "profile") for w in x)
    if any(w < 0 for w in out) or not any(out):
        raise AlgoParamError("profile", "weights must be >= 0 and not all 0")
    return out
