"""Log push (第二十四条): a unit's audit events reach it once each, signed, through failures, retries and a crash
between delivery and acknowledgement; bad settings are refused naming their field.

A real HTTP receiver runs on 127.0.0.1 in a thread; folder delivery writes into a real temporary folder.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from govdata import clock
from govdata.actor import Method, platform_actor
from govdata.audit.models import AuditEvent
from govdata.audit.sealkey import load_or_create
from govdata.auth.service import actor_for_user, find_user_by_name
from govdata.config import Settings
from govdata.jobs.runner import run_due
from govdata.orgs.models import Unit
from govdata.security import logpush
from govdata.security.logpush_bundle import verify
from govdata.security.logpush_models import LogPushDelivery, LogPushTarget
from govdata.security.logpush_pages import logpush_panel
from govdata.security.logpush_send import deliver
from tests.conftest import last_audit

API = "/api/v1/security/logpush"
START = datetime(2026, 12, 7, 2, 0)  # 10:00 in Beijing, a Monday


@pytest.fixture
def settings(database: Any, tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database.url, demo=True, run_jobs_in_server=False,
                    secret_key="test-secret", logpush_allow_http_loopback=True, logpush_timeout_seconds=0.5,
                    logpush_batch_events=5)


@pytest.fixture
def frozen() -> Iterator[None]:
    with clock.pinned(START, frozen=True):
        yield


class Receiver:
    """A unit's endpoint: answers `fail_first` requests with 500 (or sleeps `hang` seconds), then 200 with the
    manifest's sha256 echoed; keeps every body it was sent."""

    def __init__(self, fail_first: int = 0, hang: float = 0.0) -> None:
        self.fail_first, self.hang = fail_first, hang
        self.bodies: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append((dict(self.headers), body))
                if receiver.hang:
                    time.sleep(receiver.hang)
                if len(receiver.bodies) <= receiver.fail_first:
                    self.send_response(500)
                    self.end_headers()
                    return
                manifest = json.loads(body)["manifest"].encode()
                answer = json.dumps({"sha256": hashlib.sha256(manifest).hexdigest()}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/audit-inbox"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _unit(database: Any, code: str = "gaj") -> Unit:
    with database.read() as db:
        return db.execute(select(Unit).where(Unit.code == code)).scalar_one()


def _owned_seqs(database: Any, unit_id: int, upto: int) -> list[int]:
    with database.read() as db:
        return list(db.execute(select(AuditEvent.seq).where(AuditEvent.owner_unit_id == unit_id,
                                                            AuditEvent.seq <= upto).order_by(AuditEvent.seq))
                    .scalars())


def _target(database: Any, unit_id: int) -> LogPushTarget:
    with database.read() as db:
        found = logpush.find_target(db, unit_id=unit_id)
        assert found is not None
        return found


def _push(database: Any, settings: Settings) -> list[logpush.PushResult]:
    return logpush.push_due(database, settings, platform_actor(Method.JOB), key=load_or_create(settings.home_dir))


def test_settings_by_api_and_every_bad_input_named(client, token, database):
    unit = _unit(database)
    security = token("security")
    cases = [
        ({"unit_id": 999999, "kind": "https", "destination": "https://gaj.example/inbox"}, 422, "unit_id"),
        ({"unit_id": unit.id, "kind": "https", "destination": "not a url"}, 422, "destination"),
        ({"unit_id": unit.id, "kind": "https", "destination": "http://gaj.example/inbox"}, 422, "destination"),
        ({"unit_id": unit.id, "kind": "https", "destination": "https://u:p@gaj.example/"}, 422, "destination"),
        ({"unit_id": unit.id, "kind": "folder", "destination": "relative/dir"}, 422, "destination"),
        ({"unit_id": unit.id, "kind": "ftp", "destination": "ftp://gaj.example/"}, 422, "kind"),
        ({"unit_id": unit.id, "kind": "https", "destination": "https://gaj.example/", "schedule": "weekly"}, 422,
         "schedule"),
        ({"unit_id": 0, "kind": "https", "destination": "https://gaj.example/"}, 422, "unit_id"),
    ]
    for body, status, field in cases:
        answer = client.post(f"{API}/targets", json=body, headers=security)
        assert (answer.status_code, answer.json()["error"]["field"]) == (status, field), (body, answer.text)
    with database.read() as db:
        assert db.execute(select(LogPushTarget)).first() is None  # nothing half-written

    steward = token("steward_gaj")
    refused = client.post(f"{API}/targets", headers=steward,
                          json={"unit_id": unit.id, "kind": "https", "destination": "https://gaj.example/"})
    assert refused.status_code == 403

    made = client.post(f"{API}/targets", headers=security,
                       json={"unit_id": unit.id, "kind": "https", "destination": "https://gaj.example/inbox"})
    assert made.status_code == 200, made.text
    assert made.json() | {"waiting_events": 0} == made.json() | {
        "unit_id": unit.id, "unit_name": unit.name, "kind": "https", "destination": "https://gaj.example/inbox",
        "schedule": "hourly", "enabled": True, "delivered_seq": 0, "failures": 0, "last_error": "",
        "waiting_events": 0}
    assert made.json()["waiting_events"] > 0  # the unit's history waits
    event = last_audit(database, action="logpush.manage")
    assert event is not None and event.actor_name == "security" and event.owner_unit_id == unit.id
    assert json.loads(event.details)["after"]["destination"] == "https://gaj.example/inbox"

    # a unit sees its own push, not another's; the center and security see every unit's
    assert client.get(f"{API}/units/{unit.id}", headers=steward).status_code == 200
    other = _unit(database, "mz")
    assert client.get(f"{API}/units/{other.id}", headers=steward).status_code == 403
    assert [t["unit_id"] for t in client.get(f"{API}/targets", headers=steward).json()] == [unit.id]
    assert len(client.get(f"{API}/targets", headers=security).json()) == 1


def test_plain_http_only_to_loopback_and_only_when_allowed(database, tmp_path):
    strict = Settings(home=tmp_path, database_url=database.url)
    loose = Settings(home=tmp_path, database_url=database.url, logpush_allow_http_loopback=True,
                     logpush_folder_root=tmp_path / "exchange")
    https = logpush.DestinationKind.HTTPS
    assert logpush.destination_problem(strict, https, "http://127.0.0.1:9/x") is not None
    assert logpush.destination_problem(loose, https, "http://127.0.0.1:9/x") is None
    assert logpush.destination_problem(loose, https, "http://10.0.0.8/x") is not None
    assert logpush.destination_problem(strict, https, "https://gaj.example/x") is None
    folder = logpush.DestinationKind.FOLDER
    assert logpush.destination_problem(loose, folder, str(tmp_path / "exchange" / "gaj")) is None
    assert logpush.destination_problem(loose, folder, str(tmp_path / "exchange" / ".." / "etc")) is not None


def test_https_endpoint_fails_then_accepts_each_event_once_signed(client, token, database, settings, frozen):
    unit = _unit(database)
    receiver = Receiver(fail_first=2)
    security, head = token("security"), token("head_gaj")  # signing in is itself an event: before the push
    try:
        made = client.post(f"{API}/targets", headers=security,
                           json={"unit_id": unit.id, "kind": "https", "destination": receiver.url})
        assert made.status_code == 200, made.text

        [first] = _push(database, settings)
        assert first.batches == 0 and "HTTP 500" in first.error
        target = _target(database, unit.id)
        assert (target.failures, target.delivered_seq) == (1, 0)
        assert target.next_attempt_at == START + timedelta(minutes=1)
        assert "HTTP 500" in target.last_error
        failed = last_audit(database, action="logpush.deliver")
        assert failed is not None and failed.outcome == "error" and failed.owner_unit_id is None

        assert _push(database, settings) == [] and len(receiver.bodies) == 1  # not due before its backoff
        clock.advance(timedelta(minutes=1))
        [second] = _push(database, settings)
        assert second.error and _target(database, unit.id).next_attempt_at == clock.now() + timedelta(minutes=2)
        clock.advance(timedelta(minutes=2))
        while _push(database, settings):  # batches of 5: one round sends them all
            pass
        target = _target(database, unit.id)
        assert (target.failures, target.last_error) == (0, "")
        assert target.next_attempt_at == clock.now() + timedelta(hours=1)

        # the failed batch was sent again with the same bytes (the receiver can tell a retry by its key)
        assert receiver.bodies[0][1] == receiver.bodies[1][1] == receiver.bodies[2][1]
        assert receiver.bodies[0][0]["Idempotency-Key"] == receiver.bodies[2][0]["Idempotency-Key"]
        accepted = receiver.bodies[2:]
        key = load_or_create(settings.home_dir).public
        seqs: list[int] = []
        for _headers, raw in accepted:
            body = json.loads(raw)
            files = {f["name"]: f["content"].encode() for f in body["files"]}
            assert verify(body["manifest"].encode(), body["signature"], files, key) == []
            for content in files.values():
                lines = [json.loads(line) for line in content.splitlines()]
                seqs += [line["seq"] for line in lines]
        assert seqs == _owned_seqs(database, unit.id, target.delivered_seq)  # each once, in order, none skipped
        assert len(accepted) == -(-len(seqs) // 5) > 2

        body = json.loads(accepted[0][1])
        line = json.loads(body["files"][0]["content"].splitlines()[0])
        assert line["owner_unit_name"] == unit.name and line["at"].endswith("+08:00")
        assert line["action_name"] and line["outcome_name"]
        # a tampered line fails; so does a manifest rewritten to match it (its signature no longer holds)
        name, content = body["files"][0]["name"], body["files"][0]["content"]
        tampered = {name: content.replace(unit.name, "某单位", 1).encode()}
        assert "SHA-256" in verify(body["manifest"].encode(), body["signature"], tampered, key)[0]
        forged = body["manifest"].replace(hashlib.sha256(content.encode()).hexdigest(),
                                          hashlib.sha256(tampered[name]).hexdigest())
        assert "签名无效" in verify(forged.encode(), body["signature"], tampered, key)[0]

        # the unit's view over the API: delivered batches, nothing waiting, the key to verify with
        state = client.get(f"{API}/units/{unit.id}", headers=head).json()
        assert state["waiting_events"] == 0 and state["public_key"] == key.hex
        assert [d["status"] for d in state["deliveries"]] == ["delivered"] * len(accepted)
        assert state["deliveries"][-1]["attempts"] == 3

        # a new event concerning the unit goes in the next batch, after the last delivered seq
        client.post(f"{API}/targets", headers=security,
                    json={"unit_id": unit.id, "kind": "https", "destination": receiver.url, "schedule": "daily"})
        [after] = _push(database, settings)
        assert after.batches == 1 and after.events == 1
        new = json.loads(json.loads(receiver.bodies[-1][1])["files"][0]["content"])
        assert new["seq"] > target.delivered_seq and new["action"] == "logpush.manage"
    finally:
        receiver.close()


def test_folder_delivery_survives_a_crash_before_acknowledgement(client, token, database, settings, frozen,
                                                                 tmp_path):
    unit = _unit(database)
    folder = tmp_path / "exchange"
    folder.mkdir()
    admin = token("admin")
    made = client.post(f"{API}/targets", headers=admin,
                       json={"unit_id": unit.id, "kind": "folder", "destination": str(folder)})
    assert made.status_code == 200, made.text
    actor, key = platform_actor(Method.JOB), load_or_create(settings.home_dir)
    target_id = _target(database, unit.id).id

    # the job makes a batch and writes it, then dies before acknowledging
    with database.write() as db:
        delivery_id = logpush.prepare(db, actor, settings, target_id=target_id, key=key)
    assert delivery_id is not None
    with database.write() as db:  # a second run meanwhile makes no other batch: it would send this one
        assert logpush.prepare(db, actor, settings, target_id=target_id, key=key) == delivery_id
    with database.read() as db:
        delivery = db.get(LogPushDelivery, delivery_id)
        assert delivery is not None
        deliver(logpush.parcel_of(delivery), timeout=1)
    assert _target(database, unit.id).delivered_seq == 0

    while _push(database, settings):  # the next runs send that batch again, then the rest
        pass
    target = _target(database, unit.id)
    files = sorted(p.name for p in folder.iterdir())
    assert not [n for n in files if n.startswith(".")]  # no temporary file left behind
    lines_files = [n for n in files if n.endswith(".jsonl")]
    assert len(lines_files) == target.batches and lines_files[0].endswith("-000001.jsonl")
    seqs = []
    for name in lines_files:
        manifest = (folder / name.replace(".jsonl", ".manifest.json")).read_bytes()
        signature = (folder / name.replace(".jsonl", ".manifest.sig")).read_text()
        assert verify(manifest, signature, {name: (folder / name).read_bytes()}, key.public) == []
        seqs += [json.loads(line)["seq"] for line in (folder / name).read_text().splitlines()]
    assert seqs == _owned_seqs(database, unit.id, target.delivered_seq) and len(set(seqs)) == len(seqs)

    # the job run again, even long after: nothing new, nothing written twice
    clock.advance(timedelta(days=2))
    [outcome] = run_due(database, settings, names=["security.logpush"])
    assert outcome.status == "ok" and "1 个单位到期" in outcome.summary
    assert sorted(p.name for p in folder.iterdir()) == files

    # a folder that has gone away is an error in Chinese and a retry, never a skipped batch
    folder.rename(tmp_path / "gone")
    again = client.post(f"{API}/targets", headers=token("admin"),  # two days on: a fresh token
                        json={"unit_id": unit.id, "kind": "folder", "destination": str(folder)})
    assert again.status_code == 200, again.text
    [result] = _push(database, settings)
    assert "不存在" in result.error and _target(database, unit.id).failures == 1
    with database.read() as db:
        security = actor_for_user(find_user_by_name(db, username="security"))  # type: ignore[arg-type]
        panel = logpush_panel(db, security)
    assert panel is not None and panel.level == "bad" and panel.lines[0][0] == unit.name


def test_a_hanging_endpoint_costs_one_timeout(client, token, database, settings, frozen):
    unit = _unit(database)
    receiver = Receiver(hang=6)
    try:
        client.post(f"{API}/targets", headers=token("security"),
                    json={"unit_id": unit.id, "kind": "https", "destination": receiver.url})
        started = time.monotonic()
        [result] = _push(database, settings)
        assert time.monotonic() - started < 4.5  # one 0.5 s timeout, not the 6 s the endpoint hangs
        assert "超时" in result.error and _target(database, unit.id).delivered_seq == 0
    finally:
        receiver.close()


def test_pages_unit_view_and_settings_form(web, database):
    unit, other = _unit(database), _unit(database, "mz")
    security = web("security")
    assert unit.name in security.get("/security/logpush").text
    bad = security.post(f"/security/logpush/{unit.id}", {"kind": "https", "destination": "http://gaj.example/",
                                                         "schedule": "hourly", "enabled": "on"})
    assert bad.status_code == 422 and 'data-field-error="destination"' in bad.text and "https://" in bad.text
    saved = security.post(f"/security/logpush/{unit.id}", {"kind": "folder", "destination": "/srv/exchange/gaj",
                                                           "schedule": "daily", "enabled": "on"})
    assert saved.status_code == 303 and saved.headers["location"].startswith(f"/security/logpush/{unit.id}")

    steward = web("steward_gaj")
    page = steward.get(f"/security/logpush/{unit.id}")
    assert page.status_code == 200 and "/srv/exchange/gaj" in page.text and 'data-testid="waiting"' in page.text
    assert 'name="destination"' not in page.text  # a unit sees its push; it does not set it
    assert steward.get(f"/security/logpush/{other.id}").status_code == 403
    assert steward.post(f"/security/logpush/{unit.id}", {"kind": "folder", "destination": "/tmp/x",
                                                         "schedule": "daily"}).status_code == 403
