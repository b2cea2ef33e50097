"""Demo: the bureau's score of the demo vendor for the last quarter (第二十七条), through the service (audited);
a second run changes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from govdata.actor import platform_actor
from govdata.auth.models import User
from govdata.supervision.vendor_periods import current
from govdata.supervision.vendor_rating import score_vendor
from govdata.supervision.vendor_rating_models import VendorScore
from govdata.supervision.vendor_rating_schemas import VendorScoreIn


def seed(ctx: Any) -> None:
    period = current().before()
    with ctx.database.write() as db:
        vendor = db.execute(select(User).where(User.username == "vendor")).scalar_one_or_none()
        if vendor is None or db.execute(select(VendorScore.id).where(VendorScore.vendor_user_id == vendor.id)).first():
            return
        score_vendor(db, platform_actor(name="演示数据"), vendor_user_id=vendor.id, data=VendorScoreIn(
            period=period.code, score=88, comment="按约定完成法人库数据治理，响应及时；个别纠错答复偏慢"))
