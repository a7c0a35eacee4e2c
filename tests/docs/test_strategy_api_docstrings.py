"""What a user's editor shows: every public method of the strategy context and of ``Strategy``
has a docstring, and every event a strategy receives has its own class docstring naming each
of its fields (not the signature a dataclass writes when there is none)."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from kernel.events import MARKET_DATA_TYPES, TimerFired
from kernel.ports import order_event_classes
from kernel.strategy import Strategy, StrategyContext

EVENTS = [*MARKET_DATA_TYPES, *order_event_classes(), TimerFired]


def public_callables(cls: type) -> list[tuple[str, object]]:
    out = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            out.append((name, member.fget))
        elif inspect.isroutine(member):  # a function, or a compiled one (accel)
            out.append((name, member))
    return out


@pytest.mark.parametrize("cls", [StrategyContext, Strategy], ids=lambda c: c.__name__)
def test_strategy_api_public_method_without_a_docstring_is_none(cls):
    members = public_callables(cls)
    assert len(members) >= 8
    missing = [name for name, f in members if not (inspect.getdoc(f) or "").strip()]
    assert not missing, f"{cls.__name__}: no docstring on {', '.join(missing)}"


@pytest.mark.parametrize("cls", [StrategyContext, Strategy], ids=lambda c: c.__name__)
def test_strategy_api_class_docstring_is_written(cls):
    assert len((cls.__doc__ or "").strip()) > 40


@pytest.mark.parametrize("cls", EVENTS, ids=lambda c: c.__name__)
def test_strategy_event_docstring_names_every_field(cls):
    doc = cls.__doc__ or ""
    assert doc.strip() and not doc.startswith(f"{cls.__name__}("), "no docstring of its own"
    missing = [f.name for f in dataclasses.fields(cls) if f"``{f.name}``" not in doc]
    assert not missing, f"{cls.__name__}'s docstring does not name {', '.join(missing)}"
