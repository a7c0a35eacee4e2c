"""The order state machine: one literal ``(status, trigger) -> next`` table.

A row a line; ``RESTORE`` means "back to the status before the pending request" (a cancel or
modify that was rejected, or a modify that was confirmed). Rows marked ``# why`` are the
real-world cases: answers that overtake each other on the wire, fills that arrive after a cancel
was requested or even after it was confirmed, and duplicates after a reconnect.

While an order is pending cancel or modify, events that would have moved it (a late ack, a
trigger, a partial fill: the kinds in ``NATURAL``) leave it pending but update the status it
returns to, as the table would have moved that status (a late ack after a fill stays
PARTIALLY_FILLED); ``NATURAL`` gives the usual result.
"""

from __future__ import annotations

from kernel.enums import OrderStatus as S
from kernel.events import (
    K_ACCEPTED,
    K_CANCEL_REJECTED,
    K_CANCELED,
    K_DENIED,
    K_EXPIRED,
    K_FILLED,
    K_MODIFIED,
    K_MODIFY_REJECTED,
    K_PARTIALLY_FILLED,
    K_PENDING_CANCEL,
    K_PENDING_UPDATE,
    K_REJECTED,
    K_SUBMITTED,
    K_TRIGGERED,
)

RESTORE = -1


class InvalidTransition(RuntimeError):
    """An event that the order's current status does not admit: ``"STATUS -> TRIGGER"``."""


TRANSITIONS: dict[tuple[int, int], int] = {
    # never sent (or held by the kernel as a contingent child)
    (S.INITIALIZED, K_DENIED): S.DENIED,
    (S.INITIALIZED, K_SUBMITTED): S.SUBMITTED,
    (S.INITIALIZED, K_CANCELED): S.CANCELED,  # why: a held child canceled before release
    (S.INITIALIZED, K_EXPIRED): S.EXPIRED,  # why: a held child whose GTD time passed
    # sent, no answer yet
    (S.SUBMITTED, K_ACCEPTED): S.ACCEPTED,
    (S.SUBMITTED, K_REJECTED): S.REJECTED,
    (S.SUBMITTED, K_PENDING_CANCEL): S.PENDING_CANCEL,
    (S.SUBMITTED, K_PENDING_UPDATE): S.PENDING_UPDATE,
    (S.SUBMITTED, K_CANCELED): S.CANCELED,  # why: IOC/FOK remainder canceled with no ack first
    (S.SUBMITTED, K_EXPIRED): S.EXPIRED,
    (S.SUBMITTED, K_TRIGGERED): S.TRIGGERED,  # why: a stop already through on arrival
    (S.SUBMITTED, K_PARTIALLY_FILLED): S.PARTIALLY_FILLED,  # why: the fill overtook the ack
    (S.SUBMITTED, K_FILLED): S.FILLED,  # why: the fill overtook the ack
    # working at the venue
    (S.ACCEPTED, K_ACCEPTED): S.ACCEPTED,  # why: the ack repeated after a reconnect
    (S.ACCEPTED, K_PENDING_CANCEL): S.PENDING_CANCEL,
    (S.ACCEPTED, K_PENDING_UPDATE): S.PENDING_UPDATE,
    (S.ACCEPTED, K_MODIFIED): S.ACCEPTED,  # why: a change the venue made on its own
    (S.ACCEPTED, K_TRIGGERED): S.TRIGGERED,
    (S.ACCEPTED, K_CANCELED): S.CANCELED,
    (S.ACCEPTED, K_EXPIRED): S.EXPIRED,
    (S.ACCEPTED, K_REJECTED): S.REJECTED,  # why: venues that reject after the ack (at trigger)
    (S.ACCEPTED, K_PARTIALLY_FILLED): S.PARTIALLY_FILLED,
    (S.ACCEPTED, K_FILLED): S.FILLED,
    (S.ACCEPTED, K_CANCEL_REJECTED): S.ACCEPTED,  # why: the answer to a second cancel request
    (S.ACCEPTED, K_MODIFY_REJECTED): S.ACCEPTED,  # why: a modify still in flight after a restore
    (S.TRIGGERED, K_ACCEPTED): S.TRIGGERED,  # why: the trigger overtook the ack
    (S.TRIGGERED, K_PENDING_CANCEL): S.PENDING_CANCEL,
    (S.TRIGGERED, K_PENDING_UPDATE): S.PENDING_UPDATE,
    (S.TRIGGERED, K_MODIFIED): S.TRIGGERED,
    (S.TRIGGERED, K_TRIGGERED): S.TRIGGERED,  # why: the trigger repeated after a reconnect
    (S.TRIGGERED, K_CANCELED): S.CANCELED,
    (S.TRIGGERED, K_EXPIRED): S.EXPIRED,
    (S.TRIGGERED, K_REJECTED): S.REJECTED,
    (S.TRIGGERED, K_PARTIALLY_FILLED): S.PARTIALLY_FILLED,
    (S.TRIGGERED, K_FILLED): S.FILLED,
    (S.TRIGGERED, K_CANCEL_REJECTED): S.TRIGGERED,  # why: the answer to a second cancel request
    (S.TRIGGERED, K_MODIFY_REJECTED): S.TRIGGERED,  # why: a modify still in flight after a restore
    (S.PARTIALLY_FILLED, K_ACCEPTED): S.PARTIALLY_FILLED,  # why: the ack came after a fill
    (S.PARTIALLY_FILLED, K_PARTIALLY_FILLED): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, K_FILLED): S.FILLED,
    (S.PARTIALLY_FILLED, K_PENDING_CANCEL): S.PENDING_CANCEL,
    (S.PARTIALLY_FILLED, K_PENDING_UPDATE): S.PENDING_UPDATE,
    (S.PARTIALLY_FILLED, K_MODIFIED): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, K_CANCELED): S.CANCELED,
    (S.PARTIALLY_FILLED, K_EXPIRED): S.EXPIRED,
    (S.PARTIALLY_FILLED, K_CANCEL_REJECTED): S.PARTIALLY_FILLED,  # why: a second cancel's answer
    (S.PARTIALLY_FILLED, K_MODIFY_REJECTED): S.PARTIALLY_FILLED,  # why: see ACCEPTED
    # a cancel request is in flight
    (S.PENDING_CANCEL, K_CANCELED): S.CANCELED,
    (S.PENDING_CANCEL, K_CANCEL_REJECTED): RESTORE,
    (S.PENDING_CANCEL, K_PENDING_CANCEL): S.PENDING_CANCEL,  # why: cancel requested twice
    (S.PENDING_CANCEL, K_ACCEPTED): S.PENDING_CANCEL,  # why: our cancel overtook the ack
    (S.PENDING_CANCEL, K_TRIGGERED): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, K_MODIFIED): S.PENDING_CANCEL,  # why: an earlier modify confirmed
    (S.PENDING_CANCEL, K_MODIFY_REJECTED): S.PENDING_CANCEL,  # why: an earlier modify refused
    (S.PENDING_CANCEL, K_PARTIALLY_FILLED): S.PENDING_CANCEL,  # why: fill after cancel request
    (S.PENDING_CANCEL, K_FILLED): S.FILLED,  # why: filled before the cancel arrived
    (S.PENDING_CANCEL, K_EXPIRED): S.EXPIRED,
    (S.PENDING_CANCEL, K_REJECTED): S.REJECTED,  # why: the submit was refused, cancel in flight
    # a modify request is in flight
    (S.PENDING_UPDATE, K_MODIFIED): RESTORE,
    (S.PENDING_UPDATE, K_MODIFY_REJECTED): RESTORE,
    (S.PENDING_UPDATE, K_PENDING_UPDATE): S.PENDING_UPDATE,  # why: modify requested twice
    (S.PENDING_UPDATE, K_PENDING_CANCEL): S.PENDING_CANCEL,
    (S.PENDING_UPDATE, K_ACCEPTED): S.PENDING_UPDATE,  # why: our modify overtook the ack
    (S.PENDING_UPDATE, K_TRIGGERED): S.PENDING_UPDATE,
    (S.PENDING_UPDATE, K_PARTIALLY_FILLED): S.PENDING_UPDATE,  # why: fill while modifying
    (S.PENDING_UPDATE, K_FILLED): S.FILLED,
    (S.PENDING_UPDATE, K_CANCELED): S.CANCELED,
    (S.PENDING_UPDATE, K_EXPIRED): S.EXPIRED,
    (S.PENDING_UPDATE, K_REJECTED): S.REJECTED,
    # closed, but the wire is not always in order
    (S.CANCELED, K_PARTIALLY_FILLED): S.CANCELED,  # why: fill after cancel: traded before it
    (S.CANCELED, K_FILLED): S.FILLED,  # why: the late fill completed the order after all
    (S.CANCELED, K_CANCELED): S.CANCELED,  # why: the cancel repeated after a reconnect
    (S.CANCELED, K_CANCEL_REJECTED): S.CANCELED,  # why: a second cancel answered "already done"
    (S.CANCELED, K_MODIFY_REJECTED): S.CANCELED,  # why: a modify that lost the race
    (S.EXPIRED, K_PARTIALLY_FILLED): S.EXPIRED,  # why: fill reported after the expiry
    (S.EXPIRED, K_FILLED): S.FILLED,
    (S.EXPIRED, K_EXPIRED): S.EXPIRED,  # why: repeated after a reconnect
    (S.EXPIRED, K_CANCEL_REJECTED): S.EXPIRED,
    (S.EXPIRED, K_MODIFY_REJECTED): S.EXPIRED,
    (S.FILLED, K_ACCEPTED): S.FILLED,  # why: the fill overtook the ack (see SUBMITTED)
    (S.FILLED, K_CANCEL_REJECTED): S.FILLED,  # why: "too late to cancel"
    (S.FILLED, K_MODIFY_REJECTED): S.FILLED,  # why: "too late to modify"
    (S.REJECTED, K_REJECTED): S.REJECTED,  # why: repeated after a reconnect
    (S.REJECTED, K_CANCEL_REJECTED): S.REJECTED,  # why: a cancel sent before the reject landed
}

# What a pending order returns to after the given event (see module docstring).
NATURAL: dict[int, int] = {
    K_ACCEPTED: S.ACCEPTED,
    K_TRIGGERED: S.TRIGGERED,
    K_PARTIALLY_FILLED: S.PARTIALLY_FILLED,
}

PENDING_STATUSES = frozenset({S.PENDING_CANCEL, S.PENDING_UPDATE})
CLOSED_STATUSES = frozenset({S.DENIED, S.REJECTED, S.FILLED, S.CANCELED, S.EXPIRED})
# Working at (or on the way to) a venue; INITIALIZED orders are held by the kernel.
OPEN_STATUSES = frozenset(
    {
        S.SUBMITTED,
        S.ACCEPTED,
        S.TRIGGERED,
        S.PENDING_CANCEL,
        S.PENDING_UPDATE,
        S.PARTIALLY_FILLED,
    }
)
