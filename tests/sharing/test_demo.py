"""The sharing demo: base databases granted to demo systems, working credentials in demo-credentials.json."""

from __future__ import annotations

import json

from rich.console import Console
from sqlalchemy import func, select

from govdata.catalog.models import CatalogEntry, ShareType
from govdata.demo import DemoContext
from govdata.sharing import demo
from govdata.sharing.models import Grant, ShareRequest

LEGAL_FIELDS = [("tyshxydm", "统一社会信用代码", "C", 18, True, False), ("jgmc", "机构名称", "C", 200, False, True),
                ("jyzt", "经营状态", "C", 2, False, False), ("zs", "住所", "C", 200, False, False)]
PERSON_FIELDS = [("sfzh", "公民身份号码", "C", 18, True, False), ("xm", "姓名", "C", 50, False, True),
                 ("xb", "性别", "C", 1, False, False), ("csrq", "出生日期", "C", 10, False, False),
                 ("hjdz", "户籍地址", "C", 200, False, False), ("xzqh", "户籍区划", "C", 6, False, False),
                 ("lxdh", "联系电话", "C", 20, False, False)]


def _ensure_base(database):
    from tests.sharing.factories import make_entry

    with database.read() as db:
        have = set(db.execute(select(CatalogEntry.name)).scalars())
    if demo.LEGAL not in have:
        make_entry(database, unit_code="dsjzx", share_type=ShareType.UNCONDITIONAL, name=demo.LEGAL,
                   fields=LEGAL_FIELDS, rows=[{"tyshxydm": "91350800MA00000001", "jgmc": "龙岩测试有限公司",
                                               "jyzt": "01", "zs": "新罗区"}])
    if demo.POPULATION not in have:
        make_entry(database, unit_code="dsjzx", name=demo.POPULATION, fields=PERSON_FIELDS,
                   rows=[{"sfzh": "350802199001010011", "xm": "张三", "xb": "1", "csrq": "1990-01-01",
                          "hjdz": "新罗区", "xzqh": "350802", "lxdh": "1"}])


def test_demo_grants_work_and_rerun_keeps_working_tokens(database, settings, client):
    _ensure_base(database)
    ctx = DemoContext(settings, database, Console(quiet=True))
    demo.seed(ctx)
    path = settings.home_dir / "demo-credentials.json"
    first = json.loads(path.read_text())
    assert {item["resource"] for item in first} >= {_code(database, demo.LEGAL), _code(database, demo.POPULATION)}
    with database.read() as db:
        counts = (db.execute(select(func.count()).select_from(ShareRequest)).scalar_one(),
                  db.execute(select(func.count()).select_from(Grant)).scalar_one())
    demo.seed(ctx)
    second = json.loads(path.read_text())
    assert [i["token"] for i in second] == [i["token"] for i in first]  # still valid: kept
    with database.read() as db:
        assert counts == (db.execute(select(func.count()).select_from(ShareRequest)).scalar_one(),
                          db.execute(select(func.count()).select_from(Grant)).scalar_one())
    path.write_text(json.dumps([{**i, "token": "gds_lost"} for i in second]))
    demo.seed(ctx)  # tokens in the file no longer work: rotated, and the file holds the new ones
    third = json.loads(path.read_text())
    for item in third:
        assert item["token"] != "gds_lost"
        assert item["sample_key"], item
        r = client.get(f"/api/v1/share/{item['resource']}/records", params={item["key_field"]: item["sample_key"]},
                       headers={"Authorization": f"Bearer {item['token']}", "X-Operator": "demo"})
        assert r.status_code == 200 and len(r.json()["records"]) >= 1, r.text


def _code(database, name):
    with database.read() as db:
        return db.execute(select(CatalogEntry.code).where(CatalogEntry.name == name)
                          .order_by(CatalogEntry.id)).scalars().first()
