"""Vendor evaluation (第二十七条 加强对技术服务单位服务监督评价; 第二十九条): each technical-service vendor rated
for a quarter from the platform's own records, beside the bureau's periodic score.

The records, for the resources its confidentiality agreements covered during the quarter (the units named whole
and the resources named; an agreement counts from its start to its end, or to the day it was ended early):

- **tasks on time**: the 纠错 (corrections) in its scope whose deadline fell in the quarter, up to today;
  on time when answered by the end of the deadline's day (北京时间). The governance work it was engaged for.
- **errors corrected**: the corrections in its scope reported in the quarter, and how many of them were fixed.
- **audit findings**: its own account's attempts the platform refused in the quarter (outside its agreements,
  without a stated purpose, or not allowed to its role), from the audit trail.

`record_score` = 100 × the mean of the two rates it has (a rate with nothing to count is left out), less 10 per
audit finding, kept within 0–100; None when it has neither rate nor finding. `overall` is the mean of the record
score and the bureau's score for the quarter, whichever there are. The ranking sorts by `overall`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from govdata import clock, policy
from govdata.actor import Actor, Role
from govdata.audit.models import AuditEvent
from govdata.audit.service import acting
from govdata.auth.models import User, UserRole
from govdata.errors import Conflict, NotFound
from govdata.policy import Action
from govdata.quality.models import Correction
from govdata.storage.base import row_by_id
from govdata.supervision.vendor_periods import Period, parse_period
from govdata.supervision.vendor_rating_models import VendorScore
from govdata.supervision.vendor_rating_schemas import VendorScoreIn
from govdata.timeutil import to_local
from govdata.vendors.models import AgreementStatus, VendorAgreement, VendorScopeItem

FINDING_PENALTY = 10
REFUSED = ("denied", "refused")


@dataclass
class Rating:
    """One vendor's figures for one quarter (`vendor_user_id` lets the policy decide who sees it)."""

    vendor_user_id: int
    username: str
    company: str
    period: Period
    agreements: int = 0  # agreements in force at some time in the quarter
    tasks_due: int = 0
    tasks_on_time: int = 0
    errors_reported: int = 0
    errors_fixed: int = 0
    findings: int = 0
    bureau_score: int | None = None
    bureau_comment: str = ""
    rank: int = 0
    scores: list[VendorScore] = field(default_factory=list)  # the bureau's scores of every quarter

    @property
    def tasks_rate(self) -> float | None:
        return self.tasks_on_time / self.tasks_due if self.tasks_due else None

    @property
    def fixed_rate(self) -> float | None:
        return self.errors_fixed / self.errors_reported if self.errors_reported else None

    @property
    def record_score(self) -> int | None:
        rates = [r for r in (self.tasks_rate, self.fixed_rate) if r is not None]
        if not rates and not self.findings:
            return None
        base = 100 * sum(rates) / len(rates) if rates else 100.0
        return max(0, min(100, round(base) - FINDING_PENALTY * self.findings))

    @property
    def overall(self) -> float | None:
        parts = [p for p in (self.record_score, self.bureau_score) if p is not None]
        return round(sum(parts) / len(parts), 1) if parts else None


def _vendor(db: Session, vendor_user_id: int) -> User:
    user = row_by_id(db, User, vendor_user_id)
    if user is None or Role.VENDOR.value not in user.roles:
        raise NotFound("技术服务单位（服务商账号）不存在", field="vendor_user_id")
    return user


def vendor_ids(db: Session) -> list[int]:
    query = select(User.id).join(UserRole).where(UserRole.role == Role.VENDOR.value).order_by(User.id)
    return list(db.execute(query).scalars())


def _in_period(period: Period) -> ColumnElement[bool]:
    """Agreements that were in force on some day of the quarter."""
    ended_on = func.coalesce(VendorAgreement.ended_at, period.end_utc)
    return and_(VendorAgreement.valid_from <= period.last, VendorAgreement.valid_until >= period.first,
                or_(VendorAgreement.status == AgreementStatus.ACTIVE.value, ended_on >= period.start_utc))


def _scope(db: Session, vendor_user_id: int, period: Period) -> tuple[int, set[int], set[int], str]:
    rows = db.execute(select(VendorAgreement.id, VendorAgreement.company, VendorScopeItem.unit_id,
                             VendorScopeItem.entry_id)
                      .join(VendorScopeItem, VendorScopeItem.agreement_id == VendorAgreement.id)
                      .where(VendorAgreement.vendor_user_id == vendor_user_id, _in_period(period))
                      .order_by(VendorAgreement.id)).all()
    agreements, units, entries, company = set(), set(), set(), ""
    for agreement_id, name, unit_id, entry_id in rows:
        agreements.add(agreement_id)
        company = name
        if entry_id is None:
            units.add(unit_id)
        else:
            entries.add(entry_id)
    return len(agreements), units, entries, company


def _local_day(moment: datetime) -> date:
    local = to_local(moment)
    assert local is not None
    return local.date()


def _corrections(db: Session, rating: Rating, units: set[int], entries: set[int]) -> None:
    if not units and not entries:
        return
    in_scope = or_(Correction.unit_id.in_(sorted(units)), Correction.entry_id.in_(sorted(entries)))
    period, today = rating.period, clock.today()
    due = db.execute(select(Correction.due_on, Correction.answered_at).where(
        in_scope, Correction.due_on >= period.first, Correction.due_on <= min(period.last, today))).all()
    rating.tasks_due = len(due)
    rating.tasks_on_time = sum(1 for due_on, answered in due if answered is not None and _local_day(answered) <= due_on)
    reported = db.execute(select(Correction.status).where(
        in_scope, Correction.created_at >= period.start_utc, Correction.created_at < period.end_utc)).scalars().all()
    rating.errors_reported = len(reported)
    rating.errors_fixed = sum(1 for status in reported if status == "fixed")


def _findings(db: Session, vendor_user_id: int, period: Period) -> int:
    return int(db.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.actor_type == "user", AuditEvent.actor_id == vendor_user_id, AuditEvent.outcome.in_(REFUSED),
        AuditEvent.at >= period.start_utc, AuditEvent.at < period.end_utc)).scalar_one())


def _rate(db: Session, user: User, period: Period) -> Rating:
    count, units, entries, company = _scope(db, user.id, period)
    rating = Rating(user.id, user.username, company or _last_company(db, user), period, agreements=count)
    _corrections(db, rating, units, entries)
    rating.findings = _findings(db, user.id, period)
    rating.scores = list(db.execute(select(VendorScore).where(VendorScore.vendor_user_id == user.id)
                                    .order_by(VendorScore.period.desc())).scalars())
    for score in rating.scores:
        if score.period == period.code:
            rating.bureau_score, rating.bureau_comment = score.score, score.comment
    return rating


def _last_company(db: Session, user: User) -> str:
    company = db.execute(select(VendorAgreement.company).where(VendorAgreement.vendor_user_id == user.id)
                         .order_by(VendorAgreement.id.desc()).limit(1)).scalar()
    return company or user.display_name or user.username


def rating_of(db: Session, actor: Actor, *, vendor_user_id: int, period: Period) -> Rating:
    """One vendor's rating for the quarter: the bureau, the center and security see any, a vendor its own."""
    user = _vendor(db, vendor_user_id)
    policy.require(actor, Action.VENDOR_RATING_VIEW, Rating(user.id, user.username, "", period))
    return _rate(db, user, period)


def ranking(db: Session, actor: Actor, *, period: Period) -> list[Rating]:
    """Every vendor's rating for the quarter, best first (those with no mark at all last)."""
    policy.require(actor, Action.VENDOR_RATING_VIEW, Rating(0, "", "", period))
    users = db.execute(select(User).where(User.id.in_(vendor_ids(db)))).scalars().all()
    rated = [_rate(db, user, period) for user in users]
    rated.sort(key=lambda r: (r.overall is None, -(r.overall or 0), r.company, r.vendor_user_id))
    for i, rating in enumerate(rated, start=1):
        rating.rank = i
    return rated


def score_vendor(db: Session, actor: Actor, *, vendor_user_id: int, data: VendorScoreIn) -> VendorScore:
    """The bureau's score of a vendor for a quarter (begun, `YYYY-Qn`): once per vendor and quarter, audited."""
    user = _vendor(db, vendor_user_id)
    score = VendorScore(vendor_user_id=user.id, period=data.period, score=data.score, comment=data.comment,
                        scored_by=actor.name, scored_at=clock.now())
    with acting(db, actor, Action.VENDOR_SCORE, target=score) as audit:
        period = parse_period(data.period)
        score.period = period.code
        taken = db.execute(select(VendorScore.id).where(VendorScore.vendor_user_id == user.id,
                                                        VendorScore.period == period.code)).first()
        if taken is not None:
            raise Conflict(f"{period.label}已评价过该服务商，每个季度只评价一次", field="period")
        try:
            with db.begin_nested():
                db.add(score)
                db.flush()
        except IntegrityError as exc:  # scored at the same moment by another request
            raise Conflict(f"{period.label}已评价过该服务商，每个季度只评价一次", field="period") from exc
        audit.details = {"vendor": user.username, "period": period.code, "score": data.score,
                         "comment": data.comment}
    return score


def agreements_of(db: Session, actor: Actor, *, vendor_user_id: int) -> list[VendorAgreement]:
    """The vendor's confidentiality agreements that `actor` may see (shown beside its rating)."""
    query = (select(VendorAgreement).where(VendorAgreement.vendor_user_id == vendor_user_id,
                                           policy.where(actor, Action.VENDOR_AGREEMENT_VIEW, VendorAgreement))
             .order_by(VendorAgreement.valid_until.desc(), VendorAgreement.id.desc()))
    return list(db.execute(query).scalars())
