"""The classified-data guard (第二十三条): a row carrying a classification marking (机密★, 秘密★10年, 绝密★长期)
is refused on every way in, its line and field named; running text that merely contains 秘密 passes; the scan
costs little on the ingest path."""

from __future__ import annotations

import time
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from govdata.catalog.models import CatalogEntry, Field
from govdata.datastore import demo
from govdata.datastore.checking import Block, RowChecker
from govdata.security.classified import MARKING, ClassifiedGuard, classified_guard, find_marking
from tests.conftest import last_audit
from tests.datastore.factories import make_entry, system_token

FIELDS = [
    {"name": "bh", "label": "文件编号", "data_type": "C", "length": 20, "is_key": True},
    {"name": "bt", "label": "标题", "data_type": "C", "length": 200},
    {"name": "nr", "label": "内容", "data_type": "M"},
    {"name": "ys", "label": "页数", "data_type": "I"},
]


def _push(client: Any, code: str, headers: dict[str, str], rows: list[dict[str, Any]], **params: str) -> Any:
    return client.post(f"/api/v1/resources/{code}/records", params=params, content=orjson.dumps(rows),
                       headers={**headers, "Content-Type": "application/json"})


def test_a_marked_row_is_refused_with_line_and_field(client, database):
    entry = make_entry(database, fields=FIELDS)
    headers = system_token(database)
    rows = [{"bh": "1", "bt": "关于保守商业秘密的义务的通知", "nr": "机密文件管理办法（修订）", "ys": 3},
            {"bh": "2", "bt": "年度工作要点", "nr": "机密★5年 正文……", "ys": 1},
            {"bh": "3", "bt": "秘 密 ☆10年", "nr": None, "ys": 2},
            {"bh": "4", "bt": "绝密★长期", "nr": "", "ys": 1},
            {"bh": "5", "bt": "评分★★★", "nr": "秘密事项不得外传", "ys": 1}]
    refused = _push(client, entry.code, headers, rows)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "rows_rejected" and error["field"] == "nr" and "机密★" in error["message"]
    assert [(d["line"], d["field"]) for d in error["details"]] == [(2, "nr"), (3, "bt"), (4, "bt")]
    assert "第二十三条" in error["details"][0]["reason"]
    partial = _push(client, entry.code, headers, rows, mode="load_valid")
    assert partial.status_code == 200
    assert (partial.json()["inserted"], partial.json()["rejected"]) == (2, 3)  # running text passes
    event = last_audit(database, action="resource.push")
    assert event is not None and event.row_count == 2
    assert "正文……" not in refused.text and "正文……" not in partial.text  # the marked value is not echoed
    rejects = client.get(f"/api/v1/batches/{partial.json()['batch_id']}/rejects.csv",
                         headers=_steward(client))
    assert rejects.status_code == 200
    kept = rejects.content.decode("utf-8-sig")
    assert "正文……" not in kept and "绝密★长期" not in kept and kept.count("原值未保存") == 3
    assert "秘密事项不得外传" not in kept  # a row that was loaded is no reject


def _steward(client: Any) -> dict[str, str]:
    token = client.post("/api/v1/auth/token", data={"username": "steward_gaj", "password": "govdata-demo"})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_an_upload_is_scanned_too(web, database, settings):
    entry = make_entry(database, fields=FIELDS)
    steward = web("steward_gaj")
    csv = "文件编号,标题,内容,页数\n1,通知,正文,1\n2,请示,秘密★ 关于……,2\n".encode()
    r = steward.post(f"/resources/{entry.id}/upload", {}, files={"file": ("docs.csv", csv, "text/csv")})
    assert r.status_code == 422, r.text  # refused whole, before it is kept or previewed (test_classified_upload.py)
    assert "第 3 行“内容”列含涉密标志“秘密★”" in r.text and "第二十三条" in r.text
    assert "关于……" not in r.text and "请示" not in r.text
    assert list((settings.home_dir / "uploads").glob("*")) == []


def test_an_entry_without_text_fields_is_not_scanned():
    entry = CatalogEntry(code="X", name="x")
    entry.fields = [Field(position=0, name="n", label="n", data_type="I"),
                    Field(position=1, name="xb", label="性别", data_type="C", length=1)]
    assert classified_guard(None, entry) is None  # nothing that could hold "秘密★"


LEVELS = st.sampled_from(["绝密", "机密", "秘密"])
STARS = st.sampled_from(["★", "☆"])
SPACE = st.text(alphabet=" \u3000\t", max_size=2)
TERMS = st.sampled_from(["", "10年", "长期", "5年", "2030年12月31日"])
TEXT = st.text(max_size=30)


@settings(max_examples=100, deadline=None)
@given(before=TEXT, level=LEVELS, gap=SPACE, star=STARS, term=TERMS, after=TEXT)
def test_markings_are_always_caught(before, level, gap, star, term, after):
    value = f"{before}{level}{gap}{star}{term}{after}"
    assert find_marking(value) is not None
    assert ClassifiedGuard(["x"]).check_columns({"x": ["正文", None, value]}, 3) == {2: ("x", _message_of(value))}


def _message_of(value: str) -> str:
    found = MARKING.search(value)
    assert found is not None
    return f"含涉密标志“{found.group(0)}”：涉密数据不得进入平台（第二十三条），本行已拒收"


WORDS = st.lists(st.sampled_from(["保守", "商业", "秘密", "机密", "绝密", "的义务", "文件", "，", " ", "★★★",
                                  "评分", "信息", "★"]), max_size=12)


@settings(max_examples=100, deadline=None)
@given(words=WORDS, noise=TEXT)
def test_running_text_is_never_refused(words, noise):
    value = "".join(words) + noise
    if MARKING.search(value):  # the words happened to form a marking: the other test's ground
        return
    assert find_marking(value) is None
    assert ClassifiedGuard(["x"]).check_columns({"x": [value, None]}, 2) == {}
    assert ClassifiedGuard(["x"])({"x": value}) == []


@given(value=st.text(alphabet=st.characters(blacklist_characters="★☆"), max_size=60))
def test_without_a_star_nothing_is_refused(value):
    assert find_marking(value) is None


def test_the_guard_costs_little():
    """The scan beside the checks the loader makes anyway, on 20,000 demo population rows (CPU time, best of
    five): a small fraction of them (measured ~25–30 % of the column checks alone, ~0.2 µs a row; the load
    as a whole also parses, writes and keeps history, so far less of it)."""
    specs = [("sfzh", "C", 18, True), ("xm", "C", 50, False), ("xb", "C", 1, False), ("mz", "C", 2, False),
             ("csrq", "D", None, False), ("hjdz", "C", 200, False), ("xzqh", "C", 6, False),
             ("lxdh", "C", 20, False)]
    entry = CatalogEntry(code="X", name="x")
    entry.fields = [Field(position=i, name=n, label=n, data_type=t, length=length, is_key=key)
                    for i, (n, t, length, key) in enumerate(specs)]
    rows = [tuple(r.values()) for r in demo.people(20_000, demo.Pools(7))]
    guard = classified_guard(None, entry)
    assert guard is not None and guard.names == ("sfzh", "xm", "hjdz", "xzqh", "lxdh")

    def best(validators: list[Any]) -> float:
        times = []
        for _ in range(5):
            block = Block.of_rows(rows, range(1, len(rows) + 1), len(specs), text=True)
            checker = RowChecker(entry, sqlite=True, validators=validators)
            started = time.process_time()
            checked = checker.check(block)
            times.append(time.process_time() - started)
            assert not checked.problems
        return min(times)

    plain, guarded = best([]), best([guard])
    assert guarded - plain < 0.75 * plain, (plain, guarded)
