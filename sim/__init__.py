"""The simulated world: order book, matching engine, fill models, feeds and the driver."""
