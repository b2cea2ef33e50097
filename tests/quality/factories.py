"""Registered entries made directly with the ORM, their tables, and rows inserted with Core."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import insert, select

from govdata import clock
from govdata.catalog.models import CatalogEntry, EntryStatus, Field
from govdata.datastore.tables import create_tables
from govdata.orgs.models import Unit
from govdata.storage.engines import Database

_seq = itertools.count(1)

PERSON_FIELDS = [
    # name, label, type, length, key
    ("sfzh", "公民身份号码", "C", 18, True),
    ("xm", "姓名", "C", 50, False),
    ("xb", "性别", "C", 1, False),
    ("csrq", "出生日期", "D", None, False),
    ("lxdh", "联系电话", "C", 20, False),
    ("yx", "电子邮箱", "C", 100, False),
    ("nl", "年龄", "I", None, False),
    ("xzqh", "区划", "C", 6, False),
]


def unit_id(database: Database, code: str) -> int:
    with database.read() as db:
        return int(db.execute(select(Unit.id).where(Unit.code == code)).scalar_one())


def make_entry(database: Database, *, unit: str = "gaj", name: str = "测试人口",
               fields: Iterable[tuple[str, str, str, int | None, bool]] = PERSON_FIELDS,
               rules: Mapping[str, list[dict[str, Any]]] | None = None, update_cycle: str = "daily") -> CatalogEntry:
    n = next(_seq)
    with database.write() as db:
        entry = CatalogEntry(code=f"T{unit.upper()}-{n:04d}-{clock.now():%H%M%S%f}", unit_id=unit_id(database, unit),
                             name=f"{name}{n}", category="department", category_code="3-01", format="database",
                             share_type="unconditional", open_type="closed", update_cycle=update_cycle,
                             ingest_mode="realtime", status=EntryStatus.REGISTERED.value, version=1)
        for pos, (fname, label, kind, length, key) in enumerate(fields):
            entry.fields.append(Field(position=pos, name=fname, label=label, data_type=kind, length=length,
                                      is_key=key, is_lookup=key))
        if rules:
            import orjson

            for f in entry.fields:
                f.rules = orjson.dumps(rules.get(f.name, [])).decode()
        db.add(entry)
        db.flush()
        create_tables(db.connection(), entry)
        entry_id = entry.id
    return load_entry(database, entry_id)


def load_entry(database: Database, entry_id: int) -> CatalogEntry:
    with database.read() as db:
        entry = db.get(CatalogEntry, entry_id)
        assert entry is not None
        _ = entry.fields, entry.unit
        return entry


def insert_rows(database: Database, entry: CatalogEntry, rows: Iterable[Mapping[str, Any]],
                batch_id: int | None = None) -> None:
    from govdata.datastore.tables import resource_table

    table = resource_table(entry)
    now = clock.now()
    payload = [{**r, "_batch": batch_id, "_updated_at": now, "_deleted": False} for r in rows]
    with database.write() as db:
        if payload:
            db.execute(insert(table), payload)


def idcard(birth: date, seq: int = 1) -> str:
    """A valid 18-digit number for a 新罗区 person born on `birth`."""
    from stdnum.cn import ric

    body = f"350802{birth:%Y%m%d}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "?")  # stdnum ignores the last character given


def grant_fields(database: Database, entry: CatalogEntry, unit: str, fields: list[str]) -> None:
    """An active sharing grant of `fields` to `unit`'s first system: consumers report errors only in what
    they were granted. Rows written directly; the sharing tests walk the real approval path."""
    from datetime import timedelta

    from govdata.orgs.models import System
    from govdata.sharing.models import Grant, GrantStatus, RequestStatus, ShareRequest, UseAgreement

    consumer = unit_id(database, unit)
    with database.write() as db:
        system = db.execute(select(System).where(System.unit_id == consumer)).scalars().first()
        assert system is not None
        until = clock.today() + timedelta(days=90)
        names = ",".join(fields)
        request = ShareRequest(entry_id=entry.id, resource_code=entry.code, unit_id=consumer,
                               provider_unit_id=entry.unit_id, system_id=system.id, share_type=entry.share_type,
                               fields=names, duty="测试", legal_basis="测试", valid_until=until, daily_volume=100,
                               status=RequestStatus.APPROVED.value, approved_fields=names, approved_until=until)
        db.add(request)
        db.flush()
        agreement = UseAgreement(request_id=request.id, unit_id=consumer, provider_unit_id=entry.unit_id,
                                 text="测试协议", content_hash="0" * 64)
        db.add(agreement)
        db.flush()
        db.add(Grant(request_id=request.id, agreement_id=agreement.id, entry_id=entry.id,
                     resource_code=entry.code or "", system_id=system.id, unit_id=consumer,
                     provider_unit_id=entry.unit_id, fields=names, key_fields=entry.fields[0].name,
                     daily_quota=1000, per_minute=100, purpose="测试", approver="bureau",
                     agreement_hash="0" * 64, valid_from=clock.today(), valid_until=until,
                     status=GrantStatus.ACTIVE.value))
