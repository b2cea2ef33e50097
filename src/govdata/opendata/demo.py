"""Open-data demo: the bureau publishes a few of the demo catalog's 普遍开放 entries — two with rows and a
masked personal field (法人基础信息's 法定代表人, 个体工商户's 经营者) — and one 授权开放 entry (metadata only), so
that `make run` shows a living portal at /open to a visitor who is not signed in. Published through the
service by the demo `bureau` account, so every publication is audited; an entry already published is left
alone, so running the demo twice changes nothing. A public account `citizen` (demo password) signs up too.
A university's account `univ` applies for the 授权开放 entry (pending, for the bureau to review), and the
citizen's demand for one dataset is answered by its providing unit (第十七至十九条)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from govdata import clock
from govdata.actor import Method, Role, platform_actor
from govdata.auth.models import User
from govdata.auth.service import actor_for_user, find_user_by_name
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.errors import GovdataError
from govdata.opendata import accounts, applications, demands, service
from govdata.opendata.application_schemas import ApplicantSave, ApplicationCreate, DemandAnswer, DemandCreate
from govdata.opendata.models import Licence, OpenApplication, OpenDataset, OpenDemand, OrgKind, PurposeCategory, Topic
from govdata.opendata.schemas import OpenDatasetPublish, PublicSignUp
from govdata.orgs.service import people_with_role

TERMS = "使用本数据应注明来源“龙岩市政务数据开放平台”，不得用于违法用途，不得尝试恢复已脱敏的信息。"
# (entry name, topic, licence)
DATASETS: list[tuple[str, Topic, Licence]] = [
    ("法人基础信息", Topic.CREDIT, Licence.CC_BY_4),
    ("个体工商户登记信息", Topic.ECONOMY, Licence.GOV_OPEN),
    ("养老服务机构信息", Topic.SOCIETY, Licence.CC_BY_4),
    ("公交线路信息", Topic.TRANSPORT, Licence.CC_BY_4),
    ("空气质量监测信息", Topic.ENVIRONMENT, Licence.CC0),
    ("学校基本信息", Topic.EDUCATION, Licence.CC_BY_4),
    ("职业技能等级证书信息", Topic.EDUCATION, Licence.GOV_OPEN),  # 授权开放: metadata only
]


PUBLIC_USERNAME = "citizen"  # a public account (signs in with the demo password, creates app keys at /open/keys)
UNIVERSITY_USERNAME = "univ"  # a university's public account with a pending application
UNIVERSITY_CODE = "12350000488099451N"
DEMAND_TITLE = "养老服务机构床位使用情况"


def _public_account(ctx: Any) -> None:
    with ctx.database.write() as db:
        if find_user_by_name(db, username=PUBLIC_USERNAME) is None:
            accounts.sign_up(db, platform_actor(Method.CLI, "演示数据"), data=PublicSignUp(
                username=PUBLIC_USERNAME, display_name="市民张三", password=ctx.settings.demo_password))


def _dataset(db: Any, name: str) -> OpenDataset | None:
    return db.execute(select(OpenDataset).join(CatalogEntry, CatalogEntry.id == OpenDataset.entry_id)
                      .where(CatalogEntry.name == name)).scalars().first()


def _university_application(ctx: Any) -> None:
    """The university signs up, records itself and applies for the 授权开放 dataset (left pending)."""
    with ctx.database.write() as db:
        dataset = _dataset(db, DATASETS[-1][0])
        if dataset is None:
            return
        if find_user_by_name(db, username=UNIVERSITY_USERNAME) is None:
            accounts.sign_up(db, platform_actor(Method.CLI, "演示数据"), data=PublicSignUp(
                username=UNIVERSITY_USERNAME, display_name="闽西大学科研处", password=ctx.settings.demo_password))
            db.flush()
        user = find_user_by_name(db, username=UNIVERSITY_USERNAME)
        assert user is not None
        if db.execute(select(OpenApplication.id).where(OpenApplication.user_id == user.id)).first():
            return
        actor = actor_for_user(user, Method.CLI)
        applications.save_applicant(db, actor, data=ApplicantSave(
            kind=OrgKind.UNIVERSITY, name="闽西大学", credit_code=UNIVERSITY_CODE, contact="科研处 李老师"))
        today = clock.today()
        applications.submit_application(db, actor, data=ApplicationCreate(
            dataset_id=dataset.id, fields=[f.name for f in dataset.entry.fields][:3],
            purpose_category=PurposeCategory.RESEARCH, purpose="研究本市职业技能培训与就业的关系（课题研究）",
            starts_on=today, ends_on=today + timedelta(days=364)))


def _answered_demand(ctx: Any) -> None:
    """The citizen asks for more of one dataset; its providing unit agrees, with a date."""
    with ctx.database.write() as db:
        dataset = _dataset(db, "养老服务机构信息")
        citizen = find_user_by_name(db, username=PUBLIC_USERNAME)
        if dataset is None or citizen is None or db.execute(
                select(OpenDemand.id).where(OpenDemand.title == DEMAND_TITLE)).first():
            return
        demand = demands.file_demand(db, actor_for_user(citizen, Method.CLI), data=DemandCreate(
            title=DEMAND_TITLE, reason="帮助家人选择有空余床位的养老机构", dataset_id=dataset.id))
        stewards = people_with_role(db, unit_id=dataset.unit_id, role=Role.STEWARD)
        if stewards:
            answer = DemandAnswer(agree=True, answer="同意，将在养老服务机构信息中增加床位使用情况",
                                  open_by=clock.today() + timedelta(days=30))
            demands.answer_demand(db, actor_for_user(stewards[0], Method.CLI), demand_id=demand.id, data=answer)


def seed(ctx: Any) -> None:
    _public_account(ctx)
    with ctx.database.write() as db:
        bureau = db.execute(select(User).where(User.username == "bureau")).scalar_one_or_none()
        if bureau is None:
            return
        actor = actor_for_user(bureau, Method.CLI)
        for name, topic, licence in DATASETS:
            entry = db.execute(select(CatalogEntry).where(CatalogEntry.name == name,
                                                          CatalogEntry.status == EntryStatus.REGISTERED.value)
                               .order_by(CatalogEntry.id)).scalars().first()
            if entry is None or service.find_dataset_of(db, entry_id=entry.id) is not None:
                continue
            try:
                with db.begin_nested():
                    service.publish_dataset(db, actor, entry_id=entry.id, data=OpenDatasetPublish(
                        topic=topic, licence=licence, terms=TERMS, note="首批开放（演示）"))
            except GovdataError as exc:  # an entry the demo catalog left without a masking rule: not opened
                ctx.console.print(f"开放数据演示：{name} 未发布（{exc.message}）")
    _university_application(ctx)
    _answered_demand(ctx)
