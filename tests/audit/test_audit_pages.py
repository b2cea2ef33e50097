from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from govdata import clock
from govdata.actor import Actor, Method, Role, platform_actor
from govdata.audit import chain
from govdata.audit.models import AuditEvent
from govdata.audit.service import AuditDraft, record
from govdata.orgs.models import Unit
from govdata.policy import Action
from tests.conftest import last_audit


def _unit_id(database, code):
    with database.read() as db:
        return db.execute(select(Unit.id).where(Unit.code == code)).scalar_one()


def _events(database, n, *, owner=None, resource="LY-TEST-001", outcome="ok", name="测试任务"):
    actor = platform_actor(Method.JOB, name=name)
    for i in range(n):
        with database.write() as db:
            record(db, actor, Action.JOBS_RUN, target_type="test", target_id=i, owner_unit_id=owner,
                   resource_code=resource, outcome=outcome)


def _cli(settings, *args):
    env = {"GOVDATA_HOME": str(settings.home), "GOVDATA_DATABASE_URL": settings.url, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "govdata.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("user,status", [("bureau", 200), ("security", 200), ("admin", 403),
                                         ("steward_gaj", 403), ("vendor", 403)])
def test_audit_page_roles(web, user, status):
    assert web(user).get("/audit").status_code == status


def test_audit_page_filters_and_keyset_paging(web, database):
    _events(database, 60, resource="LY-PAGE-001")
    _events(database, 3, resource="LY-OTHER-001", outcome="denied")
    bureau = web("bureau")
    first = bureau.get("/audit?resource_code=LY-PAGE-001")
    assert first.status_code == 200
    assert first.text.count('class="event"') == 50 and "LY-OTHER-001" not in first.text
    assert 'data-testid="pager"' in first.text and "共 60 条" in first.text and 'rel="next"' in first.text
    second = bureau.get("/audit?resource_code=LY-PAGE-001&page=2")
    assert second.text.count('class="event"') == 10 and 'rel="next"' not in second.text
    assert 'aria-current="page">2<' in second.text and "resource_code=LY-PAGE-001" in second.text
    first_seqs = set(re.findall(r'data-seq="(\d+)"', first.text))
    assert not first_seqs & set(re.findall(r'data-seq="(\d+)"', second.text))  # pages never overlap
    past_end = bureau.get("/audit?resource_code=LY-PAGE-001&page=99")  # the last page, not an empty one
    assert past_end.status_code == 200 and past_end.text.count('class="event"') == 10
    for bad_value in ("page=abc", "page=-3", "sort=prev_hash", "sort=-details"):
        odd = bureau.get(f"/audit?resource_code=LY-PAGE-001&{bad_value}")
        assert odd.status_code == 200 and odd.text.count('class="event"') in (50, 10)
    # the keyset links of the API and older bookmarks still work
    before = max(int(x) for x in first_seqs) - 49
    keyset = bureau.get(f"/audit?resource_code=LY-PAGE-001&before_seq={before}")
    assert keyset.text.count('class="event"') == 10 and 'data-testid="next"' not in keyset.text
    denied = bureau.get("/audit?outcome=denied&resource_code=LY-OTHER-001")
    assert denied.text.count('class="event"') == 3
    bad = bureau.get("/audit?since=2026-05-02&until=2026-05-01")
    assert bad.status_code == 422 and "不能早于" in bad.text


def test_audit_api_filters_by_unit_actor_and_time(client, token, database):
    gaj = _unit_id(database, "gaj")
    _events(database, 4, owner=gaj, name="公安任务")
    headers = token("security")
    body = client.get("/api/v1/audit/events", params={"unit_id": gaj, "actor": "公安任务"}, headers=headers).json()
    assert len(body["events"]) == 4 and all(e["owner_unit_id"] == gaj for e in body["events"])
    seqs = [e["seq"] for e in body["events"]]
    assert seqs == sorted(seqs, reverse=True)
    paged = client.get("/api/v1/audit/events", params={"actor": "公安任务", "limit": 3}, headers=headers).json()
    assert len(paged["events"]) == 3 and paged["next_before_seq"] == paged["events"][-1]["seq"]
    rest = client.get("/api/v1/audit/events", params={"actor": "公安任务", "before_seq": paged["next_before_seq"]},
                      headers=headers).json()
    assert len(rest["events"]) == 1 and rest["next_before_seq"] is None
    tomorrow = clock.today() + timedelta(days=1)
    future = client.get("/api/v1/audit/events", params={"since": str(tomorrow)}, headers=headers).json()
    assert future["events"] == []
    bad = client.get("/api/v1/audit/events", params={"outcome": "maybe"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "outcome"
    assert client.get("/api/v1/audit/events", headers=token("steward_gaj")).status_code == 403


def test_csv_export_streams_with_bom_and_is_audited(web, database):
    _events(database, 5, resource="LY-CSV-001")
    response = web("security").get("/audit/export.csv?resource_code=LY-CSV-001")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    code = rows[0].index("资源代码")
    assert rows[0][0] == "序号" and len(rows) == 6 and all(r[code] == "LY-CSV-001" for r in rows[1:])
    event = last_audit(database, action="audit.export")
    assert event is not None and event.actor_name == "security" and event.medium == "file"
    assert "LY-CSV-001" in event.details


def test_csv_export_names_units_people_actions_and_objects_in_beijing_time(web, database):
    """The export reads like the page: names, not codes (the codes follow as extra columns), times in 北京时间."""
    gaj, mz = _unit_id(database, "gaj"), _unit_id(database, "mz")
    person = Actor(kind="user", id=None, name="steward_mz", roles=frozenset({Role.STEWARD}), unit_id=mz,
                   method=Method.API)
    with database.write() as db:  # 17:30 UTC on 4 December is 01:30 on 5 December in Beijing
        record(db, person, Action.SHARE_LOOKUP, target_type="share_request", target_id=7, owner_unit_id=gaj,
               resource_code="LY-NAMES-001", approver="bureau", at=datetime(2026, 12, 4, 17, 30))
    response = web("security").get("/audit/export.csv?resource_code=LY-NAMES-001")
    header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    got = dict(zip(header, row, strict=True))
    assert "时间（北京时间）" in header and got["时间（北京时间）"] == "2026-12-05 01:30"
    assert got["操作者单位"] == "龙岩市民政局" and got["数据所属单位"] == "龙岩市公安局"
    assert got["操作"] == "共享调用" and got["结果"] == "成功" and got["方式"] == "接口"
    assert got["对象"] == "共享申请 #7" and got["操作者类型"] == "人员" and got["角色"] == "数据专管员"
    assert "steward_mz" not in got["操作者"] and "民政局" in got["操作者"] and "bureau" not in got["审批人"]
    assert got["操作代码"] == "share.lookup" and got["结果代码"] == "ok" and got["操作者单位ID"] == str(mz)
    assert got["对象类型"] == "share_request" and got["对象ID"] == "7" and got["操作者账号"] == "steward_mz"
    page = web("bureau").get("/audit?resource_code=LY-NAMES-001")
    assert '<a href="/sharing/requests/7" data-testid="target">共享申请 #7</a>' in page.text
    assert "share_request 7" not in page.text and "龙岩市民政局" in page.text and "01:30" in page.text


def test_csv_export_spans_many_batches(web, database, monkeypatch):
    from govdata.audit import search

    monkeypatch.setattr(search, "EXPORT_BATCH", 7)
    _events(database, 30, resource="LY-BATCH-001")
    response = web("bureau").get("/audit/export.csv?resource_code=LY-BATCH-001")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    seqs = [int(r[0]) for r in rows[1:]]
    assert len(seqs) == 30 and seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 30


def test_unit_feed_gives_own_events_ascending_with_cursor(client, token, database):
    gaj, mz = _unit_id(database, "gaj"), _unit_id(database, "mz")
    _events(database, 5, owner=gaj, name="公安事件")
    _events(database, 2, owner=mz, name="民政事件")
    headers = token("steward_gaj")
    first = client.get("/api/v1/audit/feed", params={"limit": 3}, headers=headers).json()
    assert len(first["events"]) == 3 and all(e["owner_unit_id"] == gaj for e in first["events"])
    seqs = [e["seq"] for e in first["events"]]
    assert seqs == sorted(seqs) and first["next_cursor"] == seqs[-1]
    everything: list[dict] = list(first["events"])
    cursor = first["next_cursor"]
    while True:
        more = client.get("/api/v1/audit/feed", params={"cursor": cursor}, headers=headers).json()
        if not more["events"]:
            assert more["next_cursor"] == cursor
            break
        everything += more["events"]
        cursor = more["next_cursor"]
    assert sum(1 for e in everything if e["actor_name"] == "公安事件") == 5
    assert not any(e["actor_name"] == "民政事件" for e in everything)
    pulled = last_audit(database, action="audit.feed")
    assert pulled is not None and pulled.target_id == str(gaj) and pulled.owner_unit_id is None
    # A steward may not read another unit's feed; the security office may.
    other = client.get("/api/v1/audit/feed", params={"unit_id": mz}, headers=headers)
    assert other.status_code == 403
    sec = client.get("/api/v1/audit/feed", params={"unit_id": mz}, headers=token("security")).json()
    assert {e["actor_name"] for e in sec["events"]} >= {"民政事件"}
    assert client.get("/api/v1/audit/feed", headers=token("bureau")).status_code == 403


def test_purge_refuses_inside_retention(settings, database):
    before = clock.today() - timedelta(days=10)
    done = _cli(settings, "audit", "purge", "--before", str(before))
    assert done.returncode == 2 and "180" in done.stderr
    bad_date = _cli(settings, "audit", "purge", "--before", "not-a-date")
    assert bad_date.returncode == 2


def test_purge_deletes_old_events_and_chain_still_verifies(settings, database):
    old = clock.now() - timedelta(days=400)
    actor = Actor(kind="user", id=None, name="老用户", roles=frozenset({Role.STEWARD}), method=Method.WEB)
    with database.write() as db:
        chain.append(db.connection(), [AuditDraft(actor=actor, action="auth.login", at=old).to_row()
                                       for _ in range(25)])
    _events(database, 5, resource="LY-KEEP-001")
    with database.read() as db:
        total = db.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    # The seeded demo events are recent, so only the 25 backdated ones (and anything before them) go.
    cutoff = clock.today() - timedelta(days=200)
    done = _cli(settings, "audit", "purge", "--before", str(cutoff))
    assert done.returncode == 0, done.stderr
    deleted = int(done.stdout.split()[0])
    assert deleted >= 25
    with database.read() as db:
        left = db.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        assert db.execute(select(func.count()).where(AuditEvent.at < old + timedelta(days=1))).scalar_one() == 0
    assert left == total - deleted + 1  # plus the purge's own event
    verify = _cli(settings, "audit", "verify")
    assert verify.returncode == 0, verify.stdout
    assert verify.stdout.splitlines()[0] == f"{left} events verified"


def test_every_action_has_a_name_and_the_log_shows_it(web, database):
    from govdata.policy import ACTION_LABELS

    assert set(ACTION_LABELS) == set(Action) and all(ACTION_LABELS.values())
    _events(database, 1)
    page = web("security").get("/audit").text
    assert f'<td title="jobs.run">{ACTION_LABELS[Action.JOBS_RUN]}</td>' in page  # the code only as a hint
    assert f">{ACTION_LABELS[Action.SHARE_LOOKUP]}</option>" in page  # the filter offers names alone
    assert "<td>定时任务 / 网络</td>" in page  # method and medium by name too
