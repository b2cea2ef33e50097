"""The soak test's set-up: the demo seeded, and what each kind of traffic needs (credentials, keys, entries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from govdata import clock
from govdata.actor import Method
from govdata.auth import credentials
from govdata.auth.models import User
from govdata.auth.service import actor_for_user
from govdata.catalog.models import CatalogEntry
from govdata.config import Settings
from govdata.datastore import demo as datastore_demo
from govdata.datastore.tables import resource_table
from govdata.demo import seed
from govdata.opendata.models import OpenDataset
from govdata.orgs.models import System, Unit
from govdata.sharing.models import Grant
from govdata.storage.engines import open_database
from govdata.storage.migrate import upgrade

BASE_ROWS = 2_000
PEOPLE = "人口基础信息"


@dataclass
class Plan:
    database_url: str
    secret_key: str
    lookup_paths: list[str]  # audited key lookups of the demo's active grant
    lookup_token: str
    push_code: str
    push_table: str
    push_token: str
    upload_entry_id: int
    download_path: str
    review_code: str
    review_system_id: int
    review_fields: list[str]


def _system_token(db: object, settings: Settings, unit_code: str) -> str:
    admin = db.execute(select(User).where(User.username == "admin")).scalar_one()  # type: ignore[attr-defined]
    system = db.execute(select(System).join(Unit).where(Unit.code == unit_code)  # type: ignore[attr-defined]
                        ).scalars().first()
    return credentials.issue_credential(db, actor_for_user(admin, Method.CLI), settings,  # type: ignore[arg-type]
                                        system_id=system.id).token


def prepare(url: str, home: Path) -> Plan:
    settings = Settings(home=home, database_url=url, demo=True, run_jobs_in_server=False, secret_key="soak")
    database = open_database(url)
    try:
        upgrade(database)
        seed(database, settings, base_rows=BASE_ROWS)
        with database.write() as db:
            grant = db.execute(select(Grant).where(Grant.status == "active").order_by(Grant.id)).scalars().first()
            assert grant is not None, "the demo has an active grant"
            # The soak tests faults, not quotas: with the grade's daily cap (10,000 calls) the lookups ran out before
            # PostgreSQL crashed, and their recovery went unmeasured. Counting still runs on every call.
            grant.daily_quota, grant.per_minute = 1_000_000_000, 1_000_000
            entry = db.get(CatalogEntry, grant.entry_id)
            assert entry is not None and entry.code
            key = next(f.name for f in entry.fields if f.is_key)
            table = resource_table(entry)
            keys = db.execute(select(table.c[key]).limit(300)).scalars().all()
            lookup_token = credentials.issue_credential(
                db, actor_for_user(db.execute(select(User).where(User.username == "admin")).scalar_one(), Method.CLI),
                settings, system_id=grant.system_id).token
            center = db.execute(select(Unit.id).where(Unit.code == "dsjzx")).scalar_one()
            spec = datastore_demo.BASE[PEOPLE]
            push = datastore_demo.find_or_create(db, unit_id=center, name="人口信息（压测推送）", spec=spec,
                                                 code="SOAK-PUSH")
            gaj = db.execute(select(Unit.id).where(Unit.code == "gaj")).scalar_one()
            upload = datastore_demo.find_or_create(db, unit_id=gaj, name="人口信息（压测上传）", spec=spec,
                                                   code="SOAK-UPLOAD", ingest_mode="manual")
            dataset = db.execute(select(OpenDataset.id).where(OpenDataset.status == "published",
                                                              OpenDataset.open_type == "public")
                                 .order_by(OpenDataset.id)).scalars().first()
            people = db.execute(select(CatalogEntry).where(CatalogEntry.name == PEOPLE,
                                                           CatalogEntry.status == "registered")).scalars().first()
            wjw = db.execute(select(System).join(Unit).where(Unit.code == "wjw")).scalars().first()
            assert dataset is not None and people is not None and people.code and wjw is not None
            plan = Plan(url, "soak", [f"/api/v1/share/{entry.code}/records?{key}={k}" for k in keys], lookup_token,
                        "SOAK-PUSH", resource_table(push).name, _system_token(db, settings, "dsjzx"), upload.id,
                        f"/api/v1/open/datasets/{dataset}/data.csv", people.code, wjw.id, ["sfzh", "xm"])
        return plan
    finally:
        database.dispose()


def review_valid_until() -> str:
    return (clock.today() + timedelta(days=200)).isoformat()
