from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from govdata import clock
from govdata.orgs.demo import make_uscc
from govdata.orgs.models import Region, System, Unit
from tests.conftest import last_audit


def _unit_id(database, code):
    with database.read() as db:
        return db.execute(select(Unit.id).where(Unit.code == code)).scalar_one()


def _city_id(database):
    with database.read() as db:
        return db.execute(select(Region.id).where(Region.code == "350800")).scalar_one()


def _unit_count(database):
    with database.read() as db:
        return db.execute(select(func.count()).select_from(Unit)).scalar_one()


def test_units_page_groups_by_region_tree(web):
    page = web("steward_gaj").get("/orgs/units")
    assert page.status_code == 200
    text = page.text
    assert text.index("龙岩市") < text.index("新罗区") < text.index("厦龙合作区")
    assert "龙岩市公安局" in text and "新罗区市场监督管理局" in text and "政务数据管理科" in text
    assert "创建单位" not in text  # only the center creates units


def test_unit_page_lists_stewards_contacts_and_system_status(web, database):
    gaj = _unit_id(database, "gaj")
    with database.write() as db:
        db.add(System(unit_id=gaj, name="过期的旧系统", assessment_level=2,
                      assessment_valid_until=clock.today() - timedelta(days=1)))
        db.add(System(unit_id=gaj, name="未测评系统"))
    page = web("vendor").get(f"/orgs/units/{gaj}")
    assert page.status_code == 200
    assert "公安局专管员" in page.text and "公安局数据科科长" in page.text
    assert "steward_gaj@longyan.gov.example" in page.text and "1380597" in page.text
    assert 'data-status="valid"' in page.text
    assert 'data-status="expired"' in page.text and "等保已过期" in page.text
    assert 'data-status="missing"' in page.text and "未登记等保" in page.text


def test_unit_api_and_regions_api(client, token, database):
    headers = token("steward_scjg")
    regions = client.get("/api/v1/regions", headers=headers).json()
    assert {r["name"] for r in regions} >= {"龙岩市", "新罗区", "漳平市", "龙岩经开区（高新区）", "厦龙合作区"}
    units = client.get("/api/v1/units", headers=headers).json()
    assert any(u["code"] == "gaj" for u in units)
    gaj = _unit_id(database, "gaj")
    detail = client.get(f"/api/v1/units/{gaj}", headers=headers).json()
    assert detail["region_name"] == "龙岩市"
    assert {c["display_name"] for c in detail["contacts"]} >= {"公安局专管员", "公安局数据科科长"}
    assert detail["systems"][0]["assessment_status"] == "valid"
    assert client.get("/api/v1/units/999999", headers=headers).status_code == 404


def test_center_creates_unit_with_valid_credit_code(client, token, database):
    before = _unit_count(database)
    body = {"code": "tjj", "name": "龙岩市统计局", "uscc": make_uscc("350800", 900),
            "region_id": _city_id(database), "data_office": "信息科"}
    created = client.post("/api/v1/units", json=body, headers=token("admin"))
    assert created.status_code == 201, created.text
    assert _unit_count(database) == before + 1
    event = last_audit(database, action="unit.manage")
    assert event is not None and event.target_id == str(created.json()["id"])


def test_bad_credit_code_is_422_naming_uscc(client, token, database, web):
    before = _unit_count(database)
    bad = make_uscc("350800", 901)[:-1] + "0"
    if bad == make_uscc("350800", 901):
        bad = bad[:-1] + "1"
    body = {"code": "tjj", "name": "龙岩市统计局", "uscc": bad, "region_id": _city_id(database)}
    response = client.post("/api/v1/units", json=body, headers=token("admin"))
    assert response.status_code == 422 and response.json()["error"]["field"] == "uscc"
    page = web("admin").post("/orgs/units", {**body, "region_id": str(body["region_id"])})
    assert page.status_code == 422
    assert 'data-field="uscc"' in page.text
    assert '<span class="field-error" id="err-uscc" data-field-error="uscc">' \
        '统一社会信用代码校验失败</span>' in page.text
    assert 'name="uscc" value="' + bad + '"' in page.text and 'value="龙岩市统计局"' in page.text
    assert _unit_count(database) == before


def test_page_creates_unit_and_duplicate_is_refused(web, database):
    admin = web("admin")
    form = {"code": "tjj", "name": "龙岩市统计局", "uscc": make_uscc("350800", 902),
            "region_id": str(_city_id(database)), "data_office": "信息科"}
    done = admin.post("/orgs/units", form)
    assert done.status_code == 303 and done.headers["location"].startswith("/orgs/units/")
    again = admin.post("/orgs/units", form)
    assert again.status_code == 409 and "单位已存在" in again.text


@pytest.mark.parametrize("user,status", [("admin", 201), ("bureau", 403), ("steward_gaj", 403)])
def test_only_center_registers_systems(client, token, database, user, status):
    body = {"unit_id": _unit_id(database, "mz"), "name": "婚姻登记系统", "assessment_level": 2,
            "assessment_date": "2026-01-01", "assessment_valid_until": "2027-01-01"}
    response = client.post("/api/v1/systems", json=body, headers=token(user))
    assert response.status_code == status, response.text


def test_systems_page_marks_and_updates_assessment(web, database):
    admin = web("admin")
    mz = _unit_id(database, "mz")
    with database.write() as db:
        system = System(unit_id=mz, name="养老服务系统", assessment_level=3,
                        assessment_valid_until=clock.today() - timedelta(days=3))
        db.add(system)
        db.flush()
        sid = system.id
    page = admin.get("/orgs/systems")
    assert page.status_code == 200 and "已过期 1" in page.text and "凭证停止使用" in page.text
    bad = admin.post(f"/orgs/systems/{sid}/assessment", {"assessment_level": "3"})
    assert bad.status_code == 422 and "有效期" in bad.text
    ok = admin.post(f"/orgs/systems/{sid}/assessment", {
        "assessment_level": "3", "assessment_report_no": "R-1", "assessment_date": str(clock.today()),
        "assessment_valid_until": str(clock.today() + timedelta(days=365))})
    assert ok.status_code == 303
    with database.read() as db:
        assert db.get(System, sid).has_valid_assessment(clock.today())
    event = last_audit(database, action="system.manage")
    assert event is not None and event.target_id == str(sid) and event.owner_unit_id == mz


def test_register_system_page_validation(web, database):
    admin = web("admin")
    form = {"unit_id": str(_unit_id(database, "mz")), "name": "低保系统", "assessment_level": "9"}
    response = admin.post("/orgs/systems", form)
    assert response.status_code == 422 and "等保等级不能大于 5" in response.text
    assert admin.post("/orgs/systems", {"unit_id": form["unit_id"], "name": "低保系统"}).status_code == 303
    assert "低保系统" in admin.get("/orgs/systems").text


def test_system_form_errors_sit_at_their_fields_in_chinese_and_keep_the_choices(web, database):
    admin = web("admin")
    mz = str(_unit_id(database, "mz"))
    form = {"unit_id": mz, "name": " ", "assessment_level": "3", "assessment_report_no": "R-9",
            "assessment_date": "2026-05-01", "assessment_valid_until": "2026-01-01"}
    page = admin.post("/orgs/systems", form)
    assert page.status_code == 422
    text = page.text
    assert "系统名称不能为空" in text and "有效期至不能早于测评日期" in text  # every error, not only the first
    assert "assessment_valid_until" not in text.split('id="register"')[0].split("<h1>")[1].split("<table")[0]
    register = text.split('id="register"')[1]
    assert 'aria-describedby="err-name"' in register and 'id="err-name"' in register
    assert 'aria-describedby="err-assessment_valid_until"' in register
    assert '<option value="3" selected>3 级</option>' in register  # the chosen 等保等级 is kept
    assert f'<option value="{mz}" selected>' in register and 'value="R-9"' in register
    assert "String should" not in text and "Field required" not in text


def test_assessment_error_opens_that_row_beside_its_fields(web, database):
    admin = web("admin")
    with database.write() as db:
        system = System(unit_id=_unit_id(database, "mz"), name="救助系统")
        db.add(system)
        db.flush()
        sid = system.id
    page = admin.post(f"/orgs/systems/{sid}/assessment", {"assessment_level": "2", "assessment_date": "2026-13-01"})
    assert page.status_code == 422
    row = page.text.split(f'data-system="{sid}"')[1].split("</tr>")[0]
    assert "<details open>" in row and "测评日期应为有效的日期（YYYY-MM-DD）" in row
    assert '<option value="2" selected>2 级</option>' in row and 'id="err-date-' + str(sid) + '"' in row
    assert "month" not in page.text
