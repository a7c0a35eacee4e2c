"""Scripted orders: the ``orders:`` list of a scenario (or of ``live --orders``), checked and run.

``check_orders`` validates every entry against the instruments (names of sides, types and
times in force, prices on the tick grid, quantities on the lot grid, bracket legs on their side
of the entry, references between entries) and returns normalized dicts; messages show the
numbers as the user wrote them.
``ScriptedOrders`` is the strategy that sends them: each entry fires on a kernel timer at its
``at`` time (``+DURATION`` counts from the start of the run), so a script runs identically in a
backtest, in a replay and live.
"""

from __future__ import annotations

from typing import Any

from kernel.enums import ORDER_TYPE_BY_NAME, SIDE_BY_NAME, TIF_BY_NAME, Side
from kernel.orders import InvalidOrder, Order, make_order
from kernel.strategy import Strategy
from kernel.units import Instrument, UnitError, to_decimal

SCRIPT_ID = "script"
# an ``orders:`` entry ``{at, operator: ...}``: the operator's action at that time
OPERATOR_ACTIONS = ("halt", "resume", "kill_switch", "cancel_all")
_PRICE_FIELDS = ("limit_price", "stop_price", "trail_price", "trail_percent", "display_qty")

# the keys of an ``orders:`` entry that take one of a few names (any case), and those names
ENUM_KEYS: dict[str, tuple[str, ...]] = {
    "side": tuple(SIDE_BY_NAME),
    "type": tuple(ORDER_TYPE_BY_NAME),
    "time_in_force": tuple(TIF_BY_NAME),
}
# a bracket's legs: the keys each takes, and the one it needs
LEG_KEYS = {"take_profit": {"limit_price"}, "stop_loss": {"stop_price", "limit_price"}}
LEG_PRICE = {"take_profit": "limit_price", "stop_loss": "stop_price"}

# the keys of an ``orders:`` entry (scenarios, ``--orders`` files)
ORDER_KEYS = {
    "at",
    "id",
    "symbol",
    "side",
    "quantity",
    "type",
    "limit_price",
    "stop_price",
    "trail_price",
    "trail_percent",
    "time_in_force",
    "expire_at",
    "post_only",
    "reduce_only",
    "display_qty",
    "oco",
    "take_profit",
    "stop_loss",
    "algo",
    "venue",
}


def check_orders(
    c, entries: Any, instruments: dict[str, Instrument], venues: set[str]
) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Validate ``orders:`` entries; return them normalized (times as ``[kind, ns]``)."""
    out: list[dict[str, Any]] = []
    ids: dict[str, str] = {}  # order id -> its symbol
    algo_ids: set[str] = set()  # parent orders: canceled as a whole, never modified
    for i, entry in enumerate(c.listing(entries, "orders")):
        where = f"orders[{i}]"
        entry = c.mapping(entry, where)
        at = c.time(entry.get("at", "+0s"), f"{where}.at", relative=True)
        if "operator" in entry:
            c.mapping(entry, where, {"at", "operator"})
            c.choice(entry["operator"], f"{where}.operator", OPERATOR_ACTIONS)
            out.append({"operator": entry["operator"], "at": list(at)})
            continue
        if "cancel" in entry or "modify" in entry:
            out.append(_check_action(c, entry, where, at, ids, instruments))
            if out[-1].get("modify") in algo_ids:
                raise c.fail(f"{where}.modify", "an algo order cannot be modified (cancel it)")
            continue
        c.mapping(entry, where, ORDER_KEYS)
        oid = c.text(entry.get("id"), f"{where}.id")
        if oid in ids:
            raise c.fail(f"{where}.id", f"{oid!r} is used twice")
        sym = c.text(entry.get("symbol"), f"{where}.symbol")
        if sym not in instruments:
            raise c.fail(
                f"{where}.symbol",
                f"unknown symbol {sym!r} (instruments: {', '.join(sorted(instruments))})",
            )
        ids[oid] = sym
        if "quantity" not in entry:
            raise c.fail(f"{where}.quantity", "missing")
        item: dict[str, Any] = {k: v for k, v in entry.items() if k not in ("at", "expire_at")}
        item["at"] = list(at)
        if "expire_at" in entry:
            item["expire_ns"] = c.time(entry["expire_at"], f"{where}.expire_at")[1]
        if entry.get("venue") is not None and entry["venue"] not in venues:
            raise c.fail(
                f"{where}.venue",
                f"unknown venue {entry['venue']!r} (accepted: {', '.join(sorted(venues))})",
            )
        for key in ("post_only", "reduce_only"):
            if key in entry:
                c.boolean(entry[key], f"{where}.{key}")
        for key, names in ENUM_KEYS.items():
            if key in entry or key == "side":
                c.choice(entry.get(key), f"{where}.{key}", names)
        order = build_order(item, instruments[sym], "check-1", SCRIPT_ID, 0, where, c)
        if "take_profit" in entry or "stop_loss" in entry:
            _check_bracket(c, entry, where, order, instruments[sym])
        if "oco" in entry:
            item["oco"] = [
                c.text(x, f"{where}.oco") for x in c.listing(entry["oco"], f"{where}.oco")
            ]
        if "algo" in entry:
            from executioncore.algo_spec import check_algo

            item["algo"] = check_algo(
                c, entry["algo"], f"{where}.algo", item, instruments[sym], venues
            )
            algo_ids.add(oid)
        out.append(item)
    for i, item in enumerate(out):
        for other in item.get("oco", []):
            if other not in ids:
                raise c.fail(f"orders[{i}].oco", f"unknown order id {other!r}")
    return out


def _check_bracket(c, entry: dict[str, Any], where: str, order: Order, inst: Instrument) -> None:  # type: ignore[no-untyped-def]
    """Each leg is a valid exit order, on the right side of the entry and of the other leg: a
    buy bracket takes profit above its entry price and stops out below it (a sell bracket the
    other way round). The entry price is the entry's limit, else its trigger; a market entry
    has none, so only the legs are compared."""
    ticks: dict[str, int] = {}  # leg -> its price (take-profit limit, stop-loss trigger)
    for leg, keys in LEG_KEYS.items():
        if leg not in entry:
            continue
        spec = c.mapping(entry[leg], f"{where}.{leg}", keys)
        if LEG_PRICE[leg] not in spec:
            raise c.fail(f"{where}.{leg}.{LEG_PRICE[leg]}", "missing")
        child = _leg(order.side, leg, spec, entry["quantity"])
        built = build_order(child, inst, "check-2", SCRIPT_ID, 0, f"{where}.{leg}", c)
        price = built.limit_ticks if leg == "take_profit" else built.stop_ticks
        assert price is not None  # why: build_order refuses a limit or stop without its price
        ticks[leg] = price
    buy = order.side == Side.BUY
    sign = 1 if buy else -1  # why: a sell bracket is compared as the mirror of a buy bracket
    what = f"of {'buy' if buy else 'sell'} order {entry['id']!r}"
    shown = {leg: _shown(entry[leg][LEG_PRICE[leg]]) for leg in ticks}
    tp, sl = ticks.get("take_profit"), ticks.get("stop_loss")
    entry_key = "limit_price" if order.limit_ticks is not None else "stop_price"
    entry_ticks = order.limit_ticks if order.limit_ticks is not None else order.stop_ticks
    if entry_ticks is not None:
        at_entry = f"its entry {entry_key} {_shown(entry[entry_key])}"
        if tp is not None and sign * (tp - entry_ticks) <= 0:
            raise c.fail(
                f"{where}.take_profit.limit_price",
                f"the take-profit {shown['take_profit']} {what} must be {_beyond(buy, True)} "
                f"{at_entry}",
            )
        if sl is not None and sign * (entry_ticks - sl) <= 0:
            raise c.fail(
                f"{where}.stop_loss.stop_price",
                f"the stop-loss {shown['stop_loss']} {what} must be {_beyond(buy, False)} "
                f"{at_entry}",
            )
    if tp is not None and sl is not None and sign * (tp - sl) <= 0:
        raise c.fail(
            f"{where}.take_profit.limit_price",
            f"the take-profit {shown['take_profit']} {what} must be {_beyond(buy, True)} its "
            f"stop-loss {shown['stop_loss']}",
        )


def _leg(entry_side: Side, leg: str, spec: dict[str, Any], quantity: Any) -> dict[str, Any]:
    """The exit order a bracket leg describes (``ScriptedOrders`` sends the same)."""
    exit_side = "sell" if entry_side == Side.BUY else "buy"
    kind = "limit" if leg == "take_profit" else "stop_limit" if "limit_price" in spec else "stop"
    return {"side": exit_side, "type": kind, "quantity": quantity, **spec}


def _beyond(buy: bool, profit: bool) -> str:
    return "above" if buy == profit else "below"


def _shown(value: Any) -> str:
    """A price as the user wrote it (YAML floats by their shortest repr)."""
    return str(to_decimal(value))


def _check_action(c, entry, where, at, ids, instruments) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    if "cancel" in entry:
        c.mapping(entry, where, {"at", "cancel"})
        ref = c.text(entry["cancel"], f"{where}.cancel")
        if ref not in ids:
            raise c.fail(f"{where}.cancel", f"unknown order id {ref!r} (declare the order first)")
        return {"cancel": ref, "at": list(at)}
    c.mapping(entry, where, {"at", "modify", "quantity", "limit_price", "stop_price"})
    ref = c.text(entry["modify"], f"{where}.modify")
    if ref not in ids:
        raise c.fail(f"{where}.modify", f"unknown order id {ref!r} (declare the order first)")
    if not {"quantity", "limit_price", "stop_price"} & set(entry):
        raise c.fail(where, "a modify needs quantity, limit_price or stop_price")
    inst = instruments[ids[ref]]
    for key in ("quantity", "limit_price", "stop_price"):
        if key not in entry:
            continue
        c.number(entry[key], f"{where}.{key}", positive=key == "quantity")
        try:
            if key == "quantity":
                inst.qty_to_lots(entry[key], key)
            else:
                inst.price_to_ticks(entry[key], key)
        except UnitError as exc:
            raise c.fail(f"{where}.{key}", str(exc)) from None
    return {k: v for k, v in entry.items() if k != "at"} | {"at": list(at)}


def build_order(
    item: dict[str, Any],
    inst: Instrument,
    oid: str,
    strategy_id: str,
    ts: int,
    where: str = "order",
    c=None,
) -> Order:  # type: ignore[no-untyped-def]
    """Make the kernel order an entry describes (raises ``ScenarioError`` when ``c`` is given)."""
    try:
        return make_order(
            inst,
            oid,
            strategy_id,
            item.get("side", ""),
            item.get("type", "market"),
            item.get("quantity", 0),
            limit_price=item.get("limit_price"),
            stop_price=item.get("stop_price"),
            trail_price=item.get("trail_price"),
            trail_percent=item.get("trail_percent"),
            time_in_force=item.get("time_in_force", "gtc"),
            expire_ns=item.get("expire_ns"),
            post_only=item.get("post_only", False),
            reduce_only=item.get("reduce_only", False),
            display_qty=item.get("display_qty"),
            venue=item.get("venue"),
            ts_init=ts,
        )
    except InvalidOrder as exc:
        if c is None:
            raise
        field = _field_of(exc)
        raise c.fail(f"{where}.{field}" if field else where, str(exc).split(": ", 1)[-1]) from None
    except (AttributeError, TypeError):
        if c is None:
            raise
        raise c.fail(where, "side must be buy or sell, type and time_in_force names") from None


def _field_of(exc: InvalidOrder) -> str | None:
    text = str(exc)
    for key in (*_PRICE_FIELDS, "quantity", "time_in_force", "expire_at", "side", "type"):
        if key in text:
            return key
    return {
        "MISSING_PRICE": None,
        "UNKNOWN_VALUE": None,
        "GTD_WITHOUT_EXPIRY": "expire_at",
    }.get(exc.reason)


def resolve_times(orders: list[dict[str, Any]], start_ns: int) -> list[tuple[int, int]]:
    """``(ns, index)`` of each entry, in firing order (time, then list order)."""
    times = []
    for i, item in enumerate(orders):
        kind, ns = item["at"]
        times.append((ns if kind == "abs" else start_ns + ns, i))
    return sorted(times)


class ScriptedOrders(Strategy):
    """Sends a script's orders, cancels and modifies on kernel timers."""

    strategy_id = SCRIPT_ID

    def __init__(
        self, orders: list[dict[str, Any]], start_ns: int, strategy_id: str = SCRIPT_ID
    ) -> None:
        super().__init__(strategy_id)
        self.orders = orders
        self.start_ns = start_ns
        self.ids: dict[str, str] = {}  # script id -> client order id
        self._groups = _oco_groups(orders)
        self._algo_ids: set[str] = set()

    def on_start(self) -> None:
        # the host installed the algo engine when any order has an algo (executioncore.build)
        for ts, i in resolve_times(self.orders, self.start_ns):
            self.ctx.set_timer(ts, str(i))

    def on_timer(self, timer) -> None:  # type: ignore[no-untyped-def]
        item = self.orders[int(timer.name)]
        ctx = self.ctx
        if "cancel" in item:
            coid = self.ids.get(item["cancel"])
            if coid is not None and coid in self._algo_ids:
                self.ctx.cancel_algo(coid)
            elif coid is not None:
                self.ctx.cancel(coid)
            return
        if "modify" in item:
            self._modify(item)
            return
        if "operator" in item:
            from kernel.events import OperatorAction
            from kernel.operator import apply_operator

            now = ctx.now_ns()
            op = item["operator"]
            reason = "KILL_SWITCH" if op == "kill_switch" else "OPERATOR"
            action = OperatorAction(op, reason, now, now)
            apply_operator(ctx._k, action)  # why: the script is the operator of a backtest
            return
        if "algo" in item:
            from executioncore.algo_spec import start_algo

            self.ids[item["id"]] = pid = start_algo(self.ctx, item)
            self._algo_ids.add(pid)
            return
        inst = ctx.instrument(item["symbol"])
        now = ctx.now_ns()
        order = build_order(item, inst, self.ctx.new_order_id(), self.strategy_id, now)
        self.ids[item["id"]] = order.client_order_id
        if "take_profit" in item or "stop_loss" in item:
            self._bracket(order, item, inst, now)
            return
        group = self._groups.get(item["id"])
        if group:
            members = [ctx.order(self.ids[x]) for x in group if x in self.ids and x != item["id"]]
            ctx.link_oco([m for m in members if m is not None] + [order])
        self.ctx.submit_order(order)

    def _bracket(self, entry: Order, item: dict[str, Any], inst: Instrument, now: int) -> None:
        legs = []
        for leg in ("take_profit", "stop_loss"):
            spec = item.get(leg)
            if spec is None:
                legs.append(None)
                continue
            child = _leg(entry.side, leg, spec, item["quantity"])
            legs.append(build_order(child, inst, self.ctx.new_order_id(), self.strategy_id, now))
        self.ctx.submit_bracket(entry, legs[0], legs[1])

    def _modify(self, item: dict[str, Any]) -> None:
        coid = self.ids.get(item["modify"])
        ctx = self.ctx
        order = ctx.order(coid) if coid else None
        if order is None or not order.is_open:
            ctx.notice("SCRIPT_MODIFY_SKIPPED", f"{item['modify']}: not open")
            return
        inst = ctx.instrument(order.symbol)
        qty = None if "quantity" not in item else inst.qty_to_lots(item["quantity"])
        if qty is not None and qty <= order.filled_lots:
            # why: the kernel would say it in lots; the script's author wrote units
            filled = inst.lots_to_qty(order.filled_lots)
            ctx.notice(
                "SCRIPT_MODIFY_SKIPPED",
                f"{item['modify']}: new quantity {item['quantity']} must exceed the filled {filled}",
            )
            return
        limit = None if "limit_price" not in item else inst.price_to_ticks(item["limit_price"])
        stop = None if "stop_price" not in item else inst.price_to_ticks(item["stop_price"])
        try:
            self.ctx.modify(order, qty, limit, stop)
        except InvalidOrder as exc:
            ctx.notice("SCRIPT_MODIFY_SKIPPED", f"{item['modify']}: {exc}")


def _oco_groups(orders: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Script id -> every id it is one-cancels-other with (groups joined transitively)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for item in orders:
        for other in item.get("oco", []):
            parent[find(item["id"])] = find(other)
    groups: dict[str, list[str]] = {}
    for item in orders:
        if "id" in item and "cancel" not in item and "modify" not in item:
            groups.setdefault(find(item["id"]), []).append(item["id"])
    return {x: members for members in groups.values() if len(members) > 1 for x in members}
