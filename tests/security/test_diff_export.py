"""A comparison run's differences downloaded as a file (比对差异明细) are an export like any other (第二十一条): when
the file would hold L4 values in clear for the downloader, it is made only with another person's approval of that
download, asked for and decided on the export-approvals page and API, used up by the one file, all audited; the
downloader's own unit decides. Files without L4 values in clear (masked, or no L4 field) are unchanged."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

from sqlalchemy import select, update

from govdata.catalog.models import Field
from govdata.security.grading_models import ExportApproval
from govdata.sharing.models import Grant
from govdata.storage.engines import Database
from tests.conftest import last_audit
from tests.quality.factories import grant_fields, idcard, insert_rows, make_entry
from tests.security.helpers import unit_id

APPROVALS = "/api/v1/security/export-approvals"


def _levels(database: Database, entry: Any, **levels: str) -> None:
    with database.write() as db:
        for name, level in levels.items():
            db.execute(update(Field).where(Field.entry_id == entry.id, Field.name == name)
                       .values(security_level=level, masking_rule="id_card" if name == "sfzh" else "clear"))


def _run(client: Any, token: Any, database: Database, *, sfzh_level: str = "L4") -> tuple[int, list[str]]:
    """公安局 compares its 户籍人口 with 民政局's 民政对象 (granted 身份号码 and 姓名, masked); the run's id and the
    identity numbers only on the left (公安局's own, in clear for it)."""
    left = make_entry(database, unit="gaj", name="户籍人口")
    right = make_entry(database, unit="mz", name="民政对象")
    _levels(database, left, sfzh=sfzh_level, xm="L1")
    _levels(database, right, sfzh=sfzh_level, xm="L1")
    people = [{"sfzh": idcard(date(1980, 1, 1 + i), i), "xm": f"人{i}", "xb": "1", "nl": 40} for i in range(6)]
    insert_rows(database, left, people)
    insert_rows(database, right, [{**p, "xm": "改名"} if i == 4 else p for i, p in enumerate(people[2:], 2)])
    grant_fields(database, right, "gaj", ["sfzh", "xm"])
    headers = token("steward_gaj")
    made = client.post("/api/v1/quality/comparisons", headers=headers, json={
        "name": "户籍与民政", "left_code": left.code, "right_code": right.code, "key_pairs": [["sfzh", "sfzh"]],
        "field_pairs": [["xm", "xm"]]})
    assert made.status_code == 201, made.text
    run = client.post(f"/api/v1/quality/comparisons/{made.json()['id']}/run", headers=headers)
    assert run.status_code == 201 and (run.json()["only_left"], run.json()["matched"]) == (2, 4), run.text
    return run.json()["id"], [p["sfzh"] for p in people[:2]]


def _csv(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]


def _ask(client: Any, headers: dict[str, str], run_id: int, purpose: str = "核对户籍与民政对象差异") -> Any:
    return client.post(APPROVALS, headers=headers,
                       json={"kind": "comparison_diffs", "target_id": run_id, "purpose": purpose})


def test_an_l4_diff_download_waits_for_a_second_person(client, token, database):
    run_id, only_left = _run(client, token, database)
    steward, head = token("steward_gaj"), token("head_gaj")
    download = f"/api/v1/quality/comparison-runs/{run_id}/diffs.csv"
    refused = client.get(download, headers=steward)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "export_approval_required" and error["field"] == "fields"
    assert "公民身份号码" in error["message"]
    assert f"/security/exports?kind=comparison_diffs&target_id={run_id}" in error["message"]
    assert only_left[0] not in refused.text
    refusal = last_audit(database, action="resource.read")
    assert refusal is not None and refusal.outcome == "refused" and refusal.actor_name == "steward_gaj"

    bad = [({"kind": "comparison_diffs", "target_id": 99999999, "purpose": "核对差异"}, 404, "target_id"),
           ({"kind": "comparison_diffs", "target_id": run_id, "purpose": "看"}, 422, "purpose"),
           ({"kind": "comparison_diff", "target_id": run_id, "purpose": "核对差异"}, 422, "kind")]
    for body, status, field in bad:
        r = client.post(APPROVALS, json=body, headers=steward)
        assert (r.status_code, r.json()["error"]["field"]) == (status, field), (body, r.text)
    assert _ask(client, token("steward_rsj"), run_id).status_code == 403  # may not see this comparison at all

    asked = _ask(client, steward, run_id)
    assert asked.status_code == 201, asked.text
    approval = asked.json()
    assert approval["status"] == "pending" and approval["field_names"] == ["sfzh"]
    assert approval["unit_id"] == unit_id(database, "gaj") and approval["kind"] == "comparison_diffs"
    event = last_audit(database, action="export.request")
    assert event is not None and json.loads(event.details)["kind"] == "comparison_diffs"
    assert _ask(client, steward, run_id).status_code == 409  # one request at a time
    decision = f"{APPROVALS}/{approval['id']}/decision"
    self_approval = client.post(decision, json={"approve": True}, headers=steward)
    assert self_approval.status_code == 403 and "第二人" in self_approval.json()["error"]["message"]
    other_unit = client.post(decision, json={"approve": True}, headers=token("head_mz"))
    assert other_unit.status_code == 403  # the downloader's unit decides
    assert client.get(download, headers=steward).status_code == 403  # still pending
    approved = client.post(decision, json={"approve": True, "note": "同意导出核对"}, headers=head)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    assert client.get(download, headers=head).status_code == 403  # the approval is the requester's alone
    file = client.get(download, headers=steward)
    assert file.status_code == 200
    rows = _csv(file)
    assert sorted(r[1] for r in rows if r[0] == "仅左侧") == sorted(only_left)  # 公安局's own numbers, in clear
    with database.read() as db:
        used = db.get(ExportApproval, approval["id"])
        assert used is not None and used.status == "used" and used.used_at is not None
    view = last_audit(database, action="comparison.view")
    assert view is not None and '"download"' in view.details
    assert client.get(download, headers=steward).status_code == 403  # one approval, one file
    assert _ask(client, steward, run_id).status_code == 201  # and the next file, a new approval


def test_the_other_side_asks_its_own_unit(client, token, database):
    """民政局 sees its own numbers in clear in the same run: its download waits for a 民政局 person."""
    run_id, _ = _run(client, token, database)
    steward_mz = token("steward_mz")
    download = f"/api/v1/quality/comparison-runs/{run_id}/diffs.csv"
    assert client.get(download, headers=steward_mz).status_code == 403
    asked = _ask(client, steward_mz, run_id)
    assert asked.status_code == 201, asked.text
    assert asked.json()["unit_id"] == unit_id(database, "mz")
    decision = f"{APPROVALS}/{asked.json()['id']}/decision"
    assert client.post(decision, json={"approve": True}, headers=token("head_gaj")).status_code == 403
    assert client.post(decision, json={"approve": True, "note": "同意"}, headers=token("head_mz")).status_code == 200
    assert client.get(download, headers=steward_mz).status_code == 200


def test_l4_granted_in_clear_counts_too(client, token, database):
    """公安局's own side has no L4 field; 民政局's 身份号码 (L4) reaches it in clear through the grant."""
    left = make_entry(database, unit="gaj", name="户籍人口")
    right = make_entry(database, unit="mz", name="民政对象")
    _levels(database, left, sfzh="L1", xm="L1")
    _levels(database, right, sfzh="L4", xm="L1")
    insert_rows(database, left, [{"sfzh": idcard(date(1980, 1, 1), 1), "xm": "甲"}])
    insert_rows(database, right, [{"sfzh": idcard(date(1980, 1, 2), 2), "xm": "乙"}])
    grant_fields(database, right, "gaj", ["sfzh", "xm"])
    headers = token("steward_gaj")
    made = client.post("/api/v1/quality/comparisons", headers=headers, json={
        "name": "x", "left_code": left.code, "right_code": right.code, "key_pairs": [["sfzh", "sfzh"]]})
    run_id = client.post(f"/api/v1/quality/comparisons/{made.json()['id']}/run", headers=headers).json()["id"]
    download = f"/api/v1/quality/comparison-runs/{run_id}/diffs.csv"
    assert client.get(download, headers=headers).status_code == 200  # masked: nothing to approve
    with database.write() as db:
        db.execute(update(Grant).where(Grant.entry_id == right.id).values(clear_fields="sfzh"))
    refused = client.get(download, headers=headers)
    assert refused.status_code == 403 and "公民身份号码" in refused.json()["error"]["message"]


def test_without_l4_in_clear_nothing_changes(client, token, database):
    run_id, only_left = _run(client, token, database, sfzh_level="L3")
    steward = token("steward_gaj")
    file = client.get(f"/api/v1/quality/comparison-runs/{run_id}/diffs.csv", headers=steward)
    assert file.status_code == 200 and sorted(r[1] for r in _csv(file) if r[0] == "仅左侧") == sorted(only_left)
    r = _ask(client, steward, run_id)
    assert r.status_code == 422 and r.json()["error"]["field"] == "target_id"
    run_l4, numbers = _run(client, token, database)  # the bureau sees every side masked: no L4 in clear for it
    bureau = client.get(f"/api/v1/quality/comparison-runs/{run_l4}/diffs.csv", headers=token("bureau"))
    assert bureau.status_code == 200 and len(_csv(bureau)) == 3
    assert numbers[0] not in bureau.text and numbers[0][:6] in bureau.text  # masked, not approved
    with database.read() as db:
        assert db.execute(select(ExportApproval)).first() is None


def test_the_pages_walk_the_same_flow(web, client, token, database):
    run_id, only_left = _run(client, token, database)
    steward, head = web("steward_gaj"), web("head_gaj")
    blocked = steward.get(f"/quality/comparison-runs/{run_id}/download.csv")
    assert blocked.status_code == 403 and "公民身份号码" in blocked.text
    link = f"/security/exports?kind=comparison_diffs&amp;target_id={run_id}"
    assert link in blocked.text
    form = steward.get(link.replace("&amp;", "&")).text
    assert '<option value="comparison_diffs" selected>比对结果差异明细</option>' in form
    assert f'name="target_id" value="{run_id}"' in form
    asked = steward.post("/security/exports", {"kind": "comparison_diffs", "target_id": str(run_id),
                                               "purpose": "核对户籍与民政对象差异"})
    assert asked.status_code == 303, asked.text
    with database.read() as db:
        approval_id = db.execute(select(ExportApproval.id)).scalars().all()[-1]
    page = steward.get("/security/exports").text
    assert "比对结果差异明细 #" in page and "待审批" in page and "/decision" not in page
    assert f"/security/exports#approval-{approval_id}" in head.get("/").text  # in the other person's to-do
    done = head.post(f"/security/exports/{approval_id}/decision", {"approve": "yes", "note": "同意"})
    assert done.status_code == 303
    page = steward.get("/security/exports").text
    assert f'href="/quality/comparison-runs/{run_id}/download.csv">导出文件</a>' in page
    file = steward.get(f"/quality/comparison-runs/{run_id}/download.csv")
    assert file.status_code == 200 and only_left[0] in file.content.decode("utf-8-sig")
    assert steward.get(f"/quality/comparison-runs/{run_id}/download.csv").status_code == 403
