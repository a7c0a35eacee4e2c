"""What is due next: the one rule for ordering a simulated venue's messages, the kernel's timers
and the venue's wake-ups (expiries, auctions, outage and disconnect boundaries).

Up to ``limit``, the earliest comes first; at equal times a venue message comes before a kernel
timer, and both before a wake-up; a wake-up due exactly at ``limit`` is taken only when
``wake_inclusive`` (the data stamped at a time is delivered before the venue wakes at that time,
so a wake-up at the data's time waits for it). The sim driver's generic drain and paper trading
ask ``next_due``; the driver's specialised one-venue drain inlines the same rule and is checked
against the generic one (tests/property/test_driver_differential.py).
"""

from __future__ import annotations

NONE = 0
MESSAGE = 1
TIMER = 2
WAKE = 3


def next_due(msg_ts: int, timer_ts: int, wake_ts: int, limit: int, wake_inclusive: bool) -> int:
    """Which of a message (due ``msg_ts``), a timer and a wake-up to handle now, or ``NONE``
    (absent ones are given as a time beyond every limit)."""
    wake_ok = wake_ts < limit or (wake_inclusive and wake_ts == limit)
    if msg_ts <= limit and msg_ts <= timer_ts and (msg_ts <= wake_ts or not wake_ok):
        return MESSAGE
    if timer_ts <= limit and (timer_ts <= wake_ts or not wake_ok):
        return TIMER
    if wake_ok:
        return WAKE
    return NONE
