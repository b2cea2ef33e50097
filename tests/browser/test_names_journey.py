"""The bureau reads the audit trail and the city at a glance by names, in Beijing time, at desktop and phone
size: the export's columns are Chinese with the zone named, the charts stay inside their cards."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tests.browser.helpers import keep_screenshot, main_nav, sign_in

CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")  # an action code such as share.lookup


@pytest.mark.parametrize("width,height", [(1366, 900), (390, 844)])
def test_audit_reads_by_name_pages_and_exports_in_beijing_time(page, width, height, request):
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, "bureau")
    page.goto("/audit")  # (the phone layout folds the navigation; the page is the same)
    page.get_by_role("heading", name="审计日志").wait_for()
    headers = page.locator("table thead th").all_inner_texts()
    assert "时间（北京时间）" in headers and "对象" in headers
    rows = page.locator("tr.event")
    assert rows.count() > 0
    actions = [rows.nth(i).locator("td").nth(4).inner_text().strip() for i in range(rows.count())]
    assert actions and not [a for a in actions if CODE.match(a)]
    with page.expect_download() as info:
        page.get_by_test_id("export").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    header, *lines = list(csv.reader(io.StringIO(text)))
    assert header[1] == "时间（北京时间）" and header[7] == "操作" and lines
    assert not [r for r in lines if CODE.match(r[7])]  # names, the codes only in their own column
    assert all(r[header.index("操作代码")] for r in lines)
    keep_screenshot(page, request.config, f"audit-{width}")


@pytest.mark.parametrize("width,height", [(1366, 900), (390, 844)])
def test_city_overview_charts_fit_their_cards(page, width, height, request):
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, "bureau")
    if width > 600:
        main_nav(page, "全市概览")
    else:
        page.goto("/overview")
    page.get_by_role("heading", name="全市概览").wait_for()
    for chart in ("chart-quality", "chart-calls", "chart-states", "chart-deadlines"):
        card = page.get_by_test_id(chart)
        card_box = card.bounding_box()
        assert card_box is not None
        svg = card.locator("svg.chart")
        if svg.count():
            box = svg.bounding_box()
            assert box is not None and box["width"] <= card_box["width"] + 0.5, chart
    calls = page.get_by_test_id("chart-calls").locator("text.tick").evaluate_all("ts => ts.map(t => t.textContent)")
    assert calls and all(re.fullmatch(r"\d\d-\d\d", t) for t in calls)  # days, not numbers
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    keep_screenshot(page, request.config, f"overview-{width}")
