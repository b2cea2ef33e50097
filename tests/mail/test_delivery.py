"""Delivery against real servers on 127.0.0.1: one that refuses (4xx, 5xx), one that hangs, then one that works —
the message stays queued with its error in Chinese, waits out its backoff, and arrives exactly once. Delivery never
happens inside a request."""

from __future__ import annotations

import time
from datetime import timedelta

from govdata import clock
from govdata.mail.outbox import backoff, deliver_due
from tests.conftest import last_audit
from tests.mail.helpers import JOB, address, at, next_day, outbox, request_due, with_smtp
from tests.mail.servers import hanging_server, smtp_server
from tests.mail.test_reminders import _run


def _queue_one(web, database, settings, port, day):
    request_due(web, database, day)
    _run(database, with_smtp(settings, port), "mail.reminders")
    steward = address(database, "steward_gaj")
    [message] = outbox(database, steward)
    return steward, message.id


def _message(database, message_id):
    return next(m for m in outbox(database) if m.id == message_id)


def test_refused_then_hanging_then_working_server_delivers_exactly_once(web, database, settings):
    day = next_day(database, working=True)
    with clock.pinned(at(day, 9), frozen=True):
        with smtp_server(refuse="451 4.7.1 Greylisted, try again later") as (port, refusing):
            steward, mid = _queue_one(web, database, settings, port, day)
            run = deliver_due(database, with_smtp(settings, port), JOB)
        assert run.sent == 0 and run.failed >= 1 and refusing.messages == []
        first = _message(database, mid)
        assert first.status == "queued" and first.attempts == 1
        assert first.last_error.startswith("邮件服务器暂时拒收，稍后重试（451）")
        assert first.next_attempt_at == clock.now() + backoff(1)
        failed = last_audit(database, action="mail.deliver", target_id=str(mid))
        assert failed is not None and failed.outcome == "error"

        # Not tried again before its backoff has passed, whatever the server.
        with smtp_server() as (port, inbox):
            deliver_due(database, with_smtp(settings, port), JOB)
            assert inbox.to(steward) == [] and _message(database, mid).attempts == 1

    with clock.pinned(at(day, 9, 2), frozen=True):
        with smtp_server(refuse="554 5.7.1 Message rejected") as (port, _):
            deliver_due(database, with_smtp(settings, port), JOB)
        second = _message(database, mid)
        assert second.attempts == 2 and second.last_error.startswith("邮件服务器拒收（554）")
        assert second.next_attempt_at == clock.now() + backoff(2) == clock.now() + timedelta(minutes=2)

    with clock.pinned(at(day, 9, 5), frozen=True), hanging_server() as (port, held):
        before = {m.id: m.attempts for m in outbox(database)}
        assert len(before) > 1  # every demo person with work has a digest waiting
        started = time.monotonic()
        run = deliver_due(database, with_smtp(settings, port), JOB)
        took = time.monotonic() - started
        assert run.stopped and run.sent == 0 and run.failed == 1  # the server failed: the run ends at once
        assert held and took < 10  # one timeout (1 s), not one per message
        tried = [m for m in outbox(database) if m.attempts != before[m.id]]
        assert len(tried) == 1 and tried[0].status == "queued" and tried[0].last_error == (
            f"邮件服务器 127.0.0.1:{port} 在 1 秒内没有响应（超时）")

    with clock.pinned(at(day, 9, 30), frozen=True), smtp_server() as (port, inbox):
        mailing = with_smtp(settings, port)
        _run(database, mailing, "mail.deliver")
        _run(database, mailing, "mail.deliver", "mail.reminders", "mail.deliver")
        assert len(inbox.to(steward)) == 1  # delivered, exactly once
        done = _message(database, mid)
        assert done.status == "sent" and done.attempts in (3, 4) and done.sent_at is not None
        assert all(m.status == "sent" for m in outbox(database))  # nothing else was left behind or lost


def test_no_connection_is_reported_and_nothing_is_lost(web, database, settings):
    day = next_day(database, working=True)
    with clock.pinned(at(day, 9), frozen=True):
        with smtp_server() as (port, _):
            pass  # the port is free again: nobody listens
        _queue_one(web, database, settings, port, day)
        run = deliver_due(database, with_smtp(settings, port), JOB)
        assert run.stopped and run.failed == 1
        first, *rest = outbox(database)
        assert first.status == "queued" and first.attempts == 1
        assert first.last_error == f"无法连接邮件服务器 127.0.0.1:{port}（连接被拒绝）"
        assert rest and all(m.status == "queued" and m.attempts == 0 for m in rest)  # left for the next run


def test_a_request_never_delivers_even_when_the_server_hangs(web, database, settings, app):
    """Pages only queue (the reminders job) or read; nothing in a request talks to the SMTP server."""
    day = next_day(database, working=True)
    with clock.pinned(at(day, 9)), hanging_server() as (port, held):
        app.state.settings = with_smtp(settings, port)
        _, mid = _queue_one(web, database, settings, port, day)
        admin = web("admin")
        started = time.monotonic()
        assert admin.get("/admin/mail").status_code == 200
        assert web("steward_gaj").post("/account/mail", {"email": "gaj.new@longyan.gov.example",
                                                         "enabled": "on"}).status_code == 303
        assert time.monotonic() - started < 5 and held == []  # nobody connected to the server
        message = _message(database, mid)
        assert message.attempts == 0 and message.to_address == "gaj.new@longyan.gov.example"  # follows the address
