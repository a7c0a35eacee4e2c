"""Write the generated sources of the compiled build: kernel/codec_encoders.py and its .pxd from
``kernel.codec_source`` (``executioncore accel generate``; the tests say when it is due)."""

from __future__ import annotations

import sys
from pathlib import Path

from kernel import codec_source

ROOT = Path(__file__).resolve().parents[2]
ENCODERS = ROOT / "kernel" / "codec_encoders.py"


def main(path: Path = ENCODERS) -> int:
    for target, text in (
        (path, codec_source.encoders_source()),
        (path.with_suffix(".pxd"), codec_source.encoders_pxd()),
    ):
        if target.is_file() and target.read_text() == text:
            print(f"{target} is current")
        else:
            target.write_text(text)
            print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
