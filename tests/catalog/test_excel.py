"""Excel out and in: the demo catalog round-trips unchanged; bad workbooks are refused row by row, whole."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from govdata.actor import platform_actor
from govdata.catalog import excel
from govdata.catalog.models import CatalogEntry
from govdata.orgs import demo as orgs_demo
from govdata.storage.engines import Database, open_database
from govdata.storage.migrate import upgrade
from tests.conftest import PG_URL, _pg_exec, _pg_url_for, last_audit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PLATFORM_COLUMNS = {"信息资源代码", "状态"}


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[Database]:
    """A database with the demo units and people but no catalog at all."""
    if PG_URL:
        name = f"govdata_fresh_{uuid.uuid4().hex[:10]}"
        _pg_exec(f'CREATE DATABASE "{name}"')
        database = open_database(_pg_url_for(name))
    else:
        database = open_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(database)
    with database.write() as db:
        orgs_demo.seed(db, "govdata-demo")
    yield database
    database.dispose()
    if PG_URL:
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sheets(content: bytes) -> dict[str, list[list[Any]]]:
    """Every sheet's rows, without the columns the platform assigns (code, status)."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    found = {}
    for ws in book.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        keep = [i for i, title in enumerate(rows[0]) if title not in PLATFORM_COLUMNS]
        found[ws.title] = [[row[i] for i in keep] for row in rows]
    return found


def test_demo_catalog_round_trips_unchanged(client: Any, token: Any, fresh_database: Database,
                                           database: Database) -> None:
    response = client.get("/api/v1/catalog/export.xlsx", params={"status": "registered", "sort": "code"},
                          headers=token("bureau"))
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    first = response.content
    exported = sheets(first)
    assert len(exported["信息资源"]) - 1 >= 50 and len(exported["信息项"]) - 1 >= 250
    assert exported["信息资源"][0][:3] == ["序号", "信息资源名称", "提供方"]
    audit = last_audit(database, action="catalog.export")
    assert audit is not None and audit.row_count == len(exported["信息资源"]) - 1

    with fresh_database.write() as db:
        created = excel.import_entries(db, platform_actor(), content=first, filename="demo.xlsx")
        ids = [e.id for e in created]
    with fresh_database.write() as db:
        second = excel.export_entries(db, platform_actor(), entry_ids=ids)
    assert sheets(second) == exported


def _upload(client: Any, headers: dict[str, str], content: bytes, name: str = "catalog.xlsx") -> Any:
    return client.post("/api/v1/catalog/import", files={"file": (name, content, XLSX)}, headers=headers)


def _count(database: Database) -> int:
    with database.read() as db:
        return int(db.execute(select(func.count()).select_from(CatalogEntry)).scalar_one())


def _own_export(client: Any, headers: dict[str, str]) -> bytes:
    response = client.get("/api/v1/catalog/export.xlsx", params={"unit_id": _unit_id(client, headers, "gaj"),
                                                                "sort": "code"}, headers=headers)
    assert response.status_code == 200
    return bytes(response.content)


def _unit_id(client: Any, headers: dict[str, str], code: str) -> int:
    page = client.get("/api/v1/catalog", params={"q": "户籍人口信息"}, headers=headers).json()
    return next(i["unit_id"] for i in page["items"] if i["name"] == "户籍人口信息")


def _edit(content: bytes, sheet: str, row: int, column: str, value: Any) -> bytes:
    book = load_workbook(io.BytesIO(content))
    ws = book[sheet]
    titles = [c.value for c in ws[1]]
    ws.cell(row=row, column=titles.index(column) + 1).value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_steward_imports_own_unit_catalog(client: Any, token: Any, database: Database) -> None:
    steward = token("steward_gaj")
    content = _own_export(client, steward)
    before = _count(database)
    response = _upload(client, steward, content)
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 6 and _count(database) == before + 6
    created = client.get(f"/api/v1/catalog/{response.json()['entry_ids'][0]}", headers=steward).json()
    assert created["status"] == "draft" and created["code"] is None and created["unit_code"] == "gaj"
    audit = last_audit(database, action="catalog.import")
    assert audit is not None and audit.row_count == 6 and audit.medium == "xlsx"


@pytest.mark.parametrize(("sheet", "row", "column", "value", "expected"), [
    ("信息资源", 2, "信息资源名称", None, "必填项为空"),
    ("信息资源", 3, "共享类型", "随便共享", "不是可选值"),
    ("信息资源", 2, "共享条件", None, "共享条件"),
    ("信息项", 2, "数据类型", "Q", "不是可选值"),
    ("信息项", 3, "数据长度", None, "必须填写长度"),
    ("信息项", 3, "信息项名称", "sfzh", "信息项名称重复"),
    ("信息资源", 2, "提供方代码", "mz", "只能导入本单位"),
])
def test_bad_rows_are_named_and_nothing_is_saved(client: Any, token: Any, database: Database, sheet: str,
                                                 row: int, column: str, value: Any, expected: str) -> None:
    steward = token("steward_gaj")
    content = _edit(_own_export(client, steward), sheet, row, column, value)
    before = _count(database)
    response = _upload(client, steward, content)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "file" and "未保存任何内容" in error["message"]
    problem = error["details"][0]
    assert expected in problem["message"], problem
    assert problem["sheet"] in ("信息资源", "信息项") and problem["row"] >= 2
    assert _count(database) == before


def test_wrong_columns_and_non_excel_files(client: Any, token: Any, database: Database) -> None:
    steward = token("steward_gaj")
    before = _count(database)
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "信息资源"
    ws.append(["资源名称", "单位", "备注"])
    ws.append(["某资源", "公安局", ""])
    out = io.BytesIO()
    book.save(out)
    wrong = _upload(client, steward, out.getvalue())
    assert wrong.status_code == 422
    messages = [p["message"] for p in wrong.json()["error"]["details"]]
    assert any("缺少列" in m and "信息资源名称" in m and "无法识别的列：资源名称" in m for m in messages)
    assert any("缺少工作表“信息项”" in m for m in messages)

    renamed = _upload(client, steward, "名称,代码\n户籍人口,1\n".encode(), name="catalog.xlsx")
    assert renamed.status_code == 400
    assert renamed.json()["error"]["field"] == "file" and "不是有效的 Excel" in renamed.json()["error"]["message"]
    corrupt = _upload(client, steward, b"PK\x03\x04" + b"\x00" * 200)
    assert corrupt.status_code == 400
    assert _count(database) == before


def test_import_page_shows_the_report(web: Any, client: Any, token: Any, database: Database) -> None:
    steward = web("steward_gaj")
    content = _edit(_own_export(client, token("steward_gaj")), "信息项", 4, "数据类型", "Q")
    page = steward.client.post("/catalog/import", files={"file": ("c.xlsx", content, XLSX)},
                               data={"csrf_token": steward.csrf})
    assert page.status_code == 422
    assert 'data-testid="import-error"' in page.text and "<td>信息项</td><td>4</td><td>数据类型</td>" in page.text
    good = steward.client.post("/catalog/import", files={"file": ("c.xlsx", _own_export(client, token("steward_gaj")),
                                                                   XLSX)}, data={"csrf_token": steward.csrf})
    assert good.status_code == 303
    assert web("steward_mz").client.post("/catalog/import", files={"file": ("c.xlsx", content, XLSX)},
                                         data={"csrf_token": "wrong"}).status_code == 403
