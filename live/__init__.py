"""The live world: the asyncio runner, venue adapters and local fake venues."""
