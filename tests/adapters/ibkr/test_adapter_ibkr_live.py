"""The IBKR adapter end to end: ``executioncore live`` with a ``type: ibkr`` broker against the
local TWS API venue (``live.fakes.ibkr``) on 127.0.0.1 -- the seed's config, scripted orders of
every type, a strategy, a bracket whose entry fills in part. The venue's own books are the
oracle: its executions, orders (by ``orderRef``), positions and cash.

The helpers here (``start_venue``, ``write_config``, ``check``) serve the other
``test_adapter_ibkr_*`` files too.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from live_checks import Consistency, run_cli, run_seed_session
from live_churn import CHURN
from seed_config import ibkr_only

from executioncore.live_cmd import live_command
from live.fakes.alpaca.config import FakeAlpacaConfig
from live.fakes.ibkr import FakeIbkrConfig, VenueThread

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]

ROOT = Path(__file__).resolve().parents[3]
USDJPY = ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv"


def start_venue(faults: dict[str, float] | None = None, seed: int = 1, **kw: Any) -> VenueThread:
    """The local IB venue replaying USDJPY quotes as the stock ``XYZ`` (tick 0.001, lot 1)."""
    market: dict[str, Any] = {"data": USDJPY, "symbol": "XYZ", "tick_size": "0.001", "lot_size": "1",
              "cash": "10000000", "step_ms": 8, "seed": seed}  # fmt: skip
    ib_keys = {k: kw.pop(k) for k in ("conn_lost_s", "max_rate") if k in kw}
    market.update(kw)
    cfg = FakeIbkrConfig(market=FakeAlpacaConfig(**market), faults=faults or {}, **ib_keys)
    return VenueThread(cfg)


def write_config(tmp: Path, venue: VenueThread, strategy: bool = True) -> Path:
    """A live config with the venue as its one IBKR broker (and the churning strategy)."""
    (tmp / "churn_strategy.py").write_text(CHURN)
    doc: dict[str, Any] = {
        "name": "ibkr-test",
        "seed": 1,
        "id_prefix": "t-",
        "brokers": {"ib": {"type": "ibkr", "host": "127.0.0.1", "port": venue.port}},
        "failsafes": {"cancel_on_exit": True},
    }
    if strategy:
        doc["strategy"] = {"class": "churn_strategy:Churn", "params": {"symbol": "XYZ"}}
    path = tmp / "executioncore.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def order_refs(venue: VenueThread) -> list[str]:
    """Every order the venue took, by the client's ``orderRef`` (the kernel's id)."""
    # why: the venue's state() lists orders without their orderRef
    return venue.call(lambda: [o.order_ref for o in venue.handle.account.orders.values()])  # type: ignore[no-any-return]


def check(summary: dict[str, Any], trade_ids: list[str], venue: VenueThread) -> Consistency:
    """The kernel's books against the venue's: every execution once, every order once, the
    same positions and cash."""
    state = venue.state()
    venue_exec = [e["exec_id"] for e in state["executions"]]
    out = Consistency(len(venue_exec), len(trade_ids))
    out.lost = sorted(set(venue_exec) - set(trade_ids))
    out.duplicated = sorted(e for e, n in Counter(trade_ids).items() if n > 1)
    out.duplicate_orders = sorted(r for r, n in Counter(order_refs(venue)).items() if n > 1)
    for sym, qty in state["positions"].items():
        mine = Decimal(str(summary["positions"].get(sym, 0)))
        if mine != Decimal(qty):
            out.mismatches.append(f"{sym}: kernel {mine}, venue {qty}")
    if Decimal(str(summary["cash"])) != Decimal(state["cash"]):
        out.mismatches.append(f"cash: kernel {summary['cash']}, venue {state['cash']}")
    return out


SCRIPT = {
    "orders": [
        {"at": "+0.3s", "id": "buy1", "symbol": "XYZ", "side": "buy", "quantity": 100},
        {"at": "+0.4s", "id": "far", "symbol": "XYZ", "side": "buy", "quantity": 10,
         "type": "limit", "limit_price": 80.0},
        {"at": "+0.6s", "modify": "far", "limit_price": 80.5, "quantity": 12},
        {"at": "+0.9s", "cancel": "far"},
        {"at": "+1.0s", "id": "buy2", "symbol": "XYZ", "side": "buy", "quantity": 50},
        {"at": "+1.6s", "id": "sell1", "symbol": "XYZ", "side": "sell", "quantity": 60},
    ]
}  # fmt: skip


def test_the_seed_config_with_an_ibkr_broker_runs_scripted_orders_end_to_end(tmp_path, capsys):
    venue = start_venue(cash="100000", step_ms=20)
    try:
        code, summary, err = run_seed_session(tmp_path, ibkr_only(venue.port), SCRIPT, capsys, "3s")
        state = venue.state()
        refs = order_refs(venue)
    finally:
        venue.close()
    assert code == 0, err
    assert summary is not None and "Traceback" not in err
    assert summary["orders"] == 4 and summary["fills"] >= 3 and summary["cancels"] == 1
    # the broker's books are the truth: positions and cash equal the venue's
    assert summary["positions"] == {"XYZ": 90} and state["positions"] == {"XYZ": "90"}
    assert Decimal(str(summary["cash"])) == Decimal(state["cash"])
    backup = summary["brokers"]["backup"]
    assert backup["connected"] is True and backup["positions"] == {"XYZ": 90}
    # every order once at the venue, under the kernel's id; the modify reached it
    assert len(refs) == len(set(refs)) == 4
    far = next(o for o in state["orders"] if o["type"] == "LMT")
    assert (far["qty"], far["status"]) == ("12", "Cancelled")
    assert {o["tif"] for o in state["orders"]} == {"DAY"}  # orders.default_time_in_force
    assert summary["open_orders"] == 0 and summary["overfills"] == 0
    assert summary["live"]["adapters"]["backup"]["connection"]["library"] in (
        "ib_async",
        "ib_insync",
    )


TYPES: list[dict[str, Any]] = [
    {"id": "mkt", "type": "market"},
    {"id": "lmt", "type": "limit", "limit_price": 80.0, "time_in_force": "gtc"},
    {"id": "stp", "type": "stop", "stop_price": 95.0},
    {"id": "stl", "type": "stop_limit", "stop_price": 95.0, "limit_price": 95.5},
    {"id": "trl", "type": "trailing_stop", "trail_price": 5.0, "side": "sell"},
    {"id": "trp", "type": "trailing_stop", "trail_percent": 5.0, "side": "sell"},
    {"id": "mit", "type": "mit", "stop_price": 80.0},
    {"id": "lit", "type": "lit", "stop_price": 80.0, "limit_price": 80.1},
    {"id": "ioc", "type": "limit", "limit_price": 80.0, "time_in_force": "ioc"},
    {"id": "gtd", "type": "limit", "limit_price": 80.0, "time_in_force": "gtd",
     "expire_at": "2030-01-01T00:00:00Z"},
    {"id": "opg", "type": "market", "time_in_force": "opg"},
]  # fmt: skip
IB_TERMS = {
    "mkt": ("MKT", "DAY"), "lmt": ("LMT", "GTC"), "stp": ("STP", "DAY"), "stl": ("STP LMT", "DAY"),
    "trl": ("TRAIL", "DAY"), "trp": ("TRAIL", "DAY"), "mit": ("MIT", "DAY"), "lit": ("LIT", "DAY"),
    "ioc": ("LMT", "IOC"), "gtd": ("LMT", "GTD"), "opg": ("MKT", "OPG"),
}  # fmt: skip


def test_every_order_type_and_time_in_force_reaches_the_venue(tmp_path):
    venue = start_venue(cash="1000000", step_ms=20)
    try:
        cfg = write_config(tmp_path, venue, strategy=False)
        script = [{"at": f"+{0.3 + i * 0.05:.2f}s", "symbol": "XYZ", "side": "buy",
                   "quantity": 10, **entry} for i, entry in enumerate(TYPES)]  # fmt: skip
        script.append({"at": "+1.2s", "modify": "stp", "stop_price": 94.0})
        orders = tmp_path / "orders.yaml"
        orders.write_text(yaml.safe_dump({"orders": script}))
        result = live_command(cfg, orders, "2.5s", False, tmp_path / "run", True)
        state = venue.state()
        refs = order_refs(venue)
    finally:
        venue.close()
    by_ref = dict(zip(refs, state["orders"], strict=True))
    # the script's orders in the order they were sent (one per entry, in time order)
    rows = {entry["id"]: row for entry, row in zip(TYPES, result.record.orders, strict=True)}
    for sid, (ib_type, ib_tif) in IB_TERMS.items():
        ib = by_ref[rows[sid]["id"]]
        assert (ib["type"], ib["tif"]) == (ib_type, ib_tif), sid
    # the venue refuses OPG (it trades around the clock): rejected with IB's reason
    assert by_ref[rows["opg"]["id"]]["status"] == "Inactive"
    assert rows["opg"]["status"] == "rejected" and rows["opg"]["reason"].startswith("IB 201:")
    assert rows["mkt"]["status"] == "filled" and rows["ioc"]["status"] == "canceled"
    assert rows["stp"]["stop"] == 94.0  # the modify, confirmed by IB's echo (OrderModified)
    s = result.summary
    assert s["positions"] == {"XYZ": float(state["positions"]["XYZ"])}
    assert s["open_orders"] == 0  # canceled on exit, and the venue agrees
    assert not [o for o in state["orders"] if o["status"] in ("Submitted", "PreSubmitted")]


def test_a_strategy_trades_end_to_end_and_its_books_equal_the_venues(tmp_path):
    venue = start_venue()
    try:
        cfg = write_config(tmp_path, venue)
        result = live_command(cfg, None, "3s", False, tmp_path / "run", True)
        consistency = check(result.summary, [f["trade_id"] for f in result.record.fills], venue)
    finally:
        venue.close()
    assert consistency.ok, consistency
    assert consistency.venue_fills >= 20
    s = result.summary
    assert s["orders"] >= 40 and s["cancels"] >= 10 and s["overfills"] == 0
    assert s["live"]["stop"] == "RUN_FOR_ELAPSED"


def write_quotes(path: Path, n: int = 150) -> Path:
    """Quotes with sizes: bid 100.00 x 500, ask 100.02 x 700, one a second."""
    rows = [
        f"2024-01-02T14:{30 + i // 60:02d}:{i % 60:02d}Z,100.00,100.02,500,700" for i in range(n)
    ]
    path.write_text("ts,bid_px,ask_px,bid_sz,ask_sz\n" + "\n".join(rows) + "\n")
    return path


def test_a_brackets_entry_filled_in_part_releases_children_sized_to_what_filled(tmp_path):
    """An IOC entry for 1000 meets 700 at the ask: 700 fill, the rest is canceled; the kernel
    (which emulates brackets on every venue) then sends take-profit and stop-loss for 700."""
    data = write_quotes(tmp_path / "sized.csv")
    venue = start_venue(data=data, tick_size="0.01", cash="1000000", step_ms=20)
    try:
        cfg = write_config(tmp_path, venue, strategy=False)
        entry = {"at": "+0.3s", "id": "entry", "symbol": "XYZ", "side": "buy", "quantity": 1000,
                 "type": "limit", "limit_price": 100.02, "time_in_force": "ioc",
                 "take_profit": {"limit_price": 101.0}, "stop_loss": {"stop_price": 99.0}}  # fmt: skip
        orders = tmp_path / "orders.yaml"
        orders.write_text(yaml.safe_dump({"orders": [entry]}))
        result = live_command(cfg, orders, "2s", False, tmp_path / "run", True)
        state = venue.state()
    finally:
        venue.close()
    first, *children = state["orders"]
    assert (first["type"], first["qty"], first["filled"], first["status"]) == (
        "LMT",
        "1000",
        "700",
        "Cancelled",
    )
    assert sorted((o["type"], o["action"], o["qty"]) for o in children) == [
        ("LMT", "SELL", "700"), ("STP", "SELL", "700")]  # fmt: skip
    assert result.summary["positions"] == {"XYZ": 700} and state["positions"] == {"XYZ": "700"}


def test_an_unreachable_ibkr_broker_exits_3_naming_it_and_its_address(tmp_path, capsys):
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    doc = yaml.safe_load(ibkr_only(port))
    doc["brokers"]["backup"]["connect_timeout"] = "2s"
    cfg = tmp_path / "executioncore.yaml"
    cfg.write_text(yaml.safe_dump(doc))
    code, _, err = run_cli(["live", "--config", str(cfg), "--out", str(tmp_path / "run")], capsys)
    assert code == 3
    assert "backup" in err and f"127.0.0.1:{port}" in err and "unreachable" in err
    assert "Traceback" not in err


def test_a_burst_of_orders_is_paced_under_ibs_limit_and_none_is_dropped(tmp_path):
    """80 orders at once, then their 80 cancels at shutdown: TWS takes 50 messages a second
    (error 100 beyond); the adapter's throttle sends them all, in order, none refused."""
    venue = start_venue(cash="10000000", step_ms=20)
    try:
        cfg = write_config(tmp_path, venue, strategy=False)
        burst = [{"at": "+0.3s", "id": f"o{i}", "symbol": "XYZ", "side": "buy", "quantity": 1,
                  "type": "limit", "limit_price": 50.0} for i in range(80)]  # fmt: skip
        orders = tmp_path / "orders.yaml"
        orders.write_text(yaml.safe_dump({"orders": burst}))
        result = live_command(cfg, orders, "3s", False, tmp_path / "run", True)
        stats = venue.stats()
        state = venue.state()
        refs = order_refs(venue)
    finally:
        venue.close()
    assert stats["pacing_refused"] == 0
    assert len(refs) == len(set(refs)) == 80
    assert [o["status"] for o in state["orders"]] == ["Cancelled"] * 80  # canceled on exit
    adapter = result.summary["live"]["adapters"]["ib"]
    assert adapter["throttle"]["waited_s"] > 0 and adapter["throttle"]["penalties"] == 0
    assert result.summary["open_orders"] == 0 and result.summary["cancels"] == 80
