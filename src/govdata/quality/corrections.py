"""Corrections (纠错, 第十四条): a consumer reports a wrong value, the producer fixes it or says why not.

A fix goes through `datastore.records.write_change`, so the previous value is kept in the record's
history like any other change, and the answer is audited. Reporters see the outcome on a page and
through the API; open reports carry a working-day deadline with reminders and an overdue list.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor, platform_actor
from govdata.audit.service import acting, record
from govdata.catalog.access import entry_use
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.datastore.records import get_record, write_change
from govdata.datastore.tables import table_exists
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.masking import exits
from govdata.notifications.service import notify, notify_unit
from govdata.policy import Action
from govdata.quality import checks
from govdata.quality.models import Correction, CorrectionStatus
from govdata.quality.scan import RuleResult
from govdata.quality.schemas import CorrectionAnswer, CorrectionCreate
from govdata.quality.validator import build_validator
from govdata.workdays.service import deadline_for

RULE_SAMPLES_OPENED = 3  # corrections a failed rule opens per scan (the report lists the rest)


def _entry_by_code(db: Session, code: str) -> CatalogEntry:
    query = select(CatalogEntry).where(CatalogEntry.code == code, CatalogEntry.status == EntryStatus.REGISTERED.value)
    entry = db.execute(query).scalar_one_or_none()
    if entry is None:
        raise NotFound(f"资源 {code} 不存在或未注册", field="resource_code")
    return entry


def _typed_key(entry: CatalogEntry, key: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for f in entry.key_fields:
        if f.name not in key or key[f.name] in (None, ""):
            raise RuleViolation(f"请填写主键 {f.label}（{f.name}）", field=f"key.{f.name}")
        value = checks.convert(f.data_type, key[f.name])
        if value is None:
            raise RuleViolation(f"主键 {f.label}（{f.name}）的值类型不对", field=f"key.{f.name}")
        out[f.name] = value
    extra = [k for k in key if k not in out]
    if extra:
        raise RuleViolation(f"{extra[0]} 不是主键字段", field=f"key.{extra[0]}")
    return out


def _as_text(value: Any) -> str:
    return "" if value is None else value.isoformat() if isinstance(value, date) else str(value)


def _current(db: Session, entry: CatalogEntry, key: dict[str, Any]) -> dict[str, Any]:
    conn = db.connection()
    found = get_record(conn, entry, key) if table_exists(conn, entry) else None
    if found is None:
        raise NotFound("该记录不存在", field="key")
    return found


def report_correction(db: Session, actor: Actor, *, data: CorrectionCreate, workdays: int) -> Correction:
    """A consumer's report; the record and field must exist, and key fields cannot be corrected this way.
    Whoever reports must be able to use the field's values: the producer, the bureau, or a consumer whose
    active grant covers the field (第十四条: users of shared data report what they found wrong in it)."""
    entry = _entry_by_code(db, data.resource_code)
    fields = {f.name: f for f in entry.fields}
    if data.field not in fields:
        raise RuleViolation(f"信息项 {data.field} 不存在", field="field")
    with acting(db, actor, Action.CORRECTION_REPORT, target=entry_use(db, actor, entry, {data.field})) as audit:
        if fields[data.field].is_key:
            raise RuleViolation("主键字段不能纠错，请报告整条记录有误", field="field")
        key = _typed_key(entry, data.key)
        current = _current(db, entry, key)
        today = clock.today()
        correction = Correction(
            entry_id=entry.id, unit_id=entry.unit_id, code=data.resource_code,
            record_key=orjson.dumps({k: _as_text(v) for k, v in key.items()}).decode(), field=data.field,
            value_seen=data.value_seen or _as_text(current[data.field]), value_proposed=data.value_proposed,
            evidence=data.evidence, reporter_kind=actor.kind,
            reporter_user_id=actor.id if actor.kind == "user" else None,
            reporter_system_id=actor.system_id, reporter_unit_id=actor.unit_id,
            reporter_name=actor.operator and f"{actor.name}（{actor.operator}）" or actor.name,
            due_on=deadline_for(db, today, workdays).due)
        db.add(correction)
        db.flush()
        notify_unit(db, unit_id=entry.unit_id, kind="correction.reported",
                    message=f"资源「{entry.name}」收到纠错：信息项 {data.field}，请在 {correction.due_on} 前核实处理",
                    link=f"/corrections/{correction.id}", due_on=correction.due_on)
        audit.target = correction
        audit.details = {"field": data.field, "key": orjson.loads(correction.record_key),
                         "due_on": str(correction.due_on)}
    return correction


def get_correction(db: Session, actor: Actor, *, correction_id: int) -> Correction:
    correction = db.get(Correction, correction_id)
    if correction is None:
        raise NotFound("纠错不存在", field="correction_id")
    policy.require(actor, Action.CORRECTION_VIEW, correction)
    return correction


@dataclass(frozen=True)
class CorrectionValues:
    """A correction's values as one reader may see them: the producer in clear, the reporting consumer and the
    bureau masked by the field's rule unless their grant gives the field in clear (`masking.exits`)."""

    record_key: dict[str, Any]
    value_seen: str
    value_proposed: str
    value_fixed: str | None
    current_value: str | None


def values_for(db: Session, actor: Actor, correction: Correction) -> CorrectionValues:
    entry = db.get(CatalogEntry, correction.entry_id)
    key = orjson.loads(correction.record_key)
    current = current_value(db, correction)
    if entry is None:  # the entry is gone: nothing of it is shown in clear
        return CorrectionValues({k: "****" for k in key}, "****", "****", None, None)
    names = [correction.field, *[k for k in key if k != correction.field]]
    masker = exits.view_for(db, actor, entry, [n for n in names if any(f.name == n for f in entry.fields)])

    def masked(name: str, value: str | None) -> str | None:
        if value is None:
            return None
        if name not in masker.rules:  # a field the entry no longer has: shown as nothing readable
            return "****"
        shown = masker.mask_value(name, value)
        return None if shown is None else str(shown)

    return CorrectionValues({k: masked(k, v) for k, v in key.items()},
                            masked(correction.field, correction.value_seen) or "",
                            masked(correction.field, correction.value_proposed) or "",
                            masked(correction.field, correction.value_fixed), masked(correction.field, current))


def current_value(db: Session, correction: Correction) -> str | None:
    entry = db.get(CatalogEntry, correction.entry_id)
    assert entry is not None
    conn = db.connection()
    key = _typed_key(entry, orjson.loads(correction.record_key))
    found = get_record(conn, entry, key) if table_exists(conn, entry) else None
    return None if found is None else _as_text(found.get(correction.field))


def answer_correction(db: Session, actor: Actor, *, correction_id: int, data: CorrectionAnswer) -> Correction:
    """The producer fixes the record (history kept) or rejects the report with a reason; the reporter is told."""
    correction = db.get(Correction, correction_id)
    if correction is None:
        raise NotFound("纠错不存在", field="correction_id")
    with acting(db, actor, Action.CORRECTION_ANSWER, target=correction) as audit:
        if correction.status != CorrectionStatus.OPEN.value:
            raise Conflict("该纠错已处理", field="status")
        entry = db.get(CatalogEntry, correction.entry_id)
        assert entry is not None
        details: dict[str, Any] = {"fix": data.fix, "answer": data.answer}
        if data.fix:
            details |= _apply_fix(db, actor, entry, correction, data.value)
        correction.status = (CorrectionStatus.FIXED if data.fix else CorrectionStatus.REJECTED).value
        correction.answer, correction.answered_by, correction.answered_at = data.answer, actor.name, clock.now()
        db.flush()
        _tell_reporter(db, correction, entry)
        audit.details = details
    return correction


def _apply_fix(db: Session, actor: Actor, entry: CatalogEntry, correction: Correction,
               value: str | None) -> dict[str, Any]:
    field = next(f for f in entry.fields if f.name == correction.field)
    text = value if value not in (None, "") else correction.value_proposed
    if not text:
        raise RuleViolation("请填写更正后的值", field="value")
    typed = checks.convert(field.data_type, text)
    if typed is None:
        raise RuleViolation(f"更正值「{text}」不是 {field.data_type} 类型", field="value")
    key = _typed_key(entry, orjson.loads(correction.record_key))
    current = _current(db, entry, key)
    validate = build_validator(db, entry)
    problems = validate({**current, field.name: typed}) if validate else []
    mine = [message for name, message in problems if name == field.name]
    if mine:
        raise RuleViolation(f"更正值不符合质量规则：{mine[0]}", field="value")
    before, after = write_change(db.connection(), entry, key=key, changes={field.name: typed},
                                 changed_by=f"纠错#{correction.id} {actor.name}")
    correction.value_fixed = _as_text(typed)
    return {"before": _as_text(before[field.name]), "after": _as_text(after[field.name])}


def _tell_reporter(db: Session, correction: Correction, entry: CatalogEntry) -> None:
    verdict = "已更正" if correction.status == CorrectionStatus.FIXED.value else "未采纳"
    message = f"您对「{entry.name}」的纠错（{correction.field}）{verdict}：{correction.answer}"
    link = f"/corrections/{correction.id}"
    if correction.reporter_user_id is not None:
        notify(db, user_ids=[correction.reporter_user_id], kind="correction.answered", message=message, link=link)
    elif correction.reporter_unit_id is not None:
        notify_unit(db, unit_id=correction.reporter_unit_id, kind="correction.answered", message=message, link=link)


def list_corrections(db: Session, actor: Actor, *, box: str = "all", status: str | None = None,
                     overdue: bool = False, limit: int = 200) -> list[Correction]:
    """`box`: todo (to answer by my unit), mine (reported by me / my unit), all (what I may see)."""
    query = select(Correction).order_by(Correction.id.desc()).limit(limit)
    if box == "todo":
        query = query.where(Correction.unit_id == actor.unit_id)
    elif box == "mine":
        query = query.where(Correction.reporter_unit_id == actor.unit_id) if actor.unit_id else \
            query.where(Correction.reporter_user_id == actor.id)
    query = query.where(policy.where(actor, Action.CORRECTION_VIEW, Correction))
    if status:
        query = query.where(Correction.status == status)
    if overdue:
        query = query.where(Correction.status == CorrectionStatus.OPEN.value, Correction.due_on < clock.today())
    return list(db.execute(query).scalars())


def remind_due(db: Session, *, today: date) -> int:
    """Remind producers of open corrections due tomorrow or already overdue, once a day each."""
    query = select(Correction).where(Correction.status == CorrectionStatus.OPEN.value,
                                     Correction.due_on <= date.fromordinal(today.toordinal() + 1),
                                     (Correction.reminded_on.is_(None)) | (Correction.reminded_on < today))
    count = 0
    for correction in db.execute(query).scalars():
        state = "已逾期" if correction.due_on < today else "即将到期"
        notify_unit(db, unit_id=correction.unit_id, kind="correction.due",
                    message=f"纠错 #{correction.id}（{correction.code} / {correction.field}）{state}，"
                            f"期限 {correction.due_on}",
                    link=f"/corrections/{correction.id}", due_on=correction.due_on)
        correction.reminded_on = today
        count += 1
    db.flush()
    return count


def _dedupe_key(entry_id: int, rule_key: str, key: dict[str, Any]) -> str:
    raw = f"{entry_id}:{rule_key}:{orjson.dumps(key, option=orjson.OPT_SORT_KEYS).decode()}"
    return raw if len(raw) <= 200 else f"{entry_id}:{hashlib.sha256(raw.encode()).hexdigest()}"


def open_from_rules(db: Session, entry: CatalogEntry, results: list[RuleResult], *, workdays: int) -> int:
    """A scan's failed rules open corrections for the producer itself, one open report per rule and record."""
    key_names = [f.name for f in entry.key_fields]
    keyed = {f.name for f in entry.fields if f.is_key}
    opened = 0
    due = deadline_for(db, clock.today(), workdays).due
    for result in results:
        if not result.failed or result.field in keyed or not key_names:
            continue
        for sample in result.samples[:RULE_SAMPLES_OPENED]:
            key = {k: sample.get(k) for k in key_names}
            dedupe = _dedupe_key(entry.id, result.key, key)
            exists = db.execute(select(Correction.id).where(Correction.dedupe_key == dedupe,
                                                            Correction.status == CorrectionStatus.OPEN.value)).first()
            if exists is not None:
                continue
            db.add(Correction(entry_id=entry.id, unit_id=entry.unit_id, code=entry.code or "",
                              record_key=orjson.dumps(key).decode(), field=result.field,
                              value_seen=_as_text(sample.get(result.field)), value_proposed="",
                              evidence=f"质量规则「{result.label}」未通过：{sample.get('_problem', result.key)}",
                              source="rule", dedupe_key=dedupe, reporter_kind="platform", reporter_name="质量规则",
                              due_on=due))
            opened += 1
    if opened:
        db.flush()
        notify_unit(db, unit_id=entry.unit_id, kind="correction.reported",
                    message=f"资源「{entry.name}」质量扫描发现问题，已自动生成 {opened} 条纠错待核实",
                    link="/corrections?box=todo", due_on=due)
        record(db, _rule_actor(), Action.CORRECTION_REPORT, target=entry, row_count=opened,
               details={"source": "rule"})
    return opened


def _rule_actor() -> Actor:
    return platform_actor(name="质量规则")
