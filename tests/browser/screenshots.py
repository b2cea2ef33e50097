"""`python -m tests.browser.screenshots`: remake docs/screenshots/ (the main pages at desktop and phone size)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

if __name__ == "__main__":
    os.environ["GOVDATA_SCREENSHOTS"] = "1"
    os.environ.setdefault("GOVDATA_CLOCK", "2026-12-05")  # the same day on every remake: the pictures stay stable
    here = Path(__file__).with_name("test_screenshots.py")
    sys.exit(pytest.main(["-q", "-p", "no:randomly", str(here), *sys.argv[1:]]))
