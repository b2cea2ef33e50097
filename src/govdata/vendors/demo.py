"""Vendor demo: the demo `vendor` account works for the center on one base resource (法人基础信息) under a
confidentiality agreement in force, so that its whole journey can be tried. Recorded through the service by
the center's administrator, so it is audited; idempotent (a vendor that has any agreement is left alone).

法人基础信息 rather than 人口基础信息: until reads leave masked, the demo should not hand a contractor
citizens' identity numbers."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from govdata import clock
from govdata.actor import Method
from govdata.auth.models import User
from govdata.auth.service import actor_for_user
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.orgs.models import Unit
from govdata.vendors import service
from govdata.vendors.models import VendorAgreement
from govdata.vendors.schemas import VendorAgreementCreate

VENDOR, RECORDER, UNIT, RESOURCE = "vendor", "admin", "dsjzx", "法人基础信息"
COMPANY = "龙岩数治信息技术有限公司（演示）"
TEXT = [
    "数据治理服务保密协议（演示）",
    f"委托方：龙岩市大数据中心    受托方：{COMPANY}",
    f"一、受托方仅在本协议约定范围（{RESOURCE}）内开展数据清洗与治理工作。",
    "二、受托方每次读取数据均须说明用途，平台记录全部操作并保存不少于六个月。",
    "三、受托方不得复制、留存或向任何第三方提供协议范围内的数据。",
    "四、协议期满或提前终止的，受托方账号即时停止访问。",
]


def agreement_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    y = A4[1] - 60
    for line in TEXT:
        pdf.setFont("STSong-Light", 11)
        pdf.drawString(50, y, line)
        y -= 22
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _seed_agreement(ctx: Any) -> None:
    with ctx.database.write() as db:
        vendor = db.execute(select(User).where(User.username == VENDOR)).scalar_one_or_none()
        admin = db.execute(select(User).where(User.username == RECORDER)).scalar_one_or_none()
        entry = db.execute(select(CatalogEntry).join(Unit, Unit.id == CatalogEntry.unit_id)
                           .where(Unit.code == UNIT, CatalogEntry.name == RESOURCE,
                                  CatalogEntry.status == EntryStatus.REGISTERED)).scalars().first()
        if vendor is None or admin is None or entry is None or entry.code is None:
            return
        if db.execute(select(VendorAgreement.id).where(VendorAgreement.vendor_user_id == vendor.id)).first():
            return
        today = clock.today()
        data = VendorAgreementCreate(vendor_user_id=vendor.id, company=COMPANY, unit_id=entry.unit_id,
                                     signed_by="大数据中心数据部主任", entry_codes=[entry.code],
                                     valid_from=today - timedelta(days=30), valid_until=today + timedelta(days=365))
        service.record_agreement(db, actor_for_user(admin, Method.CLI), ctx.settings, data=data,
                                 file_name="数据治理服务保密协议（演示）.pdf", stream=io.BytesIO(agreement_pdf()))
        ctx.console.print(f"保密协议：{VENDOR} 可在 {RESOURCE}（{entry.code}）范围内工作")


def seed(ctx: Any) -> None:
    ctx.afterwards.append(_seed_agreement)  # the base resource is registered by the datastore's demo, later
