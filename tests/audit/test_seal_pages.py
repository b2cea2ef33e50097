"""The seals page: the center seals and exports, security verifies and exports, nobody else sees it."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select, text

from govdata.audit.models import AuditSeal
from govdata.audit.schemas import SealFile
from tests.audit.test_seals import _rehash_from
from tests.conftest import last_audit


@pytest.mark.parametrize("user,status", [("admin", 200), ("security", 200), ("bureau", 403),
                                         ("steward_gaj", 403), ("vendor", 403)])
def test_seals_page_roles(web, user, status):
    assert web(user).get("/audit/seals").status_code == status


def _flash(response):
    assert response.status_code == 303, response.text
    return unquote(response.headers["location"].split("msg=", 1)[1])


def test_center_seals_from_the_page_and_security_verifies(web, database):
    admin = web("admin")
    page = admin.get("/audit/seals").text
    assert "尚无封印" in page and "尚未生成（首次封印时生成）" in page and "尚无校验记录" in page
    made = _flash(admin.post("/audit/seals"))
    event = last_audit(database, action="audit.seal")
    assert made == f"已封印至序号 {event.seq}" and event.actor_name == "admin"
    assert _flash(admin.post("/audit/seals")) == "没有新的审计事件，未封印"
    page = admin.get("/audit/seals").text
    assert f'<tr class="seal" data-seq="{event.seq}">' in page and "<td>封印</td>" in page
    assert "尚未生成" not in page

    security = web("security")
    shown = security.get("/audit/seals").text
    assert 'action="/audit/seals/verify"' in shown and 'action="/audit/seals"' not in shown  # no seal button
    assert security.post("/audit/seals").status_code == 403
    done = _flash(security.post("/audit/seals/verify"))
    assert done.startswith("已校验 ") and "封印核对通过（数据库）：1 个封印与审计链相符" in done
    verified = last_audit(database, action="audit.verify")
    assert (verified.actor_name, verified.outcome) == ("security", "ok")
    assert 'data-testid="verify-result">通过<' in security.get("/audit/seals").text


def test_page_verification_names_a_rewrite(web, database):
    admin = web("admin")
    admin.post("/audit/seals")
    sealed = last_audit(database, action="audit.seal").seq
    with database.write() as db:
        db.execute(text("UPDATE audit_events SET actor_name = 'mallory' WHERE seq = :s"), {"s": sealed - 1})
    _rehash_from(database, sealed - 1)
    done = _flash(web("security").post("/audit/seals/verify"))
    assert done.startswith(f"校验未通过：审计链被改写：序号 {sealed} 的哈希与数据库中 ")
    page = web("security").get("/audit/seals").text
    assert 'data-testid="verify-result">未通过<' in page and f"序号 {sealed} 的哈希与数据库中" in page
    assert last_audit(database, action="audit.verify").outcome == "error"


@pytest.mark.parametrize("user", ["admin", "security"])
def test_seals_download_is_recorded(web, database, user):
    web("admin").post("/audit/seals")
    response = web(user).get("/audit/seals/export.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"].startswith('attachment; filename="audit-seals-')
    exported = SealFile.model_validate(json.loads(response.content))
    with database.read() as db:
        assert len(exported.seals) == db.execute(select(func.count()).select_from(AuditSeal)).scalar_one() == 1
    event = last_audit(database, action="audit.seal_export")
    assert (event.actor_name, event.row_count, event.medium) == (user, 1, "file")


def test_seals_download_refused_to_others(web):
    assert web("bureau").get("/audit/seals/export.json").status_code == 403
    assert web("steward_gaj").post("/audit/seals/verify").status_code == 403
