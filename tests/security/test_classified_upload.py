"""A file carrying a classification marking (第二十三条) is refused at the upload form before anything of it is
seen: nothing written to the upload folder, no preview, no row of it on the page — the refusal in Chinese at the
file field, naming line and column. Running text and stray stars pass; the header row, every sheet of a
workbook, GB18030 files and markings far into a big file are caught."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from govdata.storage.engines import Database
from tests.datastore.factories import make_entry
from tests.security.test_classified_guard import FIELDS

HEADER = "文件编号,标题,内容,页数\n"


def _upload(browser: Any, entry_id: int, name: str, content: bytes) -> Any:
    return browser.client.post(f"/resources/{entry_id}/upload", data={"csrf_token": browser.csrf},
                               files={"file": (name, content, "application/octet-stream")})


def _spool(home: Path) -> list[Path]:
    folder = home / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


def _refused_at_file_field(response: Any, where: str, marking: str) -> None:
    assert response.status_code == 422, response.text
    field = re.search(r'<span class="field-error" id="err-file" data-field-error="file" role="alert">(.*?)</span>',
                      response.text)
    assert field is not None, response.text
    assert field.group(1).startswith(f"{where}含涉密标志“{marking}”") and "第二十三条" in field.group(1)
    assert 'aria-invalid="true" aria-describedby="err-file"' in response.text
    assert 'data-testid="preview-row"' not in response.text


def _xlsx(sheets: dict[str, list[list[Any]]], tmp_path: Path) -> bytes:
    book = Workbook()
    first = True
    for title, rows in sheets.items():
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title, first = title, False
        for row in rows:
            sheet.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)
    return path.read_bytes()


CASES = [
    ("utf-8", HEADER + "1,纪要甲,正文一,1\n2,请示,机密★5年 关于调整的报告,2\n", "第 3 行“内容”列", "机密★"),
    ("gb18030", HEADER + "1,纪要甲,正文一,1\n2,绝 密 ☆长期,正文二,2\n", "第 3 行“标题”列", "绝 密 ☆"),
    ("utf-8-sig", "文件编号,秘密★,内容,页数\n1,纪要甲,正文一,1\n", "第 1 行第 B 列", "秘密★"),  # in the header
    ("utf-8", HEADER + '1,"多行\n标题",正文一,1\n2,请示,"第一段\n秘密★10年",2\n', "第 4 行“内容”列", "秘密★"),
]


@pytest.mark.parametrize(("encoding", "text", "where", "marking"), CASES)
def test_a_marked_csv_is_refused_before_it_is_kept(web: Any, database: Database, settings: Any, encoding: str,
                                                   text: str, where: str, marking: str) -> None:
    entry = make_entry(database, fields=FIELDS)
    steward = web("steward_gaj")
    response = _upload(steward, entry.id, "公文.csv", text.encode(encoding))
    _refused_at_file_field(response, where, marking)
    assert "正文一" not in response.text and "关于调整" not in response.text and "纪要甲" not in response.text
    assert _spool(settings.home_dir) == []


def test_a_marking_deep_in_a_big_file_is_found(web: Any, database: Database, settings: Any) -> None:
    entry = make_entry(database, fields=FIELDS)
    steward = web("steward_gaj")
    rows = "".join(f"{i},标题{i},保守商业秘密的义务 评分★★★,{i}\n" for i in range(1, 60_001))  # > 1 MB, stars
    text = HEADER + rows + "60001,末行,秘密★,1\n"
    assert len(text.encode()) > 3 * 1024 * 1024
    response = _upload(steward, entry.id, "大文件.csv", text.encode())
    _refused_at_file_field(response, "第 60002 行“内容”列", "秘密★")
    assert _spool(settings.home_dir) == []


def test_a_marked_workbook_is_refused_on_any_sheet(web: Any, database: Database, settings: Any,
                                                   tmp_path: Path) -> None:
    entry = make_entry(database, fields=FIELDS)
    steward = web("steward_gaj")
    header = ["文件编号", "标题", "内容", "页数"]
    first = _xlsx({"公文": [header, ["1", "纪要甲", "秘密★ 正文", 1]]}, tmp_path)
    _refused_at_file_field(_upload(steward, entry.id, "公文.xlsx", first), "工作表“公文”第 2 行“内容”列", "秘密★")
    hidden = _xlsx({"公文": [header, ["1", "纪要甲", "正文一", 1]], "附件": [["说明"], ["绝密★长期"]]}, tmp_path)
    response = _upload(steward, entry.id, "公文.xlsx", hidden)
    _refused_at_file_field(response, "工作表“附件”第 2 行“说明”列", "绝密★")
    assert "正文一" not in response.text
    referenced = _rewrite(first, "★".encode(), b"&#x2605;")  # the star as an XML character reference
    assert "★".encode() not in _inflated(referenced)
    _refused_at_file_field(_upload(steward, entry.id, "公文.xlsx", referenced), "工作表“公文”第 2 行“内容”列",
                           "秘密★")
    assert _spool(settings.home_dir) == []


def _rewrite(book: bytes, old: bytes, new: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info).replace(old, new))
    return out.getvalue()


def _inflated(book: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(book)) as source:
        return b"".join(source.read(info) for info in source.infolist())


def test_running_text_and_stars_pass_to_the_preview(web: Any, database: Database, settings: Any,
                                                    tmp_path: Path) -> None:
    entry = make_entry(database, fields=FIELDS)
    steward = web("steward_gaj")
    text = HEADER + "1,关于保守商业秘密的义务的通知,机密文件管理办法（修订）,1\n2,评分★★★,秘**,2\n"
    response = _upload(steward, entry.id, "公文.csv", text.encode())
    assert response.status_code == 303, response.text
    preview = steward.get(response.headers["location"])
    assert preview.status_code == 200 and preview.text.count('data-testid="preview-row"') == 2
    assert "机密文件管理办法" in preview.text
    workbook = _xlsx({"公文": [["文件编号", "标题", "内容", "页数"], ["1", "秘密事项不得外传", "★", 1]]}, tmp_path)
    assert _upload(steward, entry.id, "公文.xlsx", workbook).status_code == 303
    assert len([p for p in _spool(settings.home_dir) if not p.name.endswith(".name")]) == 2


def test_an_unreadable_file_keeps_its_own_refusal(web: Any, database: Database, settings: Any) -> None:
    entry = make_entry(database, fields=FIELDS)
    steward = web("steward_gaj")
    broken = _upload(steward, entry.id, "公文.xlsx", b"PK\x03\x04 not really a workbook")  # the screen lets it by
    assert broken.status_code == 303  # as before: kept, and its preview says what is wrong, showing no row
    preview = steward.get(broken.headers["location"])
    assert preview.status_code == 422 and "不是有效的 XLSX 文件" in preview.text
    assert 'data-testid="preview-row"' not in preview.text
