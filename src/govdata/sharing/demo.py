"""Sharing demo: the center's base databases (第十五条) granted to a few systems, their credentials in
`$GOVDATA_HOME/demo-credentials.json` (demo mode only), and share requests in several states.

Everything goes through the real services with the demo people as actors, so it is all audited.
Idempotent: existing requests and grants are kept; a credential in the file that still works is kept,
otherwise the system's credential is rotated, so the file always holds working tokens.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from govdata import clock
from govdata.actor import Actor, Method
from govdata.auth import credentials
from govdata.auth.bearer import actor_for_token
from govdata.auth.models import ApiToken, User
from govdata.auth.service import actor_for_user
from govdata.catalog.models import CatalogEntry, EntryStatus, ShareType
from govdata.datastore.tables import resource_table, table_exists
from govdata.errors import GovdataError
from govdata.orgs.models import System, Unit
from govdata.sharing import agreements, grants, service
from govdata.sharing.models import GrantStatus, RequestStatus, ShareRequest
from govdata.sharing.schemas import OpinionIn, ReviewIn, ShareRequestCreate

BASE_UNIT = "dsjzx"
POPULATION, LEGAL, LICENCE = "人口基础信息", "法人基础信息", "电子证照信息"


@dataclass(frozen=True)
class DemoGrant:
    consumer: str  # unit code; its steward applies, its first system calls
    entry_name: str
    fields: tuple[str, ...]
    key_field: str
    duty: str
    basis: str
    clear: tuple[str, ...] = ()  # the provider's opinion: these in clear, the rest masked by their rules


GRANTS = [
    DemoGrant("gaj", POPULATION, ("sfzh", "xm", "xb", "csrq", "hjdz"), "sfzh", "户籍核查与案件办理中的身份核验",
              "《中华人民共和国居民身份证法》第十五条", ("sfzh", "xm", "xb", "csrq")),
    DemoGrant("mz", POPULATION, ("sfzh", "xm", "hjdz", "xzqh"), "sfzh", "最低生活保障对象家庭成员身份核验",
              "《社会救助暂行办法》第十一条", ("sfzh", "xm")),
    DemoGrant("rsj", LEGAL, ("tyshxydm", "jgmc", "jyzt", "zs"), "tyshxydm", "社会保险参保单位登记核验",
              "《中华人民共和国社会保险法》第五十七条"),
    DemoGrant("rsj", LICENCE, ("zzbh", "zzlx", "czrxm", "yxqz"), "zzbh", "职业资格证书核验",
              "《国务院关于加快推进全国一体化在线政务服务平台建设的指导意见》", ("zzbh", "zzlx", "yxqz")),
]


def _actor(db: Session, username: str) -> Actor:
    user = db.execute(select(User).where(User.username == username)).scalar_one()
    return actor_for_user(user, Method.CLI)


def _base_entry(db: Session, name: str) -> CatalogEntry | None:
    return db.execute(select(CatalogEntry).join(Unit, Unit.id == CatalogEntry.unit_id)
                      .where(Unit.code == BASE_UNIT, CatalogEntry.name == name,
                             CatalogEntry.status == EntryStatus.REGISTERED).order_by(CatalogEntry.id)).scalars().first()


def _system(db: Session, unit_code: str) -> System:
    return db.execute(select(System).join(Unit).where(Unit.code == unit_code).order_by(System.id)).scalars().first()  # type: ignore[return-value]


def _existing(db: Session, unit_code: str, entry: CatalogEntry) -> ShareRequest | None:
    return db.execute(select(ShareRequest).join(Unit, Unit.id == ShareRequest.unit_id)
                      .where(Unit.code == unit_code, ShareRequest.entry_id == entry.id)
                      .order_by(ShareRequest.id)).scalars().first()


def _apply(db: Session, ctx: Any, unit_code: str, entry: CatalogEntry, fields: tuple[str, ...], duty: str,
           basis: str, volume: int = 20000) -> ShareRequest:
    system = _system(db, unit_code)
    data = ShareRequestCreate(code=entry.code or "", fields=list(fields), duty=duty, legal_basis=basis,
                              system_id=system.id, valid_until=clock.today().replace(year=clock.today().year + 1),
                              daily_volume=volume)
    return service.submit_request(db, _actor(db, f"steward_{unit_code}"), ctx.settings, data=data)


def _carry_through(db: Session, ctx: Any, req: ShareRequest, consumer: str, *, approve: bool = True,
                   clear: tuple[str, ...] = ()) -> None:
    """Provider opinion, review, both acceptances, activation — the conditional path, step by step."""
    provider = db.get(Unit, req.provider_unit_id)
    assert provider is not None
    provider_people = "center" if provider.code == BASE_UNIT else provider.code
    if req.status == RequestStatus.PENDING_OPINION:
        service.give_opinion(db, _actor(db, f"head_{provider_people}"), request_id=req.id,
                             data=OpinionIn(version=req.version, agree=approve, opinion="同意按最小必要原则共享"
                                            if approve else "申请用途与信息项不匹配", clear_fields=list(clear),
                                            clear_reason="核验办事人身份须比对原值" if clear else ""))
    if req.status == RequestStatus.PENDING_REVIEW:
        reviewer = "county_xinluo" if req.review_region_id else "bureau"
        note = "同意" if approve else "用途不明确，申请的信息项超出履职需要"
        service.review_request(db, _actor(db, reviewer), ctx.settings, request_id=req.id,
                               data=ReviewIn(version=req.version, approve=approve, note=note))
    if not approve:
        return
    grant = grants.grant_for_request(db, request_id=req.id)
    agreement = agreements.agreement_for_request(db, request_id=req.id)
    if grant is None or agreement is None or grant.status != GrantStatus.PENDING:
        return
    for head, accepted in ((f"head_{consumer}", agreement.consumer_accepted_at),
                           (f"head_{provider_people}", agreement.provider_accepted_at)):
        if accepted is None:
            agreements.accept_agreement(db, _actor(db, head), agreement_id=agreement.id)
    grants.activate_grant(db, _actor(db, "admin"), grant_id=grant.id)


def _sample_key(db: Session, entry: CatalogEntry, key_field: str) -> str | None:
    try:
        if not table_exists(db.connection(), entry):
            return None
        table = resource_table(entry)
        value = db.execute(select(table.c[key_field]).where(table.c._deleted.is_(False)).limit(1)).scalar()
    except SQLAlchemyError:
        return None
    return None if value is None else str(value)


def _working_token(db: Session, known: dict[str, str], system: System) -> str | None:
    token = known.get(system.name)
    if not token:
        return None
    try:
        actor = actor_for_token(db.connection(), token=token)
    except GovdataError:
        return None
    return token if actor.system_id == system.id else None


def _credentials(db: Session, ctx: Any, systems: list[System], path: Path) -> dict[str, str]:
    known: dict[str, str] = {}
    if path.exists():
        try:
            known = {item["system"]: item["token"] for item in json.loads(path.read_text())}
        except (ValueError, KeyError, TypeError):
            known = {}
    tokens: dict[str, str] = {}
    admin = _actor(db, "admin")
    for system in systems:
        token = _working_token(db, known, system)
        if token is None:
            live = db.execute(select(ApiToken.id).where(ApiToken.system_id == system.id,
                                                        ApiToken.revoked_at.is_(None))).first()
            make = credentials.rotate_credential if live else credentials.issue_credential
            token = make(db, admin, ctx.settings, system_id=system.id).token
            ctx.console.print(f"[green]接入系统凭证[/green] {system.name}: {token}")
        tokens[system.name] = token
    return tokens


def seed(ctx: Any) -> None:
    with ctx.database.write() as db:
        granted: list[tuple[DemoGrant, CatalogEntry, System]] = []
        for spec in GRANTS:
            entry = _base_entry(db, spec.entry_name)
            if entry is None:
                continue  # the base databases come from the catalog demo; nothing to grant without them
            req = _existing(db, spec.consumer, entry) or _apply(db, ctx, spec.consumer, entry, spec.fields,
                                                                spec.duty, spec.basis)
            _carry_through(db, ctx, req, spec.consumer, clear=spec.clear)
            granted.append((spec, entry, _system(db, spec.consumer)))
        _requests_in_states(db, ctx)
        path = Path(ctx.settings.home_dir) / "demo-credentials.json"
        tokens = _credentials(db, ctx, list({s.id: s for _, _, s in granted}.values()), path)
        items = [{"system": system.name, "unit": system.unit.name, "token": tokens[system.name],
                  "resource": entry.code, "key_field": spec.key_field,
                  "sample_key": _sample_key(db, entry, spec.key_field)} for spec, entry, system in granted]
    if ctx.settings.demo and items:
        path.write_text(json.dumps(items, ensure_ascii=False, indent=2))
        path.chmod(0o600)


def _requests_in_states(db: Session, ctx: Any) -> None:
    """A pending conditional request (with its deadline), a rejected one and a county-level one."""
    licence, population = _base_entry(db, LICENCE), _base_entry(db, POPULATION)
    if licence is not None and _existing(db, "wjw", licence) is None:
        _apply(db, ctx, "wjw", licence, ("zzbh", "zzlx", "yxqz"), "医师执业证书有效性核验", "《医师法》第十四条")
    if population is not None and _existing(db, "scjg", population) is None:
        req = _apply(db, ctx, "scjg", population, ("sfzh", "xm", "lxdh"), "企业法定代表人身份核验",
                     "《市场主体登记管理条例》")
        _carry_through(db, ctx, req, "scjg", approve=False)
    county = db.execute(select(CatalogEntry).join(Unit, Unit.id == CatalogEntry.unit_id).where(
        Unit.code.in_(["xl_scjg", "xl_mz"]), CatalogEntry.status == EntryStatus.REGISTERED,
        CatalogEntry.share_type == ShareType.CONDITIONAL.value).order_by(CatalogEntry.id)).scalars().first()
    if county is None:
        return  # no conditional, registered 新罗区 entry in this catalog: no county-level example
    consumer = "xl_scjg" if county.unit.code == "xl_mz" else "xl_mz"
    if _existing(db, consumer, county) is None:
        fields = tuple(f.name for f in county.fields[:3])
        req = _apply(db, ctx, consumer, county, fields, "辖区困难群众经营帮扶核验", "《社会救助暂行办法》")
        _carry_through(db, ctx, req, consumer)

