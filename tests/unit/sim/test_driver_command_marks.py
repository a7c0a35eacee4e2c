"""Where the kernel's commands came in the data: each simulated venue notes it on every command
(``SimBroker.cmd_md``, from the kernel's stats the driver binds), and the driver leaves out a
data-position mark when the latest command came after the same data (tests/scenario/
test_bundled.py replays journals with and without those marks)."""

from __future__ import annotations

from kernel.clock import SimClock
from kernel.commands import CancelOrder
from kernel.kernel import Kernel
from kernel.units import Instrument
from sim.broker import SimBroker
from sim.driver import Driver, Source


def test_each_venue_notes_the_data_seen_at_a_command_and_the_driver_takes_the_latest():
    inst = Instrument("X", "0.01", "1")
    clock = SimClock(0)
    a = SimBroker("a", [inst], {"X": "quotes"}, clock)
    b = SimBroker("b", [inst], {"X": "quotes"}, clock)
    kernel = Kernel(clock, [inst], {"a": a, "b": b}, None)
    driver = Driver(kernel, clock, [a, b], [Source("quotes", "X")], None)
    assert a.md_stats is kernel.stats and b.md_stats is kernel.stats
    assert driver._command_md() == 0
    kernel.stats.md_events = 7
    b.cancel(CancelOrder("o-1", "X", "b", 0))
    kernel.stats.md_events = 9
    assert (a.cmd_md, b.cmd_md, driver._command_md()) == (0, 7, 7)
    a.cancel(CancelOrder("o-2", "X", "a", 0))
    assert (a.cmd_md, b.cmd_md, driver._command_md()) == (9, 7, 9)


def test_a_venue_not_bound_to_a_driver_notes_nothing_and_no_venue_means_none_yet():
    inst = Instrument("X", "0.01", "1")
    clock = SimClock(0)
    alone = SimBroker("a", [inst], {"X": "quotes"}, clock)
    alone.cancel(CancelOrder("o-1", "X", "a", 0))
    assert alone.md_stats is None and alone.cmd_md == 0
    kernel = Kernel(clock, [inst], {}, None)
    assert Driver(kernel, clock, [], [], None)._command_md() == 0
