"""The demo's rules fit the base databases as the shared definition describes them (and run twice)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import func, select, update

from govdata.catalog.models import CatalogEntry
from govdata.db import Database
from govdata.quality.demo import seed
from govdata.quality.models import CodeTable
from tests.quality.factories import load_entry, make_entry

BASE = {
    "人口基础信息": [("sfzh", "公民身份号码", "C", 18, True), ("xm", "姓名", "C", 50, False),
                ("xb", "性别", "C", 1, False),
                ("mz", "民族", "C", 2, False), ("csrq", "出生日期", "D", None, False),
                ("hjdz", "户籍地址", "C", 200, False), ("xzqh", "户籍区划", "C", 6, False),
                ("lxdh", "联系电话", "C", 20, False)],
    "法人基础信息": [("tyshxydm", "统一社会信用代码", "C", 18, True), ("jgmc", "机构名称", "C", 200, False),
                ("fddbr", "法定代表人", "C", 50, False), ("clrq", "成立日期", "D", None, False),
                ("zczb", "注册资本", "Y", 18, False), ("jyzt", "经营状态", "C", 2, False),
                ("zs", "住所", "C", 200, False), ("xzqh", "区划", "C", 6, False)],
    "电子证照信息": [("zzbh", "证照编号", "C", 64, True), ("zzlx", "证照类型", "C", 50, False),
               ("czrsfzh", "持证人身份号码", "C", 18, False), ("czrxm", "持证人姓名", "C", 50, False),
               ("fzjg", "发证机关", "C", 100, False), ("fzrq", "发证日期", "D", None, False),
               ("yxqz", "有效期至", "D", None, False)],
}


def test_demo_rules_on_base_databases(database: Database, settings: Any) -> None:
    entries = {}
    for name, fields in BASE.items():
        made = make_entry(database, unit="dsjzx", name=name, fields=fields)
        entries[name] = made.id
    # make_entry numbers its names; the demo finds the base databases by their exact names
    with database.write() as db:
        for name, entry_id in entries.items():
            db.execute(update(CatalogEntry).where(CatalogEntry.id == entry_id).values(name=name))
    ctx = SimpleNamespace(database=database, settings=settings)
    seed(ctx)
    seed(ctx)
    person = load_entry(database, entries["人口基础信息"])
    rules = {f.name: orjson.loads(f.rules) for f in person.fields}
    assert rules["sfzh"] == [{"type": "idcard"}]
    assert {"type": "code", "table": "GB/T 3304"} in rules["mz"]
    legal = load_entry(database, entries["法人基础信息"])
    assert {f.name: orjson.loads(f.rules) for f in legal.fields}["tyshxydm"] == [{"type": "uscc"}]
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(CodeTable)).scalar() == 3
