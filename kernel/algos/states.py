"""The states of a parent order: one literal table ``(state, trigger) -> state``.

WORKING until the children's fills reach the quantity (FILLED), the owner cancels (CANCELING,
then CANCELED once every child has ended), the horizon passes (FINISHING, then EXPIRED unless
the finish fills it) or too many children in a row are rejected (STOPPING, then STOPPED). A fill
can complete the parent in any state that is not terminal; IDLE ("no child open, nothing more to
send") is fired only while closing. Terminal states ignore every trigger. ``AlgoFinished`` is
what the owner strategy hears at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar


class AlgoStatus(IntEnum):
    WORKING = 1
    CANCELING = 2  # canceled by its owner: waiting for the children to end
    FINISHING = 3  # past the horizon: leftovers canceled, maybe one marketable child for the rest
    STOPPING = 4  # too many children rejected in a row: waiting for the others to end
    FILLED = 5
    CANCELED = 6
    EXPIRED = 7  # the horizon passed with quantity unfilled (at_end=leave, or the finish failed)
    STOPPED = 8


class Trigger(IntEnum):
    FILLED = 1  # the children's fills reached the quantity
    CANCEL = 2  # the owner canceled the parent
    HORIZON = 3  # the duration is over
    GIVE_UP = 4  # max_rejects children in a row were rejected or denied
    IDLE = 5  # no child open and nothing more to send (only fired while closing)


W, CG, FG, SG = AlgoStatus.WORKING, AlgoStatus.CANCELING, AlgoStatus.FINISHING, AlgoStatus.STOPPING
TRANSITIONS: dict[tuple[int, int], AlgoStatus] = {
    (W, Trigger.FILLED): AlgoStatus.FILLED,
    (W, Trigger.CANCEL): CG,
    (W, Trigger.HORIZON): FG,
    (W, Trigger.GIVE_UP): SG,
    (CG, Trigger.FILLED): AlgoStatus.FILLED,  # why: a fill that raced the cancels completed it
    (CG, Trigger.CANCEL): CG,
    (CG, Trigger.HORIZON): CG,
    (CG, Trigger.GIVE_UP): CG,
    (CG, Trigger.IDLE): AlgoStatus.CANCELED,
    (FG, Trigger.FILLED): AlgoStatus.FILLED,
    (FG, Trigger.CANCEL): CG,  # why: the owner can still cancel the finishing order
    (FG, Trigger.HORIZON): FG,
    (FG, Trigger.GIVE_UP): SG,
    (FG, Trigger.IDLE): AlgoStatus.EXPIRED,
    (SG, Trigger.FILLED): AlgoStatus.FILLED,
    (SG, Trigger.CANCEL): CG,
    (SG, Trigger.HORIZON): SG,
    (SG, Trigger.GIVE_UP): SG,
    (SG, Trigger.IDLE): AlgoStatus.STOPPED,
}
TERMINAL = frozenset(
    {AlgoStatus.FILLED, AlgoStatus.CANCELED, AlgoStatus.EXPIRED, AlgoStatus.STOPPED}
)
CLOSING = frozenset({CG, FG, SG})


@dataclass(slots=True)
class AlgoFinished:
    """Sent to the owner strategy's ``on_order_event`` when a parent order ends.

    ``status`` is ``filled``, ``canceled``, ``expired`` or ``stopped``; ``reason`` says why it
    stopped (None otherwise). Not an order event of the state machine (``KIND`` 0), not journaled.
    """

    KIND: ClassVar[int] = 0
    parent_id: str
    algo: str
    status: str
    filled_lots: int
    quantity: int
    reason: str | None
    ts_event: int
    ts_init: int

    @property
    def client_order_id(self) -> str:
        return self.parent_id
