"""Demo data: the three base databases (第十五条) and a few unit resources, loaded through `load_rows`.

Rows are synthetic: names and addresses come from small Faker (zh_CN) pools drawn once, then combined
by a seeded generator, so 100,000 rows take a second to make; 身份证号 and 统一社会信用代码 carry valid
check digits (python-stdnum). Entries are found by (unit, name); one missing here (the catalog demo
normally registers them first) is created registered with exactly the fields of the shared
definition. Entries that already hold rows are left alone, so running the demo twice changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from faker import Faker
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric, uscc

from govdata import clock
from govdata.actor import Method, platform_actor
from govdata.catalog.models import CatalogEntry, Field
from govdata.datastore import service
from govdata.datastore.models import BatchSource
from govdata.datastore.schema import ensure_table

REGIONS = ["350802", "350803", "350821", "350823", "350824", "350825", "350881"]
ACTOR = platform_actor(Method.CLI, name="演示数据")

# (name, label, type, length, precision, key, lookup, sensitivity, level)
F = tuple[str, str, str, int | None, int | None, bool, bool, str, str]
BASE: dict[str, dict[str, Any]] = {
    "人口基础信息": {"share_type": "conditional", "open_type": "closed",
                     "legal_basis": "《中华人民共和国居民身份证法》及《福建省政务数据管理办法》第十八条",
                     "fields": [
                         ("sfzh", "公民身份号码", "C", 18, None, True, False, "personal", "L4"),
                         ("xm", "姓名", "C", 50, None, False, True, "personal", "L3"),
                         ("xb", "性别", "C", 1, None, False, False, "none", "L1"),
                         ("mz", "民族", "C", 2, None, False, False, "none", "L1"),
                         ("csrq", "出生日期", "D", None, None, False, False, "none", "L1"),
                         ("hjdz", "户籍地址", "C", 200, None, False, False, "personal", "L3"),
                         ("xzqh", "户籍区划", "C", 6, None, False, False, "none", "L1"),
                         ("lxdh", "联系电话", "C", 20, None, False, False, "personal", "L3")]},
    "法人基础信息": {"share_type": "unconditional", "open_type": "public", "legal_basis": "",
                     "fields": [
                         ("tyshxydm", "统一社会信用代码", "C", 18, None, True, False, "none", "L1"),
                         ("jgmc", "机构名称", "C", 200, None, False, True, "none", "L1"),
                         ("fddbr", "法定代表人", "C", 50, None, False, False, "personal", "L3"),
                         ("clrq", "成立日期", "D", None, None, False, False, "none", "L1"),
                         ("zczb", "注册资本（万元）", "Y", 18, 2, False, False, "none", "L1"),
                         ("jyzt", "经营状态", "C", 2, None, False, False, "none", "L1"),
                         ("zs", "住所", "C", 200, None, False, False, "none", "L1"),
                         ("xzqh", "区划", "C", 6, None, False, False, "none", "L1")]},
    "电子证照信息": {"share_type": "conditional", "open_type": "closed",
                     "legal_basis": "《国务院关于加快推进全国一体化在线政务服务平台建设的指导意见》"
                                    "（国发〔2018〕27号）",
                     "fields": [
                         ("zzbh", "证照编号", "C", 64, None, True, False, "none", "L1"),
                         ("zzlx", "证照类型", "C", 50, None, False, False, "none", "L1"),
                         ("czrsfzh", "持证人身份号码", "C", 18, None, False, True, "personal", "L4"),
                         ("czrxm", "持证人姓名", "C", 50, None, False, False, "personal", "L3"),
                         ("fzjg", "发证机关", "C", 100, None, False, False, "none", "L1"),
                         ("fzrq", "发证日期", "D", None, None, False, False, "none", "L1"),
                         ("yxqz", "有效期至", "D", None, None, False, False, "none", "L1")]},
}


class Pools:
    """Small pools of realistic values, drawn from Faker once."""

    def __init__(self, seed: int = 20240501) -> None:
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        self.rng = random.Random(seed)
        self.names = [fake.name() for _ in range(1500)]
        self.streets = [fake.street_address() for _ in range(600)]
        self.companies = [fake.company() for _ in range(800)]
        self.phones = [fake.phone_number() for _ in range(800)]


def sfzh(i: int) -> str:
    region = REGIONS[i % len(REGIONS)]
    birth = date(1950, 1, 1) + timedelta(days=(i // 1000) * 97 % 25_000)
    body = f"{region}{birth:%Y%m%d}{i % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder check digit


def credit_code(i: int) -> str:
    body = f"91{REGIONS[i % len(REGIONS)]}{i:09d}"  # 登记管理部门与类别(2) 区划(6) 主体标识(9)
    return body + uscc.calc_check_digit(body)


def people(n: int, pools: Pools) -> Iterator[dict[str, Any]]:
    rng = pools.rng
    for i in range(n):
        code = sfzh(i)
        yield {"sfzh": code, "xm": rng.choice(pools.names), "xb": "1" if i % 2 else "2",
               "mz": "01" if rng.random() < 0.9 else "07", "csrq": f"{code[6:10]}-{code[10:12]}-{code[12:14]}",
               "hjdz": "福建省龙岩市" + rng.choice(pools.streets), "xzqh": code[:6], "lxdh": rng.choice(pools.phones)}


def companies(n: int, pools: Pools) -> Iterator[dict[str, Any]]:
    rng = pools.rng
    for i in range(n):
        code = credit_code(i)
        yield {"tyshxydm": code, "jgmc": f"{rng.choice(pools.companies)}（龙岩）{i}号",
               "fddbr": rng.choice(pools.names),
               "clrq": (date(1995, 1, 1) + timedelta(days=i * 7 % 10_000)).isoformat(),
               "zczb": f"{rng.randint(10, 500_000)}.{rng.randint(0, 99):02d}", "jyzt": rng.choice(["01", "01", "02"]),
               "zs": "福建省龙岩市" + rng.choice(pools.streets), "xzqh": code[2:8]}


def licences(n: int, pools: Pools) -> Iterator[dict[str, Any]]:
    rng = pools.rng
    kinds = ["居民身份证", "机动车驾驶证", "营业执照", "不动产权证书", "结婚证"]
    for i in range(n):
        issued = date(2015, 1, 1) + timedelta(days=i * 13 % 3_000)
        yield {"zzbh": f"LY{issued:%Y}{i:010d}", "zzlx": kinds[i % len(kinds)], "czrsfzh": sfzh(i),
               "czrxm": rng.choice(pools.names), "fzjg": "龙岩市" + rng.choice(["公安局", "市场监督管理局", "民政局"]),
               "fzrq": issued.isoformat(), "yxqz": (issued + timedelta(days=3650)).isoformat()}


def find_or_create(db: Session, *, unit_id: int, name: str, spec: dict[str, Any], code: str,
                   category: str = "base", ingest_mode: str = "realtime", cycle: str = "daily") -> CatalogEntry:
    entry = db.execute(select(CatalogEntry).where(CatalogEntry.unit_id == unit_id, CatalogEntry.name == name)
                       ).scalars().first()
    if entry is not None:
        return entry
    entry = CatalogEntry(code=code, unit_id=unit_id, name=name, summary=f"{name}（演示）", category=category,
                         category_code="A01", format="database", share_type=spec["share_type"],
                         legal_basis=spec["legal_basis"], open_type=spec["open_type"], update_cycle=cycle,
                         ingest_mode=ingest_mode, share_method="interface", status="registered", version=1,
                         registered_at=clock.now())
    entry.fields = [Field(position=i, name=n, label=lb, data_type=t, length=ln, precision=p, is_key=k, is_lookup=lk,
                          is_required=k, sensitivity=s, security_level=lv)
                    for i, (n, lb, t, ln, p, k, lk, s, lv) in enumerate(spec["fields"])]
    db.add(entry)
    db.flush()
    return entry


def _fill(ctx: Any, entry_id: int, rows: Callable[[], Iterator[dict[str, Any]]]) -> None:
    with ctx.database.write() as db:
        entry = service.get_entry(db, entry_id=entry_id)
        ensure_table(db, entry)
        if service.count_rows(db, entry):
            return
        result = service.load_rows(db, ACTOR, entry=entry, rows=rows(), source=BatchSource.CLI,
                                   file_name="演示数据")
        ctx.console.print(f"{entry.name}：写入 {result.inserted} 行（{result.duration_ms:.0f} ms）")


UNIT_RESOURCES: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("scjg", "个体工商户登记信息", "manual", "monthly", {
        "share_type": "unconditional", "open_type": "public", "legal_basis": "", "fields": [
            ("zch", "注册号", "C", 18, None, True, False, "none", "L1"),
            ("zh", "字号名称", "C", 100, None, False, True, "none", "L1"),
            ("jyz", "经营者", "C", 50, None, False, False, "personal", "L3"),
            ("clrq", "成立日期", "D", None, None, False, False, "none", "L1")]}),
    ("mz", "社会救助对象信息", "return_flow", "monthly", {
        "share_type": "conditional", "open_type": "closed", "legal_basis": "《社会救助暂行办法》", "fields": [
            ("sfzh", "公民身份号码", "C", 18, None, True, False, "personal", "L4"),
            ("xm", "姓名", "C", 50, None, False, True, "personal", "L3"),
            ("jzlx", "救助类型", "C", 20, None, False, False, "none", "L2"),
            ("yjje", "月救助金额", "Y", 12, 2, False, False, "none", "L2")]}),
]


def _unit_rows(unit: str, n: int, pools: Pools) -> Callable[[], Iterator[dict[str, Any]]]:
    rng = pools.rng
    if unit == "scjg":
        return lambda: ({"zch": f"350800{i:012d}", "zh": f"{rng.choice(pools.names)}小店{i}",
                         "jyz": rng.choice(pools.names), "clrq": f"20{10 + i % 14}-0{1 + i % 9}-1{i % 9}"}
                        for i in range(n))
    return lambda: ({"sfzh": sfzh(500_000 + i), "xm": rng.choice(pools.names), "jzlx": rng.choice(["低保", "特困"]),
                     "yjje": f"{rng.randint(300, 1200)}.00"} for i in range(n))


def seed(ctx: Any) -> None:
    pools = Pools()
    center = ctx.units["dsjzx"]
    makers = {"人口基础信息": people, "法人基础信息": companies, "电子证照信息": licences}
    ids: list[tuple[int, Callable[[], Iterator[dict[str, Any]]]]] = []
    with ctx.database.write() as db:
        for number, (name, spec) in enumerate(BASE.items(), start=1):
            entry = find_or_create(db, unit_id=center, name=name, spec=spec, code=f"DSJZX-JC-{number:03d}")
            make = makers[name]
            ids.append((entry.id, lambda make=make: make(ctx.base_rows, pools)))  # type: ignore[misc]
        for number, (unit, name, mode, cycle, spec) in enumerate(UNIT_RESOURCES, start=1):
            if unit not in ctx.units:
                continue
            entry = find_or_create(db, unit_id=ctx.units[unit], name=name, spec=spec, category="department",
                                   code=f"{unit.upper()}-DEMO-{number:03d}", ingest_mode=mode, cycle=cycle)
            ids.append((entry.id, _unit_rows(unit, max(50, ctx.base_rows // 100), pools)))
    for entry_id, rows in ids:
        _fill(ctx, entry_id, rows)
