"""Issue 15 item 5: a 200,000-row upload runs as background work. The steward sees a progress bar with rows
done of the total and the time left, the load buttons are disabled while it runs (a reload of the page shows
the same bar), and the result appears on the same page when it is done."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SIZES, fits, keep_screenshot, sign_in
from tests.datastore.factories import make_entry

ROWS = 200_000
FIELDS = [{"name": "sfzh", "label": "公民身份号码", "data_type": "C", "length": 18, "is_key": True},
          {"name": "xm", "label": "姓名", "data_type": "C", "length": 50, "is_lookup": True},
          {"name": "dz", "label": "住址", "data_type": "C", "length": 100},
          {"name": "nl", "label": "年龄", "data_type": "I"}]
COUNTS = re.compile(r"已处理 ([\d,]+) / 200,000 行")


def _csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["公民身份号码", "姓名", "住址", "年龄"])
        for i in range(ROWS):
            writer.writerow([f"{350802190000000000 + i}", f"测试{i}", f"福建省龙岩市新罗区某路{i}号", i % 100])
    return path


def _done(page) -> int:
    match = COUNTS.search(page.get_by_test_id("work-counts").inner_text())
    assert match, page.get_by_test_id("work-counts").inner_text()
    return int(match.group(1).replace(",", ""))


@pytest.mark.parametrize("size", list(SIZES))
def test_large_upload_shows_progress_disables_button_and_shows_result(page, context, live_server, tmp_path,
                                                                       request, size):
    page.set_viewport_size(SIZES[size])
    entry = make_entry(live_server.database, ingest_mode="manual", fields=FIELDS)
    sign_in(page, "steward_gaj")
    page.goto(f"/resources/{entry.id}/upload")
    page.get_by_label("文件").set_input_files(str(_csv(tmp_path / "二十万行.csv")))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.get_by_test_id("preview-row")).to_have_count(10)
    preview_url = page.url

    page.get_by_role("button", name="写入", exact=True).click()
    page.wait_for_url(re.compile(r"/work/\d+$"))
    work_url = page.url
    bar = page.get_by_test_id("work-bar")
    expect(bar).to_be_visible()
    expect(page.get_by_test_id("work-state")).to_have_text(re.compile("排队中|进行中"))
    expect(page.get_by_test_id("work-counts")).to_contain_text("/ 200,000 行")
    expect(page.get_by_test_id("work-eta")).to_contain_text("剩余时间")
    fits(page)
    keep_screenshot(page, request.config, "upload-progress-running")

    # The same upload's page, opened again while the load runs: its buttons are disabled, with a link here.
    other = context.new_page()
    other.goto(preview_url)
    expect(other.get_by_test_id("work-running")).to_be_visible()
    expect(other.get_by_role("button", name="写入", exact=True)).to_be_disabled()
    expect(other.get_by_role("button", name=re.compile("试运行"))).to_be_disabled()
    other.get_by_role("link", name="查看进度").click()
    expect(other).to_have_url(work_url)
    other.close()

    # A reload while it runs shows the same bar, no further back than before.
    before = _done(page)
    page.reload()
    if page.get_by_test_id("work-state").inner_text() in ("排队中", "进行中"):
        expect(page.get_by_test_id("work-bar")).to_have_attribute("max", str(ROWS))
        assert _done(page) >= before

    # progress.js keeps the page current until the result appears, without another reload.
    result = page.get_by_test_id("work-result")
    expect(result).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("work-state")).to_have_text("已完成")
    expect(result).to_contain_text("已写入：共 200000 行，新增 200000")
    expect(page.get_by_test_id("work-counts")).to_contain_text("已处理 200,000 / 200,000 行")
    expect(bar).to_have_attribute("max", str(ROWS))
    expect(page.get_by_test_id("work-eta")).to_be_hidden()
    fits(page)
    keep_screenshot(page, request.config, "upload-progress-done")
    result.get_by_role("link", name="查看结果").click()
    expect(page.get_by_text("已写入").first).to_be_visible()
    page.goto(f"/resources/{entry.id}")
    expect(page.get_by_test_id("rows")).to_have_text("200000")
