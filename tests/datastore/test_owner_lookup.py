"""The owner's lookup reads the entry, the caller and the rows at driver level: prove they stay exact.

Typed values (dates, money, booleans, times) come back as through the ORM; a changed field is seen on
the very next call (the entry copies are keyed by what the database says); a person's token is
re-checked on every call (deactivation, role change).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from govdata.auth.models import User, UserRole
from govdata.catalog.models import Field
from govdata.datastore.owner import entry_for_lookup
from govdata.storage.engines import Database
from tests.datastore.factories import make_entry, system_token
from tests.datastore.test_push_api import _steward, push

ROW = {"sfzh": "350802199001010011", "xm": "张三", "csrq": "1990-01-01", "zczb": "12.50", "nl": 36,
       "sfyx": True, "gxsj": "2024-05-06 07:08:09", "bz": "a\\b\t'c"}


def _lookup(client: Any, code: str, headers: dict[str, str], **params: str) -> Any:
    return client.get(f"/api/v1/resources/{code}/records", params=params, headers=headers)


def test_typed_values_come_back_exactly(client: Any, database: Database) -> None:
    entry = make_entry(database)
    assert push(client, entry.code, system_token(database), [ROW]).status_code == 200
    steward = _steward(client)
    by_key = _lookup(client, entry.code, steward, sfzh=ROW["sfzh"])
    assert by_key.status_code == 200, by_key.text
    assert by_key.json()["records"] == [{**ROW, "gxsj": "2024-05-06 07:08:09"}]
    by_name = _lookup(client, entry.code, steward, xm="张三")
    assert by_name.json() == by_key.json()
    several = client.get(f"/api/v1/resources/{entry.code}/records?xm=张三&xm=李四&xm=张三", headers=steward)
    assert several.status_code == 200 and len(several.json()["records"]) == 1
    assert _lookup(client, entry.code, steward, sfzh="nobody").json() == {"records": []}
    assert _lookup(client, "NO-SUCH", steward, sfzh="x").status_code == 404


def test_a_changed_field_is_seen_on_the_next_call(client: Any, database: Database) -> None:
    entry = make_entry(database)
    assert push(client, entry.code, system_token(database), [ROW]).status_code == 200
    steward = _steward(client)
    refused = _lookup(client, entry.code, steward, nl="36")
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "nl"
    with database.write() as db:
        first = entry_for_lookup(db.connection(), code=entry.code)
        assert entry_for_lookup(db.connection(), code=entry.code) is first  # unchanged: the same copy
        db.execute(update(Field).where(Field.entry_id == entry.id, Field.name == "nl").values(is_lookup=True))
    with database.write() as db:
        changed = entry_for_lookup(db.connection(), code=entry.code)
    assert changed is not first and [f.name for f in changed.fields if f.is_lookup] == ["xm", "nl"]
    found = _lookup(client, entry.code, steward, nl="36")
    assert found.status_code == 200 and found.json()["records"][0]["sfzh"] == ROW["sfzh"]


def test_person_token_is_checked_on_every_call(client: Any, database: Database) -> None:
    entry = make_entry(database)
    steward = _steward(client)
    assert _lookup(client, entry.code, steward, sfzh="x").status_code == 200
    with database.write() as db:
        uid = db.execute(select(User.id).where(User.username == "steward_gaj")).scalar_one()
        db.execute(update(UserRole).where(UserRole.user_id == uid).values(role="public"))
    assert _lookup(client, entry.code, steward, sfzh="x").status_code == 403  # the role went with the change
    with database.write() as db:
        db.execute(update(User).where(User.id == uid).values(is_active=False))
    gone = _lookup(client, entry.code, steward, sfzh="x")
    assert gone.status_code == 401 and gone.json()["error"]["message"] == "访问令牌无效"
