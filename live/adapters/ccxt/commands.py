"""The kernel's order commands sent through ccxt: submit, cancel, modify, look up.

``OrderCommands`` runs each command as a task on the event loop (the kernel never waits); every
REST call goes through the ``RestGate`` (rate limits, bans, the clock). The rules that make a
submit idempotent, the kernel's client order id being the exchange's ``newClientOrderId``:

- A submit whose effect is unknown -- a timeout, a 5xx, a dropped connection, Binance's -1007
  ("Send status unknown; execution status unknown") -- is looked up by client order id
  (``fetch_order(None, symbol, {"origClientOrderId": id})``, ``lookups`` times
  ``lookup_delay_s`` apart) before anything is sent again: found, it is ours (its state is
  reported); not found (-2013), it is sent again, ``submit_attempts`` sends at most. A look-up
  that fails too leaves the order ``unknown``: the next reconciliation looks it up and sends it
  again only if the exchange does not have it. An answer "Duplicate order sent." is the order
  already there: looked up, never reported rejected. One order is never in flight twice.
- A 429 was not processed: the gate waits and sends it again. A 418 ban (or REST held by one)
  refuses the order: ``OrderRejected("BANNED: ...")`` -- unless an earlier send of it had an
  unknown effect, then it stays ``unknown`` for the reconciliation after the ban.
- The exchange's refusals are ``OrderRejected`` with a code (``errors.reject_reason``); what it
  lacks or its filters would refuse is refused before sending (``order_requests``).
- cancel: by client order id (after the order's submission, if one is under way); sent again
  on a network error (a second cancel is harmless); refused ones are ``OrderCancelRejected``
  and a reconciliation follows. modify: Binance spot has none (``OrderModifyRejected``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async

from kernel.events import OrderCancelRejected, OrderModifyRejected, OrderRejected
from kernel.units import DAY_NS, Instrument
from live.adapters.ccxt import parse
from live.adapters.ccxt.config import CcxtConfig
from live.adapters.ccxt.errors import LocalReject, Unsupported, describe, reject_reason
from live.adapters.ccxt.order_requests import EXPIRING, order_request
from live.adapters.ccxt.parse import MarketSpec
from live.adapters.ccxt.rest import Banned, RestGate
from live.adapters.ccxt.tracking import OrderBook
from live.adapters.template import VenueUnavailable, wall_ns

UNKNOWN_EFFECT = (ccxt_async.NetworkError,)  # timeouts, 5xx, -1007, a lost connection
CANCEL_ATTEMPTS = 3


class OrderCommands:
    """Collaborators: the REST gate and its exchange, the ``OrderBook``, ``spec_of`` /
    ``inst_of`` (a kernel symbol's market and instrument), ``ref_price`` (its last price),
    ``put`` (the adapter's once-gate), ``on_order(coid, snap)`` (an order's state read from an
    answer: the adapter reports it), ``reconcile_soon()``, ``counts``."""

    def __init__(
        self,
        cfg: CcxtConfig,
        rest: RestGate,
        book: OrderBook,
        spec_of: Callable[[str], MarketSpec | None],
        inst_of: Callable[[str], Instrument | None],
        ref_price: Callable[[str], Decimal | None],
        put: Callable[[Any], Awaitable[None]],
        on_order: Callable[[str, parse.OrderSnap], Awaitable[None]],
        reconcile_soon: Callable[[], None],
        counts: dict[str, int],
    ) -> None:
        self.cfg = cfg
        self.rest = rest
        self.ex = rest.ex
        self.book = book
        self.spec_of = spec_of
        self.inst_of = inst_of
        self.ref_price = ref_price
        self.put = put
        self.on_order = on_order
        self.reconcile_soon = reconcile_soon
        self.counts = counts
        self.cancel_asked: set[str] = set()
        counts.update(dict.fromkeys(
            ("submits", "rejected", "rejected_local", "found_after_unknown", "sent_again",
             "unknown_outcome", "cancels", "cancel_rejected", "modifies_refused"), 0))  # fmt: skip

    @property
    def secrets(self) -> tuple[str, ...]:
        return self.cfg.secrets()

    async def _reject(self, coid: str, reason: str, local: bool = False) -> None:
        self.counts["rejected_local" if local else "rejected"] += 1
        self.book.expiry.pop(coid, None)
        now = wall_ns()
        await self.put(OrderRejected(coid, reason, now, now))

    # --- submit ----------------------------------------------------------------------------------
    async def submit(self, order: Any) -> None:
        """Send a kernel order (or refuse it, naming why)."""
        coid = order.client_order_id
        book = self.book
        if coid in book.submitting:
            return  # why: one submission per order at a time; a second would meet the first
        spec, inst = self.spec_of(order.symbol), self.inst_of(order.symbol)
        if spec is None or inst is None:
            await self._reject(coid, f"UNKNOWN_SYMBOL: {order.symbol}", True)
            return
        try:
            req = order_request(
                order, inst, spec, self.ref_price(order.symbol), self.cfg.day_expiry
            )
        except Unsupported as exc:
            await self._reject(coid, f"UNSUPPORTED: {exc}", True)
            return
        except LocalReject as exc:
            await self._reject(coid, exc.reason, True)
            return
        if order.time_in_force in EXPIRING:
            book.expiry[coid] = expiry_ns(order)
        book.submitting.add(coid)
        book.unknown.discard(coid)
        try:
            await self._place(coid, req, spec, inst)
        finally:
            book.submitting.discard(coid)

    async def _place(self, coid: str, req: Any, spec: MarketSpec, inst: Instrument) -> None:
        uncertain = False
        resp = None
        for attempt in range(self.cfg.submit_attempts):
            if attempt:
                self.counts["sent_again"] += 1
            self.counts["submits"] += 1
            try:
                resp = await self.rest.call(
                    f"create order {coid}", self.ex.create_order, req.symbol, req.type,
                    req.side, req.amount, req.price, dict(req.params),
                )  # fmt: skip
                break
            except VenueUnavailable as exc:  # banned, or rate limited past the retries
                if uncertain:
                    await self._unknown(coid, str(exc))
                else:
                    code = "BANNED" if isinstance(exc, Banned) else "VENUE_UNAVAILABLE"
                    await self._reject(coid, f"{code}: {exc}")
                return
            except ccxt_async.InvalidOrder as exc:
                if "duplicate order" not in str(exc).lower():
                    await self._reject(coid, reject_reason(exc, self.secrets))
                    return
                # why: the exchange already has this client order id (an earlier send whose
                # answer was lost): it is working there, not rejected; take its state
                uncertain = True
            except UNKNOWN_EFFECT:
                uncertain = True  # why: the order may exist: look before sending again
            except ccxt_async.ExchangeError as exc:
                await self._reject(coid, reject_reason(exc, self.secrets))
                return
            except Exception:
                uncertain = True  # why: anything else leaves the effect unknown too
            try:
                resp = await self.look_up(coid, spec)
            except VenueUnavailable as exc:
                await self._unknown(coid, str(exc))
                return
            if resp is not None:
                self.counts["found_after_unknown"] += 1
                break
        if resp is None:
            await self._reject(
                coid, f"VENUE_UNREACHABLE: no answer in {self.cfg.submit_attempts} sends and "
                "the exchange does not have the order",
            )  # fmt: skip
            return
        snap = parse.parse_order(resp, inst)
        self.book.track(coid, inst.symbol, snap.order_id)
        await self.on_order(coid, snap)

    async def _unknown(self, coid: str, detail: str) -> None:
        """The submit's effect could not be read: a reconciliation looks it up (and sends it
        again only if the exchange does not have it)."""
        self.counts["unknown_outcome"] += 1
        self.book.unknown.add(coid)
        self.reconcile_soon()

    async def look_up(self, coid: str, spec: MarketSpec) -> Any:
        """The exchange's order by client order id (None: it does not have it, asked
        ``lookups`` times; ``VenueUnavailable``: it could not be asked)."""
        for i in range(max(self.cfg.lookups, 1)):
            if i:
                await asyncio.sleep(self.cfg.lookup_delay_s)
            try:
                return await self.rest.call(
                    f"look up {coid}", self.ex.fetch_order, None, spec.ccxt_symbol,
                    {"origClientOrderId": coid},
                )  # fmt: skip
            except ccxt_async.OrderNotFound:
                continue
            except (ccxt_async.NetworkError, ccxt_async.ExchangeError) as exc:
                raise VenueUnavailable(f"look up {coid}: {describe(exc, self.secrets)}") from None
        return None

    # --- cancel ----------------------------------------------------------------------------------
    async def cancel(self, coid: str, symbol: str, expire: bool = False) -> bool:
        """Cancel by client order id; ``expire``: the adapter's own cancel of a DAY / GTD order
        at its end (no ``OrderCancelRejected``: the kernel did not ask). True: sent and
        answered."""
        book = self.book
        deadline = time.monotonic() + self.cfg.timeout_s * (self.cfg.submit_attempts + 1)
        while coid in book.submitting and time.monotonic() < deadline:
            await asyncio.sleep(0.02)  # why: cancel what the submission placed, once it did
        spec, inst = self.spec_of(symbol), self.inst_of(symbol)
        if spec is None or inst is None:
            if not expire:
                await self._cancel_rejected(coid, f"UNKNOWN_SYMBOL: {symbol}")
            return False
        if not expire:
            self.cancel_asked.add(coid)
        else:
            book.expiring.add(coid)
        self.counts["cancels"] += 1
        for attempt in range(CANCEL_ATTEMPTS):
            try:
                resp = await self.rest.call(
                    f"cancel {coid}", self.ex.cancel_order, book.venue_id(coid), spec.ccxt_symbol,
                    {"origClientOrderId": coid},
                )  # fmt: skip
            except ccxt_async.OrderNotFound as exc:
                # why: done already (filled, expired) or never placed: its state comes from the
                # reconciliation that follows
                return await self._cancel_failed(coid, expire, "UNKNOWN_ORDER", exc)
            except VenueUnavailable as exc:
                if not expire:
                    code = "BANNED" if isinstance(exc, Banned) else "VENUE_UNAVAILABLE"
                    await self._cancel_rejected(coid, f"{code}: {exc}")
                return False
            except UNKNOWN_EFFECT as exc:
                if attempt + 1 < CANCEL_ATTEMPTS:
                    await asyncio.sleep(self.cfg.lookup_delay_s)
                    continue
                return await self._cancel_failed(coid, expire, "VENUE_UNREACHABLE", exc)
            except ccxt_async.ExchangeError as exc:
                return await self._cancel_failed(coid, expire, "VENUE_REFUSED", exc)
            if isinstance(resp, dict) and (resp.get("id") or resp.get("info")):
                try:
                    snap = parse.parse_order(resp, inst)
                except ValueError:
                    return True  # why: the stream and the reconciliation report it
                book.track(coid, inst.symbol, snap.order_id)
                await self.on_order(coid, snap)
            return True
        return False

    async def _cancel_failed(self, coid: str, expire: bool, code: str, exc: Exception) -> bool:
        """A cancel the exchange refused or could not be asked: the order's state comes from a
        reconciliation soon; the kernel's cancel (not the adapter's own ``expire``) is
        rejected with ``code``. False: not answered."""
        self.reconcile_soon()
        if not expire:
            await self._cancel_rejected(coid, f"{code}: {describe(exc, self.secrets)}")
        return False

    async def _cancel_rejected(self, coid: str, reason: str) -> None:
        self.counts["cancel_rejected"] += 1
        now = wall_ns()
        await self.put(OrderCancelRejected(coid, reason, now, now))

    # --- modify ----------------------------------------------------------------------------------
    async def modify(self, cmd: Any) -> None:
        self.counts["modifies_refused"] += 1
        now = wall_ns()
        name = self.ex.name if isinstance(getattr(self.ex, "name", None), str) else "the exchange"
        await self.put(OrderModifyRejected(
            cmd.client_order_id,
            f"UNSUPPORTED: {name} spot has no order modify (cancel it and send a new order)",
            now, now,
        ))  # fmt: skip


def expiry_ns(order: Any) -> int:
    """When the adapter cancels a DAY / GTD order: ``expire_ns``, else the next 00:00 UTC after
    the order was made (crypto trades around the clock: a day is the UTC day)."""
    if order.expire_ns is not None:
        return int(order.expire_ns)
    made = order.ts_init or wall_ns()
    return (made // DAY_NS + 1) * DAY_NS
