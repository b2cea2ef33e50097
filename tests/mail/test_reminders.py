"""Reminders by e-mail against a real SMTP server on 127.0.0.1: the digest arrives with the person's to-do and
their working-day deadlines, the due message goes once per item per day, nothing goes without a server, on a day
off or to a person who turned the e-mails off."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from govdata import clock
from govdata.auth.service import actor_for_user, find_user_by_name
from govdata.jobs.runner import run_due
from govdata.mail.compose import state
from govdata.mail.models import MailReminder, OutboxMessage
from govdata.todo.service import todo_for
from tests.conftest import last_audit
from tests.mail.helpers import address, at, next_day, outbox, request_due, with_smtp
from tests.mail.servers import body, smtp_server


def _run(database, settings, *names):
    outcomes = run_due(database, settings, names=list(names), force=True)
    assert all(o.status == "ok" for o in outcomes), outcomes
    return [o.summary for o in outcomes]


def _todo(database, username):
    with database.read() as db:
        user = find_user_by_name(db, username=username)
        return todo_for(db, actor_for_user(user))


def test_digest_arrives_with_the_right_items_and_due_messages_go_once_per_item_a_day(web, database, settings):
    day = next_day(database, working=True)
    with smtp_server() as (port, inbox), clock.pinned(at(day, 9)):
        mailing = with_smtp(settings, port)
        due_today = request_due(web, database, day)
        steward = address(database, "steward_gaj")
        expected = _todo(database, "steward_gaj")
        assert due_today in [i.href for i in expected]

        [queued] = _run(database, mailing, "mail.reminders")
        assert "待办摘要" in queued
        [digest] = outbox(database, steward)
        assert digest.status == "queued" and digest.attempts == 0 and inbox.messages == []  # queued, not sent
        audit = last_audit(database, action="mail.remind", target_id=str(digest.id))
        assert audit is not None and audit.actor_name == "任务:mail.reminders"

        [sent] = _run(database, mailing, "mail.deliver")
        assert sent.startswith("发送 ")
        [mail] = inbox.to(steward)
        assert mail["Subject"].startswith(f"【政务数据共享平台】{day.isoformat()} 待办摘要：共 {len(expected)} 项")
        assert "今日到期 1 项" in mail["Subject"]
        text, html = body(mail), body(mail, "html")
        for item in expected:  # every to-do item, with its working-day deadline and a link to it
            assert item.title in text and state(item, day) in text
            assert f"https://data.longyan.gov.example{item.href}" in text and item.href in html
        assert "【今日到期】" in text and text.index("【今日到期】") < text.index(due_today)
        assert "/account/mail" in text  # how to turn them off
        assert outbox(database, steward)[0].status == "sent"

        # Run again the same day: the digest went, and the item due today was in it: nothing new.
        _run(database, mailing, "mail.reminders", "mail.deliver")
        assert len(inbox.to(steward)) == 1

        # An item that comes due later that day gets its own message, once.
        late = request_due(web, database, day - timedelta(days=3))
        _run(database, mailing, "mail.reminders", "mail.deliver")
        _run(database, mailing, "mail.reminders", "mail.deliver")
        mails = inbox.to(steward)
        assert len(mails) == 2
        second = body(mails[1])
        assert "今日到期或已逾期" in mails[1]["Subject"] and late in second and due_today not in second
        assert "已逾期 3 天" in second
    with database.read() as db:
        told = db.execute(select(func.count()).select_from(MailReminder)
                          .where(MailReminder.item == late, MailReminder.day == day)).scalar_one()
    assert told >= 1  # recorded per person told (both 公安局 people work the opinion queue)


def test_nothing_is_queued_without_an_smtp_server(web, database, settings):
    day = next_day(database, working=True)
    with clock.pinned(at(day, 10)):
        request_due(web, database, day)
        summaries = _run(database, settings, "mail.reminders", "mail.deliver")
    assert "未配置邮件服务器" in summaries[0] and "未配置邮件服务器" in summaries[1]
    assert outbox(database) == []


def test_no_mail_on_a_day_off_nor_before_the_digest_hour(web, database, settings):
    off = next_day(database, working=False)
    with smtp_server() as (port, inbox):
        mailing = with_smtp(settings, port)
        with clock.pinned(at(off, 10)):
            [summary] = _run(database, mailing, "mail.reminders")
        assert "不是工作日" in summary
        working = next_day(database, working=True, start=off)
        with clock.pinned(at(working, 7, 30)):
            [summary] = _run(database, mailing, "mail.reminders")
        assert "8 点后发送" in summary
        assert outbox(database) == [] and inbox.messages == []


def test_a_person_who_turned_mail_off_gets_none_and_their_queue_is_cancelled(web, database, settings):
    day = next_day(database, working=True)
    with smtp_server() as (port, inbox), clock.pinned(at(day, 9)):
        mailing = with_smtp(settings, port)
        request_due(web, database, day)
        _run(database, mailing, "mail.reminders")
        steward, head = address(database, "steward_gaj"), address(database, "head_gaj")
        assert len(outbox(database, steward)) == 1 and len(outbox(database, head)) == 1
        page = web("head_gaj")
        saved = page.post("/account/mail", {"email": head})  # the box unticked: off
        assert saved.status_code == 303, saved.text
        [cancelled] = outbox(database, head)
        assert cancelled.status == "cancelled" and "关闭" in cancelled.last_error
        _run(database, mailing, "mail.deliver")
        assert inbox.to(head) == [] and len(inbox.to(steward)) == 1
        with database.read() as db:
            assert db.execute(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.status == "queued")).scalar_one() == 0
        later = request_due(web, database, day - timedelta(days=1))
        _run(database, mailing, "mail.reminders", "mail.deliver")
        assert inbox.to(head) == [] and any(later in body(m) for m in inbox.to(steward))


def test_what_was_told_is_forgotten_after_a_week_and_the_messages_stay(web, database, settings):
    day = next_day(database, working=True)
    with smtp_server() as (port, _):
        mailing = with_smtp(settings, port)
        with clock.pinned(at(day, 9)):
            request_due(web, database, day)
            _run(database, mailing, "mail.reminders")
        queued = len(outbox(database))
        with database.read() as db:
            assert db.execute(select(func.count()).select_from(MailReminder)
                              .where(MailReminder.day == day)).scalar_one() >= queued > 0
        later = next_day(database, working=True, start=day + timedelta(days=8))
        with clock.pinned(at(later, 9)):
            _run(database, mailing, "mail.reminders")
        with database.read() as db:
            assert db.execute(select(func.count()).select_from(MailReminder)
                              .where(MailReminder.day == day)).scalar_one() == 0
        assert len([m for m in outbox(database) if m.day == day]) == queued  # the messages themselves stay
