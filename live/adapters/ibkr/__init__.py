"""Interactive Brokers adapter: TWS / IB Gateway over ib_async (ib_insync as a fallback)."""
