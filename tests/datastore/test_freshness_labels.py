"""A resource that never loaded is 尚未汇聚 (not a green 正常) on the list and on its page; loaded ones stay 正常."""

from __future__ import annotations

import re
from typing import Any

CELL = re.compile(r"<td>(.*?)</td>", re.S)


def _rows(page: str) -> list[tuple[str, str, str]]:
    """(resource id, 最近成功汇聚, 状态) of each row of the resource list."""
    rows = []
    for row in page.split("<tr>")[1:]:
        cells = CELL.findall(row)
        link = re.search(r'href="/resources/(\d+)', row)
        if link and len(cells) == 6:
            rows.append((link.group(1), cells[4].strip(), cells[5]))
    return rows


def test_never_loaded_resources_are_not_shown_as_normal(web: Any) -> None:
    rows = _rows(web("steward_gaj").get("/resources").text)
    never = [(rid, status) for rid, last, status in rows if last.strip() == "从未"]
    assert never, "the demo's 公安局 resources have never loaded"
    for _rid, status in never:
        assert "尚未汇聚" in status and "正常" not in status
    entry = web("steward_gaj").get(f"/resources/{never[0][0]}").text
    assert 'data-testid="never-loaded">尚未汇聚' in entry
    assert "tag ok" not in entry.split("最近成功汇聚", 1)[1].split("</dd>", 1)[0]


def test_loaded_resources_keep_their_normal_tag(web: Any) -> None:
    rows = _rows(web("steward_center").get("/resources").text)
    loaded = [status for _rid, last, status in rows if last.strip() not in ("", "从未")]
    assert loaded, "the demo loads the base databases of 大数据中心"
    assert all("尚未汇聚" not in status for status in loaded)
    assert any("正常" in status or "已逾期" in status for status in loaded)
