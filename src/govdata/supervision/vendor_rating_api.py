"""Vendor evaluation over JSON (第二十七、二十九条): the ranking of a quarter, one vendor's rating, the bureau's
score. A quarter malformed or not yet begun is a 422 naming `period`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from govdata.actor import Actor
from govdata.policy import Action
from govdata.supervision import vendor_rating
from govdata.supervision.vendor_periods import parse_period
from govdata.supervision.vendor_rating_schemas import RatingRead, VendorScoreIn, VendorScoreRead
from govdata.types import Id
from govdata.web.deps import Db, requires

router = APIRouter(prefix="/vendors")
PeriodText = Annotated[str | None, Query(max_length=20, description="YYYY-Qn（北京时间）；省略为本季度")]


@router.get("", response_model=list[RatingRead])
def ranking(db: Db, period: PeriodText = None,
            actor: Actor = requires(Action.VENDOR_RATING_VIEW)) -> list[RatingRead]:
    """Every technical-service vendor rated for the quarter, best first."""
    return [RatingRead.of(r) for r in vendor_rating.ranking(db, actor, period=parse_period(period))]


@router.get("/{vendor_user_id}", response_model=RatingRead, responses={404: {"description": "没有这个服务商"}})
def rating(vendor_user_id: Id, db: Db, period: PeriodText = None,
           actor: Actor = requires(Action.VENDOR_RATING_VIEW)) -> RatingRead:
    return RatingRead.of(vendor_rating.rating_of(db, actor, vendor_user_id=vendor_user_id,
                                                 period=parse_period(period)))


@router.post("/{vendor_user_id}/scores", response_model=VendorScoreRead, status_code=201)
def score(vendor_user_id: Id, data: VendorScoreIn, db: Db,
          actor: Actor = requires(Action.VENDOR_SCORE)) -> VendorScoreRead:
    """The bureau's score for a quarter (0–100, with a comment); once per vendor and quarter (409 after)."""
    return VendorScoreRead.of(vendor_rating.score_vendor(db, actor, vendor_user_id=vendor_user_id, data=data))
