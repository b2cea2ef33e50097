"""The pages: the center records an agreement through the form, the vendor finds its resources, states a purpose
and looks a record up, a unit ends the agreement early; all in Chinese, without inline script."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from govdata import clock
from govdata.storage.engines import Database
from tests.conftest import last_audit
from tests.vendors.helpers import PDF, ROW, new_vendor, record, resource, unit_id


def _form(vendor_id: int, unit: int, code: str) -> dict[str, Any]:
    today = clock.today()
    return {"vendor_user_id": str(vendor_id), "company": "某数据服务有限公司", "unit_id": str(unit),
            "signed_by": "李科长", "entry_codes": code, "valid_from": today.isoformat(),
            "valid_until": today.replace(year=today.year + 1).isoformat()}


def test_the_center_records_one_through_the_form(client: Any, database: Database, web: Any) -> None:
    entry = resource(client, database)
    vendor_id = new_vendor(database)
    admin = web("admin")
    form = admin.get("/vendors/agreements/new")
    assert form.status_code == 200 and "签署的协议文件" in form.text and "<script>" not in form.text
    assert 'enctype="multipart/form-data"' in form.text
    wrong = admin.post("/vendors/agreements", data=_form(vendor_id, entry.unit_id, entry.code),
                       files={"file": ("协议.docx", b"PK\x03\x04", "application/octet-stream")})
    assert wrong.status_code == 422 and "保密协议文件只接受 PDF、JPEG 或 PNG 格式" in wrong.text
    assert "某数据服务有限公司" in wrong.text  # what was typed stays in the form
    unnamed = admin.post("/vendors/agreements", data={**_form(vendor_id, entry.unit_id, entry.code), "company": ""},
                         files={"file": ("保密协议.pdf", PDF, "application/pdf")})
    assert unnamed.status_code == 422
    assert 'id="err-company" data-field-error="company">服务商单位名称不能为空<' in unnamed.text
    done = admin.post("/vendors/agreements", data=_form(vendor_id, entry.unit_id, entry.code),
                      files={"file": ("保密协议.pdf", PDF, "application/pdf")})
    assert done.status_code == 303, done.text
    page = admin.get(done.headers["location"])
    assert page.status_code == 200 and 'data-testid="state">生效中' in page.text
    assert entry.code in page.text and "提前终止协议" in page.text and "<script>" not in page.text
    listed = admin.get("/vendors/agreements")
    assert "某数据服务有限公司" in listed.text and "登记保密协议" in listed.text


def test_the_vendor_states_a_purpose_then_looks_up(client: Any, database: Database, web: Any, token: Any) -> None:
    entry = resource(client, database)
    made = record(client, token("admin"), vendor_user_id=new_vendor(database), unit=entry.unit_id,
                  entry_codes=(entry.code,)).json()
    vendor = web("vendor_b")
    home = vendor.get("/")
    assert 'href="/vendors/agreements"' in home.text  # the nav item
    detail = vendor.get(f"/vendors/agreements/{made['id']}")
    assert detail.status_code == 200 and f'href="/resources/{entry.id}/purpose"' in detail.text
    assert "提前终止协议" not in detail.text  # the vendor may not end it
    asked = vendor.get(f"/resources/{entry.id}/purpose")
    assert asked.status_code == 200 and 'data-testid="ask-purpose"' in asked.text
    assert f'action="/resources/{entry.id}/lookup"' in asked.text and 'name="purpose"' in asked.text
    without = vendor.get(f"/resources/{entry.id}/lookup", params={"field": "sfzh", "value": ROW["sfzh"]})
    assert without.status_code == 403 and "说明用途" in without.text
    assert last_audit(database, action="resource.read", actor_name="vendor_b").outcome == "denied"  # type: ignore[union-attr]
    found = vendor.get(f"/resources/{entry.id}/lookup",
                       params={"purpose": "清洗核对", "field": "sfzh", "value": ROW["sfzh"]})
    assert found.status_code == 200 and found.text.count('data-testid="record"') == 1
    assert 'data-testid="ask-purpose"' not in found.text and 'value="清洗核对"' in found.text
    event = last_audit(database, action="resource.read")
    assert event is not None and (event.actor_name, event.purpose, event.outcome) == ("vendor_b", "清洗核对", "ok")
    history = re.search(r'href="(/resources/\d+/history\?[^"]+)"', found.text)
    assert history is not None and f"purpose={quote('清洗核对')}" in history.group(1)
    assert vendor.get(history.group(1).replace("&amp;", "&")).status_code == 200
    index = vendor.get("/resources")
    assert f'href="/resources/{entry.id}/purpose"' in index.text  # straight to where it says why


def test_outside_its_agreement_the_lookup_page_refuses(client: Any, database: Database, web: Any,
                                                       token: Any) -> None:
    entry, other = resource(client, database), resource(client, database, unit="mz")
    record(client, token("admin"), vendor_user_id=new_vendor(database), unit=entry.unit_id,
           entry_codes=(entry.code,))
    vendor = web("vendor_b")
    assert vendor.get(f"/resources/{other.id}/purpose").status_code == 403
    assert vendor.get(f"/resources/{other.id}/lookup", params={"purpose": "核对"}).status_code == 403


def test_ending_early_through_the_page(client: Any, database: Database, web: Any, token: Any) -> None:
    entry = resource(client, database)
    wjw = unit_id(database, "wjw")
    made = record(client, token("head_wjw"), vendor_user_id=new_vendor(database), unit=wjw,
                  entry_codes=(entry.code,)).json()
    vendor = web("vendor_b")
    url = f"/resources/{entry.id}/lookup"
    params = {"purpose": "核对", "field": "sfzh", "value": ROW["sfzh"]}
    assert vendor.get(url, params=params).status_code == 200
    head = web("head_wjw")
    missing = head.post(f"/vendors/agreements/{made['id']}/end", data={"reason": ""})
    assert missing.status_code == 422 and 'data-testid="error"' in missing.text
    ended = head.post(f"/vendors/agreements/{made['id']}/end", data={"reason": "服务期满前解除合同"})
    assert ended.status_code == 303
    assert 'data-testid="state">已提前终止' in head.get(f"/vendors/agreements/{made['id']}").text
    assert vendor.get(url, params=params).status_code == 403  # the very next request


def test_the_demo_vendor_works_on_the_legal_persons_database(client: Any, database: Database, web: Any) -> None:
    from sqlalchemy import select

    from govdata.catalog.models import CatalogEntry

    with database.read() as db:
        legal = db.execute(select(CatalogEntry).where(CatalogEntry.name == "法人基础信息")).scalar_one()
        people = db.execute(select(CatalogEntry).where(CatalogEntry.name == "人口基础信息")).scalar_one()
        legal_id, people_id = legal.id, people.id
    vendor = web("vendor")
    listed = vendor.get("/vendors/agreements")
    assert listed.status_code == 200 and 'data-testid="state">生效中' in listed.text
    index = vendor.get("/resources")
    assert f'/resources/{legal_id}/purpose"' in index.text and f'/resources/{people_id}' not in index.text
    found = vendor.get(f"/resources/{legal_id}/lookup", params={"purpose": "演示", "field": "jgmc", "value": "x"})
    assert found.status_code == 200 and "没有找到记录" in found.text
    assert vendor.get(f"/resources/{people_id}/purpose").status_code == 403
    assert vendor.get(f"/resources/{people_id}/lookup", params={"purpose": "演示"}).status_code == 403
