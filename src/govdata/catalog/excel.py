"""Excel in and out, in the catalog guideline's layout: sheet 信息资源 (one row per entry) and sheet 信息项
(one row per field, tied to its entry by 资源序号). Imports are all-or-nothing with a row-by-row report."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import xlsx
from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.catalog import labels, masking_rules, service
from govdata.catalog.models import (
    CatalogEntry,
    Field,
    FieldType,
    IngestMode,
    OpenType,
    ResourceCategory,
    ResourceFormat,
    SecurityClass,
    SecurityLevel,
    Sensitivity,
    ShareMethod,
    ShareType,
    UpdateCycle,
)
from govdata.catalog.schemas import EntryCreate, error_message
from govdata.errors import BadRequest, GovdataError, RuleViolation
from govdata.exports import append_row
from govdata.orgs.models import Unit
from govdata.orgs.service import find_unit_by_code, get_unit
from govdata.policy import Action

ENTRY_SHEET, FIELD_SHEET = "信息资源", "信息项"
# (column title, attribute, enum or kind, mandatory). Columns whose attribute starts with "_" are given by
# the platform (code, provider name, status): exported for reading, ignored on import.
ENTRY_COLUMNS: list[tuple[str, str, Any, bool]] = [
    ("序号", "_seq", int, True), ("信息资源代码", "_code", str, False), ("信息资源名称", "name", str, True),
    ("提供方", "_unit_name", str, False), ("提供方代码", "_unit_code", str, False),
    ("信息资源分类", "category", ResourceCategory, True), ("分类代码", "category_code", str, True),
    ("信息资源摘要", "summary", str, False), ("信息资源格式", "format", ResourceFormat, True),
    ("发布日期", "published_on", date, False), ("关联资源代码", "related_codes", list, False),
    ("共享类型", "share_type", ShareType, True), ("共享条件", "share_condition", str, False),
    ("共享方式", "share_method", ShareMethod, True), ("法律依据", "legal_basis", str, False),
    ("开放类型", "open_type", OpenType, True), ("开放条件", "open_condition", str, False),
    ("更新周期", "update_cycle", UpdateCycle, True), ("汇聚方式", "ingest_mode", IngestMode, True),
    ("数据类别", "security_class", SecurityClass, False), ("重复采集依据", "recollection_basis", str, False),
    ("状态", "_status", str, False),
]
FIELD_COLUMNS: list[tuple[str, str, Any, bool]] = [
    ("资源序号", "_seq", int, True), ("信息项名称", "name", str, True), ("中文名称", "label", str, True),
    ("数据类型", "data_type", FieldType, True), ("数据长度", "length", int, False), ("精度", "precision", int, False),
    ("是否主键", "is_key", bool, False), ("是否查询项", "is_lookup", bool, False),
    ("是否必填", "is_required", bool, False),
    ("描述", "description", str, False), ("敏感类型", "sensitivity", Sensitivity, False),
    ("脱敏规则", "masking_rule", masking_rules.RuleText, False), ("敏感级别", "security_level", SecurityLevel, False),
]
MAX_ROWS = 20_000
MAX_BYTES = 20 * 1024 * 1024  # a catalog workbook is small; this bounds memory


def _cell(entry: CatalogEntry, attr: str, kind: Any) -> Any:
    special = {"_seq": None, "_code": entry.code or "", "_unit_name": entry.unit.name, "_unit_code": entry.unit.code,
               "_status": labels.label_of("status", entry.status)}
    if attr in special:
        return special[attr]
    value = getattr(entry, attr)
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return labels.label(kind, value)
    return value if value is not None else ""


def _field_cell(field: Field, attr: str, kind: Any) -> Any:
    value = getattr(field, attr)
    if kind is masking_rules.RuleText:  # by its label, as people read it; the import takes the label back
        return masking_rules.to_cell(value)
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return labels.label(kind, value)
    if kind is bool:
        return "是" if value else "否"
    return value if value is not None else ""


def export_entries(db: Session, actor: Actor, *, entry_ids: list[int]) -> bytes:
    """The entries, in the given order, as an .xlsx workbook."""
    with acting(db, actor, Action.CATALOG_EXPORT, target_type="catalog", medium="xlsx") as audit:
        entries = {e.id: e for e in db.execute(select(CatalogEntry).where(CatalogEntry.id.in_(entry_ids))).scalars()}
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = ENTRY_SHEET
        fields = book.create_sheet(FIELD_SHEET)
        sheet.append([c[0] for c in ENTRY_COLUMNS])
        fields.append([c[0] for c in FIELD_COLUMNS])
        for seq, entry_id in enumerate((i for i in entry_ids if i in entries), start=1):
            entry = entries[entry_id]
            append_row(sheet, [seq if attr == "_seq" else _cell(entry, attr, kind)
                               for _, attr, kind, _ in ENTRY_COLUMNS])
            for field in entry.fields:
                append_row(fields, [seq if attr == "_seq" else _field_cell(field, attr, kind)
                                    for _, attr, kind, _ in FIELD_COLUMNS])
        for ws in (sheet, fields):
            for cell in ws[1]:
                cell.font = Font(bold=True)
        audit.row_count = len(entries)
        audit.details = {"entries": len(entries)}
        out = io.BytesIO()
        book.save(out)
    return out.getvalue()


@dataclass
class Problem:
    sheet: str
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


def _convert(raw: Any, kind: Any) -> Any:
    """A cell's value as the schema wants it; raises ValueError with a Chinese message."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if kind is masking_rules.RuleText:
        return masking_rules.from_cell(raw)
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        value = labels.value_of(kind, str(raw))
        if value is None:
            raise ValueError(f"“{raw}”不是可选值（{'、'.join(labels.LABELS[kind].values())}）")
        return value
    if kind is bool:
        text = str(raw).strip()
        if text not in ("是", "否", "Y", "N", "TRUE", "FALSE", "True", "False", "1", "0"):
            raise ValueError(f"“{raw}”应填写 是 或 否")
        return text in ("是", "Y", "TRUE", "True", "1")
    if kind is int:
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        try:
            return int(str(raw).strip())
        except ValueError:
            raise ValueError(f"“{raw}”应为整数") from None
    if kind is date:
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValueError(f"“{raw}”应为日期（YYYY-MM-DD）") from None
    if kind is list:
        return [c.strip() for c in str(raw).replace("，", ",").split(",") if c.strip()]
    return str(raw).strip()


def _read_sheet(book: xlsx.Workbook, name: str, columns: list[tuple[str, str, Any, bool]],
                problems: list[Problem]) -> list[tuple[int, dict[str, Any]]]:
    if name not in book.sheet_names:
        problems.append(Problem(name, 0, "", f"缺少工作表“{name}”"))
        return []
    rows = book.rows(name)
    first = next(rows, None)
    header = [str(c).strip() if c is not None else "" for c in (first.values if first else [])]
    while header and not header[-1]:
        header.pop()
    expected = [c[0] for c in columns]
    missing = [c for c in expected if c not in header]
    unknown = [c for c in header if c not in expected]
    if missing or unknown:
        parts = ([f"缺少列：{'、'.join(missing)}"] if missing else []) + \
                ([f"无法识别的列：{'、'.join(unknown)}"] if unknown else [])
        problems.append(Problem(name, 1, "", "；".join(parts) + "（请使用导出的模板）"))
        return []
    index = {title: header.index(title) for title in expected}
    found = []
    for row in rows:
        number, values = row.number, row.values
        if number > MAX_ROWS:
            problems.append(Problem(name, number, "", f"行数超过上限 {MAX_ROWS}"))
            break
        if not any(v is not None and str(v).strip() for v in values):
            continue
        record: dict[str, Any] = {}
        for title, attr, kind, mandatory in columns:
            raw = values[index[title]] if index[title] < len(values) else None
            try:
                value = _convert(raw, kind)
            except ValueError as exc:
                problems.append(Problem(name, number, title, str(exc)))
                continue
            if value is None and mandatory:
                problems.append(Problem(name, number, title, "必填项为空"))
            elif value is not None:
                record[attr] = value
        found.append((number, record))
    return found


def _open(content: bytes, limit: int) -> xlsx.Workbook:
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise BadRequest("上传的文件不是有效的 Excel（.xlsx）文件，请用导出的模板填写后另存为 .xlsx", field="file")
    try:
        return xlsx.open_workbook(content, limit=limit)
    except xlsx.UnreadableWorkbook:
        raise BadRequest("无法读取该 Excel 文件，请确认它是 .xlsx 格式", field="file") from None


@dataclass
class Parsed:
    row: int
    unit_code: str | None
    data: EntryCreate | None


def _title(columns: list[tuple[str, str, Any, bool]], attr: str) -> str:
    return next((c[0] for c in columns if c[1] == attr), "")


def _validate(row: int, record: dict[str, Any], fields: list[tuple[int, dict[str, Any]]],
              problems: list[Problem]) -> EntryCreate | None:
    payload = {k: v for k, v in record.items() if not k.startswith("_")}
    payload["fields"] = [{k: v for k, v in f.items() if not k.startswith("_")} for _, f in fields]
    try:
        return EntryCreate.model_validate(payload)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            if loc and loc[0] == "fields" and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(fields):
                column = _title(FIELD_COLUMNS, str(loc[2])) if len(loc) > 2 else ""
                problems.append(Problem(FIELD_SHEET, fields[loc[1]][0], column, error_message(error)))
            else:
                column = _title(ENTRY_COLUMNS, str(loc[0])) if loc else ""
                problems.append(Problem(ENTRY_SHEET, row, column, error_message(error)))
    return None


def parse_workbook(content: bytes, *, xlsx_limit: int = xlsx.DEFAULT_MAX_EXPANDED
                   ) -> tuple[list[Parsed], list[Problem]]:
    """Every entry of the workbook, validated; problems name sheet, row and column."""
    problems: list[Problem] = []
    with _open(content, xlsx_limit) as book:
        try:
            entry_rows = _read_sheet(book, ENTRY_SHEET, ENTRY_COLUMNS, problems)
            field_rows = _read_sheet(book, FIELD_SHEET, FIELD_COLUMNS, problems)
        except xlsx.UnreadableWorkbook as exc:
            raise BadRequest(f"无法读取该 Excel 文件：{exc.message}", field="file") from None
    by_seq: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for number, record in field_rows:
        by_seq.setdefault(record.get("_seq", -1), []).append((number, record))
    seqs = {record.get("_seq") for _, record in entry_rows}
    for number, record in field_rows:
        if "_seq" in record and record["_seq"] not in seqs:
            message = f"资源序号 {record['_seq']} 在“信息资源”表中不存在"
            problems.append(Problem(FIELD_SHEET, number, "资源序号", message))
    parsed, seen = [], set()
    for number, record in entry_rows:
        seq = record.get("_seq")
        if seq in seen:
            problems.append(Problem(ENTRY_SHEET, number, "序号", f"序号 {seq} 重复"))
            continue
        seen.add(seq)
        fields = by_seq.get(seq, []) if seq is not None else []
        if seq is not None and not fields:
            problems.append(Problem(ENTRY_SHEET, number, "序号", "该信息资源在“信息项”表中没有信息项"))
            continue
        parsed.append(Parsed(number, record.get("_unit_code"), _validate(number, record, fields, problems)))
    if not entry_rows and not problems:
        problems.append(Problem(ENTRY_SHEET, 2, "", "没有任何信息资源"))
    return parsed, problems


def _unit_for(db: Session, actor: Actor, item: Parsed, own: Unit | None, problems: list[Problem]) -> int | None:
    if own is not None:
        if item.unit_code and item.unit_code != own.code:
            problems.append(Problem(ENTRY_SHEET, item.row, "提供方代码", f"只能导入本单位（{own.code}）的目录"))
            return None
        return own.id
    unit = find_unit_by_code(db, code=item.unit_code) if item.unit_code else None
    if unit is None:
        problems.append(Problem(ENTRY_SHEET, item.row, "提供方代码", f"提供方代码“{item.unit_code or ''}”不存在"))
        return None
    return unit.id


def _fail(problems: list[Problem]) -> RuleViolation:
    first = problems[0]
    where = f"“{first.sheet}”第 {first.row} 行" + (f"“{first.column}”列" if first.column else "")
    return RuleViolation(f"导入失败，共 {len(problems)} 处问题，未保存任何内容。{where}：{first.message}",
                         field="file", details=[p.as_dict() for p in problems])


def import_entries(db: Session, actor: Actor, *, content: bytes, filename: str = "",
                   xlsx_limit: int = xlsx.DEFAULT_MAX_EXPANDED) -> list[CatalogEntry]:
    """Draft every entry of the workbook in the steward's unit (the platform: in each row's 提供方代码 unit).
    All or nothing: any problem raises with the full report, and the caller's transaction rolls back."""
    own = get_unit(db, unit_id=actor.unit_id) if actor.unit_id is not None else None
    with acting(db, actor, Action.CATALOG_IMPORT, target=own, medium="xlsx") as audit:
        parsed, problems = parse_workbook(content, xlsx_limit=xlsx_limit)
        if problems:
            raise _fail(problems)
        created = []
        for item in parsed:
            unit_id = _unit_for(db, actor, item, own, problems)
            if unit_id is None or item.data is None:
                continue
            try:
                created.append(service.create_entry(db, actor, data=item.data, unit_id=unit_id))
            except GovdataError as exc:
                column = _title(ENTRY_COLUMNS, exc.field or "")
                problems.append(Problem(ENTRY_SHEET, item.row, column, exc.message))
        if problems:
            raise _fail(problems)
        audit.row_count = len(created)
        audit.details = {"file": filename[:200], "entries": len(created), "entry_ids": [e.id for e in created]}
    return created
