"""How values leave the provider through the sharing API (第十二、十三、十七条): the provider's opinion chooses
the fields in clear (recorded on the grant and in the agreement), the rest leave masked; a name is looked up only
in a combination the provider named; no call returns more than its grant's row limit, and a refusal is audited."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import quote

import pytest
from sqlalchemy import select, update

from govdata.catalog.models import CatalogEntry, Field
from govdata.sharing.models import Grant, UseAgreement
from tests.conftest import last_audit
from tests.sharing.factories import later, make_entry, system_id, token_for

FIELDS = [("sfzh", "公民身份号码", "C", 18, True, False), ("xm", "姓名", "C", 50, False, False),
          ("csrq", "出生日期", "D", None, False, False), ("dh", "联系电话", "C", 20, False, False)]
RULES = {"sfzh": ("id_card", "personal", "L4"), "xm": ("name", "personal", "L3"), "dh": ("mobile", "personal", "L3")}
# Three people called 孙华, two born the same day: a name alone matches all three.
ROWS = [
    {"sfzh": "350802199001010011", "xm": "孙华", "csrq": date(1990, 1, 1), "dh": "13800000001"},
    {"sfzh": "350802199001010022", "xm": "孙华", "csrq": date(1990, 1, 1), "dh": "13800000002"},
    {"sfzh": "350802198505050033", "xm": "孙华", "csrq": date(1985, 5, 5), "dh": "13800000003"},
    {"sfzh": "350802198505050044", "xm": "李四", "csrq": date(1985, 5, 5), "dh": "13800000004"},
]


def _people_entry(database) -> str:
    """A conditional entry of 公安局 whose personal fields carry masking rules, with 姓名+出生日期 named."""
    code = make_entry(database, unit_code="gaj", rows=ROWS, fields=FIELDS)
    with database.write() as db:
        entry = db.execute(select(CatalogEntry).where(CatalogEntry.code == code)).scalar_one()
        entry.lookup_combinations = "xm+csrq"
        for name, (rule, sensitivity, level) in RULES.items():
            db.execute(update(Field).where(Field.entry_id == entry.id, Field.name == name)
                       .values(masking_rule=rule, sensitivity=sensitivity, security_level=level))
    return code


@pytest.fixture
def shared(database, settings, client, token):
    """The whole path over the JSON API; the provider gives 身份证号 and 出生日期 in clear; the bureau allows 2
    rows a call. Returns (code, the consumer system's token, grant)."""
    code = _people_entry(database)
    body = {"code": code, "fields": ["sfzh", "xm", "csrq", "dh"], "duty": "低保对象身份核验",
            "legal_basis": "《社会救助暂行办法》第十一条", "system_id": system_id(database, "mz"),
            "valid_until": later(), "daily_volume": 100}
    created = client.post("/api/v1/share/requests", json=body, headers=token("steward_mz"))
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    opinion = {"version": 1, "agree": True, "opinion": "同意，姓名和电话脱敏", "clear_fields": ["sfzh", "nope"]}
    bad = client.post(f"/api/v1/share/requests/{rid}/opinion", json=opinion, headers=token("head_gaj"))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "clear_fields"
    opinion["clear_fields"] = ["sfzh", "csrq"]
    no_reason = client.post(f"/api/v1/share/requests/{rid}/opinion", json=opinion, headers=token("head_gaj"))
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "clear_reason"  # sfzh is L4
    opinion["clear_reason"] = "低保审核须核对身份证号原值"
    r = client.post(f"/api/v1/share/requests/{rid}/opinion", json=opinion, headers=token("head_gaj"))
    assert r.status_code == 200 and r.json()["clear_field_names"] == ["sfzh", "csrq"]
    too_wide = client.post(f"/api/v1/share/requests/{rid}/review", json={"version": 2, "approve": True,
                                                                          "row_limit": 0}, headers=token("bureau"))
    assert too_wide.status_code == 422 and too_wide.json()["error"]["field"] == "row_limit"
    r = client.post(f"/api/v1/share/requests/{rid}/review", json={"version": 2, "approve": True, "row_limit": 2},
                    headers=token("bureau"))
    assert r.status_code == 200, r.text
    with database.read() as db:
        grant = db.execute(select(Grant).where(Grant.request_id == rid)).scalar_one()
    for head in ("head_mz", "head_gaj"):
        accepted = client.post(f"/api/v1/share/agreements/{grant.agreement_id}/accept", headers=token(head))
        assert accepted.status_code == 200, accepted.text
    assert client.post(f"/api/v1/share/grants/{grant.id}/activate", headers=token("admin")).status_code == 200
    return code, token_for(database, settings, "mz"), grant


def _call(client, tok, code, **params):
    return client.get(f"/api/v1/share/{code}/records", params=params,
                      headers={"Authorization": f"Bearer {tok}", "X-Operator": quote("民政局王科员")})


def test_the_opinion_is_the_grant_and_the_agreement(database, shared):
    _code, _tok, grant = shared
    assert grant.clear_field_names == ["sfzh", "csrq"] and grant.row_limit == 2
    with database.read() as db:
        text = db.get(UseAgreement, grant.agreement_id).text
    assert "明文提供：公民身份号码（sfzh）、出生日期（csrq）" in text
    assert "姓名（xm）：姓名（保留姓氏）" in text and "联系电话（dh）：手机号（保留前3后4）" in text
    assert "每次调用最多返回 2 条记录" in text


def test_fields_not_given_in_clear_leave_masked(client, shared):
    code, tok, _ = shared
    r = _call(client, tok, code, sfzh=ROWS[3]["sfzh"])
    assert r.status_code == 200, r.text
    assert r.json()["records"] == [{"sfzh": "350802198505050044", "xm": "李*", "csrq": "1985-05-05",
                                    "dh": "138****0004"}]


def test_a_name_alone_is_refused_and_its_combination_answers(database, client, shared):
    code, tok, _ = shared
    alone = _call(client, tok, code, xm="孙华")
    assert alone.status_code == 400 and alone.json()["error"]["field"] == "xm"
    assert "xm+csrq" in alone.json()["error"]["message"]
    assert last_audit(database, action="share.lookup").outcome == "denied"
    one = _call(client, tok, code, xm="孙华", csrq="1985-05-05")
    assert one.status_code == 200 and [r["sfzh"] for r in one.json()["records"]] == ["350802198505050033"]
    assert json.loads(last_audit(database, action="share.lookup").details)["key_field"] == "xm+csrq"
    not_named = _call(client, tok, code, xm="孙华", dh="13800000003")
    assert not_named.status_code == 400 and "组合查询项" in not_named.json()["error"]["message"]
    two_values = client.get(f"/api/v1/share/{code}/records?xm=孙华&xm=李四&csrq=1985-05-05",
                            headers={"Authorization": f"Bearer {tok}", "X-Operator": "x"})
    assert two_values.status_code == 400 and two_values.json()["error"]["field"] == "xm"
    bad_date = _call(client, tok, code, xm="孙华", csrq="not-a-date")
    assert bad_date.status_code == 400 and bad_date.json()["error"]["field"] == "csrq"


def test_more_matches_than_the_row_limit_return_nothing_and_are_audited(database, client, shared):
    code, tok, grant = shared
    many = _call(client, tok, code, sfzh=",".join(r["sfzh"] for r in ROWS[:3]))
    assert many.status_code == 422 and "records" not in many.json()
    assert "2 条" in many.json()["error"]["message"] and many.json()["error"]["field"] == "sfzh"
    event = last_audit(database, action="share.lookup")
    assert (event.outcome, event.row_count, event.target_id) == ("denied", 0, str(grant.id))
    assert json.loads(event.details)["status"] == 422
    twins = _call(client, tok, code, xm="孙华", csrq="1990-01-01")  # two matches: within the limit
    assert twins.status_code == 200 and len(twins.json()["records"]) == 2
    with database.write() as db:
        db.execute(update(Grant).where(Grant.id == grant.id).values(row_limit=1))
    assert _call(client, tok, code, xm="孙华", csrq="1990-01-01").status_code == 422
    assert _call(client, tok, code, sfzh=ROWS[0]["sfzh"]).status_code == 200


def test_the_opinion_page_offers_the_choice(web, database):
    code = _people_entry(database)
    applicant = web("steward_mz")
    r = applicant.post(f"/sharing/apply/{code}", {
        "fields": ["sfzh", "xm", "dh"], "duty": "办理低保审核需核验身份", "legal_basis": "《社会救助暂行办法》第十一条",
        "system_id": system_id(database, "mz"), "valid_until": later(), "daily_volume": 50})
    assert r.status_code == 303
    location = r.headers["location"].split("?")[0]
    provider = web("steward_gaj")
    page = provider.get(location).text
    assert 'name="clear_fields" value="xm"' in page and "姓名（保留姓氏）" in page
    r = provider.post(f"{location}/opinion", {"version": 1, "agree": "yes", "opinion": "同意",
                                              "clear_fields": ["sfzh"]})
    assert r.status_code == 422 and "明文提供理由" in r.text and "L3/L4" in r.text  # sfzh is L4: say why
    r = provider.post(f"{location}/opinion", {"version": 1, "agree": "yes", "opinion": "同意",
                                              "clear_fields": ["sfzh"], "clear_reason": "核验身份须用原值"})
    assert r.status_code == 303
    assert "明文提供 公民身份号码（sfzh）" in provider.get(location).text
    bureau = web("bureau")
    assert 'name="row_limit"' in bureau.get(location).text
