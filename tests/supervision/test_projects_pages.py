"""IT project pages: the register (finance's read-only view), registering, the project page with its assets, stage
and checks; every refusal in Chinese beside its field, nothing written."""

from __future__ import annotations

import re

from sqlalchemy import select

from govdata.catalog.models import CatalogEntry
from govdata.supervision.projects_models import DataAsset, Project

BASE = "/supervision/projects"


def _ids(database) -> dict[str, int]:
    with database.read() as db:
        return dict(db.execute(select(Project.name, Project.id)).all())


def _field_error(html: str, field: str) -> str:
    match = re.search(r'data-field-error="' + field + r'">([^<]*)<', html)
    assert match, f"no message beside {field}"
    return match.group(1)


def test_finance_sees_every_project_and_its_eligibility_read_only(web, database):
    finance = web("finance")
    page = finance.get(BASE)
    assert page.status_code == 200
    assert 'href="/supervision/projects"' in page.text  # in the main navigation
    for name in ("智慧民政服务平台", "市场主体信用监管平台", "农贸市场智慧监管系统"):
        assert name in page.text
    assert "不具备运维经费条件" in page.text and "具备运维经费条件" in page.text
    assert "登记项目" not in page.text and "不能修改" in page.text
    assert "共 3 个项目，其中 1 个不具备运维经费条件（预算合计 4,350,000.00 元）" in page.text
    only_bad = finance.get(BASE + "?funds=ineligible")
    assert "市场主体信用监管平台" in only_bad.text and "智慧民政服务平台" not in only_bad.text
    detail = finance.get(f"{BASE}/{_ids(database)['市场主体信用监管平台']}")
    assert detail.status_code == 200
    assert "企业信用风险分类信息</strong>：尚未关联数据目录" in detail.text
    main = detail.text.split("<main")[-1]
    assert "推进阶段" not in main and "重新进行验收检查" not in main and "<form" not in main


def test_register_a_project_and_its_bad_budget_at_the_field(web, database):
    steward = web("steward_scjg")
    assert steward.get(BASE + "/new").status_code == 200
    bad = steward.post(BASE, {"name": "信用平台二期", "budget": "十万"})
    assert bad.status_code == 422
    assert _field_error(bad.text, "budget") == "预算（元）应为数字"
    assert 'value="信用平台二期"' in bad.text  # what was typed is kept
    with database.read() as db:
        assert db.execute(select(Project).where(Project.name == "信用平台二期")).first() is None
    done = steward.post(BASE, {"name": "信用平台二期", "budget": "880000"})
    assert done.status_code == 303
    page = steward.get(done.headers["location"])
    assert page.status_code == 200 and "信用平台二期" in page.text and "可研/初设（当前）" in page.text


def test_stage_moves_and_links_refused_beside_their_fields(web, database):
    steward = web("steward_scjg")
    pid = _ids(database)["市场主体信用监管平台"]
    back = steward.post(f"{BASE}/{pid}/stage", {"stage": "construction"})
    assert back.status_code == 422
    assert _field_error(back.text, "stage") == "项目阶段不能后退（当前：验收，不能退回建设）"
    onward = steward.post(f"{BASE}/{pid}/stage", {"stage": "operation"})
    assert onward.status_code == 422 and "验收检查尚未通过" in _field_error(onward.text, "stage")
    with database.read() as db:
        police = db.execute(select(CatalogEntry.id).where(CatalogEntry.name == "户籍人口信息")).scalar_one()
        asset = db.execute(select(DataAsset).where(DataAsset.project_id == pid,
                                                   DataAsset.name == "企业信用风险分类信息")).scalar_one()
    link = steward.post(f"{BASE}/{pid}/assets/{asset.id}/link", {"entry_id": str(police)})
    assert link.status_code == 422
    assert _field_error(link.text, "entry_id") == "关联目录：只能关联本项目所属单位的目录，不能关联其他单位的目录"
    assert f'id="err-entry_id-{asset.id}"' in link.text
    late = steward.post(f"{BASE}/{pid}/assets", {"name": "新资产", "update_cycle": "daily"})
    assert late.status_code == 422 and "只能在可研/初设阶段申报数据资产" in late.text
    with database.read() as db:
        assert db.get(Project, pid).stage == "acceptance"
        assert db.get(DataAsset, asset.id).entry_id is None


def test_the_check_button_stores_a_check_and_shows_what_is_missing(web, database):
    head = web("head_scjg")
    pid = _ids(database)["市场主体信用监管平台"]
    done = head.post(f"{BASE}/{pid}/checks")
    assert done.status_code == 303
    page = head.get(done.headers["location"].split("#")[0])
    assert "未通过" in page.text
    assert "市场主体登记信息</strong>：目录“市场主体登记信息”（3-03-001/000001）尚未汇聚数据" in page.text
    assert page.text.count("手动检查") == 1 and "转入验收时" in page.text


def test_other_units_and_counties_are_refused(web, database):
    ids = _ids(database)
    assert web("steward_gaj").get(f"{BASE}/{ids['市场主体信用监管平台']}").status_code == 403
    county = web("county_xinluo")
    assert county.get(f"{BASE}/{ids['农贸市场智慧监管系统']}").status_code == 200
    assert county.get(f"{BASE}/{ids['市场主体信用监管平台']}").status_code == 403
    listing = county.get(BASE)
    assert "农贸市场智慧监管系统" in listing.text and "智慧民政服务平台" not in listing.text
