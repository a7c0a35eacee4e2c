"""Hand-built RunRecords for the report, statistics and table tests (deterministic, no kernel)."""

from __future__ import annotations

import random

from executioncore.record import RunRecord

T0 = 1_357_077_600_000_000_000  # 2013-01-01T22:00:00Z
SEC = 1_000_000_000


def synthetic_record(
    samples: int = 400,
    symbols: tuple[str, ...] = ("USDJPY", "EURUSD"),
    fill_every: int = 25,
    with_tca: bool = True,
    seed: int = 7,
) -> RunRecord:
    """Build a run of ``samples`` one-second samples: random-walk prices, fills, orders, TCA."""
    rng = random.Random(seed)
    rec = RunRecord(scenario="synthetic", seed=seed, currency="USD", starting_cash=100_000.0)
    px = {sym: 86.7 + i for i, sym in enumerate(symbols)}
    pos = dict.fromkeys(symbols, 0.0)
    cash = 100_000.0
    for sym in symbols:
        rec.prices[sym] = []
        rec.positions[sym] = []
    n_order = 0
    for i in range(samples):
        ts = T0 + i * SEC
        for sym in symbols:
            px[sym] = round(px[sym] + rng.gauss(0, 0.01), 3)
        if fill_every and i % fill_every == fill_every - 1:
            sym = symbols[(i // fill_every) % len(symbols)]
            side = "buy" if pos[sym] <= 0 else "sell"
            qty = 10_000.0
            n_order += 1
            oid = f"o{n_order}"
            realized = 0.0 if side == "buy" else round(rng.gauss(5, 20), 2)
            cash += realized - 0.5
            pos[sym] += qty if side == "buy" else -qty
            algo = "p1" if with_tca and sym == symbols[0] and n_order <= 8 else None
            rec.fills.append(
                {"ts": ts, "order_id": oid, "strategy": "s1", "symbol": sym, "side": side,
                 "qty": qty, "price": px[sym], "liquidity": "taker", "commission": 0.5,
                 "realized": realized, "trade_id": f"T{n_order}", "algo": algo}
            )  # fmt: skip
            rec.orders.append(
                {"id": oid, "strategy": "s1", "symbol": sym, "side": side, "type": "market",
                 "qty": qty, "limit": None, "stop": None, "tif": "gtc", "status": "filled",
                 "filled": qty, "avg_price": px[sym], "reason": None}
            )  # fmt: skip
        unreal = sum(pos[s] * (px[s] - 86.7) * 0.01 for s in symbols)
        rec.equity.append((ts, round(cash + unreal, 2)))
        for sym in symbols:
            rec.prices[sym].append((ts, px[sym]))
            rec.positions[sym].append((ts, pos[sym]))
    rec.risk_events.append({"ts": T0 + 5 * SEC, "code": "max_order_value", "detail": "o9 > 50000"})
    if with_tca:
        kids = [f for f in rec.fills if f["algo"] == "p1"]
        qty = sum(f["qty"] for f in kids)
        avg = round(sum(f["qty"] * f["price"] for f in kids) / qty, 4)
        arrival = next(p for t, p in rec.prices[symbols[0]] if t >= kids[0]["ts"] - 5 * SEC)
        window = [p for t, p in rec.prices[symbols[0]] if kids[0]["ts"] <= t <= kids[-1]["ts"]]
        vwap = round(sum(window) / len(window), 4)
        rec.tca.append(
            {"parent_id": "p1", "algo": "twap", "symbol": symbols[0], "side": "buy", "qty": qty,
             "filled": qty, "arrival_price": arrival, "avg_price": avg,
             "shortfall_bps": round((avg / arrival - 1) * 1e4, 2),
             "shortfall_money": round((avg - arrival) * qty * 0.01, 2), "market_vwap": vwap,
             "market_twap": vwap, "slippage_vs_vwap_bps": round((avg / vwap - 1) * 1e4, 2),
             "slippage_vs_twap_bps": round((avg / vwap - 1) * 1e4, 2), "participation": 0.12,
             "fill_ratio": 1.0, "children": len(kids),
             "time_to_complete_s": (kids[-1]["ts"] - kids[0]["ts"]) / SEC}
        )  # fmt: skip
    rec.summary = {
        "scenario": "synthetic", "seed": seed, "events": samples * len(symbols),
        "orders": len(rec.orders), "fills": len(rec.fills), "cancels": 1, "expired": 0,
        "rejects": 1, "positions": dict(pos), "realized_pnl": round(cash - 100_000 + 0.5 * len(rec.fills), 2),
        "unrealized_pnl": round(rec.equity[-1][1] - cash, 2), "commissions": 0.5 * len(rec.fills),
        "cash": round(cash, 2), "equity": rec.equity[-1][1], "max_drawdown": 0.001,
        "digest": "ab12" * 16, "expectations": {"passed": True, "failures": []},
    }  # fmt: skip
    return rec
