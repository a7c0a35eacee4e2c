"""The one import of the TWS API library: ib_async, else ib_insync."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from live.adapters.ibkr import ib_api

ROOT = Path(__file__).resolve().parents[3]


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def test_shim_takes_ib_async_when_it_is_installed():
    expected = "ib_async" if importlib.util.find_spec("ib_async") else "ib_insync"
    assert expected == ib_api.LIBRARY
    assert ib_api.Order is ib_api.lib.Order and ib_api.IB is ib_api.lib.IB


def test_shim_falls_back_to_ib_insync_when_ib_async_cannot_be_imported():
    # why: ib_async blocked (None in sys.modules makes its import fail); whatever library is
    # installed stands in for ib_insync, which has the same API
    code = (
        "import sys, importlib\n"
        "real = importlib.import_module('ib_async' if importlib.util.find_spec('ib_async') "
        "else 'ib_insync')\n"
        "sys.modules['ib_insync'] = real\n"
        "sys.modules['ib_async'] = None\n"
        "from live.adapters.ibkr import ib_api\n"
        "print(ib_api.lib is real, ib_api.Trade is real.Trade, ib_api.RequestError is "
        "real.RequestError)\n"
    )
    assert _run(code) == "True True True"


def test_shim_exposes_the_names_the_adapter_uses():
    for name in ib_api.__all__:
        assert getattr(ib_api, name) is not None, name
    assert ib_api.UNSET_DOUBLE > 1e300 and ib_api.OrderStatus.Inactive == "Inactive"
