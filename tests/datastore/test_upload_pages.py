"""Manual upload through the pages: real files in three encodings and XLSX, every bad file, dry run."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from govdata.storage.engines import Database
from tests.conftest import last_audit
from tests.datastore.factories import make_entry

HEADER = ["sfzh", "姓名", "csrq", "nl"]
ROWS = [["350802199001011234", "张三", "1990-01-01", "30"], ["11010519491231002X", "李四", "1949-12-31", "75"]]


def csv_bytes(rows: list[list[str]], encoding: str, header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]], tmp_path: Path) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for r in rows:
        sheet.append(r)
    path = tmp_path / "f.xlsx"
    book.save(path)
    return path.read_bytes()


def upload(browser: Any, entry_id: int, name: str, content: bytes) -> Any:
    return browser.client.post(f"/resources/{entry_id}/upload", data={"csrf_token": browser.csrf},
                               files={"file": (name, content, "application/octet-stream")})


def load(browser: Any, location: str, **form: str) -> Any:
    return browser.post(location + "/load", form)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_three_encodings_end_to_end(web: Any, database: Database, encoding: str) -> None:
    entry = make_entry(database, ingest_mode="manual")
    steward = web("steward_gaj")
    response = upload(steward, entry.id, "人口.csv", csv_bytes(ROWS, encoding))
    assert response.status_code == 303
    preview_url = response.headers["location"]
    preview = steward.get(preview_url)
    assert preview.status_code == 200 and "张三" in preview.text
    assert preview.text.count('data-testid="preview-row"') == 2
    dry = load(steward, preview_url, dry_run="1")
    assert dry.status_code == 303
    page = steward.get(dry.headers["location"])
    assert "试运行" in page.text and "新增 2" in page.text
    assert '<dd data-testid="rows">0</dd>' in steward.get(f"/resources/{entry.id}").text
    done = load(steward, preview_url)
    assert done.status_code == 303
    assert "已写入" in steward.get(done.headers["location"]).text
    entry_page = steward.get(f"/resources/{entry.id}").text
    assert '<dd data-testid="rows">2</dd>' in entry_page
    found = steward.get(f"/resources/{entry.id}/lookup", params={"field": "xm", "value": "李四"})
    assert found.text.count('data-testid="record"') == 1
    event = last_audit(database, action="resource.upload")
    assert event is not None and event.row_count == 2


def test_xlsx_upload_and_partial_with_rejects_download(web: Any, database: Database, tmp_path: Path) -> None:
    entry = make_entry(database, ingest_mode="manual")
    steward = web("steward_gaj")
    rows = [*ROWS, ["350802199001019999", "王五", "not a date", 1]]
    response = upload(steward, entry.id, "人口.xlsx", xlsx_bytes(rows, tmp_path))
    preview_url = response.headers["location"]
    result = load(steward, preview_url, mode="load_valid")
    page = steward.get(result.headers["location"])
    assert "部分写入" in page.text and "不是日期" in page.text
    batch_id = re.search(r"/resources/batches/(\d+)", result.headers["location"]).group(1)  # type: ignore[union-attr]
    download = steward.get(f"/resources/batches/{batch_id}/rejects.csv")
    assert download.status_code == 200
    lines = download.content.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")  # the file's own headers (it said csrq, not 出生日期), so it goes back as it is
    assert header == ["行号", "信息项", "原因", *HEADER, "信息项代码"]
    assert lines[1].startswith("4,csrq,") and lines[1].endswith(",csrq")
    assert "<td title=\"csrq\">出生日期</td>" in page.text  # the page names the field for people


def _bomb(tmp_path: Path) -> bytes:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 50_000_000)
    return path.read_bytes()


def _formula(tmp_path: Path) -> bytes:
    return xlsx_bytes([[*ROWS[0][:3], "=1+1"]], tmp_path)


@pytest.mark.parametrize(("name", "make", "message", "status"), [
    ("empty.csv", lambda tmp: b"", "文件为空", 422),
    ("binary.csv", lambda tmp: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "二进制", 422),
    ("wrong.csv", lambda tmp: b"sfzh,xm\n" + b"\xff\xfe\xfa\xfb" * 10, "编码", 422),
    ("unknown.csv", lambda tmp: csv_bytes(ROWS, "utf-8", ["sfzh", "xm", "bogus"]), "未知列", 422),
    ("nokey.csv", lambda tmp: csv_bytes(ROWS, "utf-8", ["xm", "csrq"]), "缺少主键列", 422),
    ("truncated.xlsx", lambda tmp: b"PK\x03\x04truncated", "XLSX", 422),
    ("bomb.xlsx", _bomb, "压缩炸弹", 413),
    ("formula.xlsx", _formula, "公式", 422),
    ("notes.pdf", lambda tmp: b"%PDF-1.4", ".csv 或 .xlsx", 422),
])
def test_bad_files_are_refused_with_reason(web: Any, database: Database, tmp_path: Path, name: str, make: Any,
                                           message: str, status: int) -> None:
    entry = make_entry(database, ingest_mode="manual")
    steward = web("steward_gaj")
    response = upload(steward, entry.id, name, make(tmp_path))
    if response.status_code == 422:  # refused on the upload form itself: the reason sits at the file field
        assert re.search(r'data-field-error="file"[^>]*>[^<]*' + re.escape(message), response.text), response.text
    if response.status_code == 303:
        preview = steward.get(response.headers["location"])
        if preview.status_code == 200:  # found only when the rows are read
            preview = load(steward, response.headers["location"], dry_run="1")
        response = preview
    assert response.status_code == status, response.text[:500]
    assert message in response.text
    assert '<dd data-testid="rows">0</dd>' in steward.get(f"/resources/{entry.id}").text


def test_truncated_csv_names_the_line(web: Any, database: Database) -> None:
    entry = make_entry(database, ingest_mode="manual")
    steward = web("steward_gaj")
    content = csv_bytes(ROWS, "utf-8") + b'350802199001015555,"unterminated'
    response = upload(steward, entry.id, "cut.csv", content)
    result = load(steward, response.headers["location"])
    assert result.status_code == 422 and "第 4 行" in result.text and "截断" in result.text
    assert '<dd data-testid="rows">0</dd>' in steward.get(f"/resources/{entry.id}").text


@pytest.mark.parametrize(("user", "status"), [
    ("steward_gaj", 200), ("head_gaj", 403), ("steward_scjg", 403), ("bureau", 403), ("vendor", 403),
])
def test_upload_page_permissions(web: Any, database: Database, user: str, status: int) -> None:
    entry = make_entry(database, unit="gaj", ingest_mode="manual")
    assert web(user).get(f"/resources/{entry.id}/upload").status_code == status


@pytest.mark.parametrize(("user", "status"), [
    ("steward_gaj", 200), ("head_gaj", 200), ("steward_scjg", 403), ("bureau", 403), ("security", 403),
])
def test_entry_page_only_for_owner(web: Any, database: Database, user: str, status: int) -> None:
    entry = make_entry(database, unit="gaj")
    assert web(user).get(f"/resources/{entry.id}").status_code == status


def test_filing_submit_review_and_supervision(web: Any, database: Database) -> None:
    entry = make_entry(database, unit="gaj", ingest_mode="manual")
    bureau = web("bureau")
    assert entry.code in bureau.get("/resources/supervision").text
    steward = web("steward_gaj")
    short = steward.post(f"/resources/{entry.id}/filing", {"reason": "太短"})
    assert short.status_code == 422
    ok = steward.post(f"/resources/{entry.id}/filing", {"reason": "业务系统为单机版，无法联网实时推送数据"})
    assert ok.status_code == 303
    assert "待审核" in steward.get(f"/resources/{entry.id}").text
    page = bureau.get("/resources/supervision").text
    filing_id = re.search(r"/resources/filings/(\d+)/review", page).group(1)  # type: ignore[union-attr]
    assert steward.post(f"/resources/filings/{filing_id}/review", {"decision": "accept"}).status_code == 403
    assert bureau.post(f"/resources/filings/{filing_id}/review", {"decision": "accept"}).status_code == 303
    assert "已备案" in steward.get(f"/resources/{entry.id}").text
    assert entry.code not in bureau.get("/resources/supervision").text.split("未备案的非实时汇聚资源")[1]
    event = last_audit(database, action="filing.review")
    assert event is not None and event.outcome == "ok"
