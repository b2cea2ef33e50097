"""Open-data demo: the bureau publishes a few of the demo catalog's 普遍开放 entries — two with rows and a
masked personal field (法人基础信息's 法定代表人, 个体工商户's 经营者) — and one 授权开放 entry (metadata only), so
that `make run` shows a living portal at /open to a visitor who is not signed in. Published through the
service by the demo `bureau` account, so every publication is audited; an entry already published is left
alone, so running the demo twice changes nothing. A public account `citizen` (demo password) signs up too."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from govdata.actor import Method, platform_actor
from govdata.auth.models import User
from govdata.auth.service import actor_for_user, find_user_by_name
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.errors import GovdataError
from govdata.opendata import accounts, service
from govdata.opendata.models import Licence, Topic
from govdata.opendata.schemas import OpenDatasetPublish, PublicSignUp

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


def _public_account(ctx: Any) -> None:
    with ctx.database.write() as db:
        if find_user_by_name(db, username=PUBLIC_USERNAME) is None:
            accounts.sign_up(db, platform_actor(Method.CLI, "演示数据"), data=PublicSignUp(
                username=PUBLIC_USERNAME, display_name="市民张三", password=ctx.settings.demo_password))


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
