"""IBKR adapter settings: where TWS / IB Gateway listens, who we are there, and the timings.

``from_mapping`` reads a validated ``brokers.<name>`` entry of ``executioncore.yaml``
(``executioncore.config_brokers``: ``host``, ``port``, ``client_id``, ``account``, ``paper``,
``connect_timeout``); the rest are tuning knobs with defaults, set in code by tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# IB's limit is 50 messages a second per client (error 100 beyond it); ib_async also throttles
# itself to 45. The adapter's own throttle (40 a second, 5 at once: at most 45 in any second)
# stays under both, leaving room for the library's own requests (its start-up synchronisation,
# the account summary it renews after error 1102) and for jitter (``throttle.py``).
DEFAULT_MSGS_PER_S = 40
DEFAULT_BURST = 5


@dataclass
class IbkrConfig:
    """``host``/``port``/``client_id``: the TWS API socket (TWS paper 7497, live 7496; IB Gateway
    4002/4001); ``account``: the account orders go to and reports are read for ("" = the one the
    login manages); ``contracts``: per symbol, the IB contract keys an ``instruments:`` entry gave
    (``sec_type``, ``exchange``, ``currency``).

    Timings: ``connect_timeout_s`` bounds the start (then the session stops, exit 3);
    ``timeout_s`` bounds every request's answer; ``ack_timeout_s``: an order command with no
    answer that long is looked up (by ``orderRef``) and sent again if the venue does not have it;
    ``commission_wait_s``: how long an execution waits for its commission report before it is
    booked without one; ``reconcile_every_s``: a full reconciliation at least that often;
    reconnects back off from ``backoff_s`` to ``backoff_max_s`` with seeded jitter.
    Pacing: ``msgs_per_s`` messages a second, ``msgs_burst`` at once (``throttle.py``)."""

    name: str
    host: str = "127.0.0.1"
    port: int = 7497
    client_id: int = 1
    account: str = ""
    paper: bool = True
    connect_timeout_s: float = 10.0
    timeout_s: float = 10.0
    ack_timeout_s: float = 5.0
    commission_wait_s: float = 1.0
    reconcile_every_s: float = 30.0
    msgs_per_s: int = DEFAULT_MSGS_PER_S
    msgs_burst: int = DEFAULT_BURST
    backoff_s: float = 0.25
    backoff_max_s: float = 10.0
    seed: int = 0
    contracts: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """Where the adapter connects, for messages (no credentials exist to leak)."""
        return f"{self.host}:{self.port}"

    @classmethod
    def from_mapping(
        cls,
        name: str,
        raw: dict[str, Any],
        contracts: dict[str, dict[str, str]] | None = None,
        seed: int = 0,
    ) -> IbkrConfig:
        """A config from a validated broker entry (defaults already filled in by the loader)."""
        paper = bool(raw.get("paper", True))
        return cls(
            name,
            host=str(raw.get("host", "127.0.0.1")),
            port=int(raw.get("port", 7497 if paper else 7496)),
            client_id=int(raw.get("client_id", 1)),
            account=str(raw.get("account") or ""),
            paper=paper,
            connect_timeout_s=float(raw.get("connect_timeout", 10.0)),
            seed=seed,
            contracts=dict(contracts or {}),
        )
