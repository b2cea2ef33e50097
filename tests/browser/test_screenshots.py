"""Screenshots of the main pages at 1366×900 and 390×844, kept under docs/screenshots/ for the README.

Not part of the ordinary run (CI time stays flat): `python -m tests.browser.screenshots` sets GOVDATA_SCREENSHOTS
and runs this file. Each shot is of a page reached as a person would (the list first, then its first item)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.browser.helpers import first_link, sign_in

FOLDER = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
# name, who (None: anonymous), start page, then the first link in <main> matching each pattern in turn
SHOTS: list[tuple[str, str | None, str, tuple[str, ...]]] = [
    ("home", "steward_gaj", "/", ()),
    ("catalog", "steward_gaj", "/catalog", ()),
    ("entry", "steward_gaj", "/catalog", (r"/catalog/\d+",)),
    ("resources", "steward_center", "/resources", ()),
    ("quality", "steward_center", "/quality", (r"/quality/entries/\d+",)),
    ("sharing-request", "steward_gaj", "/sharing", (r"/sharing/requests/\d+",)),
    ("audit", "security", "/audit", ()),
    ("open-portal", None, "/open", ()),
    ("open-dataset", None, "/open", (r"/open/datasets/\d+",)),
]

pytestmark = pytest.mark.skipif(not os.environ.get("GOVDATA_SCREENSHOTS"),
                                reason="screenshots are made on demand: python -m tests.browser.screenshots")


def test_screenshots_of_the_main_pages(browser: Any, live_server: LiveServer) -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    for size, viewport in SIZES.items():
        for who in dict.fromkeys(shot[1] for shot in SHOTS):
            context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="zh-CN",
                                          timezone_id="Asia/Shanghai")
            context.set_default_timeout(15_000)
            try:
                page = context.new_page()
                if who:
                    sign_in(page, who)
                for name, _who, start, chain in (shot for shot in SHOTS if shot[1] == who):
                    page.goto(start)
                    for pattern in chain:
                        target = first_link(page, pattern)
                        assert target, f"{name}: no link to {pattern} on {page.url}"
                        page.goto(target)
                    path = FOLDER / f"{name}-{size}.png"
                    page.screenshot(path=str(path))
                    made.append(path)
            finally:
                context.close()
    assert len(made) == len(SHOTS) * len(SIZES)
    assert all(path.stat().st_size > 5_000 for path in made)
