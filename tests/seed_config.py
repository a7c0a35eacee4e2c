"""The product brief's ``executioncore.yaml`` (CONTRACT.md, "Live configuration"), verbatim, and
the variants the acceptance checks run offline: one broker (Alpaca, IBKR or the ccxt ``crypto``
one) alone, pointed at a local venue."""

from __future__ import annotations

SEED = """\
# executioncore.yaml
brokers:
  primary:
    type: alpaca
    api_key: ${ALPACA_API_KEY}
    api_secret: ${ALPACA_API_SECRET}
    paper: true

  backup:
    type: ibkr
    host: 127.0.0.1
    port: 7497

  crypto:
    type: ccxt
    exchange: binance
    api_key: ${BINANCE_API_KEY}
    api_secret: ${BINANCE_API_SECRET}
    sandbox: true

execution:
  default_algo: market
  algos:
    twap:
      duration_minutes: 30
      slice_count: 10
    vwap:
      duration_minutes: 60
    iceberg:
      visible_qty: 100

orders:
  default_time_in_force: day
  max_order_value: 50000
  max_daily_orders: 100

monitoring:
  log_all_orders: true
  alert_on_rejection: true
  heartbeat_interval: 60

failsafes:
  max_position_pct: 0.20
  daily_loss_limit: 0.05
  emergency_flatten: true
"""


def alpaca_only(base_url: str, stream_url: str) -> str:
    """The seed with the Alpaca broker alone, plus ``base_url``/``stream_url`` lines."""
    head, rest = SEED.split("  backup:", 1)
    tail = rest[rest.index("execution:") :]
    return f"{head.rstrip()}\n    base_url: {base_url}\n    stream_url: {stream_url}\n\n{tail}"


def ibkr_only(port: int) -> str:
    """The seed with the IBKR broker alone (``backup: {type: ibkr, host: 127.0.0.1, port}``),
    its port the local venue's."""
    head, rest = SEED.split("  primary:", 1)
    backup = rest[rest.index("  backup:") : rest.index("  crypto:")]
    tail = rest[rest.index("execution:") :]
    backup = backup.replace("port: 7497", f"port: {port}")
    return f"{head}{backup.rstrip()}\n\n{tail}"


def crypto_only(base_url: str, stream_url: str) -> str:
    """The seed with the ``crypto`` broker alone (``type: ccxt, exchange: binance``, its keys,
    ``sandbox: true``), plus ``base_url``/``stream_url`` lines onto a local venue."""
    head, rest = SEED.split("  primary:", 1)
    crypto = rest[rest.index("  crypto:") : rest.index("execution:")]
    tail = rest[rest.index("execution:") :]
    return (
        f"{head}{crypto.rstrip()}\n    base_url: {base_url}\n    stream_url: {stream_url}\n\n{tail}"
    )
