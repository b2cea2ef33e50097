"""Indicator numbers against a hand-counted unit (`fixtures.build`), stored and rolled up."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from govdata import clock
from govdata.actor import platform_actor
from govdata.errors import RuleViolation
from govdata.orgs.models import Unit
from govdata.supervision import indicators, service
from govdata.supervision.months import parse_month
from govdata.supervision.service import Area
from tests.conftest import last_audit
from tests.supervision.fixtures import MONTH, NOW, build


def test_a_hand_counted_unit_gets_exactly_its_numbers(database):
    built = build(database)
    with clock.pinned(NOW, frozen=True), database.read() as db:
        got = indicators.compute(db, parse_month(MONTH), unit_ids=[built.unit_id])[built.unit_id]
    counted = {"entries_registered": 4, "entries_with_data": 1, "load_due": 3, "load_on_time": 2,
               "quality_entries": 2, "share_due": 2, "share_on_time": 1, "corrections_due": 3,
               "corrections_on_time": 1, "demands_due": 1, "demands_on_time": 1, "stewards": 1, "has_office": 1,
               "systems": 2, "systems_valid": 1, "filings_needed": 2, "filings_missing": 1}
    assert {name: getattr(got, name) for name in counted} == counted
    assert got.quality_score == pytest.approx(0.8)
    assert got.units_registered == 1
    # the mean of load 2/3, quality 0.8, share 1/2, corrections 1/3, demands 1, registered 1, systems 1/2, filings 1/2
    assert got.score == pytest.approx((2 / 3 + 0.8 + 0.5 + 1 / 3 + 1 + 1 + 0.5 + 0.5) / 8)


def test_an_earlier_month_counts_only_what_existed_by_its_end(database):
    built = build(database)
    with clock.pinned(NOW, frozen=True), database.read() as db:
        got = indicators.compute(db, parse_month("2026-10"), unit_ids=[built.unit_id])[built.unit_id]
    assert (got.entries_registered, got.share_due, got.corrections_due, got.quality_entries) == (0, 0, 0, 0)
    assert got.systems == 2 and got.stewards == 1


def test_stored_figures_roll_up_to_the_county_and_the_city(database):
    built = build(database)
    with database.write() as db:  # the demo's units existed before November (they were seeded today)
        db.execute(update(Unit).values(created_at=NOW - timedelta(days=100)))
    with clock.pinned(NOW, frozen=True):
        with database.write() as db:
            stored = service.compute_month(db, platform_actor(), month=parse_month(MONTH))
        event = last_audit(database, action="supervision.compute")
        assert event is not None and event.target_id == MONTH
        with database.read() as db:
            county = service.view(db, platform_actor(), month=parse_month(MONTH),
                                  area=Area("region", "新罗区", region_id=built.region_id))
            city = service.view(db, platform_actor(), month=parse_month(MONTH), area=service.CITY)
    assert not county.is_live and county.computed_at is not None
    mine = next(r for r in county.rows if r.unit_id == built.unit_id)
    assert (mine.figures.corrections_due, mine.figures.corrections_on_time) == (3, 1)
    assert county.total.units == len(county.rows) == 4  # 新罗区's office, its two bureaus and ours
    assert county.total.corrections_due == sum(r.figures.corrections_due for r in county.rows)
    assert city.total.units == stored == len(city.rows)
    assert city.total.entries_registered == sum(r.figures.entries_registered for r in city.rows)
    xinluo = next(f for a, f in city.regions if a.region_id == built.region_id)
    assert xinluo.entries_registered == county.total.entries_registered
    assert [r.rank for r in city.rows] == list(range(1, len(city.rows) + 1))
    scores = [r.figures.score for r in city.rows if r.figures.score is not None]
    assert scores == sorted(scores, reverse=True)
    trend = dict((m.code, f) for m, f in city.trend)
    assert trend[MONTH] is not None and trend[MONTH].units == stored
    assert trend[MONTH].corrections_due == city.total.corrections_due


@pytest.mark.parametrize("text, message", [("2026-12", "尚未开始"), ("2027-01", "尚未开始"), ("2026-13", "格式"),
                                           ("1999-12", "过早"), ("11/2026", "格式")])
def test_months_not_begun_or_malformed_are_refused(text, message):
    with clock.pinned(NOW, frozen=True), pytest.raises(RuleViolation, match=message) as caught:
        parse_month(text)
    assert caught.value.field == "month"


def test_the_current_month_is_taken_as_of_now():
    with clock.pinned(NOW, frozen=True):
        month = parse_month("")
        assert month.code == MONTH and month.as_of() == NOW and month.is_running()
        assert parse_month("2026-10").as_of() == datetime(2026, 10, 31, 16, 0)  # 11-01 00:00 in Beijing


def test_the_policy_scopes_supervision_views():
    from govdata import policy
    from govdata.actor import Actor, Role
    from govdata.policy import Action

    def actor(role: Role, unit_id: int, region_id: int) -> Actor:
        return Actor(kind="user", id=1, name="x", roles=frozenset({role}), unit_id=unit_id, region_id=region_id)

    city, county, unit = Area("city", "全市"), Area("region", "新罗区", region_id=5), \
        Area("unit", "某局", region_id=5, unit_id=7)
    bureau, office = actor(Role.BUREAU, 1, 1), actor(Role.COUNTY_OFFICE, 9, 5)
    steward, other_office = actor(Role.STEWARD, 7, 5), actor(Role.COUNTY_OFFICE, 10, 6)
    assert all(policy.can(bureau, Action.SUPERVISION_VIEW, a) for a in (city, county, unit))
    assert [bool(policy.can(office, Action.SUPERVISION_VIEW, a)) for a in (city, county, unit)] == [False, True, True]
    assert [bool(policy.can(other_office, Action.SUPERVISION_VIEW, a)) for a in (city, county, unit)] == \
        [False, False, False]
    assert [bool(policy.can(steward, Action.SUPERVISION_VIEW, a)) for a in (city, county, unit)] == \
        [False, False, True]
    assert not policy.can(actor(Role.CENTER, 1, 1), Action.SUPERVISION_VIEW, unit)
    assert not policy.can(steward, Action.SUPERVISION_COMPUTE)


def test_the_demo_has_late_and_on_time_items_and_seeds_once(database, settings):
    from rich.console import Console
    from sqlalchemy import func, select

    from govdata.demo import DemoContext
    from govdata.sharing.models import ShareRequest
    from govdata.supervision import demo
    from govdata.supervision.models import MonthlyFigures

    with database.read() as db:
        stored = db.execute(select(func.count(func.distinct(MonthlyFigures.month)))).scalar()
        marked = db.execute(select(func.count()).select_from(ShareRequest)
                            .where(ShareRequest.opinion_by == demo.MARK)).scalar()
        city = service.view(db, platform_actor(), area=service.CITY, month=parse_month(""))
    assert stored == demo.MONTHS and marked
    late = sum(f.share_due - f.share_on_time for _, f in city.trend if f)
    on_time = sum(f.share_on_time for _, f in city.trend if f)
    assert late > 0 and on_time > 0
    assert any(r.figures.load_due > r.figures.load_on_time for r in city.rows)  # entries overdue for their cycle
    assert any(r.figures.load_on_time for r in city.rows)
    demo.seed(DemoContext(settings, database, Console(quiet=True)))
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(ShareRequest)
                          .where(ShareRequest.opinion_by == demo.MARK)).scalar() == marked
