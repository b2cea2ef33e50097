"""第十七条 journey of an anonymous visitor, on a 390 px phone and a 1366 px desktop: from the sign-in page's header
to the open-data portal, a search by a Chinese word, the dataset page with its field dictionary and masked
preview, and the CSV download (UTF-8 with BOM, 法定代表人 masked to the surname), without signing in."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


def _fits(page, width: int) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("size", list(SIZES))
def test_a_visitor_searches_previews_and_downloads_masked_open_data(page, live_server, size):
    viewport = SIZES[size]
    page.set_viewport_size(viewport)
    page.goto("/login")
    page.get_by_test_id("portal-link").click()
    page.wait_for_url("**/open")
    _fits(page, viewport["width"])
    page.get_by_test_id("open-q").fill("法人")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**/open?q=*")
    page.get_by_role("link", name="法人基础信息", exact=True).click()
    assert page.get_by_test_id("dataset-title").inner_text() == "法人基础信息"
    assert page.get_by_test_id("open-type").inner_text() == "普遍开放"
    _fits(page, viewport["width"])
    fields = page.get_by_test_id("fields").inner_text()
    assert "法定代表人" in fields and "姓名" in fields
    preview = page.get_by_test_id("preview")
    rows = preview.locator("tbody tr")
    assert rows.count() == 20
    header = [preview.locator("thead th").nth(i).inner_text() for i in range(preview.locator("thead th").count())]
    at = header.index("法定代表人")
    shown = [rows.nth(i).locator("td").nth(at).inner_text() for i in range(rows.count())]
    assert all("*" in name for name in shown), shown
    assert "首批开放（演示）" in page.get_by_test_id("releases").inner_text()

    with page.expect_download() as waiting:
        page.get_by_test_id("download-csv").click()
    download = waiting.value
    content = Path(download.path()).read_bytes()
    assert content.startswith(codecs.BOM_UTF8)
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert table[0][:3] == ["统一社会信用代码", "机构名称", "法定代表人"] and len(table) > 20
    assert all("*" in row[2] for row in table[1:] if row[2])
    assert download.suggested_filename.endswith(".csv")
