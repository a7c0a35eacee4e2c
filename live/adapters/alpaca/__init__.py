"""Alpaca: REST + ``trade_updates`` stream for orders, data v2 stream for market data.

``parse`` translates Alpaca JSON to kernel events and back (pure); ``errors`` types Alpaca's
error answers. The client and transport live beside them.
"""
