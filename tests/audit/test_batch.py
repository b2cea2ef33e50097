"""audit.batch: an event joins a group commit only checked (`check`, 400 naming the caller's field) or made
storable (`escaped`); whatever was checked, both databases take, and the chain stays whole."""

from __future__ import annotations

from dataclasses import replace

import pytest

from govdata import clock
from govdata.actor import Method, platform_actor
from govdata.audit import chain
from govdata.audit.batch import CheckedEvent, append_batch, check, escaped
from govdata.audit.service import AuditDraft
from govdata.errors import BadRequest
from govdata.policy import Action


def _draft(**fields) -> AuditDraft:
    actor = platform_actor(Method.API, name="system-a")
    draft = AuditDraft(actor=actor, action=Action.SHARE_LOOKUP, target_type="grant", target_id=1,
                       resource_code="3-05-007/000001", owner_unit_id=2, purpose="核验", row_count=1)
    actor_fields = {k: fields.pop(k) for k in ("operator", "actor_name", "client_addr") if k in fields}
    if actor_fields:
        draft.actor = replace(actor, **{("name" if k == "actor_name" else k): v for k, v in actor_fields.items()})
    for name, value in fields.items():
        setattr(draft, name, value)
    return draft


FIELDS = {"operator": "X-Operator", "resource_code": "code"}


@pytest.mark.parametrize("change, field, words", [
    ({"operator": "a\x00b"}, "X-Operator", "控制字符"),
    ({"operator": "tab\there"}, "X-Operator", "控制字符"),
    ({"operator": "del\x7f"}, "X-Operator", "控制字符"),
    ({"operator": "c1\x9b"}, "X-Operator", "控制字符"),
    ({"operator": "x" * 129}, "X-Operator", "过长"),
    ({"resource_code": "C" * 65}, "code", "过长"),
    ({"purpose": "p" * 501}, "purpose", "过长"),
    ({"row_count": "3"}, "row_count", "整数"),
    ({"row_count": True}, "row_count", "整数"),
    ({"row_count": 2**31}, "row_count", "范围"),
    ({"owner_unit_id": 1.5}, "owner_unit_id", "整数"),
    ({"target_type": 7}, "target_type", "文本"),
    ({"at": "2026-01-01"}, "at", "时间"),
    ({"medium": None}, "medium", "不能为空"),
], ids=lambda v: str(v)[:30])
def test_check_refuses_what_the_trail_cannot_hold_naming_the_field(change, field, words):
    with pytest.raises(BadRequest) as refused:
        check(_draft(**change), fields=FIELDS)
    assert refused.value.field == field and refused.value.status == 400
    assert words in refused.value.message and refused.value.message.startswith(field)


def test_check_takes_good_values_as_they_are():
    event = check(_draft(operator="张三（经办）", details={"keys": ["a\x00b"]}), fields=FIELDS)
    assert event.row["operator"] == "张三（经办）"
    assert "\\u0000" in event.row["details"]  # JSON escapes it: the details column holds no NUL


def test_escaped_writes_out_control_characters_and_cuts_to_the_column():
    row = escaped(_draft(operator="a\x00b\x85", resource_code="C" * 300, row_count="3", target_type=7)).row
    assert row["operator"] == "a\\x00b\\x85"
    assert row["resource_code"] == "C" * 63 + "…" and len(row["resource_code"]) == 64
    assert row["row_count"] is None
    assert row["target_type"] == "7"
    check(_draft(operator=row["operator"], resource_code=row["resource_code"]))  # storable now


def test_escaped_leaves_good_events_alone():
    good = _draft()
    assert escaped(good).row == check(good).row


def test_checked_and_escaped_events_are_stored_on_both_databases(database):
    events = [check(_draft(operator="clerk")), escaped(_draft(operator="\x00" * 200, resource_code="C" * 99))]
    with database.write() as db:
        conn = db.connection()
        head, _ = chain.lock_head(conn)
        append_batch(conn, events, head)
    with database.engine.connect() as conn:
        assert chain.verify(conn).ok
        last_two = "SELECT operator, resource_code FROM audit_events ORDER BY seq DESC LIMIT 2"
        stored = conn.exec_driver_sql(last_two).all()
    assert stored[0][0] == ("\\x00" * 32)[:127] + "…" and len(stored[0][1]) == 64
    assert stored[1][0] == "clerk"


def test_only_checked_events_can_be_appended():
    with pytest.raises(AttributeError):  # a plain row has no way in
        append_batch(None, [{"operator": "\x00"}])  # type: ignore[arg-type,list-item]
    assert isinstance(check(_draft()), CheckedEvent)


def test_times_stay_as_drafted():
    moment = clock.now()
    assert check(_draft(at=moment)).row["at"] == moment
