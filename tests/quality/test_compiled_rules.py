"""The demo's rule set on 人口基础信息, compiled for a batch into column checks, says of every row what the row check
says: the same rows refused, with the same first problem, block after block (the column checks remember the
values they have judged for the whole batch, so later blocks are decided partly from that memory)."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from govdata import hooks
from govdata.catalog.models import CatalogEntry, Field
from govdata.datastore import demo as datastore_demo
from govdata.datastore.checking import Block, RowChecker
from govdata.quality import demo as quality_demo
from govdata.quality.validator import EntryValidator
from govdata.storage.engines import Database
from tests.datastore.factories import make_entry
from tests.quality.factories import idcard

PERSON = "人口基础信息"
FIELDS = [{"name": n, "label": lb, "data_type": t, "length": ln, "precision": p, "is_key": k, "is_lookup": lk}
          for n, lb, t, ln, p, k, lk, _s, _l in datastore_demo.BASE[PERSON]["fields"]]
BIRTHS = [date(1990, 1, 1), date(1988, 2, 29), date(1960, 12, 31), date(1850, 1, 1)]


@st.composite
def person(draw: st.DrawFn, *, text_only: bool) -> list[Any]:
    """A row near the demo's people: mostly good, each field sometimes wrong in the ways the rules look for."""
    born = draw(st.sampled_from(BIRTHS))
    good = idcard(born, draw(st.integers(0, 40)))
    sfzh = draw(st.sampled_from([good, good, good, good[:-1] + ("0" if good[-1] != "0" else "1"), good.lower(),
                                 "350802199002300011", "35080219900101001", "", None]))
    other = date(1975, 6, 1)
    csrq = draw(st.sampled_from([born.isoformat(), born.isoformat(), born.strftime("%Y%m%d"), other.isoformat(),
                                 "2999-01-01", "1899-12-31", "1990-02-30", "x", "", None]))
    xm = draw(st.sampled_from(["张三", "李四", "王五", "欧阳娜娜", "名" * 51, " ", "", None]))
    xb = draw(st.sampled_from(["1", "2", "1", "3", "男", "", None]))
    mz = draw(st.sampled_from(["01", "07", "01", "99", "1", "", None]))
    hjdz = draw(st.sampled_from(["福建省龙岩市新罗区", "", None]))
    xzqh = draw(st.sampled_from(["350802", "350881", "350802", "110105", "", None]))
    lxdh = draw(st.sampled_from(["13905971234", "13905971234", "0597-2345678", "12345", "１３９０５９７１２３４", "",
                                 None]))
    row = [sfzh, xm, xb, mz, csrq, hjdz, xzqh, lxdh]
    return ["" if v is None else v for v in row] if text_only else row


def _entry(database: Database) -> CatalogEntry:
    entry = make_entry(database, fields=FIELDS)
    with database.write() as db:
        for name, rules in quality_demo.BASE_RULES[PERSON].items():
            db.execute(update(Field).where(Field.entry_id == entry.id, Field.name == name)
                       .values(rules=orjson.dumps(rules).decode()))
    with database.read() as db:
        loaded = db.get(CatalogEntry, entry.id)
        assert loaded is not None
        _ = loaded.fields
        return loaded


def _checker(database: Database, entry: CatalogEntry) -> RowChecker:
    with database.read() as db:
        return RowChecker(entry, sqlite=database.is_sqlite, validators=hooks.validators_for(db, entry))


def _outcome(checked: Any) -> tuple[Any, ...]:
    problems = [(p.line, p.field, p.reason, p.raw) for p in checked.problems]
    return (checked.total, checked.lines, checked.rows(), problems)


@pytest.mark.parametrize("text_only", [True, False], ids=["csv", "json"])
def test_demo_rules_by_column_agree_with_rows(database: Database, text_only: bool) -> None:
    entry = _entry(database)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.lists(person(text_only=text_only), max_size=40), min_size=1, max_size=4))
    def check(blocks: list[list[list[Any]]]) -> None:
        by_column, by_row = _checker(database, entry), _checker(database, entry)
        line = 1
        for rows in blocks:
            lines = list(range(line + 1, line + 1 + len(rows)))
            line += len(rows)
            block = Block.of_rows(rows, lines, len(FIELDS), text=text_only)
            assert _outcome(by_column.check(block)) == _outcome(by_row.check_rows(block))

    check()


def test_demo_rules_refuse_what_they_should(database: Database) -> None:
    """The agreement above is not vacuous: each kind of bad value is refused, by its rule, with its message."""
    entry = _entry(database)
    born = date(1990, 1, 1)
    good = [idcard(born, 1), "张三", "1", "01", "1990-01-01", "福建省龙岩市", "350802", "13905971234"]
    bad = {0: ("sfzh", idcard(born, 2)[:-1] + "0"), 2: ("xb", "3"), 3: ("mz", "99"), 4: ("csrq", "1975-06-01"),
           6: ("xzqh", "110105"), 7: ("lxdh", "12345")}
    rows = [good] + [[*good[:i], value, *good[i + 1:]] for i, (_name, value) in bad.items()]
    rows = [[idcard(born, n + 10), *row[1:]] if n and row[0] == good[0] else row for n, row in enumerate(rows)]
    # the same values again in a second block: decided from what the first block taught the column checks
    checker = _checker(database, entry)
    first = checker.check(Block.of_rows(rows, list(range(2, 2 + len(rows))), len(FIELDS), text=True))
    again = [[idcard(born, n + 100), *row[1:]] if row[0] != rows[1][0] else row for n, row in enumerate(rows)]
    second = checker.check(Block.of_rows(again, list(range(20, 20 + len(rows))), len(FIELDS), text=True))
    for checked, start in ((first, 2), (second, 20)):
        assert checked.lines == [start]
        assert [p.field for p in checked.problems] == [name for name, _value in bad.values()]
        reasons = [p.reason for p in checked.problems]
        assert "公民身份号码" in reasons[0] and "代码表" in reasons[1] and "代码表" in reasons[2]
        assert "不一致" in reasons[3] and "代码表" in reasons[4] and "电话" in reasons[5]


def test_validator_memory_is_per_batch(database: Database) -> None:
    """A validator is built for one batch: a new batch judges a value afresh (a code table may have changed)."""
    entry = _entry(database)
    with database.read() as db:
        first = [v for v in hooks.validators_for(db, entry) if isinstance(v, EntryValidator)]
        second = [v for v in hooks.validators_for(db, entry) if isinstance(v, EntryValidator)]
    assert len(first) == 1 and len(second) == 1 and first[0] is not second[0]
    column = {"sfzh": [idcard(date(1990, 1, 1), 1)], "xm": ["张三"], "xb": ["3"], "mz": ["01"],
              "csrq": [date(1990, 1, 1)], "hjdz": [None], "xzqh": ["350802"], "lxdh": ["13905971234"]}
    assert first[0].check_columns(column, 1) == {0: ("xb", "代码表取值：不在代码表 GB/T 2261.1 中")}
    assert first[0].check_columns(column, 1) == second[0].check_columns(column, 1)
