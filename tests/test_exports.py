"""Every CSV and XLSX the platform writes shows a formula-like text as text, never as a live formula (OWASP)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import update

from govdata import exports
from govdata.catalog.models import ShareType
from govdata.orgs.models import System
from govdata.storage.engines import Database
from tests.catalog.helpers import entry_payload
from tests.datastore import factories as datastore
from tests.quality import factories as quality
from tests.sharing.factories import PEOPLE_ROWS, later, system_id, token_for
from tests.sharing.factories import make_entry as shared_entry

PAYLOAD = '=HYPERLINK("http://x","y")'
SRC = Path(__file__).parent.parent / "src" / "govdata"


@pytest.mark.parametrize(("value", "written"), [
    (PAYLOAD, "'" + PAYLOAD), ("+1+2", "'+1+2"), ("-2+3", "'-2+3"), ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"), ("\r=1+1", "'\r=1+1"), ("-", "'-"),
    ("-12.5", "-12.5"), ("+86", "+86"), ("a=b", "a=b"), ("张三", "张三"), ("", ""), (-5, -5), (None, None),
])
def test_csv_cells(value: Any, written: Any) -> None:
    assert exports.neutral(value) == written


def test_csv_line_reads_back_as_text() -> None:
    line = exports.csv_line([PAYLOAD, -5, "ok"])
    assert next(csv.reader(io.StringIO(line))) == ["'" + PAYLOAD, "-5", "ok"]


def test_xlsx_rows_keep_text_as_text_and_numbers_as_numbers() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    exports.append_row(sheet, [PAYLOAD, -5, -12.5, "-12.5", "+1+2", "ok"])
    out = io.BytesIO()
    book.save(out)
    cells = list(load_workbook(io.BytesIO(out.getvalue())).active[1])  # type: ignore[index]
    assert [(c.value, c.data_type) for c in cells] == [
        (PAYLOAD, "s"), (-5, "n"), (-12.5, "n"), ("-12.5", "s"), ("+1+2", "s"), ("ok", "s")]
    assert [c.quotePrefix for c in cells] == [True, False, False, False, True, False]
    assert "<f>" not in zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()


def test_every_writer_goes_through_exports() -> None:
    """A new CSV or XLSX writer that bypasses `govdata.exports` fails here."""
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name == "exports.py":
            continue
        assert not re.search(r"csv\.(writer|DictWriter)\(", text), f"{path}: write CSV through govdata.exports"
        if re.search(r"from openpyxl import .*\bWorkbook\b", text):
            assert "append_row" in text, f"{path}: append XLSX rows through govdata.exports.append_row"


def _csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _assert_text_only(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not exports.is_formula_like(cell), f"live formula {cell!r} in {row}"


def test_rejected_rows_report(client: Any, token: Any, database: Database) -> None:
    entry = datastore.make_entry(database)
    rows = [{"sfzh": "350802199001010001", "xm": "张三", "csrq": "1990-01-01", "nl": 1},
            {"sfzh": "350802199001010002", "xm": PAYLOAD, "csrq": PAYLOAD, "nl": 2}]
    pushed = client.post(f"/api/v1/resources/{entry.code}/records", params={"mode": "load_valid"},
                         content=orjson.dumps(rows), headers={**datastore.system_token(database),
                                                              "Content-Type": "application/json"})
    assert pushed.status_code == 200 and pushed.json()["rejected"] == 1, pushed.text
    report = client.get(f"/api/v1/batches/{pushed.json()['batch_id']}/rejects.csv", headers=token("steward_gaj"))
    assert report.status_code == 200, report.text
    rows_back = _csv(report.content)
    _assert_text_only(rows_back)
    assert rows_back[1][:2] == ["2", "出生日期"] and rows_back[1][-1] == "csrq"
    assert rows_back[1][3:6] == ["350802199001010002", "'" + PAYLOAD, "'" + PAYLOAD]


def test_audit_export(client: Any, web: Any) -> None:
    refused = client.post("/api/v1/auth/token", data={"username": PAYLOAD, "password": "x"})
    assert refused.status_code == 401
    export = web("security").get("/audit/export.csv", params={"actor": PAYLOAD})
    assert export.status_code == 200
    rows = _csv(export.content)
    _assert_text_only(rows)
    assert [r[3] for r in rows[1:]] == ["'" + PAYLOAD]


def test_catalog_export_and_its_import(client: Any, token: Any) -> None:
    steward = token("steward_gaj")
    fields = entry_payload()["fields"]
    fields[1] = {**fields[1], "description": "-2+3"}
    made = client.post("/api/v1/catalog", headers=steward,
                       json=entry_payload(name="公式注入测试", summary=PAYLOAD, fields=fields))
    assert made.status_code == 201, made.text
    export = client.get("/api/v1/catalog/export.xlsx", params={"q": "公式注入测试", "status": "draft"},
                        headers=steward)
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.content))
    entries, field_rows = book["信息资源"], book["信息项"]
    summary = entries.cell(row=2, column=[c.value for c in entries[1]].index("信息资源摘要") + 1)
    assert (summary.value, summary.data_type, summary.quotePrefix) == (PAYLOAD, "s", True)
    described = field_rows.cell(row=3, column=[c.value for c in field_rows[1]].index("描述") + 1)
    assert (described.value, described.data_type, described.quotePrefix) == ("-2+3", "s", True)
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        assert not any("<f>" in archive.read(n).decode() for n in archive.namelist() if "worksheets/" in n)
    again = client.post("/api/v1/catalog/import", headers=steward,
                        files={"file": ("c.xlsx", export.content, "application/octet-stream")})
    assert again.status_code == 201, again.text
    imported = client.get(f"/api/v1/catalog/{again.json()['entry_ids'][0]}", headers=steward).json()
    assert imported["summary"] == PAYLOAD  # the text itself, not the apostrophe


def test_usage_exports(database: Database, settings: Any, client: Any, token: Any, web: Any) -> None:
    code = shared_entry(database, unit_code="gaj", share_type=ShareType.UNCONDITIONAL, rows=PEOPLE_ROWS)
    body = {"code": code, "fields": ["zjhm", "xm"], "duty": PAYLOAD, "legal_basis": "依据某条",
            "system_id": system_id(database, "mz"), "valid_until": later(), "daily_volume": 50}
    assert client.post("/api/v1/share/requests", json=body, headers=token("steward_mz")).status_code == 201
    with database.write() as db:
        db.execute(update(System).where(System.id == system_id(database, "mz")).values(name="@SUM(1+1)*cmd"))
    headers = {"Authorization": f"Bearer {token_for(database, settings, 'mz')}", "X-Operator": "clerk"}
    assert client.get(f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[0]['zjhm']}", headers=headers
                      ).status_code == 200
    provider = _csv(web("head_gaj").get("/sharing/usage.csv?side=provider").content)
    _assert_text_only(provider)
    purpose = provider[0].index("用途")
    assert [r[purpose] for r in provider if code in r] == ["'" + PAYLOAD]
    consumer = _csv(client.get("/api/v1/share/usage.csv?side=consumer", headers=token("steward_mz")).content)
    _assert_text_only(consumer)
    assert [r[2] for r in consumer if code in r] == ["'@SUM(1+1)*cmd"]


def test_comparison_diffs(client: Any, token: Any, database: Database) -> None:
    left = quality.make_entry(database, unit="gaj", name="比对左")
    right = quality.make_entry(database, unit="gaj", name="比对右")
    key = quality.idcard(date(1980, 1, 1))
    quality.insert_rows(database, left, [{"sfzh": key, "xm": "张三"}])
    quality.insert_rows(database, right, [{"sfzh": key, "xm": PAYLOAD}])
    headers = token("steward_gaj")
    made = client.post("/api/v1/quality/comparisons", headers=headers, json={
        "name": "公式", "left_code": left.code, "right_code": right.code, "key_pairs": [["sfzh", "sfzh"]],
        "field_pairs": [["xm", "xm"]], "threshold": 0.9})
    assert made.status_code == 201, made.text
    run = client.post(f"/api/v1/quality/comparisons/{made.json()['id']}/run", headers=headers)
    assert run.status_code == 201, run.text
    diffs = client.get(f"/api/v1/quality/comparison-runs/{run.json()['id']}/diffs.csv", headers=headers)
    rows = _csv(diffs.content)
    _assert_text_only(rows)
    assert rows[1] == ["字段不一致", key, "xm", "张三", "'" + PAYLOAD]

