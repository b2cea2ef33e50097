"""Sharing forms: a bad post re-renders the form with each message in Chinese beside its field, values kept."""

from __future__ import annotations

import re

from govdata.sharing.models import RequestStatus, ShareRequest
from tests.sharing.factories import later, make_entry, system_id
from tests.sharing.test_flow import AGREE, _apply

ENGLISH = re.compile(r"should|required|Field|Input|month|value_error")


def _beside(html: str, field: str, message: str) -> bool:
    return f'id="err-{field}" data-field-error="{field}">{message}</span>' in html


def _text(html: str) -> str:
    """What a person reads: the page's main part without its tags."""
    return re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1])


def _status(database, request_id: int) -> str:
    with database.read() as db:
        return db.get(ShareRequest, request_id).status


def test_opinion_of_spaces_and_no_choice_stays_on_the_form(web, database):
    code = make_entry(database, unit_code="gaj")
    request_id = _apply(web("steward_mz"), database, code, "mz")
    provider = web("steward_gaj")
    fresh = provider.get(f"/sharing/requests/{request_id}").text
    assert re.search(r'name="agree" value="(yes|no)"[^>]*checked', fresh) is None  # no decision preselected
    page = provider.post(f"/sharing/requests/{request_id}/opinion", {"version": 1, "opinion": "     "})
    assert page.status_code == 422 and "提供单位意见" in page.text  # the form again, not a bare error page
    assert _beside(page.text, "agree", "请选择同意或不同意共享")
    assert _beside(page.text, "opinion", "意见不能为空")
    assert 'aria-describedby="err-opinion"' in page.text and not ENGLISH.search(_text(page.text))
    refused = provider.post(f"/sharing/requests/{request_id}/opinion",
                            {"version": 1, "agree": "no", "opinion": "x"})
    assert refused.status_code == 422 and _beside(refused.text, "opinion", "意见不能少于 2 个字符")
    assert re.search(r'name="agree" value="no"[^>]*checked', refused.text)  # the choice is kept
    assert _status(database, request_id) == RequestStatus.PENDING_OPINION


def test_review_errors_sit_at_their_fields_and_keep_what_was_chosen(web, database, client, token):
    code = make_entry(database, unit_code="gaj")
    request_id = _apply(web("steward_mz"), database, code, "mz", fields=("zjhm", "xm", "dz"))
    client.post(f"/api/v1/share/requests/{request_id}/opinion", json=AGREE, headers=token("steward_gaj"))
    bureau = web("bureau")
    page = bureau.post(f"/sharing/requests/{request_id}/review", {
        "version": 2, "decision": "approve", "fields": ["xm"], "valid_until": "2026-13-01", "row_limit": "0",
        "note": "先看看"})
    assert page.status_code == 422 and "<h2>审核</h2>" in page.text
    assert _beside(page.text, "valid_until", "批准期限至（可短于申请）应为有效的日期（YYYY-MM-DD）") or \
        _beside(page.text, "valid_until", "批准期限至应为有效的日期（YYYY-MM-DD）")
    assert _beside(page.text, "row_limit", "每次调用最多返回记录数不能小于 1")
    assert 'value="xm" class="inline-check" checked' in page.text
    assert 'value="zjhm" class="inline-check" checked' not in page.text  # unticked stays unticked
    assert ">先看看</textarea>" in page.text and 'value="2026-13-01"' in page.text
    wider = bureau.post(f"/sharing/requests/{request_id}/review", {
        "version": 2, "decision": "approve", "fields": ["xm"], "valid_until": later(4000)})
    assert wider.status_code == 422 and 'id="err-valid_until"' in wider.text and "批准期限至" in wider.text
    undecided = bureau.post(f"/sharing/requests/{request_id}/review", {"version": 2, "note": "x"})
    assert undecided.status_code == 422 and _beside(undecided.text, "decision", "请选择批准或不予批准")
    assert _status(database, request_id) == RequestStatus.PENDING_REVIEW


def test_application_errors_all_at_once_beside_their_fields(web, database):
    code = make_entry(database, unit_code="gaj")
    page = web("steward_mz").post(f"/sharing/apply/{code}", {
        "fields": ["xm"], "duty": "   ", "legal_basis": "依据", "system_id": system_id(database, "mz"),
        "valid_until": "", "daily_volume": "0"})
    assert page.status_code == 422
    assert _beside(page.text, "duty", "履职需要不能为空") and _beside(page.text, "valid_until", "使用期限至不能为空")
    assert _beside(page.text, "daily_volume", "预计日调用量应大于 0")
    assert 'value="xm" class="inline-check" checked' in page.text and ">依据</textarea>" in page.text
    assert f'<option value="{system_id(database, "mz")}" selected>' in page.text


def test_suspending_without_a_reason_keeps_the_grant_list(web, database):
    from sqlalchemy import select

    from govdata.sharing.models import Grant
    with database.read() as db:
        grant = db.execute(select(Grant).limit(1)).scalar_one_or_none()
    assert grant is not None  # the demo seeds grants
    page = web("bureau").post(f"/sharing/grants/{grant.id}/suspend", {"reason": "  "})
    assert page.status_code == 422 and "访问权限" in page.text
    assert f'id="err-reason-{grant.id}"' in page.text and "理由不能为空" in page.text
