"""Small types of the kernel's boundary: the venue port, the input refusal, the counters."""

from __future__ import annotations

from typing import Any, Protocol

from kernel.commands import CancelOrder, ModifyOrder, SubmitOrder
from kernel.events import OrderEvent


class UnknownInput(TypeError):
    """An input of a type the kernel has no handler for: refused at the boundary, never fed to
    the OMS (a host or adapter bug, named with the type)."""


class VenuePort(Protocol):
    """What the kernel needs of a venue: take commands; answer later through the host."""

    name: str

    def submit(self, cmd: SubmitOrder) -> None: ...

    def cancel(self, cmd: CancelOrder) -> None: ...

    def modify(self, cmd: ModifyOrder) -> None: ...


class KernelStats:
    """Counters for the run summary."""

    __slots__ = (
        "cancels",
        "denied",
        "expired",
        "failovers",
        "fills",
        "md_events",
        "modifies",
        "orders",
        "overfills",
        "refused_events",
        "rejects",
        "unknown_events",
    )

    def __init__(self) -> None:
        self.md_events = 0
        self.orders = 0
        self.fills = 0
        self.cancels = 0
        self.expired = 0
        self.rejects = 0
        self.denied = 0
        self.modifies = 0
        self.refused_events = 0
        self.overfills = 0
        self.unknown_events = 0
        self.failovers = 0  # a symbol's orders moved to another venue (its first one down)

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


def ignore_event(_event: Any) -> None:
    pass


def order_event_classes() -> list[type]:
    """Every order event class (a venue's answers and the kernel's own, as replays feed)."""
    out: list[type] = []
    todo = list(OrderEvent.__subclasses__())
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(cls.__subclasses__())
    return out
