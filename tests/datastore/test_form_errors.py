"""The aggregation forms answer a bad post with the page again: the message in Chinese beside its field (on
the right card), what was typed kept, a text of spaces refused, nothing saved."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import func, select

from govdata.catalog.models import Filing
from govdata.datastore.models import ReturnFlowConnector
from govdata.storage.engines import Database
from tests.datastore.factories import make_entry

FIELDS = [{"name": "bh", "label": "编号", "data_type": "C", "length": 20, "is_key": True},
          {"name": "mc", "label": "名称", "data_type": "C", "length": 100}]


def _beside(page: str, field: str) -> str:
    """The message shown beside `field` (the `_forms.html` error span)."""
    found = re.search(rf'data-field-error="{field}">([^<]*)</span>', page)
    assert found, f"no message beside {field}"
    return html.unescape(found.group(1))


def _count(database: Database, model: Any) -> int:
    with database.read() as db:
        return int(db.execute(select(func.count()).select_from(model)).scalar_one())


def test_filing_reason_refused_beside_its_box(web: Any, database: Database) -> None:
    entry = make_entry(database, unit="gaj", ingest_mode="manual")
    steward = web("steward_gaj")
    before = _count(database, Filing)
    spaces = steward.post(f"/resources/{entry.id}/filing", {"reason": "   "})
    assert spaces.status_code == 422 and "至少 10 个字" in _beside(spaces.text, "reason")
    short = steward.post(f"/resources/{entry.id}/filing", {"reason": "单机版"})
    assert short.status_code == 422 and "不能实时汇聚的原因" in _beside(short.text, "reason")
    assert ">单机版</textarea>" in short.text  # kept
    assert "{" not in _beside(short.text, "reason") and _count(database, Filing) == before


def test_connector_errors_beside_their_fields_values_kept(web: Any, database: Database) -> None:
    entry = make_entry(database, unit="gaj", fields=FIELDS, ingest_mode="return_flow")
    before = _count(database, ReturnFlowConnector)  # the demo's own (a paused one, supervision's return flow)
    steward = web("steward_gaj")
    form = {"url": "ftp://up.example", "auth_header": "", "data_format": "csv", "paging": "cursor",
            "page_size": "abc", "records_path": "items", "cursor_path": "next", "since_param": "since",
            "mapping": "ID=bh\nNAME=mc"}
    bad = steward.post(f"/resources/{entry.id}/connector", form)
    assert bad.status_code == 422, bad.text[:3000]
    assert _beside(bad.text, "url") == "上游地址应为以 http:// 或 https:// 开头的网址"
    assert _beside(bad.text, "page_size") == "每页条数应为整数"
    assert 'value="items"' in bad.text and 'value="ftp://up.example"' in bad.text
    assert '<option value="cursor" selected>' in bad.text and '<option value="csv" selected>' in bad.text
    assert "<details open>" in bad.text
    wrong_target = steward.post(f"/resources/{entry.id}/connector",
                                {**form, "url": "https://up.example/x", "page_size": "10", "mapping": "ID=nope"})
    assert wrong_target.status_code == 422 and "nope" in _beside(wrong_target.text, "mapping")
    assert ">ID=nope</textarea>" in wrong_target.text
    no_equals = steward.post(f"/resources/{entry.id}/connector",
                             {**form, "url": "https://up.example/x", "page_size": "10", "mapping": "ID bh"})
    assert "上游字段=信息项" in _beside(no_equals.text, "mapping")
    blank = steward.post(f"/resources/{entry.id}/connector", {**form, "url": "   ", "page_size": "10"})
    assert _beside(blank.text, "url") == "上游地址不能为空"
    assert _count(database, ReturnFlowConnector) == before
    good = steward.post(f"/resources/{entry.id}/connector", {**form, "url": "https://up.example/x", "page_size": "10"})
    assert good.status_code == 303 and _count(database, ReturnFlowConnector) == before + 1


def test_filing_review_errors_on_the_filings_own_card(web: Any, database: Database) -> None:
    first = make_entry(database, unit="gaj", ingest_mode="manual")
    second = make_entry(database, unit="gaj", ingest_mode="manual")
    steward = web("steward_gaj")
    for entry in (first, second):
        sent = steward.post(f"/resources/{entry.id}/filing", {"reason": "业务系统为单机版，无法联网实时推送"})
        assert sent.status_code == 303
    bureau = web("bureau")
    ids = re.findall(r"/resources/filings/(\d+)/review", bureau.get("/resources/supervision").text)
    assert len(ids) >= 2
    target = ids[-1]
    refused = bureau.post(f"/resources/filings/{target}/review", {"decision": "reject", "note": "   "})
    assert refused.status_code == 422
    assert f'data-testid="review-error-{target}"' in refused.text
    assert refused.text.count("data-testid=\"review-error-") == 1  # only that card
    assert f'id="err-note-{target}"' in refused.text and "理由" in _beside(refused.text, "note")
    none = bureau.post(f"/resources/filings/{target}/review", {"note": "材料不全"})
    assert none.status_code == 422 and _beside(none.text, "decision") == "审核结果：请选择予以备案或不予备案"
    assert ">材料不全</textarea>" in none.text
    with database.read() as db:
        assert db.get(Filing, int(target)).status == "pending"  # type: ignore[union-attr]
    done = bureau.post(f"/resources/filings/{target}/review", {"decision": "reject", "note": "材料不全"})
    assert done.status_code == 303
