"""Steps the IT project tests share: an entry of a unit made as a draft, then registered by its unit head through
the catalog's service, then loaded through the datastore's — the way a project's asset really comes to pass."""

from __future__ import annotations

from sqlalchemy import select

from govdata.actor import platform_actor
from govdata.auth.models import User
from govdata.auth.service import actor_for_user
from govdata.catalog.lifecycle import submit_entry
from govdata.datastore.service import get_entry, load_rows
from govdata.storage.engines import Database
from tests.datastore.factories import make_entry

ROW = {"sfzh": "350802199001011234", "xm": "张三"}


def draft_entry(database: Database, *, unit: str = "scjg", name: str = "企业信用风险分类信息",
                cycle: str = "monthly") -> int:
    entry = make_entry(database, unit=unit, name=name, status="draft", update_cycle=cycle)
    return entry.id


def register_entry(database: Database, entry_id: int, *, head: str = "head_scjg") -> None:
    with database.write() as db:
        user = db.execute(select(User).where(User.username == head)).scalar_one()
        submit_entry(db, actor_for_user(user), entry_id=entry_id)


def load_entry(database: Database, entry_id: int) -> None:
    with database.write() as db:
        result = load_rows(db, platform_actor(), entry=get_entry(db, entry_id=entry_id), rows=[ROW], source="cli")
        assert result.inserted == 1, result
