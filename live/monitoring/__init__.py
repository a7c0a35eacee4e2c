"""Monitoring of a live or paper session: alert sinks, heartbeat, Prometheus metrics and the
dashboard's start, around the kernel's monitor (``kernel.monitor``), all in the asyncio host.

Import ``live.monitoring.host.MonitoringHost``; the parts are ``sinks``, ``heartbeat`` and
``metrics``.
"""
