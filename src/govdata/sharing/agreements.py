"""数据使用协议: generated on approval from the decided request, hashed, accepted by both unit heads."""

from __future__ import annotations

import hashlib
import io

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor, Role
from govdata.audit.service import acting
from govdata.auth.models import User, UserRole
from govdata.auth.service import people_names
from govdata.catalog.labels import field_list, label_of
from govdata.errors import Conflict, NotFound
from govdata.masking.rules import rule_for
from govdata.notifications.service import notify
from govdata.policy import Action
from govdata.sharing.models import Grant, ShareRequest, UseAgreement
from govdata.storage.engines import rowcount
from govdata.timeutil import fmt

DUTIES = [
    "一、使用方仅可将共享数据用于本协议所列履职用途，不得用于其他目的。",
    "二、使用方不得以任何形式将共享数据提供、转让或出售给第三方（含其他单位、企业和个人）。",
    "三、使用方应落实数据安全责任：按最小必要原则访问；接入系统须持有有效的网络安全等级保护测评；"
    "调用人员须实名并在调用时注明；发生泄露等安全事件应立即报告并配合处置。",
    "四、每次调用均被平台记录（用途、调用人、批准人、内容、时间、方式、介质），日志推送给提供方，保存不少于六个月。",
    "五、期限届满、用途消失或违反本协议的，平台可立即暂停或撤销访问权限。",
]


def canonical_text(req: ShareRequest, reviewer: str) -> str:
    """The agreement's text; its sha256 is stored with the grant, so the same inputs give the same hash.
    `reviewer`: how the text names who decided (the person and unit behind `req.decided_by`)."""
    fields = {f.name: f.label for f in req.entry.fields}
    names = req.approved_field_names or req.field_names
    share_type = label_of("share_type", req.share_type)
    lines = [
        "政务数据共享使用协议",
        f"协议编号：SA-{req.id:06d}",
        f"提供方：{req.provider.name}（统一社会信用代码 {req.provider.uscc}）",
        f"使用方：{req.unit.name}（统一社会信用代码 {req.unit.uscc}）",
        f"调用系统：{req.system.name}（等保 {req.system.assessment_level} 级，报告 {req.system.assessment_report_no}）",
        f"数据资源：{req.entry.name}（目录编码 {req.resource_code}，共享类型 {share_type}）",
        "共享信息项：" + field_list(fields, names),
        *_masking_terms(req, names),
        f"用途（履职需要）：{req.duty}",
        f"依据：{req.legal_basis}",
        f"使用期限：自批准之日起至 {req.approved_until or req.valid_until}",
        f"预计日调用量：{req.daily_volume}",
        f"审核：{reviewer}，{fmt(req.decided_at)}",
        "双方约定：",
        *DUTIES,
    ]
    return "\n".join(lines) + "\n"


def _masking_terms(req: ShareRequest, names: list[str]) -> list[str]:
    """How each shared field leaves the provider (第十七条): in clear as its opinion chose, or masked by the
    field's rule; and the rows one call may return."""
    by_name = {f.name: f for f in req.entry.fields}
    rules = {n: rule_for(by_name[n]) for n in names if n in by_name}
    clear = [n for n, rule in rules.items() if n in req.clear_field_names or rule.is_clear]
    masked = [f"{by_name[n].label}（{n}）：{rule.label}" for n, rule in rules.items() if n not in clear]
    lines = ["明文提供：" + (field_list({n: by_name[n].label for n in clear if n in by_name}, clear) or "无")]
    if req.clear_reason:
        lines.append(f"明文提供 L3/L4 级信息项的理由：{req.clear_reason}")
    if masked:
        lines.append("脱敏提供：" + "；".join(masked))
    if req.row_limit:
        lines.append(f"每次调用最多返回 {req.row_limit} 条记录，超出时不返回数据，须使用更精确的查询键")
    return lines


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def generate(db: Session, req: ShareRequest) -> UseAgreement:
    text = canonical_text(req, people_names(db, [req.decided_by]).get(req.decided_by, req.decided_by))
    agreement = UseAgreement(request_id=req.id, unit_id=req.unit_id, provider_unit_id=req.provider_unit_id,
                             text=text, content_hash=content_hash(text), created_at=clock.now())
    db.add(agreement)
    db.flush()
    return agreement


def get_agreement(db: Session, *, agreement_id: int) -> UseAgreement:
    agreement = db.get(UseAgreement, agreement_id)
    if agreement is None:
        raise NotFound("协议不存在", field="agreement_id")
    return agreement


def agreement_for_request(db: Session, *, request_id: int) -> UseAgreement | None:
    return db.execute(select(UseAgreement).where(UseAgreement.request_id == request_id)).scalar_one_or_none()


def accept_agreement(db: Session, actor: Actor, *, agreement_id: int) -> UseAgreement:
    """One unit head accepts for its side; the second acceptance tells the center to activate the grant."""
    agreement = get_agreement(db, agreement_id=agreement_id)
    side_unit = agreement.provider_unit_id if actor.unit_id == agreement.provider_unit_id else agreement.unit_id
    with acting(db, actor, Action.AGREEMENT_ACCEPT, target=agreement, owner_unit_id=agreement.provider_unit_id,
                resource_code=agreement.request.resource_code) as audit:
        is_provider = side_unit == agreement.provider_unit_id
        by_col = UseAgreement.provider_accepted_by if is_provider else UseAgreement.consumer_accepted_by
        at_col = UseAgreement.provider_accepted_at if is_provider else UseAgreement.consumer_accepted_at
        result = db.execute(update(UseAgreement).where(UseAgreement.id == agreement.id, at_col.is_(None))
                            .values({by_col: actor.name, at_col: clock.now()})
                            .execution_options(synchronize_session=False))
        if rowcount(result) != 1:
            raise Conflict("本单位已接受该协议", field="agreement_id")
        db.refresh(agreement)
        audit.details = {"side": "provider" if is_provider else "consumer", "content_hash": agreement.content_hash}
        if agreement.fully_accepted:
            centers = db.execute(select(User.id).join(UserRole).where(UserRole.role == Role.CENTER.value,
                                                                     User.is_active.is_(True))).scalars()
            notify(db, user_ids=list(centers), kind="grant.activate",
                   message=f"协议 SA-{agreement.request_id:06d} 双方已接受，请开通访问权限",
                   link=f"/sharing/requests/{agreement.request_id}")
    return agreement


def view_agreement(db: Session, actor: Actor, *, agreement_id: int) -> UseAgreement:
    """An agreement as `actor` may see it (the policy's `agreement.view`: both units, reviewers, oversight)."""
    agreement = get_agreement(db, agreement_id=agreement_id)
    policy.require(actor, Action.AGREEMENT_VIEW, agreement)
    return agreement


def grant_of(db: Session, agreement: UseAgreement) -> Grant | None:
    return db.execute(select(Grant).where(Grant.agreement_id == agreement.id)).scalar_one_or_none()


def render_pdf(agreement: UseAgreement) -> bytes:
    """The agreement as PDF, with reportlab's built-in Chinese CID font (no font file needed)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    y = height - 60
    lines = agreement.text.splitlines() + [
        "",
        f"使用方确认：{agreement.consumer_accepted_by or '（未确认）'} {fmt(agreement.consumer_accepted_at)}",
        f"提供方确认：{agreement.provider_accepted_by or '（未确认）'} {fmt(agreement.provider_accepted_at)}",
        f"协议内容 SHA-256：{agreement.content_hash}",
    ]
    for index, line in enumerate(lines):
        size = 16 if index == 0 else 10
        for part in _wrap(line, 44 if size == 10 else 30):
            if y < 50:
                pdf.showPage()
                y = height - 60
            pdf.setFont("STSong-Light", size)
            pdf.drawString(50, y, part)
            y -= size + 8
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _wrap(line: str, width: int) -> list[str]:
    if not line:
        return [""]
    return [line[i:i + width] for i in range(0, len(line), width)]
