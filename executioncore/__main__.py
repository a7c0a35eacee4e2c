"""``python -m executioncore`` and the ``executioncore`` console script."""

from __future__ import annotations

import sys

from executioncore.cli import main

if __name__ == "__main__":
    sys.exit(main())
