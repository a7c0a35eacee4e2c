"""Same inputs, same journal digest: in one process, and across processes and PYTHONHASHSEED values.

``scripted_digest`` drives orders through the OrderManager (with OCO and OTO links, duplicate
fills, timers) and journals every event and every command the links call for. A subprocess runs
this very file with ``runpy`` under other hash seeds and must print the same digest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kernel import events as ev
from kernel.codec import IN, OUT
from kernel.commands import CancelOrder, SubmitOrder
from kernel.enums import OrderStatus, OrderType, Side
from kernel.ids import OrderIdGenerator
from kernel.journal import Journal, MemorySink
from kernel.oms import ACT_CANCEL, OrderManager
from kernel.orders import Order
from kernel.timers import TimerQueue

ROOT = Path(__file__).resolve().parents[3]  # the project root: tests/unit/kernel/<this file>
T0 = 1_700_000_000_000_000_000


def scripted_digest(block_records: int = 7, symbols: int = 5) -> str:
    """Run a fixed script of orders, fills and timers; return the journal digest."""
    journal = Journal(MemorySink(), block_records=block_records)
    oms = OrderManager()
    timers = TimerQueue()
    ts = T0

    def feed(event) -> None:
        journal.record(IN, event)
        oms.apply(event)
        actions = list(oms.actions)  # drain what the links call for, in order
        oms.actions.clear()
        for action, order in actions:
            if action == ACT_CANCEL and order.is_open:
                journal.record(OUT, CancelOrder(order.client_order_id, order.symbol, "SIM", ts))
            elif order.status == OrderStatus.INITIALIZED:  # held: cancel locally, or release
                if action == ACT_CANCEL:
                    feed(ev.OrderCanceled(order.client_order_id, ts, ts))
                else:
                    send(order)

    def send(order: Order) -> None:
        journal.record(OUT, SubmitOrder(order, "SIM", ts))
        feed(ev.OrderSubmitted(order.client_order_id, "SIM", ts, ts))

    # strategies and symbols named so that str hashes (and so set order) differ between seeds
    names = [f"strat-{chr(0x3B1 + i)}-{i * 7919}" for i in range(3)]
    gens = {n: OrderIdGenerator(n, prefix="run.") for n in names}
    syms = [f"SYM{i:02d}é" for i in range(symbols)]
    book: list[Order] = []
    for i in range(24):
        ts += 1_000
        name = names[i % 3]
        o = Order(
            gens[name].next_id(),
            name,
            syms[i % len(syms)],
            Side.BUY if i % 2 else Side.SELL,
            OrderType.LIMIT,
            5 + i,
            limit_ticks=10_000 + i,
        )
        book.append(o)
    for a, b in zip(book[0:6:2], book[1:6:2]):
        oms.link_oco([a, b])
    oms.link_oto(book[6], [book[7], book[8]])
    for o in book:
        oms.add(o)
    for i, o in enumerate(book):
        timers.schedule(T0 + 10_000 * (i % 4), ("wake", o.client_order_id))
        if o.parent_id is None:
            send(o)
            feed(ev.OrderAccepted(o.client_order_id, f"V{i}", ts, ts))
    trade = 0
    for i, o in enumerate(list(oms.open_orders())):
        ts += 1_000
        if i % 3 == 0:
            trade += 1
            fill = ev.OrderFilled(
                o.client_order_id, "V", f"t{trade}", o.symbol, o.side, 10_000, 2, 1, 3, ts, ts
            )
            feed(fill)
            feed(fill)  # a duplicate after a reconnect: ignored, but journaled as received
        elif i % 3 == 1:
            feed(ev.OrderPendingCancel(o.client_order_id, ts, ts))
    for when, handle, payload in timers.due(T0 + 20_000):
        journal.record(IN, ev.TimerFired("script", payload[1], handle, when, when))
    for o in oms.open_orders():  # cancel everything still open, in index order
        ts += 1
        journal.record(OUT, CancelOrder(o.client_order_id, o.symbol, "SIM", ts))
        feed(ev.OrderPendingCancel(o.client_order_id, ts, ts))
        feed(ev.OrderCanceled(o.client_order_id, ts, ts))
    journal.append_blob((IN, 99, "blob"), bytes(range(256)))
    oms._check()
    # the script does reach what it is meant to exercise
    assert oms.duplicate_fills == trade > 0
    assert not oms.held  # the OTO children were released or canceled
    assert journal.pending + journal.count > 100
    return journal.close()


def test_determinism_same_script_same_digest():
    first = scripted_digest()
    assert scripted_digest() == first
    assert len(first) == 64


def test_determinism_digest_independent_of_block_size():
    assert scripted_digest(block_records=1) == scripted_digest(block_records=10_000)


def test_determinism_different_script_different_digest():
    assert scripted_digest(symbols=4) != scripted_digest(symbols=5)


@pytest.mark.parametrize("hashseed", ["0", "12345"])
def test_determinism_digest_same_in_subprocess_under_hashseed(hashseed):
    code = (
        "import runpy, sys; "
        f"ns = runpy.run_path({str(Path(__file__).resolve())!r}); "
        "sys.stdout.write(ns['scripted_digest']())"
    )
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout == scripted_digest()
