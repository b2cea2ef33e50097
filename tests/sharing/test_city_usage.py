"""使用情况 by scope (the whole city for the bureau and security, a county for its office, a unit its own) and
the city-wide charts of the bureau, security and the center; chart dates are Beijing days."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from govdata import clock
from govdata.actor import Actor, Method, Role
from govdata.audit.service import record
from govdata.orgs.models import Unit
from govdata.policy import Action
from govdata.quality.models import QualityReport
from tests.quality.factories import make_entry


def _unit(database, code):
    with database.read() as db:
        return db.execute(select(Unit.id).where(Unit.code == code)).scalar_one()


def _call(database, *, owner: str, resource: str, purpose: str) -> None:
    system = Actor(kind="system", id=None, name=f"{owner}调用方系统", roles=frozenset({Role.SYSTEM}),
                   unit_id=_unit(database, "rsj"), method=Method.API)
    with database.write() as db:
        record(db, system, Action.SHARE_LOOKUP, target_type="catalog_entry", target_id=1, resource_code=resource,
               owner_unit_id=_unit(database, owner), purpose=purpose, row_count=1, at=clock.now())


@pytest.fixture
def calls(database):
    _call(database, owner="gaj", resource="LY-CITY-001", purpose="市级用途")
    _call(database, owner="xl_scjg", resource="LY-COUNTY-001", purpose="县级用途")


@pytest.mark.parametrize("user,scope,sees", [
    ("bureau", "全市", {"市级用途", "县级用途"}), ("security", "全市", {"市级用途", "县级用途"}),
    ("county_xinluo", "本县（市、区）", {"县级用途"}), ("steward_gaj", "本单位", {"市级用途"}),
    ("steward_xl_scjg", "本单位", {"县级用途"}), ("steward_mz", "本单位", set())])
def test_usage_covers_the_city_a_county_or_a_unit(web, calls, user, scope, sees):
    page = web(user).get("/sharing/usage")
    assert page.status_code == 200
    assert f"{scope}数据被使用情况" in page.text and f"{scope}共享调用次数" in page.text
    shown = {p for p in ("市级用途", "县级用途") if p in page.text}
    assert shown == sees
    if "市级用途" in sees:  # the providing unit by name
        assert "龙岩市公安局" in page.text
    exported = web(user).get("/sharing/usage.csv?side=provider").text
    assert exported.splitlines()[0].lstrip("\ufeff").startswith("目录编码,提供单位,调用系统,调用单位")
    assert {p for p in ("市级用途", "县级用途") if p in exported} == sees


def test_usage_is_refused_to_the_center_and_vendors(web):
    assert web("admin").get("/sharing/usage").status_code == 403
    assert web("vendor").get("/sharing/usage").status_code == 403


@pytest.mark.parametrize("user", ["bureau", "admin", "security"])
def test_city_overview_charts(web, database, user):
    gaj = _unit(database, "gaj")
    entry = make_entry(database, unit="gaj", name="概览测试")
    with database.write() as db:
        db.add(QualityReport(entry_id=entry.id, unit_id=gaj, kind="scan", score=0.5, created_at=clock.now()))
    page = web(user).get("/overview")
    assert page.status_code == 200 and 'href="/overview"' in page.text  # in the navigation
    for chart in ("chart-quality", "chart-calls", "chart-states", "chart-deadlines"):
        assert f'data-testid="{chart}"' in page.text
    quality = page.text[page.text.index('data-testid="chart-quality"'):page.text.index('data-testid="chart-calls"')]
    assert '<svg class="chart"' in quality and 'data-label="龙岩市公安局"' in quality
    assert 'viewBox="0 0 420' in page.text and ' width="420"' not in page.text  # scales to its card
    states = page.text[page.text.index('data-testid="chart-states"'):]
    assert 'data-label="已批准"' in states and 'data-label="待审核"' in states and "approved" not in states
    assert 'data-label="已逾期"' in states


@pytest.mark.parametrize("user", ["steward_gaj", "head_mz", "county_xinluo", "vendor"])
def test_city_overview_is_for_the_bureau_security_and_center(web, user):
    response = web(user).get("/overview")
    assert response.status_code == 403
    assert 'href="/overview"' not in web(user).get("/").text


def test_trend_charts_are_dated_by_beijing_day(web, database):
    """17:30 UTC on 4 December is 01:30 on 5 December in Beijing: the check belongs to the 5th."""
    gaj = _unit(database, "gaj")
    entry = make_entry(database, unit="gaj", name="趋势测试")
    with database.write() as db:
        db.add(QualityReport(entry_id=entry.id, unit_id=gaj, kind="scan", score=0.9,
                             created_at=datetime(2026, 12, 4, 3, 0)))  # 11:00 on the 4th in Beijing
        db.add(QualityReport(entry_id=entry.id, unit_id=gaj, kind="scan", score=0.7,
                             created_at=datetime(2026, 12, 4, 17, 30)))
    with clock.pinned(date(2026, 12, 5)):
        overview = web("steward_gaj").get("/quality").text
        resource = web("steward_gaj").get(f"/quality/entries/{entry.id}").text
    chart = overview[overview.index('<svg class="chart"'):overview.index("</svg>")]
    assert 'data-label="2026-12-05"' in chart and "2026-12-05：70.0" in chart
    assert 'data-label="2026-12-04"' in chart and "2026-12-04：90.0" in chart
    chart = resource[resource.index('<svg class="chart"'):resource.index("</svg>")]
    assert 'data-label="2026-12-05 01:30"' in chart and 'data-label="2026-12-04 11:00"' in chart
    assert ">12-05</text>" in chart and ">12-04</text>" in chart and ">#" not in chart  # dates, not numbers
