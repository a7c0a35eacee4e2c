"""Crypto exchanges through ccxt (Binance spot first): ``ccxt.async_support`` for REST,
``ccxt.pro`` for the user-data stream and quotes. ``client.CcxtAdapter`` is the venue port."""
