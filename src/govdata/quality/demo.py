"""Demo: the code tables and sensible rules on the base databases (人口/法人/电子证照) when they exist."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from govdata.actor import platform_actor
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.orgs.models import Unit
from govdata.quality.codes_data import TABLES
from govdata.quality.models import CodeTable
from govdata.quality.schemas import CodeTableIn
from govdata.quality.service import save_code_table, set_field_rules

XZQH = "GB/T 2260-350800"
BASE_RULES: dict[str, dict[str, list[dict[str, Any]]]] = {
    "人口基础信息": {
        "sfzh": [{"type": "idcard"}],
        "xm": [{"type": "required"}, {"type": "length", "min": 1, "max": 50}],
        "xb": [{"type": "required"}, {"type": "code", "table": "GB/T 2261.1"}],
        "mz": [{"type": "code", "table": "GB/T 3304"}],
        "csrq": [{"type": "required"}, {"type": "not_future"}, {"type": "range", "min": "1900-01-01"},
                 {"type": "birth_matches", "idcard_field": "sfzh"}],
        "xzqh": [{"type": "code", "table": XZQH}],
        "lxdh": [{"type": "phone"}],
    },
    "法人基础信息": {
        "tyshxydm": [{"type": "uscc"}],
        "jgmc": [{"type": "required"}, {"type": "unique"}],
        "clrq": [{"type": "not_future"}],
        "zczb": [{"type": "range", "min": 0}],
        "xzqh": [{"type": "code", "table": XZQH}],
    },
    "电子证照信息": {
        "czrsfzh": [{"type": "required"}, {"type": "idcard"}],
        "fzrq": [{"type": "not_future"}, {"type": "compare", "op": "<=", "other": "yxqz"}],
    },
}


def seed(ctx: Any) -> None:
    actor = platform_actor(name="演示数据")
    with ctx.database.write() as db:
        existing = set(db.execute(select(CodeTable.code)).scalars())
        for code, name, standard, values in TABLES:
            if code not in existing:
                save_code_table(db, actor, data=CodeTableIn(code=code, name=name, standard=standard,
                                                            values=list(values)))
    with ctx.database.write() as db:
        for name, rules in BASE_RULES.items():
            entry = db.execute(select(CatalogEntry).join(Unit).where(
                Unit.code == "dsjzx", CatalogEntry.name == name,
                CatalogEntry.status == EntryStatus.REGISTERED.value)).scalar_one_or_none()
            if entry is None:  # the catalog's demo is not in this build
                continue
            fields = {f.name for f in entry.fields}
            wanted = {k: v for k, v in rules.items() if k in fields}
            set_field_rules(db, actor, entry_id=entry.id, rules=wanted)
