"""The CKAN Action API (issue 14): `package_search?q=<word>&rows=10` p50 and p95 over 10,000 published open
datasets (target p95 < 50 ms), and `datastore_search` with `filters={"<key>": value}` on the indexed key of a
published 普遍开放 dataset of 1,000,000 rows (target p95 < 20 ms; the call never counts the whole table, as
CKAN's count(*) does). Both through the real app in process (TestClient, an anonymous caller), beside the
plainest way: a bare `LIKE '%word%'` over the same tables (with its count), and a bare driver SELECT by key.

Sizes: GOVDATA_BENCH_CKAN_DATASETS and GOVDATA_BENCH_CKAN_ROWS (the issue's sizes by default). The dataset is
the demo's 法人基础信息 (统一社会信用代码 as key, 法定代表人 masked by the demo's rule `name`). The anonymous
rate limit is raised for the bench (each call still takes its limiter write)."""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import date
from decimal import Decimal
from itertools import islice

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, text

from bench.bench_catalog import KINDS, QUERIES, TOPICS, WORDS
from bench.harness import BenchContext, Figure
from govdata import clock
from govdata.actor import platform_actor
from govdata.app import create_app
from govdata.catalog import search
from govdata.catalog.models import CatalogEntry, EntryStatus, Field, SearchDoc
from govdata.datastore.demo import Pools, companies, credit_code
from govdata.datastore.tables import create_tables, resource_table
from govdata.opendata import service
from govdata.opendata.models import Licence, OpenDataset, Topic
from govdata.opendata.schemas import OpenDatasetPublish
from govdata.orgs import demo as orgs_demo
from govdata.orgs.models import Unit

CODE = "BENCH-CKAN-001"
RESOURCE = CODE.lower() + "-data"
FIELDS = [  # the demo's 法人基础信息: name, label, type, length, precision, key, sensitivity, level, rule
    ("tyshxydm", "统一社会信用代码", "C", 18, None, True, "none", "L1", ""),
    ("jgmc", "机构名称", "C", 200, None, False, "none", "L1", ""),
    ("fddbr", "法定代表人", "C", 50, None, False, "personal", "L3", "name"),
    ("clrq", "成立日期", "D", None, None, False, "none", "L1", ""),
    ("zczb", "注册资本（万元）", "Y", 18, 2, False, "none", "L1", ""),
    ("jyzt", "经营状态", "C", 2, None, False, "none", "L1", ""),
    ("zs", "住所", "C", 200, None, False, "none", "L1", ""),
    ("xzqh", "区划", "C", 6, None, False, "none", "L1", ""),
]


def _table(ctx: BenchContext, rows: int) -> str:
    """The 法人基础信息 dataset with `rows` rows, published (audited) through the service; its table's name."""
    with ctx.database.write() as db:
        units = orgs_demo.seed(db, "bench-password")
        entry = CatalogEntry(code=CODE, unit_id=next(iter(units.values())).id, name="法人基础信息（基准）",
                             summary="基准", category="base", category_code="1-02-001", format="database",
                             share_type="unconditional", open_type="public", update_cycle="daily",
                             ingest_mode="realtime", status=EntryStatus.REGISTERED.value, version=1)
        for pos, (name, label, kind, length, precision, key, sensitivity, level, rule) in enumerate(FIELDS):
            entry.fields.append(Field(position=pos, name=name, label=label, data_type=kind, length=length,
                                      precision=precision, is_key=key, is_lookup=False, is_required=key,
                                      sensitivity=sensitivity, security_level=level, masking_rule=rule))
        db.add(entry)
        db.flush()
        create_tables(db.connection(), entry)
        table = resource_table(entry)
        now = clock.now()
        made = ({**row, "clrq": date.fromisoformat(row["clrq"]), "zczb": Decimal(row["zczb"]), "_batch": None,
                 "_updated_at": now, "_deleted": False} for row in companies(rows, Pools()))
        while part := list(islice(made, 10_000)):
            db.execute(insert(table), part)
        service.publish_dataset(db, platform_actor(), entry_id=entry.id,
                                data=OpenDatasetPublish(topic=Topic.CREDIT))
        return table.name


def _catalog(ctx: BenchContext, count: int) -> None:
    """`count` published open datasets over registered entries, indexed for search the way the catalog indexes
    them (catalog_search: FTS5 on SQLite, GIN on PostgreSQL), written in bulk."""
    rng = random.Random(14)
    topics, licences = [t.value for t in Topic], [licence.value for licence in Licence]
    with ctx.database.write() as db:
        units = list(db.execute(select(Unit.id, Unit.name)).all())
        first = int(db.execute(select(func.max(CatalogEntry.id))).scalar_one() or 0) + 1
        now = clock.now()
        entries, docs, datasets = [], [], []
        for i in range(first, first + count):
            unit_id, unit_name = rng.choice(units)
            name = f"{rng.choice(TOPICS)}{rng.choice(KINDS)}"
            summary = "".join(rng.sample(WORDS, 4)) + name
            open_type = "public" if rng.random() < 0.8 else "authorized"
            entries.append({
                "id": i, "code": f"3-02-{i % 1000:03d}/{i:06d}", "unit_id": unit_id, "name": name,
                "summary": summary, "category": "department", "category_code": f"3-02-{i % 1000:03d}",
                "format": rng.choice(["database", "spreadsheet", "file", "service"]), "related_codes": "",
                "share_type": "unconditional", "share_condition": "", "share_method": "interface",
                "legal_basis": "", "open_type": open_type, "open_condition": "", "update_cycle": "monthly",
                "ingest_mode": "realtime", "security_class": "general", "security_level": "L1",
                "recollection_basis": "", "status": "registered", "version": 1, "created_at": now,
                "updated_at": now})
            docs.append({"entry_id": i, "body": " ".join(dict.fromkeys(search.words(f"{name} {summary} {unit_name}")))})
            datasets.append({"entry_id": i, "slug": f"3-02-{i % 1000:03d}-{i:06d}", "unit_id": unit_id,
                             "title": name, "summary": summary,
                             "topic": rng.choice(topics), "licence": rng.choice(licences), "terms": "",
                             "open_type": open_type, "status": "published", "entry_version": 1,
                             "published_at": now, "updated_at": now, "view_count": 0, "download_count": 0,
                             "conditions": ""})
        db.execute(insert(CatalogEntry.__table__), entries)  # type: ignore[arg-type]
        db.execute(insert(SearchDoc.__table__), docs)  # type: ignore[arg-type]
        db.execute(insert(OpenDataset.__table__), datasets)  # type: ignore[arg-type]
    with ctx.database.write() as db:
        db.execute(text("ANALYZE"))  # a bulk load leaves the planner without statistics


def _ms(samples: list[float], q: int) -> float:
    """The q-th percentile (50 or 95) of `samples`, in ms."""
    return statistics.quantiles(samples, n=100)[q - 1] * 1000


def _package_search(client: TestClient, rounds: int) -> tuple[list[float], int]:
    samples, found = [], 0
    for i in range(rounds):
        word = QUERIES[i % len(QUERIES)]
        start = time.perf_counter()
        answer = client.get("/api/3/action/package_search", params={"q": word, "rows": 10})
        samples.append(time.perf_counter() - start)
        assert answer.status_code == 200, answer.text
        result = answer.json()["result"]
        assert len(result["results"]) == min(10, result["count"])
        found += result["count"]
    return samples, found


def _plain_search(ctx: BenchContext, rounds: int) -> tuple[list[float], int]:
    where = ("FROM open_datasets d JOIN catalog_entries e ON e.id = d.entry_id WHERE d.status = 'published' "
             "AND (e.name LIKE :w OR e.summary LIKE :w)")
    page = text(f"SELECT d.id, d.title, e.code {where} ORDER BY d.updated_at DESC, d.id DESC LIMIT 10")
    count = text(f"SELECT count(*) {where}")
    samples, found = [], 0
    with ctx.database.read() as db:
        for i in range(rounds):
            word = f"%{QUERIES[i % len(QUERIES)]}%"
            start = time.perf_counter()
            db.execute(page, {"w": word}).all()
            found += int(db.execute(count, {"w": word}).scalar_one())
            samples.append(time.perf_counter() - start)
    return samples, found


def _keys(rows: int, rounds: int) -> list[str]:
    rng = random.Random(20)
    return [credit_code(rng.randrange(rows)) for _ in range(rounds)]


def _datastore_search(client: TestClient, keys: list[str]) -> list[float]:
    samples = []
    for key in keys:
        params = {"resource_id": RESOURCE, "filters": orjson.dumps({"tyshxydm": key}).decode()}
        start = time.perf_counter()
        answer = client.get("/api/3/action/datastore_search", params=params)
        samples.append(time.perf_counter() - start)
        assert answer.status_code == 200, answer.text
        result = answer.json()["result"]
        assert result["total"] == 1 and result["records"][0]["tyshxydm"] == key, result
        assert next(f for f in result["fields"] if f["id"] == "fddbr")["info"]["masked"]
    return samples


def _plain_select(ctx: BenchContext, table: str, keys: list[str]) -> list[float]:
    columns = ", ".join(f[0] for f in FIELDS)
    mark = "?" if ctx.backend == "sqlite" else "%s"
    sql = f"SELECT {columns} FROM {table} WHERE tyshxydm = {mark}"
    samples = []
    raw = ctx.database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for key in keys:
            start = time.perf_counter()
            cursor.execute(sql, (key,))
            assert len(cursor.fetchall()) == 1
            samples.append(time.perf_counter() - start)
        cursor.close()
    finally:
        raw.close()
    return samples


def run(ctx: BenchContext) -> list[Figure]:
    count = ctx.size(int(os.environ.get("GOVDATA_BENCH_CKAN_DATASETS", "10000")), 500)
    rows = ctx.size(int(os.environ.get("GOVDATA_BENCH_CKAN_ROWS", "1000000")), 20_000)
    rounds = 200
    table = _table(ctx, rows)
    _catalog(ctx, count)
    settings = ctx.settings.model_copy(update={"open_anonymous_calls_per_minute": 1_000_000})
    app = create_app(settings, ctx.database, migrate=False, run_jobs=False)
    keys = _keys(rows, rounds)
    with TestClient(app) as client:
        client.get("/api/3/action/package_search", params={"q": QUERIES[0]})  # warm: jieba's dictionary, caches
        search_samples, found = _package_search(client, rounds)
        store_samples = _datastore_search(client, keys)
    plain_search, plain_found = _plain_search(ctx, rounds)
    plain_select = _plain_select(ctx, table, keys)
    ctx.notes.append(f"ckan: {count:,} datasets, package_search found {found:,} in all over {rounds} queries "
                     f"(bare LIKE: {plain_found:,}); datastore table of {rows:,} rows")
    return [
        Figure(f"CKAN package_search p50 ({count:,} datasets)", _ms(search_samples, 50), "ms",
               plain=_ms(plain_search, 50), plain_label="bare LIKE '%word%' + count"),
        Figure(f"CKAN package_search p95 ({count:,} datasets)", _ms(search_samples, 95), "ms",
               plain=_ms(plain_search, 95), plain_label="bare LIKE '%word%' + count", target="< 50 ms"),
        Figure(f"CKAN datastore_search by key p50 ({rows:,} rows)", _ms(store_samples, 50), "ms",
               plain=_ms(plain_select, 50), plain_label="bare driver SELECT by key"),
        Figure(f"CKAN datastore_search by key p95 ({rows:,} rows)", _ms(store_samples, 95), "ms",
               plain=_ms(plain_select, 95), plain_label="bare driver SELECT by key", target="< 20 ms"),
    ]
