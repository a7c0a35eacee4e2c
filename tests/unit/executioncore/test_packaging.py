"""pyproject.toml: the project's metadata in the form current setuptools takes without
deprecation warnings (an install prints none of ours)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"


def test_pyproject_license_is_an_spdx_string_with_a_setuptools_that_takes_it():
    doc = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    # a TOML table ({text = ...}) is deprecated since setuptools 77 and warns on every build
    assert doc["project"]["license"] == "Apache-2.0"
    requires = doc["build-system"]["requires"]
    found = [re.fullmatch(r"setuptools>=(\d+)(\.\d+)*", r) for r in requires]
    assert any(m and int(m.group(1)) >= 77 for m in found), requires
    assert not any(c.startswith("License ::") for c in doc["project"].get("classifiers", []))
