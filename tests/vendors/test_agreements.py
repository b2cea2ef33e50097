"""Recording, seeing and ending confidentiality agreements (第二十九条): who may, with which file, for what."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from govdata import clock
from govdata.app import create_app
from govdata.config import Settings
from govdata.storage.engines import Database
from govdata.vendors.files import FOLDER
from govdata.vendors.models import VendorAgreement
from tests.conftest import demo_totp_code, last_audit
from tests.vendors.helpers import PDF, PNG, new_vendor, record, resource, unit_id


def _count(database: Database) -> int:
    with database.read() as db:
        return db.execute(select(func.count()).select_from(VendorAgreement)).scalar_one()


def _stored(settings: Settings) -> list[Path]:
    folder = settings.home_dir / FOLDER
    return sorted(folder.iterdir()) if folder.exists() else []


def test_the_center_records_an_agreement_with_its_file(client: Any, database: Database, token: Any,
                                                       settings: Settings) -> None:
    entry = resource(client, database)
    vendor_id = new_vendor(database)
    made = record(client, token("admin"), vendor_user_id=vendor_id, unit=entry.unit_id, entry_codes=(entry.code,),
                  unit_ids=(unit_id(database, "mz"),))
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["number"] == f"VA-{body['id']:06d}" and body["state"] == "in_force" and body["status"] == "active"
    assert body["vendor_username"] == "vendor_b" and body["company"] == "某数据服务有限公司"
    assert body["signed_by"] == "张主任" and body["created_by"] == "admin"
    assert {(s["unit_name"], s["resource_code"]) for s in body["scope"]} == {
        ("龙岩市民政局", None), ("龙岩市卫生健康委员会", entry.code)}
    assert (body["file_sha256"], body["file_size"], body["file_type"]) == (
        hashlib.sha256(PDF).hexdigest(), len(PDF), "application/pdf")
    assert [p.read_bytes() for p in _stored(settings)] == [PDF]
    event = last_audit(database, action="vendor_agreement.manage")
    assert event is not None and (event.target_type, event.target_id, event.outcome) == (
        "vendor_agreement", str(body["id"]), "ok")
    assert '"change":"recorded"' in event.details and body["file_sha256"] in event.details

    download = client.get(f"/api/v1/vendor-agreements/{body['id']}/file", headers=token("vendor_b"))
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
    assert download.headers["cache-control"] == "no-store"
    viewed = last_audit(database, action="vendor_agreement.view")
    assert viewed is not None and viewed.actor_name == "vendor_b" and '"view":"file"' in viewed.details


def test_a_changed_file_is_not_handed_out(client: Any, database: Database, token: Any, settings: Settings) -> None:
    vendor_id = new_vendor(database)
    made = record(client, token("admin"), vendor_user_id=vendor_id, unit=unit_id(database, "wjw"),
                  unit_ids=(unit_id(database, "wjw"),)).json()
    _stored(settings)[0].write_bytes(PDF + b"%changed")
    refused = client.get(f"/api/v1/vendor-agreements/{made['id']}/file", headers=token("admin"))
    assert refused.status_code == 409 and refused.json()["error"]["field"] == "file"


@pytest.mark.parametrize("who,unit,named_unit,status", [
    ("head_gaj", "gaj", "gaj", 201),  # its own unit, its own data
    ("head_gaj", "gaj", "wjw", 403),  # another unit's data
    ("head_gaj", "wjw", "wjw", 403),  # for another unit
    ("admin", "wjw", "gaj", 201),  # the center: any
    ("steward_gaj", "gaj", "gaj", 403),  # stewards and the bureau do not record them
    ("bureau", "gaj", "gaj", 403),
    ("vendor", "gaj", "gaj", 403),
])
def test_who_may_record_an_agreement(client: Any, database: Database, token: Any, who: str, unit: str,
                                     named_unit: str, status: int) -> None:
    vendor_id = new_vendor(database)
    made = record(client, token(who), vendor_user_id=vendor_id, unit=unit_id(database, unit),
                  unit_ids=(unit_id(database, named_unit),))
    assert made.status_code == status, made.text
    if status == 403:
        assert _count(database) == 1  # the demo's only
        event = last_audit(database, action="vendor_agreement.manage")
        assert event is not None and (event.actor_name, event.outcome) == (who, "denied")


def test_a_unit_head_cannot_name_another_units_resource(client: Any, database: Database, token: Any) -> None:
    entry = resource(client, database, unit="wjw")
    vendor_id = new_vendor(database)
    refused = record(client, token("head_gaj"), vendor_user_id=vendor_id, unit=unit_id(database, "gaj"),
                     entry_codes=(entry.code,))
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "单位负责人只能为本单位登记保密协议，且只能涵盖本单位的资源"
    event = last_audit(database, action="vendor_agreement.manage")
    assert event is not None and (event.outcome, event.target_type) == ("denied", "vendor_agreement")


@pytest.mark.parametrize("file,message", [
    (("协议.txt", b"plain text", "text/plain"), "保密协议文件只接受 PDF、JPEG 或 PNG 格式"),
    (("协议.exe", b"MZ\x90\x00", "application/octet-stream"), "保密协议文件只接受 PDF、JPEG 或 PNG 格式"),
    (("协议.pdf", PNG, "application/pdf"), "文件内容不是 PDF（与扩展名 .pdf 不符）"),
    (("扫描件.png", b"<html>", "image/png"), "文件内容不是 PNG（与扩展名 .png 不符）"),
    (("协议.pdf", b"", "application/pdf"), "文件为空"),
])
def test_the_file_must_be_a_pdf_or_an_image(client: Any, database: Database, token: Any, settings: Settings,
                                            file: tuple[str, bytes, str], message: str) -> None:
    vendor_id = new_vendor(database)
    refused = record(client, token("admin"), vendor_user_id=vendor_id, unit=unit_id(database, "wjw"),
                     unit_ids=(unit_id(database, "wjw"),), file=file)
    assert refused.status_code == 422
    assert refused.json()["error"] == {"code": "rule_violation", "message": message, "field": "file"}
    assert _count(database) == 1 and _stored(settings) == []


def test_a_scan_is_accepted(client: Any, database: Database, token: Any) -> None:
    vendor_id = new_vendor(database)
    made = record(client, token("admin"), vendor_user_id=vendor_id, unit=unit_id(database, "wjw"),
                  unit_ids=(unit_id(database, "wjw"),), file=("扫描件.JPG", b"\xff\xd8\xff\xe0" + b"0" * 100, ""))
    assert made.status_code == 201 and made.json()["file_type"] == "image/jpeg"
    assert made.json()["file_name"] == "扫描件.JPG"


def test_an_oversize_file_is_refused_and_nothing_kept(database: Database, token: Any, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "small", database_url=database.url, demo=True, run_jobs_in_server=False,
                        secret_key="test-secret", vendor_agreement_max_bytes=100 * 1024)
    app = create_app(settings, database, migrate=False, run_jobs=False)
    with TestClient(app, base_url="http://testserver") as small:
        headers = {"Authorization": "Bearer " + small.post("/api/v1/auth/token", data={
            "username": "admin", "password": "govdata-demo",
            "totp": demo_totp_code(database, "admin")}).json()["access_token"]}
        vendor_id = new_vendor(database)
        big = PDF + b"0" * (100 * 1024)
        refused = record(small, headers, vendor_user_id=vendor_id, unit=unit_id(database, "wjw"),
                         unit_ids=(unit_id(database, "wjw"),), file=("协议.pdf", big, "application/pdf"))
        assert refused.status_code == 413
        assert refused.json()["error"] == {"code": "payload_too_large", "message": "保密协议文件不能超过 100 KB",
                                           "field": "file"}
        assert _count(database) == 1 and _stored(settings) == []
        fits = record(small, headers, vendor_user_id=vendor_id, unit=unit_id(database, "wjw"),
                      unit_ids=(unit_id(database, "wjw"),), file=("协议.pdf", big[:100 * 1024], "application/pdf"))
        assert fits.status_code == 201


@pytest.mark.parametrize("change,field", [
    ({"valid_until": "past"}, "valid_until"),  # already over
    ({"valid_from": "after_until"}, None),  # ends before it starts
    ({"unit_ids": (), "entry_codes": ()}, None),  # covers nothing
    ({"entry_codes": ("NO-SUCH-CODE",)}, "entry_codes"),
    ({"unit_ids": (999999,)}, "unit_ids"),
    ({"vendor": "steward_gaj"}, "vendor_user_id"),  # not a vendor's account
    ({"unit": 999999}, "unit_id"),
])
def test_bad_agreements_are_refused_naming_the_field(client: Any, database: Database, token: Any,
                                                     change: dict[str, Any], field: str | None) -> None:
    vendor_id = new_vendor(database)
    today = clock.today()
    kw: dict[str, Any] = {"vendor_user_id": vendor_id, "unit": unit_id(database, "wjw"),
                          "unit_ids": (unit_id(database, "wjw"),)}
    if change.get("valid_until") == "past":
        kw.update(valid_from=today - timedelta(days=30), valid_until=today - timedelta(days=1))
    elif change.get("valid_from") == "after_until":
        kw.update(valid_from=today + timedelta(days=5), valid_until=today + timedelta(days=1))
    elif "vendor" in change:
        with database.read() as db:
            from govdata.auth.service import find_user_by_name

            steward = find_user_by_name(db, username=change["vendor"])
            assert steward is not None
            kw["vendor_user_id"] = steward.id
    else:
        kw.update(change)
    refused = record(client, token("admin"), **kw)
    assert refused.status_code == 422, refused.text
    if field is not None:
        assert refused.json()["error"]["field"] == field
    assert _count(database) == 1


@pytest.mark.parametrize("value", ["0", "20260101", "2026-13-01", ""])
def test_dates_are_calendar_dates_only(client: Any, database: Database, token: Any, value: str) -> None:
    vendor_id = new_vendor(database)
    data = {"vendor_user_id": str(vendor_id), "company": "某公司", "unit_id": str(unit_id(database, "wjw")),
            "signed_by": "张", "unit_ids": [str(unit_id(database, "wjw"))], "valid_from": value,
            "valid_until": "2099-01-01"}
    refused = client.post("/api/v1/vendor-agreements", data=data, files={"file": ("a.pdf", PDF, "application/pdf")},
                          headers=token("admin"))
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "valid_from"
    assert _count(database) == 1


def test_who_sees_which_agreement(client: Any, database: Database, token: Any) -> None:
    """The vendor its own; the contracting unit and the units whose data it names; the center, bureau and
    security all; nobody else."""
    entry = resource(client, database, unit="wjw")
    vendor_id = new_vendor(database)
    made = record(client, token("admin"), vendor_user_id=vendor_id, unit=unit_id(database, "dsjzx"),
                  entry_codes=(entry.code,)).json()
    url = f"/api/v1/vendor-agreements/{made['id']}"
    for who, status in [("vendor_b", 200), ("head_wjw", 200), ("steward_wjw", 200), ("head_center", 200),
                        ("admin", 200), ("bureau", 200), ("security", 200), ("head_gaj", 403), ("vendor", 403),
                        ("county_xinluo", 403)]:
        assert client.get(url, headers=token(who)).status_code == status, who
    listed = {who: {a["id"] for a in client.get("/api/v1/vendor-agreements", headers=token(who)).json()}
              for who in ("vendor_b", "vendor", "head_wjw", "head_gaj", "bureau")}
    assert listed["vendor_b"] == {made["id"]} and made["id"] not in listed["vendor"]
    assert made["id"] in listed["head_wjw"] and made["id"] not in listed["head_gaj"]
    assert made["id"] in listed["bureau"] and len(listed["bureau"]) == 2  # and the demo's
    refused = client.get(f"{url}/file", headers=token("vendor"))
    assert refused.status_code == 403 and last_audit(database, action="vendor_agreement.view").outcome == "denied"  # type: ignore[union-attr]


def test_ending_early(client: Any, database: Database, token: Any) -> None:
    vendor_id = new_vendor(database)
    gaj = unit_id(database, "gaj")
    made = record(client, token("head_gaj"), vendor_user_id=vendor_id, unit=gaj, unit_ids=(gaj,)).json()
    url = f"/api/v1/vendor-agreements/{made['id']}/end"
    assert client.post(url, json={"reason": "违约"}, headers=token("head_wjw")).status_code == 403
    assert client.post(url, json={"reason": "违约"}, headers=token("vendor_b")).status_code == 403
    assert client.post(url, json={"reason": ""}, headers=token("head_gaj")).status_code == 422
    ended = client.post(url, json={"reason": "服务商人员变动，提前终止"}, headers=token("head_gaj"))
    assert ended.status_code == 200, ended.text
    body = ended.json()
    assert (body["state"], body["ended_by"], body["end_reason"]) == ("ended", "head_gaj", "服务商人员变动，提前终止")
    event = last_audit(database, action="vendor_agreement.manage")
    assert event is not None and '"change":"ended"' in event.details and "服务商人员变动" in event.details
    again = client.post(url, json={"reason": "再次终止"}, headers=token("admin"))
    assert again.status_code == 409


@pytest.mark.parametrize("url", ["/api/v1/vendor-agreements/99999999999999999999",
                                 "/api/v1/vendor-agreements/0", "/api/v1/vendor-agreements/x"])
def test_unknown_ids(client: Any, token: Any, url: str) -> None:
    assert client.get(url, headers=token("admin")).status_code in (404, 422)


def test_control_characters_are_refused_naming_the_field(client: Any, database: Database, token: Any) -> None:
    """A NUL cannot be stored on PostgreSQL: it is the caller's 400 naming the field (refused at the door),
    never a 500."""
    vendor_id, wjw = new_vendor(database), unit_id(database, "wjw")
    data = {"vendor_user_id": str(vendor_id), "company": "某\x00公司", "unit_id": str(wjw), "signed_by": "张",
            "unit_ids": [str(wjw)], "valid_from": clock.today().isoformat(), "valid_until": "2099-01-01"}
    refused = client.post("/api/v1/vendor-agreements", data=data, files={"file": ("a.pdf", PDF, "application/pdf")},
                          headers=token("admin"))
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "company"
    made = record(client, token("admin"), vendor_user_id=vendor_id, unit=wjw, unit_ids=(wjw,)).json()
    ended = client.post(f"/api/v1/vendor-agreements/{made['id']}/end", json={"reason": "违约\x00"},
                        headers=token("admin"))
    assert ended.status_code == 400 and ended.json()["error"]["field"] == "reason"
    assert _count(database) == 2
