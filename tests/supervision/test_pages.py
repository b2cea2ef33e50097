"""Who sees which dashboard, a month in the future refused beside its field, the tables as .xlsx with names."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from govdata import clock
from govdata.orgs.models import Region, Unit
from govdata.supervision.models import MonthlyFigures
from tests.conftest import last_audit


class _Bearer:
    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def get(self, url):
        return self.client.get(url, headers=self.headers)

    def post(self, url, data):
        return self.client.post(url, data=data, headers=self.headers)


@pytest.fixture
def as_user_web(client, as_user):
    """`as_user_web("bureau").get(url)`: the pages, as that account (bearer, no CSRF form token needed)."""
    return lambda username: _Bearer(client, as_user(username))


def _ids(database) -> dict[str, int]:
    with database.read() as db:
        units = dict(db.execute(select(Unit.code, Unit.id)).all())
        regions = dict(db.execute(select(Region.code, Region.id)).all())
    return {**units, "xinluo": regions["350802"], "yongding": regions["350803"]}


SCOPE = [  # who, path, status
    ("bureau", "/supervision", 200),
    ("bureau", "/supervision/regions/{yongding}", 200),
    ("bureau", "/supervision/units/{gaj}", 200),
    ("county_xinluo", "/supervision/regions/{xinluo}", 200),
    ("county_xinluo", "/supervision/units/{xl_mz}", 200),
    ("county_xinluo", "/supervision/regions/{yongding}", 403),
    ("county_xinluo", "/supervision/units/{gaj}", 403),
    ("steward_gaj", "/supervision/units/{gaj}", 200),
    ("head_gaj", "/supervision/units/{gaj}", 200),
    ("steward_gaj", "/supervision/units/{mz}", 403),
    ("steward_gaj", "/supervision/regions/{xinluo}", 403),
    ("steward_xl_mz", "/supervision/regions/{xinluo}", 403),
    ("steward_xl_mz", "/supervision/units/{xl_mz}", 200),
    ("security", "/supervision", 403),
    ("admin", "/supervision/units/{gaj}", 403),
    ("vendor", "/supervision/units/{dsjzx}", 403),
]


def test_the_bureau_sees_the_city_a_county_office_its_county_a_unit_itself(database, client, as_user):
    ids = _ids(database)
    for who, path, status in SCOPE:
        response = client.get(path.format(**ids), headers=as_user(who))
        assert response.status_code == status, (who, path, response.text[:300])
        if status == 200:
            assert 'data-testid="ranking"' in response.text and "<svg" in response.text


def test_each_starts_on_its_own_dashboard_and_the_api_lists_only_its_units(database, as_user_web, client, as_user):
    ids = _ids(database)
    county = as_user_web("county_xinluo").get("/supervision")
    assert county.headers["location"] == f"/supervision/regions/{ids['xinluo']}"
    assert as_user_web("steward_gaj").get("/supervision?month=2026-11").headers["location"] == \
        f"/supervision/units/{ids['gaj']}?month=2026-11"
    answer = client.get("/api/v1/supervision/indicators", headers=as_user("county_xinluo")).json()
    with database.read() as db:
        county_units = set(db.execute(select(Unit.id).where(Unit.region_id == ids["xinluo"])).scalars())
    assert answer["area"] == "region" and {u["unit_id"] for u in answer["units"]} == county_units
    assert client.get(f"/api/v1/supervision/indicators?unit_id={ids['gaj']}",
                      headers=as_user("county_xinluo")).status_code == 403
    mine = client.get("/api/v1/supervision/indicators", headers=as_user("head_gaj")).json()
    assert [u["unit_name"] for u in mine["units"]] == ["龙岩市公安局"]
    city = client.get("/api/v1/supervision/indicators", headers=as_user("bureau")).json()
    assert city["area"] == "city" and city["total"]["units"] == len(city["units"]) > 20


def test_a_unit_dashboard_drills_down_to_its_late_items(database, as_user_web, client, as_user):
    from govdata.orgs.models import System
    from govdata.sharing.models import ShareRequest
    from govdata.supervision.demo import MARK

    ids = _ids(database)
    with database.write() as db:
        db.add(System(unit_id=ids["cz"], name="财政局非税收入系统", assessment_level=2,
                      assessment_valid_until=clock.today() - timedelta(days=30)))
        demo = db.execute(select(ShareRequest).where(ShareRequest.opinion_by == MARK)).scalars().all()
    late_one = next(r for r in demo if r.opinion_at + timedelta(hours=8) > datetime.combine(r.due_on, time.max))
    page = as_user_web("bureau").get(f"/supervision/units/{ids['cz']}").text
    assert 'data-testid="late-items"' in page and "财政局非税收入系统" in page
    late = client.get(f"/api/v1/supervision/units/{ids['cz']}/late", headers=as_user("bureau")).json()
    assert "system" in {i["kind"] for i in late} and all(i["href"].startswith("/") for i in late)
    for item in late:
        if item["kind"] == "overdue":
            assert item["href"].startswith("/catalog/")
    month = late_one.due_on.strftime("%Y-%m")
    late = client.get(f"/api/v1/supervision/units/{late_one.provider_unit_id}/late?month={month}",
                      headers=as_user("bureau")).json()
    shares = [i for i in late if i["kind"] == "share"]
    assert f"/sharing/requests/{late_one.id}" in {i["href"] for i in shares}
    on_time = [r for r in demo if r.provider_unit_id == late_one.provider_unit_id and r.due_on.strftime("%Y-%m") ==
               month and r.id != late_one.id and r.opinion_at + timedelta(hours=8) <= datetime.combine(r.due_on,
                                                                                                       time.max)]
    assert not {f"/sharing/requests/{r.id}" for r in on_time} & {i["href"] for i in shares}


def test_a_month_in_the_future_is_refused_naming_the_field(database, as_user_web, client, as_user):
    ahead = clock.today().replace(day=1).replace(year=clock.today().year + 1).strftime("%Y-%m")
    answer = client.get(f"/api/v1/supervision/indicators?month={ahead}", headers=as_user("bureau"))
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "month"
    assert "尚未开始" in answer.json()["error"]["message"]
    assert client.get("/api/v1/supervision/indicators?month=2026-13", headers=as_user("bureau")).json()["error"][
        "field"] == "month"
    bureau = as_user_web("bureau")
    page = bureau.get(f"/supervision?month={ahead}")
    assert page.status_code == 422 and 'data-field-error="month"' in page.text and "尚未开始" in page.text
    with database.read() as db:
        before = db.execute(select(func.count()).select_from(MonthlyFigures)).scalar()
    refused = bureau.post("/supervision/compute", {"month": ahead})
    assert refused.status_code == 422 and 'data-field-error="month"' in refused.text
    posted = client.post(f"/api/v1/supervision/months/{ahead}/compute", headers=as_user("bureau"))
    assert posted.status_code == 422 and posted.json()["error"]["field"] == "month"
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(MonthlyFigures)).scalar() == before


def test_the_bureau_recomputes_a_month_audited(database, as_user_web):
    month = clock.today().strftime("%Y-%m")
    done = as_user_web("bureau").post("/supervision/compute", {"month": month})
    assert done.status_code == 303 and done.headers["location"].startswith(f"/supervision?month={month}")
    event = last_audit(database, action="supervision.compute")
    assert event is not None and event.target_id == month
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(MonthlyFigures)
                          .where(MonthlyFigures.month == month)).scalar() == \
            db.execute(select(func.count()).select_from(Unit)).scalar()
    assert as_user_web("steward_gaj").post("/supervision/compute", {"month": month}).status_code == 403


def _book(response):
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def test_tables_export_to_xlsx_with_names_and_formulas_neutralised(database, as_user_web):
    with database.write() as db:
        db.add(Unit(code="formula", name="=HYPERLINK(\"http://x\",\"点此\")", uscc="11350800MB8888888X",
                    region_id=_ids(database)["xinluo"], data_office="-1+1"))
    bureau = as_user_web("bureau")
    ranking = _book(bureau.get("/supervision/export.xlsx?table=ranking"))["排名"]
    names = [row[1] for row in ranking.iter_rows(min_row=2, values_only=True)]
    assert "龙岩市公安局" in names and ranking["B1"].value == "单位"
    cell = next(c for c in ranking["B"] if c.value == "=HYPERLINK(\"http://x\",\"点此\")")
    assert cell.data_type == "s" and cell.quotePrefix  # text, never a formula
    regions = [r[2] for r in ranking.iter_rows(min_row=2, values_only=True)]
    assert "新罗区" in regions and not any(str(r).isdigit() for r in regions)  # names, not codes
    report = _book(bureau.get(f"/supervision/report.xlsx?unit_id={_ids(database)['cz']}"))
    assert report.sheetnames == ["概况", "排名", "逐月趋势", "逾期事项"]
    summary = dict(report["概况"].iter_rows(values_only=True))
    assert summary["范围"] == "龙岩市财政局" and "数据截至（北京时间）" in summary
    city = _book(bureau.get("/supervision/report.xlsx"))
    assert "区县汇总" in city.sheetnames and city["概况"]["B2"].value == "全市"
    bad = bureau.get("/supervision/export.xlsx?table=secrets")
    assert bad.status_code == 422
    assert as_user_web("steward_gaj").get("/supervision/report.xlsx").status_code == 200
    assert as_user_web("steward_gaj").get(f"/supervision/report.xlsx?unit_id={_ids(database)['mz']}").status_code == 403


def test_the_monthly_report_page_and_the_job(database, as_user_web, settings):
    from govdata.jobs.runner import run_due

    outcome = run_due(database, settings, names=["supervision.monthly"], force=True)[0]
    assert outcome.status == "ok", outcome
    page = as_user_web("bureau").get("/supervision/report")
    assert page.status_code == 200 and "监督检查月报 · 全市" in page.text and 'data-testid="report-xlsx"' in page.text
    unit = as_user_web("steward_gaj").get("/supervision/report")
    assert "监督检查月报 · 龙岩市公安局" in unit.text
