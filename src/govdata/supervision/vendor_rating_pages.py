"""Vendor evaluation pages (第二十七、二十九条): the bureau's ranking of the technical-service vendors for a quarter,
and a vendor's page with its confidentiality agreements beside its rating and the bureau's scoring form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.errors import RuleViolation
from govdata.policy import Action
from govdata.supervision import vendor_rating
from govdata.supervision.vendor_periods import Period, current, parse_period, recent
from govdata.supervision.vendor_rating_schemas import VendorScoreIn
from govdata.types import Id
from govdata.vendors.service import STATE_LABELS
from govdata.web import forms
from govdata.web.deps import Db, requires
from govdata.web.errors import attempt
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/supervision/vendors"
LABELS = {"period": "季度", "score": "评分", "comment": "评价意见", "vendor_user_id": "服务商"}
PeriodText = Annotated[str | None, Query(max_length=20)]


def _period(text: str | None) -> tuple[Period, forms.FormError | None]:
    """The quarter asked for; a bad one: the current quarter, and the message beside the quarter field."""
    try:
        return parse_period(text), None
    except RuleViolation as exc:
        return current(), forms.from_error(exc, LABELS)


@router.get(BASE)
def ranking_page(request: Request, db: Db, period: PeriodText = None,
                 actor: Actor = requires(Action.VENDOR_RATING_VIEW)) -> Response:
    """The vendors ranked for the quarter; a vendor's own account is taken to its own page."""
    if not policy.sees_all(actor, Action.VENDOR_RATING_VIEW) and actor.id is not None:
        return RedirectResponse(f"{BASE}/{actor.id}" + (f"?period={period}" if period else ""), status_code=303)
    chosen, error = _period(period)
    return render(request, "supervision/vendors.html", {
        "ratings": vendor_rating.ranking(db, actor, period=chosen), "period": chosen, "periods": recent(),
        "error": error, "form": {"period": period or chosen.code}}, status_code=error.status if error else 200)


def _vendor_page(request: Request, db: Session, actor: Actor, vendor_user_id: int, period_text: str | None, *,
                 error: forms.FormError | None = None, form: dict[str, Any] | None = None) -> Response:
    chosen, bad_period = _period(period_text)
    rating = vendor_rating.rating_of(db, actor, vendor_user_id=vendor_user_id, period=chosen)
    error = error or bad_period
    return render(request, "supervision/vendor.html", {
        "rating": rating, "period": chosen, "periods": recent(), "error": error,
        "agreements": vendor_rating.agreements_of(db, actor, vendor_user_id=vendor_user_id),
        "today": clock.today(), "states": STATE_LABELS,
        "form": form or {"period": period_text or chosen.code},
        "may_score": bool(policy.role_allows(actor, Action.VENDOR_SCORE))}, status_code=error.status if error else 200)


@router.get(BASE + "/{vendor_user_id}")
def vendor_page(request: Request, vendor_user_id: Id, db: Db, period: PeriodText = None,
                actor: Actor = requires(Action.VENDOR_RATING_VIEW)) -> Response:
    return _vendor_page(request, db, actor, vendor_user_id, period)


@router.post(BASE + "/{vendor_user_id}/scores")
async def score(request: Request, vendor_user_id: Id, db: Db,
                actor: Actor = requires(Action.VENDOR_SCORE)) -> Response:
    """The bureau scores the vendor for a quarter; a bad score or a second one stays at its field."""
    form = await forms.form_dict(request)
    parsed = forms.parse(VendorScoreIn, {k: form.get(k, "") for k in ("period", "score", "comment")}, LABELS)
    if isinstance(parsed, forms.FormError):
        error: forms.FormError | None = parsed
    else:
        data = parsed
        error = attempt(request, db, lambda: vendor_rating.score_vendor(db, actor, vendor_user_id=vendor_user_id,
                                                                        data=data), LABELS)
        if error is None:
            return RedirectResponse(f"{BASE}/{vendor_user_id}?period={data.period.upper()}&msg=评分已登记",
                                    status_code=303)
    return _vendor_page(request, db, actor, vendor_user_id, form.get("period"), error=error, form=form)
