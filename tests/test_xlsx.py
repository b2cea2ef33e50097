"""Reading uploaded .xlsx: the values openpyxl reads, bombs refused, memory bounded whatever the file holds."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from govdata import xlsx
from govdata.catalog.models import CatalogEntry
from govdata.storage.engines import Database

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CONTENT_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OOXML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_OOXML}.worksheet+xml"/>{{more}}</Types>')


def package(sheet: bytes | Iterable[bytes], strings: bytes | Iterable[bytes] | None = None, styles: str = "",
            workbook_pr: str = "", level: int = 6) -> bytes:
    """A minimal .xlsx, its sheet (and shared strings) given as XML or as chunks streamed into the zip."""
    rels = [f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>']
    if strings is not None:
        rels.append(f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="/xl/sharedStrings.xml"/>')
    if styles:
        rels.append(f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        more = "".join(f'<Override PartName="/xl/{name}.xml" ContentType="{_OOXML}.{name}+xml"/>'
                       for name, present in (("sharedStrings", strings is not None), ("styles", styles)) if present)
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(more=more))
        archive.writestr("_rels/.rels", f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                                        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">{workbook_pr}<sheets>'
                                            '<sheet name="表一" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PKG}">{"".join(rels)}</Relationships>')
        if styles:
            archive.writestr("xl/styles.xml", f'<styleSheet xmlns="{MAIN}">{styles}</styleSheet>')
        parts = [("xl/worksheets/sheet1.xml", sheet, "worksheet")]
        if strings is not None:
            parts.append(("xl/sharedStrings.xml", strings, "sst"))
        for name, content, root in parts:
            if isinstance(content, bytes):  # sizes in the local header too, as most writers do
                opening = f'<{root} xmlns="{MAIN}">' + ("<sheetData>" if root == "worksheet" else "")
                closing = ("</sheetData>" if root == "worksheet" else "") + f"</{root}>"
                archive.writestr(name, opening.encode() + content + closing.encode())
                continue
            with archive.open(name, "w", force_zip64=True) as part:
                part.write(f'<{root} xmlns="{MAIN}">'.encode() + (b"<sheetData>" if root == "worksheet" else b""))
                for chunk in content:
                    part.write(chunk)
                part.write((b"</sheetData>" if root == "worksheet" else b"") + f"</{root}>".encode())
    return out.getvalue()


def ours(content: bytes, sheet: str | None = None) -> dict[int, list[Any]]:
    with xlsx.open_workbook(content) as book:
        return {row.number: row.values for row in book.rows(sheet) if row.values}


def openpyxl_reads(content: bytes, sheet: str | None = None) -> dict[int, list[Any]]:
    """What openpyxl (read-only, cached values) reads: the reference, rows trimmed of trailing empty cells."""
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    ws = book[sheet] if sheet else book.worksheets[0]
    ws.reset_dimensions()
    found = {}
    for row in ws.iter_rows():
        values = [c.value for c in row]
        while values and values[-1] is None:
            values.pop()
        if values:
            found[next(c.row for c in row if c.value is not None)] = values
    book.close()
    return found


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")  # openpyxl, the reference
def test_cells_of_every_kind_as_openpyxl_reads_them() -> None:
    styles = ('<numFmts count="2">'
              '<numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
              '<numFmt numFmtId="165" formatCode="[h]:mm:ss"/></numFmts>'
              '<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/>'
              '<xf numFmtId="22"/></cellXfs>')
    strings = ('<si><t>张三</t></si><si><r><rPr><b/></rPr><t>富</t></r><r><t xml:space="preserve"> 文本 </t></r></si>'
               '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si><si><t/></si>'
               '<si><t>a_x005F_x000D_b</t></si>')
    sheet = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c><c t="s"><v>2</v></c></row>'
             '<row r="3"><c r="A3"><v>42</v></c><c r="B3"><v>-12.5</v></c><c r="C3"><v>1E3</v></c>'
             '<c r="D3" t="b"><v>1</v></c><c r="E3" t="b"><v>0</v></c><c r="F3" t="e"><v>#N/A</v></c></row>'
             '<row r="4"><c r="A4" s="1"><v>45292</v></c><c r="B4" s="2"><v>45292</v></c>'
             '<c r="C4" s="3"><v>1.5</v></c><c r="D4" s="4"><v>45292.75</v></c><c r="E4" s="1"><v>0.5</v></c></row>'
             '<row r="5"><c r="A5" t="inlineStr"><is><t>内联</t></is></c><c r="B5" t="str"><f>A5&amp;""</f>'
             '<v>内联</v></c><c r="C5"><f>1+1</f><v>2</v></c><c r="D5" t="d"><v>2024-01-02T03:04:05</v></c>'
             '<c r="E5" t="s"><v>3</v></c><c r="F5" t="s"><v>4</v></c></row>'
             '<row><c r="A6"><v>6</v></c></row>'
             '<row r="8" ht="30" customHeight="1"><c r="AB8"><v>28</v></c></row>')
    content = package(sheet.encode(), strings.encode(), styles)
    read = ours(content)
    assert read == openpyxl_reads(content)
    assert read[1] == ["张三", None, "富 文本 ", "東京"]
    assert read[4] == [datetime(2024, 1, 1), datetime(2024, 1, 1), timedelta(hours=36), datetime(2024, 1, 1, 18),
                       time(12)]
    assert read[8][27] == 28 and len(read[8]) == 28
    with xlsx.open_workbook(content) as book:
        formulas = {row.number: row.formulas for row in book.rows()}
    assert formulas[5] == [1, 2] and formulas[1] == []


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")  # openpyxl, the reference
def test_1904_dates() -> None:
    styles = '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs>'
    content = package(b'<row r="1"><c r="A1" s="1"><v>1</v></c><c r="B1" s="1"><v>366</v></c></row>', None,
                      styles, workbook_pr='<workbookPr date1904="1"/>')
    assert ours(content) == openpyxl_reads(content) == {1: [datetime(1904, 1, 2), datetime(1905, 1, 1)]}


cell = st.one_of(
    st.none(), st.integers(-2**53, 2**53), st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(), st.dates(date(1900, 3, 1), date(2100, 1, 1)),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20).filter(lambda s: not s.startswith("=")))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell, max_size=8), min_size=1, max_size=12))
def test_what_openpyxl_writes_reads_back_the_same(grid: list[list[Any]]) -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    for row in grid:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    assert ours(out.getvalue()) == openpyxl_reads(out.getvalue())


def test_sheets_by_name_in_order() -> None:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "信息资源"
    first.append(["甲"])
    book.create_sheet("信息项").append(["乙"])
    out = io.BytesIO()
    book.save(out)
    with xlsx.open_workbook(out.getvalue()) as read:
        assert read.sheet_names == ["信息资源", "信息项"]
        assert [r.values for r in read.rows("信息项")] == [["乙"]]
        assert [r.values for r in read.rows()] == [["甲"]]


def _strings(count: int) -> Iterable[bytes]:
    for start in range(0, count, 10_000):
        yield b"".join(b"<si><t>%d</t></si>" % i for i in range(start, min(start + 10_000, count)))


def _rows(count: int, *, first: int = 1) -> Iterable[bytes]:
    for start in range(first, first + count, 10_000):
        yield b"".join(b'<row r="%d"><c r="A%d" t="s"><v>%d</v></c><c r="B%d"><v>%d</v></c></row>'
                       % (i, i, i % 1000, i, i) for i in range(start, min(start + 10_000, first + count)))


# The peak from the process's own memory map (VmHWM): getrusage's maxrss is carried over from the parent on exec.
_PEAK = """
import re, sys
from pathlib import Path
from govdata import xlsx
def peak():
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
before = peak()
rows = 0
with xlsx.open_workbook(Path(sys.argv[1])) as book:
    for row in book.rows():
        rows += 1
print(rows, (peak() - before) // 1024)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak from /proc")
def test_memory_stays_bounded_however_many_strings_and_rows(tmp_path: Path) -> None:
    """300,000 shared strings and 300,000 rows (4.6 MB): openpyxl's read-only mode grew the process by 46 MB on
    this file (every string its own object, every row's element kept until the sheet ends), this reader by 3 MB."""
    path = tmp_path / "big.xlsx"
    path.write_bytes(package(_rows(300_000), _strings(300_000), level=1))
    done = subprocess.run([sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True, check=True)
    rows, grown_mb = map(int, done.stdout.split())
    assert rows == 300_000
    assert grown_mb < 15, f"reading grew the process by {grown_mb} MB"


def test_bomb_of_shared_strings_refused_from_the_directory(tmp_path: Path) -> None:
    """300 MB of shared strings in a 0.3 MB file: refused before a byte is inflated."""
    bomb = package(b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>', (b"<si><t>a</t></si>" * 60_000
                                                                       for _ in range(300)))
    assert len(bomb) < 2_000_000
    with pytest.raises(xlsx.WorkbookTooLarge, match="超过上限 256 MB"):
        xlsx.open_workbook(bomb)


def test_ratio_and_a_lower_limit() -> None:
    dense = package(b'<row r="1"><c r="A1"><v>1</v></c></row>' * 100_000)  # 4 MB of the same row: ratio > 100
    with pytest.raises(xlsx.WorkbookTooLarge, match="压缩比"):
        xlsx.open_workbook(dense)
    varied = package(_rows(60_000), _strings(60_000), level=1)
    assert len(varied) > 400_000
    with pytest.raises(xlsx.WorkbookTooLarge, match="超过上限 1 MB"):
        xlsx.open_workbook(varied, limit=1024 * 1024)
    assert len(ours(varied)) == 60_000


def test_inflated_bytes_are_counted_whatever_the_directory_says() -> None:
    content = package(_rows(20_000), _strings(1000))
    archive = zipfile.ZipFile(io.BytesIO(content))
    with pytest.raises(xlsx.WorkbookTooLarge, match="实际解压内容超过上限"):
        list(xlsx.Workbook(archive, xlsx.Budget(100_000)).rows())


def test_a_directory_that_understates_sizes_is_refused() -> None:
    content = bytearray(package(_rows(20_000)))
    central = content.rfind(b"PK\x01\x02")  # the sheet is the last part written
    struct.pack_into("<I", content, central + 24, 1000)
    local = content.rfind(b"PK\x03\x04", 0, central)
    struct.pack_into("<I", content, local + 22, 1000)
    with pytest.raises(xlsx.UnreadableWorkbook):
        ours(bytes(content))


@pytest.mark.parametrize(("content", "message"), [
    (b"PK\x03\x04" + b"\x00" * 100, "不是有效的 XLSX"),
    (package(b'<row r="1"><c r="XFE1"><v>1</v></c></row>'), "最多 16384 列"),
    (package(b'<row r="1"><c r="A1">' + b"".join(b"<v>%d</v>" % i for i in range(200_000)) + b"</c></row>"),
     "超过 131072 个子元素"),
    (package(b'<row r="1"><c r="A1" t="s"><v>5</v></c></row>', b"<si><t>a</t></si>"), "无法读取"),
    (package(b'<row r="1"><c r="A1"><v>x</v></c></row>'), "无法读取"),
    (package(b'<row r="1"><c r="A1"><v>1</v></row>'), "不是有效的 XLSX"),
    (zlib.compress(b"not a zip"), "不是有效的 XLSX"),
])
def test_broken_workbooks(content: bytes, message: str) -> None:
    with pytest.raises(xlsx.UnreadableWorkbook, match=message):
        ours(content)


def _catalog_bomb() -> bytes:
    return package(b"", (b"<si><t>a</t></si>" * 60_000 for _ in range(300)))


def _entries(database: Database) -> int:
    with database.read() as db:
        return int(db.execute(select(func.count()).select_from(CatalogEntry)).scalar_one())


def test_catalog_import_refuses_a_bomb(client: Any, token: Any, web: Any, database: Database) -> None:
    before = _entries(database)
    api = client.post("/api/v1/catalog/import", headers=token("steward_gaj"),
                      files={"file": ("c.xlsx", _catalog_bomb(), XLSX_TYPE)})
    assert api.status_code == 413
    error = api.json()["error"]
    assert (error["code"], error["field"]) == ("payload_too_large", "file") and "压缩炸弹" in error["message"]
    steward = web("steward_gaj")
    page = steward.client.post("/catalog/import", files={"file": ("c.xlsx", _catalog_bomb(), XLSX_TYPE)},
                               data={"csrf_token": steward.csrf})
    assert page.status_code == 413 and "压缩炸弹" in page.text and "超过上限 256 MB" in page.text
    assert _entries(database) == before
