"""Agreements recorded over the API, a vendor account without any, and a resource with one known row."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from govdata import clock
from govdata.actor import Method, Role, platform_actor
from govdata.auth.passwords import hash_password
from govdata.auth.schemas import UserCreate
from govdata.auth.service import create_user
from govdata.catalog.models import CatalogEntry
from govdata.config import Settings
from govdata.storage.engines import Database
from tests.conftest import DEMO_PASSWORD
from tests.datastore.factories import PERSON_FIELDS, make_entry, system_token, unit_id
from tests.datastore.test_push_api import push

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ROW = {"sfzh": "350802199001010011", "xm": "张三", "csrq": "1990-01-01", "nl": 36}


def new_vendor(database: Database, username: str = "vendor_b") -> int:
    """A second vendor account (the demo `vendor` already works under an agreement), created under the password
    rules and then given the demo's password as the demo's own accounts have it, so the helpers sign it in."""
    with database.write() as db:
        user = create_user(db, platform_actor(Method.CLI), Settings(), data=UserCreate(
            username=username, display_name="另一服务商", password="Vendor-pass-2026", unit_id=None,
            roles=[Role.VENDOR]))
        user.password_hash, user.password_expires = hash_password(DEMO_PASSWORD), False
        return user.id


# the person fields with the 脱敏规则 a steward would give them: a vendor's reads leave masked by these
FIELDS = [{**spec, "masking_rule": {"sfzh": "id_card", "xm": "name"}.get(spec["name"], "")} for spec in PERSON_FIELDS]


def resource(client: Any, database: Database, unit: str = "wjw") -> CatalogEntry:
    """A registered resource of `unit` holding ROW."""
    entry = make_entry(database, unit=unit, fields=FIELDS)
    assert push(client, entry.code, system_token(database, unit), [ROW]).status_code == 200
    return entry


def record(client: Any, headers: dict[str, str], *, vendor_user_id: int, unit: int, unit_ids: tuple[int, ...] = (),
           entry_codes: tuple[str, ...] = (), valid_from: date | None = None, valid_until: date | None = None,
           file: tuple[str, bytes, str] = ("保密协议.pdf", PDF, "application/pdf")) -> Any:
    today = clock.today()
    data: dict[str, Any] = {"vendor_user_id": str(vendor_user_id), "company": "某数据服务有限公司",
                            "unit_id": str(unit), "signed_by": "张主任",
                            "valid_from": (valid_from or today - timedelta(days=1)).isoformat(),
                            "valid_until": (valid_until or today + timedelta(days=90)).isoformat(),
                            "unit_ids": [str(u) for u in unit_ids], "entry_codes": list(entry_codes)}
    return client.post("/api/v1/vendor-agreements", data=data, files={"file": file}, headers=headers)


def read(client: Any, entry: CatalogEntry, headers: dict[str, str], purpose: str | None = None) -> Any:
    """The vendor's lookup of ROW; `purpose` goes in X-Purpose, percent-encoded like X-Operator."""
    extra = {"X-Purpose": quote(purpose)} if purpose is not None else {}
    return client.get(f"/api/v1/resources/{entry.code}/records", params={"sfzh": ROW["sfzh"]},
                      headers={**headers, **extra})


__all__ = ["PDF", "PNG", "ROW", "new_vendor", "read", "record", "resource", "unit_id"]
