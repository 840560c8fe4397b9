"""docs/api-reference.md is generated from the docstrings: it must match the code."""

from __future__ import annotations

import importlib.util

from conftest import ROOT


def test_reference_is_current():
    spec = importlib.util.spec_from_file_location("api_reference", ROOT / "scripts" / "api_reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = mod.render()
    assert "## `Chain`" in text and "`.trace(start" in text and "## `ExposureReport`" in text
    assert (ROOT / "docs" / "api-reference.md").read_text() == text, \
        "stale: run `python scripts/api_reference.py`"
