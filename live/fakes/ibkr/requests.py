"""The client requests the venue answers: one handler per incoming message id (``HANDLERS``).

Each reads its fields as ib_async's ``Client`` writes them and answers as TWS does:

- reqContractDetails (9) -> contractDetails + contractDetailsEnd, or error 200;
- reqMktData (1) -> tickReqParams and the ticks (``live.fakes.ibkr.marketdata``); a snapshot
  ends with tickSnapshotEnd; an unknown contract is 200, a ticker id in use 322;
  cancelMktData (2) (300 for an unknown id); reqMarketDataType (59) is accepted (live data);
- placeOrder (3), cancelOrder (4), reqGlobalCancel (58): the account (``live.fakes.ibkr.account``);
- reqOpenOrders (5: this client's), reqAllOpenOrders (16: every client's) -> openOrder +
  orderStatus each, openOrderEnd; reqAutoOpenOrders (15, client 0 only: every client's order
  messages from then on); reqCompletedOrders (99) -> completedOrder each, completedOrdersEnd;
- reqExecutions (7) with its filter (client id, account, time ``YYYYMMDD HH:MM:SS [zone]`` --
  executions at or after it --, symbol, security type, exchange, side ``BUY``/``SELL``) ->
  execDetails + commissionReport each, execDetailsEnd (every client's executions: the account's);
- reqPositions (61) -> position each (held or traded this session), positionEnd; then updates
  after each fill until cancelPositions (64);
- reqAccountUpdates (6) -> updateAccountValue each, updatePortfolio each, updateAccountTime,
  accountDownloadEnd; then updates after each fill until unsubscribed;
- reqAccountSummary (62) -> accountSummary for each requested tag the venue knows (in the
  account currency), accountSummaryEnd; reqAccountUpdatesMulti (76) -> accountUpdateMulti
  each, accountUpdateMultiEnd;
- reqCurrentTime (49) -> currentTime (the venue's clock: the data's time); reqIds (8) ->
  nextValidId; reqManagedAccts (17) -> managedAccounts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from live.fakes.ibkr import portfolio
from live.fakes.ibkr import wire as w
from live.fakes.ibkr.contracts import details_fields
from live.fakes.ibkr.marketdata import tick_fields
from live.fakes.ibkr.messages import commission_report, completed_order, exec_details, open_order
from live.fakes.ibkr.messages import order_status as status_fields
from live.fakes.ibkr.orders import read_place
from live.fakes.ibkr.session import Session

Handler = Callable[[Session, list[str]], None]


def _find(s: Session, f: w.Fields) -> Any:
    """The contract a request's 12 contract fields name (None: no such contract)."""
    con_id, symbol, sec_type = f.int(), f.str(), f.str()
    f.skip(6)  # lastTradeDate, strike, right, multiplier, exchange, primaryExchange
    currency, local = f.str(), f.str()
    f.skip(1)  # tradingClass
    return s.venue.contracts.find(con_id, symbol, sec_type, currency, local)


def contract_details(s: Session, fields: list[str]) -> None:
    f = w.Fields(fields, 2)
    req_id = f.int()
    exchange = fields[10] if len(fields) > 10 else ""
    c = _find(s, f)
    if c is None:
        s.error(req_id, 200, "No security definition has been found for the request")
        return
    shown = "SMART" if exchange == "SMART" and c.sec_type == "STK" else c.exchange
    s.send(details_fields(req_id, c, shown, s.venue.core.now))
    s.send([w.CONTRACT_DATA_END, 1, req_id])


def mkt_data(s: Session, fields: list[str]) -> None:
    f = w.Fields(fields, 2)
    req_id = f.int()
    c = _find(s, f)
    if c is None or fields[5:6] == ["BAG"]:
        s.error(req_id, 200, "No security definition has been found for the request")
        return
    if req_id in s.tickers:
        s.error(req_id, 322, "Error processing request.-'' : cause - Duplicate ticker id")
        return
    if f.bool():  # deltaNeutralContract
        f.skip(3)
    f.skip(1)  # genericTickList
    snapshot = f.bool()
    s.send([w.TICK_REQ_PARAMS, req_id, c.inst.tick_size, "", 3])
    ticks = s.venue.ticks.current(c.venue_symbol)
    if s.held is None:  # why: no market data while the connection to IB is lost
        for tick in ticks:
            s.send(tick_fields(req_id, tick))
    if snapshot:
        s.send([w.TICK_SNAPSHOT_END, 1, req_id])
    else:
        s.tickers[req_id] = c


def cancel_mkt_data(s: Session, fields: list[str]) -> None:
    req_id = int(fields[2])
    if s.tickers.pop(req_id, None) is None:
        s.error(req_id, 300, f"Can't find EId with tickerId:{req_id}")


def place_order(s: Session, fields: list[str]) -> None:
    assert s.client_id is not None
    s.venue.account.place(s.client_id, read_place(fields, s.version))


def cancel_order(s: Session, fields: list[str]) -> None:
    assert s.client_id is not None
    s.venue.account.cancel(s.client_id, int(fields[2]))


def global_cancel(s: Session, fields: list[str]) -> None:
    s.venue.account.global_cancel()


def _open_orders(s: Session, every_client: bool) -> None:
    for o in s.venue.account.orders.values():
        if o.is_open and (every_client or o.client_id == s.client_id):
            s.send(open_order(o, s.version))
            s.send(status_fields(o))
    s.send([w.OPEN_ORDER_END, 1])


def open_orders(s: Session, fields: list[str]) -> None:
    _open_orders(s, every_client=False)


def all_open_orders(s: Session, fields: list[str]) -> None:
    _open_orders(s, every_client=True)


def auto_open_orders(s: Session, fields: list[str]) -> None:
    if s.client_id != 0:
        s.error(-1, 321, "Error validating request.-'' : cause - auto bind is for client id 0")
        return
    s.auto_bind = fields[2:3] == ["1"]


def completed_orders(s: Session, fields: list[str]) -> None:
    for o in s.venue.account.orders.values():
        if not o.is_open:
            s.send(completed_order(o, s.version))
    s.send([w.COMPLETED_ORDERS_END])


def executions(s: Session, fields: list[str]) -> None:
    f = w.Fields(fields, 2)
    req_id, client_id, account, since = f.int(), f.int(), f.str(), f.str()
    symbol, sec_type, exchange, side = f.str(), f.str(), f.str(), f.str()
    start = w.parse_time(since) if since else None
    venue = s.venue
    for ex in venue.account.executions:
        o = ex.order
        if (
            (client_id and o.client_id != client_id)
            or (account and account != venue.config.account)
            or (start is not None and ex.ts_ns < start)
            or (symbol and symbol not in (o.contract.symbol, o.contract.venue_symbol))
            or (sec_type and sec_type != o.contract.sec_type)
            or (exchange and exchange not in (o.contract.primary_exchange, "SMART"))
            or (side and side.upper() not in (o.action, "BOT" if ex.side > 0 else "SLD"))
        ):
            continue
        s.send(exec_details(req_id, ex, venue.config.account, s.version))
        s.send(commission_report(ex))
    s.send([w.EXECUTION_DATA_END, 1, req_id])


def positions(s: Session, fields: list[str]) -> None:
    venue = s.venue
    for c in venue.position_contracts():
        s.send(portfolio.position(venue.config.account, venue.account.ledger, c))
    s.send([w.POSITION_END, 1])
    s.positions = True


def cancel_positions(s: Session, fields: list[str]) -> None:
    s.positions = False


def account_updates(s: Session, fields: list[str]) -> None:
    s.account_updates = fields[2:3] == ["1"]
    if s.account_updates:
        s.venue.send_account(s.send, end=True)


def account_summary(s: Session, fields: list[str]) -> None:
    req_id, tags = int(fields[2]), fields[4] if len(fields) > 4 else ""
    venue = s.venue
    values = venue.account_values()
    currency = venue.config.market.currency
    for tag in tags.split(","):
        if tag in portfolio.SUMMARY_TAGS:
            s.send(portfolio.summary(req_id, venue.config.account, tag, values[tag], currency))
    s.send([w.ACCOUNT_SUMMARY_END, 1, req_id])
    s.summaries.add(req_id)


def cancel_account_summary(s: Session, fields: list[str]) -> None:
    s.summaries.discard(int(fields[2]))


def account_updates_multi(s: Session, fields: list[str]) -> None:
    req_id = int(fields[2])
    venue = s.venue
    currency = venue.config.market.currency
    for tag, value in venue.account_values().items():
        s.send(portfolio.update_multi(req_id, venue.config.account, tag, value, currency))
    s.send([w.ACCOUNT_UPDATE_MULTI_END, 1, req_id])


def current_time(s: Session, fields: list[str]) -> None:
    s.send([w.CURRENT_TIME, 1, s.venue.core.now // 1_000_000_000])


def req_ids(s: Session, fields: list[str]) -> None:
    assert s.client_id is not None
    s.send([w.NEXT_VALID_ID, 1, s.venue.account.next_valid_id(s.client_id)])


def managed_accounts(s: Session, fields: list[str]) -> None:
    s.send([w.MANAGED_ACCTS, 1, s.venue.config.account])


def _ignore(s: Session, fields: list[str]) -> None:
    return None


HANDLERS: dict[int, Handler] = {
    w.REQ_MKT_DATA: mkt_data,
    w.CANCEL_MKT_DATA: cancel_mkt_data,
    w.PLACE_ORDER: place_order,
    w.CANCEL_ORDER: cancel_order,
    w.REQ_OPEN_ORDERS: open_orders,
    w.REQ_ACCOUNT_UPDATES: account_updates,
    w.REQ_EXECUTIONS: executions,
    w.REQ_IDS: req_ids,
    w.REQ_CONTRACT_DETAILS: contract_details,
    w.REQ_AUTO_OPEN_ORDERS: auto_open_orders,
    w.REQ_ALL_OPEN_ORDERS: all_open_orders,
    w.REQ_MANAGED_ACCTS: managed_accounts,
    w.REQ_CURRENT_TIME: current_time,
    w.REQ_GLOBAL_CANCEL: global_cancel,
    w.REQ_MARKET_DATA_TYPE: _ignore,
    w.REQ_POSITIONS: positions,
    w.REQ_ACCOUNT_SUMMARY: account_summary,
    w.CANCEL_ACCOUNT_SUMMARY: cancel_account_summary,
    w.CANCEL_POSITIONS: cancel_positions,
    w.REQ_ACCOUNT_UPDATES_MULTI: account_updates_multi,
    w.CANCEL_ACCOUNT_UPDATES_MULTI: _ignore,
    w.REQ_COMPLETED_ORDERS: completed_orders,
    w.START_API: _ignore,  # why: a second startApi changes nothing
}
