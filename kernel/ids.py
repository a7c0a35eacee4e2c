"""Deterministic client order ids: ``<prefix><strategy>-<counter>``, never uuid4.

The id is the idempotency key with every venue (a retry after a timeout must find the order, not
duplicate it), so it must be reproducible from the run and unique per account: the ``prefix``
names the run (a live session passes one that differs between sessions).
"""

from __future__ import annotations


class OrderIdGenerator:
    """Generate ``<prefix><strategy_id>-<n>`` for n = 1, 2, ...; O(1) per id."""

    __slots__ = ("_head", "count")

    def __init__(self, strategy_id: str, prefix: str = "") -> None:
        self._head = f"{prefix}{strategy_id}-"
        self.count = 0

    def next_id(self) -> str:
        n = self.count + 1
        self.count = n
        return self._head + str(n)

    def advance_past(self, client_order_id: str) -> None:
        """Make later ids follow ``client_order_id`` (used when recovering from a journal)."""
        head = self._head
        if client_order_id.startswith(head):
            tail = client_order_id[len(head) :]
            # why: str.isdigit() also accepts "²" (int() raises) and "٣" (never an id of ours)
            if tail.isascii() and tail.isdigit():
                self.count = max(self.count, int(tail))
