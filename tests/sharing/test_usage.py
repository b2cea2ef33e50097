"""Usage views (第二十一条) and the catalog-change hook (第八条)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from govdata import clock
from govdata.catalog.models import CatalogEntry, ShareType
from govdata.hooks import entry_changed
from govdata.notifications.models import Notification
from govdata.timeutil import fmt
from tests.sharing.factories import PEOPLE_ROWS, later, make_entry, system_id, token_for


def _granted(database, settings, client, token) -> tuple[str, str]:
    code = make_entry(database, unit_code="gaj", share_type=ShareType.UNCONDITIONAL, rows=PEOPLE_ROWS)
    body = {"code": code, "fields": ["zjhm", "xm"], "duty": "低保家庭身份核验", "legal_basis": "依据某条",
            "system_id": system_id(database, "mz"), "valid_until": later(), "daily_volume": 50}
    assert client.post("/api/v1/share/requests", json=body, headers=token("steward_mz")).status_code == 201
    return code, token_for(database, settings, "mz")


def test_provider_and_consumer_see_usage_and_export(database, settings, client, token, web):
    code, tok = _granted(database, settings, client, token)
    headers = {"Authorization": f"Bearer {tok}", "X-Operator": "clerk"}
    client.get(f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[0]['zjhm']}", headers=headers)
    client.get(f"/api/v1/share/{code}/records?zjhm={PEOPLE_ROWS[1]['zjhm']}", headers=headers)
    client.get(f"/api/v1/share/{code}/records?dz=1", headers=headers)
    # refused before the grant is looked at (no operator, an empty key): still the provider's to see
    client.get(f"/api/v1/share/{code}/records?zjhm=1", headers={"Authorization": f"Bearer {tok}"})
    client.get(f"/api/v1/share/{code}/records?zjhm=", headers=headers)
    provider = web("steward_gaj").get("/sharing/usage")
    assert provider.status_code == 200 and "低保家庭身份核验" in provider.text
    assert "<td>成功</td>" in provider.text and "<td>无权拒绝</td>" in provider.text
    assert fmt(clock.now())[:10] in provider.text  # the last call's time, in local time as on every page
    csv_text = web("head_gaj").get("/sharing/usage.csv?side=provider").text
    header, *rest = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    lines = [dict(zip(header, r, strict=True)) for r in rest if code in r]
    ok = next(r for r in lines if r["结果代码"] == "ok")
    assert (ok["结果"], ok["调用次数"], ok["返回条数"]) == ("成功", "2", "2")  # two calls, two rows
    assert ok["提供单位"] == "龙岩市公安局" and ok["调用单位"] == "龙岩市民政局" and "最近调用（北京时间）" in header
    assert sum(int(r["调用次数"]) for r in lines if r["结果代码"] == "denied") == 3
    consumer = web("steward_mz").get("/sharing/usage.csv?side=consumer").text
    header, *rest = list(csv.reader(io.StringIO(consumer.lstrip("\ufeff"))))
    row = dict(zip(header, next(r for r in rest if code in r), strict=True))
    assert (row["每日限额"], row["今日调用"], row["累计调用"]) == ("50", "2", "2")  # a refused call is not counted
    assert "姓名（xm）" in row["信息项"] and row["信息项代码"] == "zjhm,xm"
    assert row["状态"] == "有效" and row["状态代码"] == "active"
    other = web("steward_rsj").get("/sharing/usage.csv?side=provider").text
    assert code not in other
    assert client.get("/sharing/usage.csv?side=x", headers=token("steward_mz")).status_code == 400


def test_new_entry_version_tells_grant_holders(database, settings, client, token):
    code, _tok = _granted(database, settings, client, token)
    with database.write() as db:
        entry = db.execute(select(CatalogEntry).where(CatalogEntry.code == code)).scalar_one()
        entry_changed(db, entry=entry, version=2, diff={"fields_added": ["xb"]})
    with database.read() as db:
        messages = db.execute(select(Notification.message).where(Notification.kind == "catalog.changed")).scalars()
        assert any(code in m and "第 2 版" in m for m in messages)
