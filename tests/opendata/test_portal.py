"""The public portal (第十七条), no sign-in: search with facets, dataset pages, masked preview, records with
filters and sorts only on fields in clear, streamed downloads (CSV with BOM, JSON, XLSX) bigger than one batch,
counters, audit per download, 授权开放 metadata only, and the anonymous rate limit."""

from __future__ import annotations

import codecs
import csv
import io
import json
from typing import Any

import openpyxl
import pytest

from govdata.opendata.data import BATCH
from tests.conftest import last_audit
from tests.opendata.helpers import companies, demo_dataset, openable, publish


def test_an_anonymous_visitor_finds_the_demo_datasets_by_a_chinese_word(client: Any, database: Any) -> None:
    home = client.get("/open")
    assert home.status_code == 200 and "政务数据开放门户" in home.text and 'href="/open"' in home.text
    found = client.get("/api/v1/open/datasets", params={"q": "法人"}).json()
    titles = [d["title"] for d in found["items"]]
    assert "法人基础信息" in titles
    assert set(found["facets"]) == {"unit", "topic", "format", "open_type", "region"}
    assert any(f["label"] == "普遍开放" for f in found["facets"]["open_type"])
    everything = client.get("/api/v1/open/datasets").json()
    assert everything["total"] >= 5
    authorised = client.get("/api/v1/open/datasets", params={"open_type": "authorized"}).json()
    assert authorised["total"] >= 1 and all(d["open_type"] == "authorized" for d in authorised["items"])
    page = client.get("/open", params={"q": "法人", "topic": "credit"})
    assert page.status_code == 200 and "法人基础信息" in page.text


@pytest.mark.parametrize("params, field", [
    ({"page": "0"}, "page"), ({"per_page": "500"}, "per_page"), ({"topic": "nope"}, "topic"),
    ({"q": "x" * 101}, "q"), ({"unit": "99999999999999999999"}, "unit"), ({"open_type": "closed"}, "open_type"),
])
def test_bad_search_inputs_name_the_field(client: Any, params: dict[str, str], field: str) -> None:
    answer = client.get("/api/v1/open/datasets", params=params)
    assert answer.status_code == 422 and answer.json()["error"]["field"] == field
    assert client.get("/open", params=params).status_code == 422


@pytest.mark.parametrize("q", ["' OR 1=1 --", "法人 AND NOT", "\"", "*:*", "jgmc:[* TO *]", "%_\\"])
def test_search_syntax_is_only_text(client: Any, q: str) -> None:
    answer = client.get("/api/v1/open/datasets", params={"q": q})
    assert answer.status_code == 200, answer.text


def test_a_dataset_page_shows_fields_licence_history_and_a_masked_preview(client: Any, database: Any) -> None:
    dataset = demo_dataset(database, "法人基础信息")
    page = client.get(f"/open/datasets/{dataset.id}")
    assert page.status_code == 200
    for text in ("数据项说明", "法定代表人", "姓名", "发布记录", "首批开放（演示）", "知识共享署名", "data.csv"):
        assert text in page.text, text
    records = client.get(f"/api/v1/open/datasets/{dataset.id}/records", params={"limit": 20}).json()
    assert len(records["records"]) == 20
    names = [r["fddbr"] for r in records["records"]]
    assert all(n is None or n.endswith("*") or "*" in n for n in names), names  # surname only
    before = client.get(f"/api/v1/open/datasets/{dataset.id}").json()["view_count"]
    assert client.get(f"/api/v1/open/datasets/{dataset.id}").json()["view_count"] == before + 1


def test_authorised_datasets_show_metadata_and_ask_for_an_authorisation(client: Any, database: Any) -> None:
    dataset = demo_dataset(database, "职业技能等级证书信息")
    page = client.get(f"/open/datasets/{dataset.id}")
    assert page.status_code == 200 and "需申请授权" in page.text and "data.csv" not in page.text
    assert client.get(f"/api/v1/open/datasets/{dataset.id}").json()["has_data"] is False
    for path in ("records", "data.csv", "data.json", "data.xlsx"):
        refused = client.get(f"/api/v1/open/datasets/{dataset.id}/{path}")
        assert refused.status_code == 403 and "授权" in refused.json()["error"]["message"], path


def test_filters_and_sorts_only_on_fields_in_clear(client: Any, token: Any, database: Any) -> None:
    entry = openable(database, rows=companies(30))
    dataset_id = publish(client, token("bureau"), entry).json()["id"]
    url = f"/api/v1/open/datasets/{dataset_id}/records"
    for params, field in [({"field": "fddbr", "value": "欧阳娜0"}, "fddbr"), ({"sort": "lxdh"}, "lxdh"),
                          ({"sort": "-fddbr"}, "fddbr")]:
        refused = client.get(url, params=params)
        assert refused.status_code == 422, params
        error = refused.json()["error"]
        assert error["field"] == field and "已脱敏" in error["message"] and field in error["message"]
        assert "欧阳" not in refused.text
    assert client.get(url, params={"field": "nope", "value": "x"}).json()["error"]["field"] == "field"
    assert client.get(url, params={"field": "zczb", "value": "abc"}).json()["error"]["field"] == "zczb"
    assert client.get(url, params={"field": "jgmc"}).json()["error"]["field"] == "value"
    assert client.get(url, params={"limit": 101}).json()["error"]["field"] == "limit"
    assert client.get(url, params={"offset": -1}).json()["error"]["field"] == "offset"
    found = client.get(url, params={"field": "jgmc", "value": "测试公司7"}).json()["records"]
    assert [r["tyshxydm"] for r in found] == ["913508020000000007"]
    ordered = client.get(url, params={"sort": "-zczb", "limit": 3}).json()["records"]
    assert [r["zczb"] for r in ordered] == ["129.50", "128.50", "127.50"]


def test_downloads_stream_every_row_of_a_table_bigger_than_one_batch(client: Any, token: Any,
                                                                       database: Any) -> None:
    total = 2 * BATCH + 7
    entry = openable(database, rows=companies(total))
    dataset_id = publish(client, token("bureau"), entry, title="大表").json()["id"]

    csv_answer = client.get(f"/api/v1/open/datasets/{dataset_id}/data.csv")
    assert csv_answer.status_code == 200 and csv_answer.headers["content-type"].startswith("text/csv")
    assert csv_answer.content.startswith(codecs.BOM_UTF8) and csv_answer.headers["x-row-count"] == str(total)
    rows = list(csv.reader(io.StringIO(csv_answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["统一社会信用代码", "机构名称", "法定代表人", "联系电话", "注册资本"]
    assert len(rows) == total + 1
    assert rows[1][1].startswith("'=HYPERLINK")  # neutralised, not a formula
    assert rows[1][2] == "欧阳**" and rows[1][3] == "138****0000"
    event = last_audit(database, action="open.download")
    assert event is not None and event.medium == "csv" and event.row_count == total and event.actor_type == "public"

    as_json = json.loads(client.get(f"/open/datasets/{dataset_id}/data.json").content)
    assert as_json["fields"][0] == "tyshxydm" and len(as_json["records"]) == total
    assert as_json["records"][-1]["zczb"] == f"{100 + total - 1}.50"

    xlsx = client.get(f"/api/v1/open/datasets/{dataset_id}/data.xlsx")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == total + 1 and values[1][1].startswith("=HYPERLINK") and values[1][2] == "欧阳**"
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    cell = workbook.active["B2"]
    assert cell.data_type == "s" and cell.quotePrefix  # a string shown as typed, never a formula
    meta = client.get(f"/api/v1/open/datasets/{dataset_id}").json()
    assert meta["download_count"] == 3


def test_anonymous_downloads_are_rate_limited(app: Any, client: Any, token: Any, database: Any) -> None:
    app.state.settings.open_downloads_per_minute = 2
    entry = openable(database, rows=companies(3))
    dataset_id = publish(client, token("bureau"), entry).json()["id"]
    url = f"/api/v1/open/datasets/{dataset_id}/data.csv"
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    limited = client.get(url)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert client.get(url, headers=token("steward_gaj")).status_code == 200  # signed in: not limited here


def test_other_routes_still_need_a_sign_in(client: Any) -> None:
    assert client.get("/api/v1/catalog/entries").status_code == 401
    assert client.get("/open/manage").status_code == 303
    assert client.get("/open/api").status_code == 200
