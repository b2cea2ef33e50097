"""IT projects over the API (第六、二十八条): register, declare, link, move the stage, check acceptance; every bad
input a 4xx naming its field with nothing written; a project fails acceptance and then passes as its asset's entry
is registered and loaded, and fails again when the data goes stale."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from govdata import clock
from govdata.catalog.models import CatalogEntry
from govdata.supervision.projects_models import AcceptanceCheck, DataAsset, Project
from tests.conftest import last_audit
from tests.supervision.projects_helpers import draft_entry, load_entry, register_entry

API = "/api/v1/supervision/projects"


def _project(client, headers, name="企业信用监管平台", budget="1200000.50") -> dict:
    response = client.post(API, json={"name": name, "budget": budget}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _declare(client, headers, project_id, name="企业信用风险分类信息", cycle="monthly") -> dict:
    response = client.post(f"{API}/{project_id}/assets", headers=headers,
                           json={"name": name, "description": "四类企业名单", "update_cycle": cycle})
    assert response.status_code == 201, response.text
    return response.json()


def _stage(client, headers, project_id, stage):
    return client.post(f"{API}/{project_id}/stage", json={"stage": stage}, headers=headers)


def test_register_declare_and_read_back(client, token, database):
    steward = token("steward_scjg")
    body = _project(client, steward)
    assert body["name"] == "企业信用监管平台" and body["unit_name"] == "龙岩市市场监督管理局"
    assert body["budget"] == "1200000.50" and body["stage"] == "feasibility" and body["stage_label"] == "可研/初设"
    assert body["funds"] == "unchecked" and body["funds_label"] == "尚未检查"
    assert body["assets"] == [] and body["last_check"] is None
    event = last_audit(database)
    assert event is not None and event.action == "project.register" and event.target_id == str(body["id"])
    declared = _declare(client, steward, body["id"])
    asset = declared["assets"][0]
    assert (asset["name"], asset["update_cycle"], asset["update_cycle_label"], asset["entry_id"]) == (
        "企业信用风险分类信息", "monthly", "每月", None)
    assert last_audit(database).action == "project.declare"
    again = client.get(f"{API}/{body['id']}", headers=token("bureau"))
    assert again.status_code == 200 and again.json()["assets"][0]["id"] == asset["id"]


@pytest.mark.parametrize("payload, field", [
    ({"name": "x", "budget": "100"}, "name"),
    ({"name": "好项目", "budget": "0"}, "budget"),
    ({"name": "好项目", "budget": "-5"}, "budget"),
    ({"name": "好项目", "budget": "12.345"}, "budget"),
    ({"name": "好项目", "budget": "一百万"}, "budget"),
    ({"name": "好项目"}, "budget"),
])
def test_bad_projects_are_refused_at_their_field(client, token, database, payload, field):
    response = client.post(API, json=payload, headers=token("steward_scjg"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(Project)).scalar_one() == 3  # the demo's only


def test_a_name_taken_in_the_unit_is_a_conflict(client, token):
    steward = token("steward_scjg")
    response = client.post(API, json={"name": "市场主体信用监管平台", "budget": "10"}, headers=steward)
    assert response.status_code == 409 and response.json()["error"]["field"] == "name"


@pytest.mark.parametrize("moves, wanted, message", [
    ([], "acceptance", "项目阶段不能跳过：可研/初设之后应先进入建设阶段"),
    ([], "operation", "项目阶段不能跳过：可研/初设之后应先进入建设阶段"),
    ([], "feasibility", "项目已处于可研/初设阶段"),
    (["construction"], "feasibility", "项目阶段不能后退（当前：建设，不能退回可研/初设）"),
    (["construction", "acceptance"], "construction", "项目阶段不能后退（当前：验收，不能退回建设）"),
    (["construction", "acceptance"], "operation",
     "验收检查尚未通过，不能转入运维：请补齐数据资产的登记和汇聚后重新检查"),
])
def test_stage_moves_only_forward_one_step(client, token, database, moves, wanted, message):
    steward = token("steward_scjg")
    project = _project(client, steward)
    _declare(client, steward, project["id"])
    for stage in moves:
        assert _stage(client, steward, project["id"], stage).status_code == 200
    response = _stage(client, steward, project["id"], wanted)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == {"code": "rule_violation", "message": message, "field": "stage"}
    with database.read() as db:
        assert db.get(Project, project["id"]).stage == (moves[-1] if moves else "feasibility")


def test_an_unknown_stage_is_refused_at_its_field(client, token):
    steward = token("steward_scjg")
    project = _project(client, steward)
    response = _stage(client, steward, project["id"], "done")
    assert response.status_code == 422 and response.json()["error"]["field"] == "stage"


def test_assets_are_declared_only_at_feasibility(client, token, database):
    steward = token("steward_scjg")
    project = _project(client, steward)
    assert _stage(client, steward, project["id"], "construction").status_code == 200
    response = client.post(f"{API}/{project['id']}/assets", headers=steward,
                           json={"name": "迟到的资产", "update_cycle": "daily"})
    assert response.status_code == 422
    assert response.json()["error"] == {"code": "rule_violation", "field": "stage",
                                        "message": "只能在可研/初设阶段申报数据资产（项目当前处于建设阶段）"}
    bad_cycle = client.post(f"{API}/{project['id']}/assets", headers=steward,
                            json={"name": "周期有误", "update_cycle": "hourly"})
    assert bad_cycle.status_code == 422 and bad_cycle.json()["error"]["field"] == "update_cycle"
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(DataAsset)
                          .where(DataAsset.project_id == project["id"])).scalar_one() == 0


def test_an_asset_links_only_to_an_entry_of_the_projects_own_unit(client, token, database):
    steward = token("steward_scjg")
    project = _project(client, steward)
    asset_id = _declare(client, steward, project["id"])["assets"][0]["id"]
    with database.read() as db:
        police = db.execute(select(CatalogEntry.id).where(CatalogEntry.name == "户籍人口信息")).scalar_one()
    url = f"{API}/{project['id']}/assets/{asset_id}/link"
    other = client.post(url, json={"entry_id": police}, headers=steward)
    assert other.status_code == 422
    assert other.json()["error"] == {"code": "rule_violation", "field": "entry_id",
                                     "message": "只能关联本项目所属单位的目录，不能关联其他单位的目录"}
    missing = client.post(url, json={"entry_id": 999999}, headers=steward)
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "entry_id"
    with database.read() as db:
        assert db.get(DataAsset, asset_id).entry_id is None
    nowhere = client.post(f"{API}/{project['id']}/assets/999999/link", json={"entry_id": police}, headers=steward)
    assert nowhere.status_code == 404 and nowhere.json()["error"]["field"] == "asset_id"


def _check(client, headers, project_id) -> dict:
    response = client.post(f"{API}/{project_id}/checks", headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_acceptance_fails_then_passes_as_the_asset_is_registered_and_loaded(client, token, database):
    steward = token("steward_scjg")
    project = _project(client, steward)
    pid = project["id"]
    asset_id = _declare(client, steward, pid)["assets"][0]["id"]
    assert _check_refused_before_acceptance(client, steward, pid)
    assert _stage(client, steward, pid, "construction").status_code == 200
    moved = _stage(client, steward, pid, "acceptance")  # moving to 验收 runs the check
    assert moved.status_code == 200
    body = moved.json()
    assert body["funds"] == "ineligible" and body["funds_label"] == "不具备运维经费条件"
    assert body["last_check"]["trigger"] == "stage" and body["last_check"]["passed"] is False
    assert body["last_check"]["missing"] == [
        {"asset_id": asset_id, "asset": "企业信用风险分类信息", "problems": ["尚未关联数据目录"]}]

    entry_id = draft_entry(database)
    link = client.post(f"{API}/{pid}/assets/{asset_id}/link", json={"entry_id": entry_id}, headers=steward)
    assert link.status_code == 200 and link.json()["assets"][0]["entry_id"] == entry_id
    with database.read() as db:
        code = db.get(CatalogEntry, entry_id).code
    first = _check(client, steward, pid)
    assert first["passed"] is False and first["missing"][0]["problems"] == [
        f"目录“企业信用风险分类信息”（{code}）尚未登记（当前状态：草稿）"]

    register_entry(database, entry_id)
    second = _check(client, token("bureau"), pid)  # the bureau checks every unit's projects
    assert second["passed"] is False and second["missing"][0]["problems"] == [
        f"目录“企业信用风险分类信息”（{code}）尚未汇聚数据"]

    load_entry(database, entry_id)
    third = _check(client, steward, pid)
    assert third == {**third, "passed": True, "missing": [], "assets": 1, "trigger": "demand"}
    event = last_audit(database)
    assert event is not None and event.action == "project.check" and event.target_id == str(pid)
    after = client.get(f"{API}/{pid}", headers=token("finance")).json()
    assert after["funds"] == "eligible" and after["last_check"]["id"] == third["id"]
    assert _stage(client, steward, pid, "operation").json()["stage"] == "operation"

    with clock.pinned(clock.now() + timedelta(days=40)):  # a monthly entry not loaded for 40 days is stale
        stale = _check(client, token("steward_scjg"), pid)
    assert stale["passed"] is False
    assert "数据未按更新周期（每月）汇聚" in stale["missing"][0]["problems"][0]
    history = client.get(f"{API}/{pid}/checks", headers=steward).json()
    assert [c["passed"] for c in history] == [False, True, False, False, False]
    with database.read() as db:
        assert db.get(Project, pid).funds == "ineligible"
        assert db.execute(select(func.count()).select_from(AcceptanceCheck)
                          .where(AcceptanceCheck.project_id == pid)).scalar_one() == 5


def _check_refused_before_acceptance(client, headers, project_id) -> bool:
    response = client.post(f"{API}/{project_id}/checks", headers=headers)
    return response.status_code == 422 and response.json()["error"] == {
        "code": "rule_violation", "field": "stage", "message": "项目进入验收阶段后才能进行验收检查"}


def test_a_project_without_assets_fails_acceptance(client, token):
    steward = token("steward_scjg")
    pid = _project(client, steward)["id"]
    _stage(client, steward, pid, "construction")
    check = _stage(client, steward, pid, "acceptance").json()["last_check"]
    assert check["passed"] is False and check["missing"][0]["problems"][0].startswith("项目未申报任何数据资产")


def _demo_ids(database) -> dict[str, int]:
    with database.read() as db:
        return dict(db.execute(select(Project.name, Project.id)).all())


@pytest.mark.parametrize("who, visible", [
    ("bureau", {"智慧民政服务平台", "市场主体信用监管平台", "农贸市场智慧监管系统"}),
    ("finance", {"智慧民政服务平台", "市场主体信用监管平台", "农贸市场智慧监管系统"}),
    ("county_xinluo", {"农贸市场智慧监管系统"}),
    ("steward_scjg", {"市场主体信用监管平台"}),
    ("head_mz", {"智慧民政服务平台"}),
    ("steward_gaj", set()),
])
def test_who_sees_which_projects(client, token, database, who, visible):
    headers = token(who)
    listed = client.get(API, headers=headers)
    assert listed.status_code == 200
    assert {p["name"] for p in listed.json()} == visible
    for name, pid in _demo_ids(database).items():
        assert client.get(f"{API}/{pid}", headers=headers).status_code == (200 if name in visible else 403)


def test_finance_reads_eligibility_and_changes_nothing(client, token, database):
    finance = token("finance")
    ineligible = client.get(API, params={"funds": "ineligible"}, headers=finance).json()
    assert [(p["name"], p["funds_label"]) for p in ineligible] == [("市场主体信用监管平台", "不具备运维经费条件")]
    eligible = client.get(API, params={"funds": "eligible"}, headers=finance).json()
    assert [(p["name"], p["stage_label"]) for p in eligible] == [("智慧民政服务平台", "运维")]
    pid = _demo_ids(database)["市场主体信用监管平台"]
    assert client.post(f"{API}/{pid}/checks", headers=finance).status_code == 403
    assert client.post(API, json={"name": "财政项目", "budget": "1"}, headers=finance).status_code == 403
    assert client.post(f"{API}/{pid}/stage", json={"stage": "operation"}, headers=finance).status_code == 403


def test_other_units_and_the_bureau_do_not_manage_a_units_project(client, token, database):
    pid = _demo_ids(database)["市场主体信用监管平台"]
    for who in ("steward_gaj", "head_mz"):
        assert client.post(f"{API}/{pid}/checks", headers=token(who)).status_code == 403
        assert client.post(f"{API}/{pid}/assets", json={"name": "别人的", "update_cycle": "daily"},
                           headers=token(who)).status_code == 403
    bureau = token("bureau")
    assert client.post(f"{API}/{pid}/stage", json={"stage": "operation"}, headers=bureau).status_code == 403
    xl = _demo_ids(database)["农贸市场智慧监管系统"]
    assert client.post(f"{API}/{pid}/checks", headers=token("county_xinluo")).status_code == 403  # a city unit's
    refused = client.post(f"{API}/{xl}/checks", headers=token("county_xinluo"))  # its county's, not at 验收 yet
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "stage"


def test_the_demo_has_one_project_failing_and_one_passing(client, token, database):
    ids = _demo_ids(database)
    bureau = token("bureau")
    failing = client.get(f"{API}/{ids['市场主体信用监管平台']}", headers=bureau).json()
    assert failing["stage"] == "acceptance" and failing["funds"] == "ineligible"
    assert {m["asset"]: m["problems"] for m in failing["last_check"]["missing"]} == {
        "市场主体登记信息": ["目录“市场主体登记信息”（3-03-001/000001）尚未汇聚数据"],
        "企业信用风险分类信息": ["尚未关联数据目录"]}
    passing = client.get(f"{API}/{ids['智慧民政服务平台']}", headers=bureau).json()
    assert passing["stage"] == "operation" and passing["funds"] == "eligible" and passing["last_check"]["passed"]
