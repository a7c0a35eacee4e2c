"""The live dashboard (CONTRACT.md "Monitoring"): an authenticated page and JSON API on
127.0.0.1 beside a running session.

- ``state``: ``snapshot(kernel, adapters)``, the ``GET /api/state`` document, kept cheap with
  incremental structures (a fill listener, a bounded window of closed orders).
- ``auth``: the token check (``Authorization: Bearer``, or the login form's cookie).
- ``manual``: checks of a manual order before it reaches the kernel.
- ``server``: ``start_dashboard(...)``, the aiohttp app: the page, the API, server-sent events
  and the control endpoints (journaled operator actions through the live runner).

Importing this package imports nothing heavy: aiohttp only with ``server``.
"""
