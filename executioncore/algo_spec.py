"""Execution algorithms on scripted orders (``algo:``) and in ``executioncore.yaml``
(``execution:``): user units in, ``kernel.algos`` parameters out, errors naming the key.

An order with ``algo:`` is a parent order: ``type`` market or limit (a limit caps every child),
``time_in_force`` gtc, no brackets or OCO. Keys (user units; defaults in brackets):

every algo   ``name`` (twap | vwap | pov | iceberg | sor), ``duration`` (e.g. 10m, 90s, 500ms,
             or seconds; required for twap/vwap, else [until filled or canceled]),
             ``at_end`` (leave | market: at the horizon leave the rest, or send it as one
             marketable order [leave]), ``max_rejects`` (children rejected in a row before the
             parent stops [5]), ``retry`` (wait after a rejected child [1s])
twap         ``slices`` [10], ``time_jitter`` and ``size_jitter`` (fractions in [0, 1) [0]),
             ``min_child`` (quantity [one lot]), ``limit_offset`` (price; children are limits at
             our side's touch + offset [none: market children])
vwap         ``slices`` [the profile's length, else 10], ``profile`` (a list of weights, or
             historical: the volume seen earlier in the run at the same times of day
             [historical]), ``min_child``, ``limit_offset``
pov          ``rate`` (0 < rate <= 1, required), ``min_child`` [one lot], ``max_child`` [none],
             ``limit_offset``
iceberg      ``display_qty`` (required here or on the order); slices are limits at the order's
             ``limit_price`` (a market order's slices join our side's touch)
sor          ``venues`` (list [every venue]), ``fees_bps`` (venue -> taker fee the router
             assumes [0]), ``sweep`` (price past the touch it may take without a limit [0])

``executioncore.yaml`` may give ``execution.default_algo`` (``market``: no algo) and defaults per
algo, ``execution.algos.<name>.<key>``, with the same keys: see ``algo_defaults``.

The seed's names (CONTRACT.md "Live configuration") are accepted wherever these keys are:
``duration_minutes`` (minutes) for ``duration``, ``slice_count`` for ``slices``, ``visible_qty`` for
``display_qty``; giving a key and its synonym together is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from executioncore.durations import DurationError, parse_duration_ns
from kernel.algos.params import HISTORICAL, KEYS, AlgoParamError, build_params
from kernel.risk import ConfigError
from kernel.units import Instrument, UnitError, to_decimal

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel.kernel import Kernel
    from kernel.strategy import StrategyContext

# user key -> (kernel key, kind of value)
USER_KEYS: dict[str, tuple[str, str]] = {
    "duration": ("duration_ns", "duration"),
    "at_end": ("at_end", "text"),
    "max_rejects": ("max_rejects", "int"),
    "retry": ("retry_ns", "duration"),
    "slices": ("slices", "int"),
    "time_jitter": ("time_jitter", "number"),
    "size_jitter": ("size_jitter", "number"),
    "profile": ("profile", "profile"),
    "min_child": ("min_child_lots", "qty"),
    "max_child": ("max_child_lots", "qty"),
    "limit_offset": ("limit_offset_ticks", "price"),
    "rate": ("rate", "number"),
    "display_qty": ("display_lots", "qty"),
    "venues": ("venues", "names"),
    "fees_bps": ("fees_bps", "fees"),
    "sweep": ("sweep_ticks", "price"),
}
KERNEL_KEYS = {k: user for user, (k, _) in USER_KEYS.items()} | {
    "limit_ticks": "limit_price",
    "venue": "venue",
}
ALGO_NAMES = tuple(KEYS)
NON_NEGATIVE = {"sweep"}  # price keys that cannot be below zero
NO_ALGO = "market"  # execution.default_algo: market -> orders are sent as they are
# the seed's names (CONTRACT.md) -> the scenario's keys
SYNONYMS: dict[str, str] = {
    "duration_minutes": "duration",
    "slice_count": "slices",
    "visible_qty": "display_qty",
}


def user_keys(name: str) -> set[str]:
    """The ``algo:`` keys algo ``name`` takes (besides ``name``)."""
    return {user for user, (k, _) in USER_KEYS.items() if k in KEYS[name]}


def parse_duration(value: Any) -> int:
    """``10m``, ``90s``, ``500ms``, ``1.5h``, ``1h30m`` or a number of seconds -> int ns
    (``ValueError`` saying what was expected; the caller names the key)."""
    try:
        return parse_duration_ns(value, "duration")
    except DurationError as exc:
        raise ValueError(exc.reason) from None


def canonical(
    spec: dict[str, Any], fail: Callable[[str, str], Exception] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """``spec`` with the seed's names replaced by the scenario's keys (``duration_minutes: 2`` ->
    ``duration: 2m``), and which user key each replaced key came from. ``fail(key, message)``
    builds the error for a bad synonym value or a key given twice; with ``fail`` None such a
    synonym is left as it is (for a later, strict check to report)."""
    out: dict[str, Any] = {}
    names: dict[str, str] = {}
    for key, value in spec.items():
        target = SYNONYMS.get(key)
        if target is None:
            out[key] = value
            continue
        try:
            converted = _minutes(value) if key == "duration_minutes" else value
        except ValueError as exc:
            if fail is not None:
                raise fail(key, str(exc)) from None
            out[key] = value
            continue
        if target in spec:
            if fail is not None:
                raise fail(key, f"give {target} or {key} (its synonym), not both")
            out[key] = value
            continue
        out[target] = converted
        names[target] = key
    return out, names


def _minutes(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"expected a number of minutes, got {value!r}")
    try:
        d = to_decimal(value, "duration_minutes")
    except UnitError:
        raise ValueError(f"expected a number of minutes, got {value!r}") from None
    if d < 0:
        raise ValueError(f"must not be negative, got {value}")
    return f"{d}m"


def to_kernel(
    name: str,
    spec: dict[str, Any],
    inst: Instrument | None,
    fail: Callable[[str, str], Exception],
) -> dict[str, Any]:
    """Convert user keys to kernel keys, plain (JSON-safe) values; ``inst`` None checks the
    quantities and prices as numbers only. ``fail(key, message)`` builds the error to raise."""
    allowed = user_keys(name)
    spec, names = canonical(spec, fail)
    out: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "name":
            continue
        shown = names.get(key, key)
        if key not in allowed:
            accepted = allowed | {syn for syn, target in SYNONYMS.items() if target in allowed}
            raise fail(
                shown, f"not a key of {name} (expected one of: {', '.join(sorted(accepted))})"
            )
        kernel_key, kind = USER_KEYS[key]
        try:
            out[kernel_key] = _convert(kind, value, inst, key)
        except (ValueError, UnitError) as exc:
            raise fail(shown, str(exc)) from None
    return out


def _convert(kind: str, value: Any, inst: Instrument | None, key: str) -> Any:
    if kind == "duration":
        return parse_duration(value)
    if kind in ("int", "text"):
        return value  # why: build_params checks them and names the key
    if kind == "number":
        return str(to_decimal(_number(value, key), key))
    if kind == "qty":
        d = to_decimal(_number(value, key), key)
        if d <= 0:
            raise ValueError(f"must be positive, got {value}")
        return inst.qty_to_lots(d, key) if inst is not None else str(d)
    if kind == "price":
        d = to_decimal(_number(value, key), key)
        if d < 0 and key in NON_NEGATIVE:
            # why: here, in the user's units: the kernel's check would show ticks
            raise ValueError(f"must not be negative, got {value}")
        return inst.price_to_ticks(d, key) if inst is not None else str(d)
    if kind == "profile":
        if value == HISTORICAL:
            return HISTORICAL
        if not isinstance(value, list) or not value:
            raise ValueError("expected historical or a list of weights")
        return [str(to_decimal(_number(w, key), key)) for w in value]
    if kind == "names":
        if not isinstance(value, list) or not value:
            raise ValueError("expected a list of venue names")
        return [str(v) for v in value]
    assert kind == "fees"
    if not isinstance(value, dict):
        raise ValueError("expected a mapping of venue -> taker fee in bps")
    return {str(v): str(to_decimal(_number(f, key), key)) for v, f in value.items()}


def _number(value: Any, key: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"expected a number, got {value!r}")
    return value


def check_algo(
    c: Any,
    value: Any,
    where: str,
    item: dict[str, Any],
    inst: Instrument | None = None,
    venues: set[str] | None = None,
    defaults: AlgoDefaults | None = None,
) -> dict[str, Any]:
    """Validate an ``algo:`` mapping of a scripted order; return it in kernel keys and plain
    values (it goes into the run header, so a replay starts the same algo)."""
    spec, names = canonical(dict(c.mapping(value, where)), lambda k, m: c.fail(f"{where}.{k}", m))
    if defaults is not None:
        spec = defaults.apply(spec)
    name = c.choice(spec.get("name"), f"{where}.name", ALGO_NAMES, any_case=False)
    order = where.rsplit(".", 1)[0]
    _check_parent(c, order, name, item)
    if name == "iceberg" and "display_qty" not in spec:
        if item.get("display_qty") is None:
            raise c.fail(f"{where}.display_qty", "an iceberg needs a display size")
        spec["display_qty"] = item["display_qty"]
    out = to_kernel(name, spec, inst, lambda k, m: c.fail(f"{where}.{names.get(k, k)}", m))
    for key in ("venues", "fees_bps"):
        for venue in out.get(key, ()):
            if venues is not None and venue not in venues:
                raise c.fail(
                    f"{where}.{key}",
                    f"unknown venue {venue!r} (accepted: {', '.join(sorted(venues))})",
                )
    trial = dict(out)
    if inst is not None and item.get("limit_price") is not None:
        trial["limit_ticks"] = inst.price_to_ticks(item["limit_price"])
    try:
        build_params(name, trial)
    except AlgoParamError as exc:
        raise c.fail(f"{where}.{_shown(user_key(exc.key), names)}", exc.message) from None
    return {"name": name, **out}


def user_key(kernel_key: str) -> str:
    """The user's name of a kernel parameter key (``min_child_lots`` -> ``min_child``)."""
    head, dot, rest = kernel_key.partition(".")
    return KERNEL_KEYS.get(head, head) + dot + rest


def _shown(key: str, names: dict[str, str]) -> str:
    """``key`` as the user wrote it (``slices`` -> ``slice_count`` when that was given)."""
    head, dot, rest = key.partition(".")
    return names.get(head, head) + dot + rest


def _check_parent(c: Any, order: str, name: str, item: dict[str, Any]) -> None:
    # why: names are case-insensitive (checked before: check_orders)
    if str(item.get("type", "market")).lower() not in ("market", "limit"):
        raise c.fail(f"{order}.type", "an algo order is market or limit")
    if str(item.get("time_in_force", "gtc")).lower() != "gtc":
        raise c.fail(f"{order}.time_in_force", "an algo order works until its horizon: use gtc")
    for key in ("take_profit", "stop_loss", "oco", "post_only", "reduce_only", "expire_ns"):
        if item.get(key):
            raise c.fail(f"{order}.{key}", "not available on an algo order")
    if item.get("display_qty") is not None and name != "iceberg":
        raise c.fail(f"{order}.display_qty", "only an iceberg algo takes a display size")
    if name == "sor" and item.get("venue") is not None:
        raise c.fail(f"{order}.venue", "a smart-routed order picks its venues: use algo.venues")


def kernel_params(spec: dict[str, Any]) -> dict[str, Any]:
    """A checked ``algo:`` mapping (minus ``name``) as ``ctx.execute`` keyword arguments."""
    out = {k: v for k, v in spec.items() if k != "name"}
    for key in ("venues", "profile"):
        if isinstance(out.get(key), list):
            out[key] = tuple(out[key])
    return out


def start_algo(ctx: StrategyContext, item: dict[str, Any]) -> str:
    """Start the parent order a checked scripted entry describes; return its id."""
    inst = ctx.instrument(item["symbol"])
    spec = item["algo"]
    params = kernel_params(spec)
    if item.get("limit_price") is not None:
        params["limit_ticks"] = inst.price_to_ticks(item["limit_price"])
    if item.get("venue") is not None:
        params["venue"] = item["venue"]
    lots = inst.qty_to_lots(item["quantity"])
    return ctx.execute(item["symbol"], item["side"], lots, spec["name"], **params)


# --- executioncore.yaml: execution.default_algo and execution.algos.<name>.<key> -----------------
@dataclass
class AlgoDefaults:
    """Validated ``execution:`` settings: the default algo and per-algo default keys (user
    units). ``apply`` fills an order's ``algo:`` mapping; ``install`` gives a kernel's
    strategies the same defaults for ``ctx.execute``."""

    default_algo: str | None = None
    algos: dict[str, dict[str, Any]] = field(default_factory=dict)

    def apply(self, spec: dict[str, Any] | None) -> dict[str, Any]:
        """An ``algo:`` mapping with the defaults under it (its own keys win; the seed's names
        count as the keys they stand for)."""
        spec, _ = canonical(dict(spec or {}))
        name = spec.get("name", self.default_algo)
        return {**self.algos.get(str(name), {}), **spec, "name": name}

    def install(self, kernel: Kernel) -> None:
        from kernel.algos.engine import AlgoEngine

        engine = AlgoEngine.of(kernel)
        engine.default_algo = self.default_algo
        engine.defaults = {name: dict(keys) for name, keys in self.algos.items()}
        engine.param_converter = _install_converter


def _install_converter(name: str, inst: Instrument, spec: dict[str, Any]) -> dict[str, Any]:
    def fail(key: str, message: str) -> Exception:
        return ConfigError(f"execution.algos.{name}.{key}: {message}")

    return kernel_params(to_kernel(name, spec, inst, fail))


def algo_defaults(execution: dict[str, Any] | None) -> AlgoDefaults:
    """Validate ``executioncore.yaml``'s ``execution:`` mapping; raise ``ConfigError`` naming
    the key (``execution.algos.twap.slices: ...``)."""
    execution = execution or {}
    if not isinstance(execution, dict):
        raise ConfigError("execution: expected a mapping")
    for key in execution:
        if key not in ("default_algo", "algos"):
            raise ConfigError(f"execution.{key}: unknown key (expected default_algo, algos)")
    default = execution.get("default_algo")
    if default == NO_ALGO:
        default = None
    if default is not None and (not isinstance(default, str) or default not in KEYS):
        # why: the wording of executioncore.scenario.unknown_value (not imported: a cycle)
        raise ConfigError(
            f"execution.default_algo: unknown value {default!r} "
            f"(accepted: {', '.join((NO_ALGO, *ALGO_NAMES))})"
        )
    algos = execution.get("algos") or {}
    if not isinstance(algos, dict):
        raise ConfigError("execution.algos: expected a mapping of algo name -> defaults")
    out: dict[str, dict[str, Any]] = {}
    for name, keys in algos.items():
        where = f"execution.algos.{name}"
        if name not in KEYS:
            raise ConfigError(f"{where}: unknown algo (expected one of: {', '.join(ALGO_NAMES)})")
        if not isinstance(keys, dict):
            raise ConfigError(f"{where}: expected a mapping of defaults")

        def fail(key: str, message: str, where: str = where) -> Exception:
            return ConfigError(f"{where}.{key}: {message}")

        keys, names = canonical(keys, fail)

        def fail_as_given(key: str, message: str, names: dict[str, str] = names) -> Exception:
            return fail(names.get(key, key), message)

        converted = to_kernel(name, keys, None, fail_as_given)
        # why: quantities and prices are checked on the grid of the order's instrument, at use
        trial = {k: v for k, v in converted.items() if k not in _INSTRUMENT_KEYS}
        try:
            build_params(name, {**_REQUIRED.get(name, {}), **trial})
        except AlgoParamError as exc:
            raise fail(_shown(user_key(exc.key), names), exc.message) from None
        out[str(name)] = dict(keys)
    return AlgoDefaults(default, out)


_INSTRUMENT_KEYS = {
    "min_child_lots",
    "max_child_lots",
    "display_lots",
    "limit_offset_ticks",
    "sweep_ticks",
}
# stand-ins for what an order gives, so a defaults block is checked on its own
_REQUIRED: dict[str, dict[str, Any]] = {
    "twap": {"duration_ns": 1},
    "vwap": {"duration_ns": 1},
    "pov": {"rate": 1},
    "iceberg": {"display_lots": 1},
}
