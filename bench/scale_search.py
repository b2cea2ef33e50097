"""Scale bench: the catalog's Chinese search at the catalog sizes a city and a province have (issue 18, item 7).

A city's catalog holds about 10,000 entries, a province's about 100,000 (each with its 信息项), so the entry count
is the resource size / 100: 10,000 entries at `--size 1m`, 100,000 at `10m`. The entries (names, summaries and
fields drawn from the subjects, kinds and 信息项 of real city catalogs, over the demo's units, nine in ten
registered) are bulk-inserted, then indexed the way the platform re-indexes (`catalog.search.rebuild`: each
entry's document cut by jieba into `catalog_search`, FTS5 on SQLite and the GIN tsvector index on PostgreSQL).

Then typical searches through the service (`browse.list_entries`, a unit's data steward, the policy's scope, total
and page and the eight facets, as the catalog page asks): p50 and p99 over a mix of one-word, two-word,
word-plus-filter and rare-word queries.

`python -m bench.scale_search [ENTRIES [BACKEND...]]` runs it alone: on SQLite, and on PostgreSQL too when
GOVDATA_DATABASE_URL is set, or on the backends named.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time

from sqlalchemy import func, insert, select, text

from bench.scale_types import ScaleContext, ScalePoint
from govdata import clock
from govdata.actor import Actor, Method, Role
from govdata.auth.models import User
from govdata.catalog import browse, search
from govdata.catalog.models import CatalogEntry, Field
from govdata.orgs import demo as orgs_demo
from govdata.orgs.models import Unit

ENTRIES_PER_ROW = 1 / 100
SUBJECTS = ["户籍人口", "婚姻登记", "社保参保", "医保结算", "不动产登记", "市场主体", "学籍", "机动车", "驾驶人",
            "排污许可", "住房公积金", "出生医学证明", "殡葬服务", "养老机构", "食品经营", "建设用地", "公交线路",
            "空气质量", "政府采购", "教师资格", "职业技能", "道路运输", "矿业权", "医疗机构", "预防接种",
            "最低生活保障", "社会组织", "地名地址", "非税收入", "残疾人", "退役军人", "特种设备", "药品零售",
            "建筑施工", "林木采伐", "水资源", "农机购置补贴", "企业年报", "行政处罚", "信用修复"]
KINDS = ["登记信息", "许可信息", "处罚信息", "监测信息", "统计信息", "台账", "办理信息", "名录", "补贴发放信息",
         "年检信息"]
WORDS = ["全市", "城区", "县域", "年度", "实时", "汇总", "明细", "核查", "变更", "注销", "审批", "备案", "公示", "档案"]
FIELDS = [("xm", "姓名"), ("gmsfhm", "公民身份号码"), ("csrq", "出生日期"), ("xb", "性别"), ("zz", "住址"),
          ("lxdh", "联系电话"), ("tyshxydm", "统一社会信用代码"), ("dwmc", "单位名称"), ("fddbr", "法定代表人"),
          ("xkzh", "许可证号"), ("yxqz", "有效期至"), ("fzjg", "发证机关"), ("bdcdyh", "不动产单元号"),
          ("hphm", "号牌号码"), ("jfje", "缴费金额"), ("jcsj", "监测时间"), ("cfjg", "处罚结果"), ("bzje", "补助金额")]
QUERIES = [  # (q, filter by the steward's own unit): what people type into the catalog's search box
    ("婚姻", False), ("不动产登记", False), ("社保", False), ("许可", False), ("空气质量", False),
    ("公积金", True), ("学籍 名录", False), ("处罚信息", True), ("养老", False), ("统一社会信用代码", False),
    ("公民身份号码 婚姻", False), ("林木采伐 年检", False), ("殡葬", True), ("退役军人 补贴", False),
]


def entry_count(rows: int) -> int:
    return max(1_000, int(rows * ENTRIES_PER_ROW))


def _load(ctx: ScaleContext, count: int) -> None:
    """`count` entries with 4 to 10 fields each, bulk-inserted (the index is built afterwards)."""
    with ctx.database.write() as db:
        orgs_demo.seed(db, "bench-password")
    rng = random.Random(18)
    now = clock.now()
    with ctx.database.write() as db:
        units = list(db.execute(select(Unit.id)).scalars())
        base = db.execute(select(func.coalesce(func.max(CatalogEntry.id), 0))).scalar_one()  # beside what is there
        for first in range(base + 1, base + count + 1, 10_000):
            entries, fields = [], []
            for i in range(first, min(first + 10_000, base + count + 1)):
                subject, kind = rng.choice(SUBJECTS), rng.choice(KINDS)
                name = f"{subject}{kind}"
                entries.append({
                    "id": i, "code": f"3-99-{i % 1000:03d}/{i:07d}", "unit_id": rng.choice(units), "name": name,
                    "summary": "".join(rng.sample(WORDS, 4)) + name, "category": "department",
                    "category_code": f"3-01-{i % 1000:03d}",
                    "format": rng.choice(["database", "spreadsheet", "file", "service"]),
                    "share_type": rng.choice(["unconditional", "conditional", "not_shared"]),
                    "open_type": rng.choice(["public", "authorized", "closed"]),
                    "update_cycle": rng.choice(["daily", "monthly", "realtime", "yearly"]), "ingest_mode": "realtime",
                    "status": "registered" if i % 10 else "draft", "version": 1 if i % 10 else 0,
                    "created_at": now, "updated_at": now})
                for position, (field, label) in enumerate(rng.sample(FIELDS, rng.randint(4, 10))):
                    fields.append({"entry_id": i, "position": position, "name": field, "label": label,
                                   "data_type": "C",
                                   "description": f"{rng.choice(WORDS)}{subject}{label}（{rng.choice(WORDS)}）"})
            db.execute(insert(CatalogEntry.__table__), entries)  # type: ignore[arg-type]
            db.execute(insert(Field.__table__), fields)  # type: ignore[arg-type]


def _index(ctx: ScaleContext) -> float:
    """Seconds to index every entry as the platform re-indexes."""
    search.words("目录")  # jieba's dictionary loads once per process (at startup in the server), not per index
    began = time.perf_counter()
    with ctx.database.write() as db:
        search.rebuild(db)
    seconds = time.perf_counter() - began
    with ctx.database.write() as db:  # statistics, as autovacuum would gather them after a load
        for table in ("catalog_entries", "catalog_fields", "catalog_search"):
            db.execute(text(f"ANALYZE {table}"))
    return seconds


def _steward(ctx: ScaleContext) -> Actor:
    with ctx.database.read() as db:
        user = db.execute(select(User).where(User.username == "steward_mz")).scalar_one()
    return Actor(kind="user", id=user.id, name=user.username, roles=frozenset({Role.STEWARD}), unit_id=user.unit_id,
                 method=Method.WEB, client_addr="127.0.0.1")


def _searches(ctx: ScaleContext, rounds: int) -> tuple[dict[str, list[float]], int]:
    """Milliseconds per search by query, and the hits found."""
    actor = _steward(ctx)
    samples: dict[str, list[float]] = {}
    found = 0
    with ctx.database.reads().read() as db:
        for i in range(rounds):
            q, own_unit = QUERIES[i % len(QUERIES)]
            query = browse.EntryQuery(q=q, unit_id=actor.unit_id if own_unit else None)
            began = time.perf_counter()
            page = browse.list_entries(db, actor, query=query)
            samples.setdefault(f"{q}{' +unit' if own_unit else ''}", []).append((time.perf_counter() - began) * 1000)
            found += page.total
    return samples, found


def measure(ctx: ScaleContext) -> list[ScalePoint]:
    count = entry_count(ctx.rows)
    _load(ctx, count)
    index_seconds = _index(ctx)
    _searches(ctx, len(QUERIES))  # the first of each: jieba's dictionary, the statement caches, warm pages
    by_query, found = _searches(ctx, len(QUERIES) * 20)
    samples = [ms for part in by_query.values() for ms in part]
    cuts = statistics.quantiles(samples, n=100)
    hits = found / len(samples)
    slowest = max(by_query, key=lambda q: statistics.median(by_query[q]))

    # A search's time follows its hits (ten times the entries: ten times the hits to count into the facets), so it
    # is judged as growing no faster than the catalog; a key lookup's is judged flat.
    def point(work: str, value: float, unit: str, note: str = "") -> ScalePoint:
        return ScalePoint(work, count, value, unit, higher_is_better=unit == "entries/s", backend=ctx.backend,
                          note=note, per_size=unit == "ms")

    return [
        point("catalog search p50 (entries; steward, 8 facets)", cuts[49], "ms",
              f"{len(samples)} searches, {hits:,.0f} hits each on average"),
        point("catalog search p99 (entries; steward, 8 facets)", cuts[98], "ms",
              f"max {max(samples):.1f} ms; slowest query {slowest!r}: median "
              f"{statistics.median(by_query[slowest]):.1f} ms"),
        point("catalog index build (search.rebuild, jieba)", count / index_seconds, "entries/s",
              f"{index_seconds:.1f} s"),
    ]


def main() -> int:
    """Run alone: `python -m bench.scale_search [ENTRIES [BACKEND...]]` (the runner is `bench/scale.py`)."""
    from bench.harness import bench_database

    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    backends = sys.argv[2:] or ["sqlite"] + (["postgresql"] if os.environ.get("GOVDATA_DATABASE_URL") else [])
    for backend in backends:
        with bench_database(backend) as (database, settings, workdir):
            ctx = ScaleContext(database, settings, workdir, backend, rows=int(entries / ENTRIES_PER_ROW),
                               audit_events=0)
            for point in measure(ctx):
                print(f"{backend:10} {point.size:>9,} {point.work:50} {point.value:>10,.1f} {point.unit:9} "
                      f"{point.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
