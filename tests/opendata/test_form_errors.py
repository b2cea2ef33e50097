"""The bureau's publish and withdraw forms: a bad post shows the page again with each message in Chinese
beside its field, what was typed kept, a reason of spaces refused, nothing published or withdrawn."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import func, select

from govdata.opendata.models import OpenDataset
from tests.opendata.helpers import COMPANY, companies, openable


def _beside(page: str, field: str) -> str:
    found = re.search(rf'data-field-error="{field}">([^<]*)</span>', page)
    assert found, f"no message beside {field}"
    return html.unescape(found.group(1))


def _datasets(database: Any) -> int:
    with database.read() as db:
        return int(db.execute(select(func.count()).select_from(OpenDataset)).scalar_one())


def test_publish_errors_beside_their_fields(web: Any, database: Any) -> None:
    entry = openable(database, rows=companies(3))
    bureau = web("bureau")
    before = _datasets(database)
    url = f"/open/manage/entries/{entry.id}/publish"
    form = {"title": "企业名录", "summary": "全市企业", "topic": "", "licence": "cc_by_4", "terms": "注明来源",
            "note": "x" * 501}
    bad = bureau.post(url, form)
    assert bad.status_code == 422
    assert _beside(bad.text, "topic") == "主题不能为空"
    assert _beside(bad.text, "note") == "说明不能超过 500 个字符"
    assert 'value="企业名录"' in bad.text and ">注明来源</textarea>" in bad.text  # kept
    assert "Input should be" not in bad.text and "Field required" not in bad.text
    wrong = bureau.post(url, {**form, "topic": "nonsense", "note": ""})
    assert wrong.status_code == 422 and "请从列表中选择" in _beside(wrong.text, "topic")
    assert _datasets(database) == before
    ok = bureau.post(url, {**form, "topic": "credit", "note": ""})
    assert ok.status_code == 303 and _datasets(database) == before + 1


def test_a_field_without_masking_rule_is_named_in_chinese(web: Any, database: Any) -> None:
    fields = [*COMPANY[:2], ("sfzh", "负责人身份证号", "C", 18, False, "personal", "L4", "")]
    entry = openable(database, fields=fields)
    refused = web("bureau").post(f"/open/manage/entries/{entry.id}/publish", {"topic": "credit"})
    assert refused.status_code == 422 and 'data-testid="error"' in refused.text
    assert "负责人身份证号" in refused.text and "Traceback" not in refused.text


def test_withdraw_reason_of_spaces_is_refused_beside_its_box(web: Any, database: Any) -> None:
    entry = openable(database, rows=companies(3))
    bureau = web("bureau")
    made = bureau.post(f"/open/manage/entries/{entry.id}/publish", {"topic": "credit"})
    dataset_id = made.headers["location"].split("?")[0].rsplit("/", 1)[1]
    url = f"/open/manage/datasets/{dataset_id}/withdraw"
    spaces = bureau.post(url, {"note": "    "})
    assert spaces.status_code == 422 and _beside(spaces.text, "note") == "说明不能为空"
    short = bureau.post(url, {"note": "错"})
    assert short.status_code == 422 and "不能少于 2 个字符" in _beside(short.text, "note")
    assert ">错</textarea>" in short.text
    with database.read() as db:
        assert db.get(OpenDataset, int(dataset_id)).status == "published"  # type: ignore[union-attr]
    assert bureau.post(url, {"note": "数据有误，暂停开放"}).status_code == 303
