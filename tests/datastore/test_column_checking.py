"""Blocks are checked column by column; the result is exactly the row-by-row check's (values, problems, order).

The row-by-row path (`RowChecker.check_rows`) is the reference: every way in used it alone before the
column path existed, and blocks with deletes still take it.
"""

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
from govdata.datastore.checking import Block, RowChecker
from govdata.storage.engines import Database
from tests.datastore.factories import make_entry
from tests.quality.factories import idcard

FIELDS: list[dict[str, Any]] = [
    {"name": "sfzh", "label": "公民身份号码", "data_type": "C", "length": 18, "is_key": True},
    {"name": "xm", "label": "姓名", "data_type": "C", "length": 4, "is_required": True},
    {"name": "csrq", "label": "出生日期", "data_type": "D"},
    {"name": "zczb", "label": "金额", "data_type": "Y", "length": 8, "precision": 2},
    {"name": "nl", "label": "年龄", "data_type": "I"},
    {"name": "sfyx", "label": "是否有效", "data_type": "L"},
    {"name": "gxsj", "label": "更新时间", "data_type": "T"},
    {"name": "bz", "label": "备注", "data_type": "M"},
    {"name": "dh", "label": "电话", "data_type": "C", "length": 20},
    {"name": "xb", "label": "性别", "data_type": "C", "length": 1},
    {"name": "df", "label": "得分", "data_type": "F"},
    {"name": "zjhm", "label": "证件号码", "data_type": "C", "length": 30},
]
RULES = {
    "sfzh": [{"type": "idcard"}],
    "xm": [{"type": "length", "min": 2}],
    "csrq": [{"type": "not_future"}, {"type": "birth_matches", "idcard_field": "zjhm"},
             {"type": "compare", "op": "<=", "other": "gxsj"}],
    "zczb": [{"type": "range", "min": 0}],
    "nl": [{"type": "range", "min": 0, "max": 150}],
    "dh": [{"type": "phone"}, {"type": "unique"}],
    "xb": [{"type": "required"}, {"type": "code", "table": "GB/T 2261.1"}],
}
IDS = [idcard(date(1990, 1, 1), 1), idcard(date(1990, 1, 1), 2), idcard(date(1988, 2, 29), 3),
       idcard(date(1990, 1, 1), 1)[:-1] + "0", "110105194912310021", "11010519491231002x", "abc", ""]
VALUES: dict[str, list[Any]] = {
    "sfzh": IDS + [" " + IDS[0], None, 350802],
    "xm": ["张三", "李四", "王", "张三丰丰丰", " 赵六 ", "", None, 12, True],
    "csrq": ["1990-01-01", "1988-02-29", "1990-02-30", "19900101", "1990/01/01", "", None, "x", 19900101,
             "2999-01-01"],
    "zczb": ["12.5", "0", "-3", "1,000.50", "1.234", "123456.78", "abc", "", None, 12, 12.0, 1.5, True],
    "nl": ["35", "200", "-1", "x", "", None, 35, 35.0, 35.5, False, " 7 "],
    "sfyx": ["是", "否", "1", "0", "true", "maybe", "", None, True, 1, 1.0, 2],
    "gxsj": ["2024-05-01 08:00:00", "2024-05-01T08:00:00+08:00", "20240501080000", "yesterday", "", None,
             "1985-01-01 00:00:00"],
    "bz": ["ok", " padded ", "", None, "x" * 300, "tab\there", 5],
    "dh": ["13905971234", "13905971234", "0597-2345678", "12345", "", None, "1390597123"],
    "xb": ["1", "2", "3", "", None, " 1"],
    "df": ["1.5", "-0.0", "nan", "1e400", "", None, 2, 2.5, "x"],
    "zjhm": IDS + [None, 350802],  # no idcard rule here: birth_matches alone judges it
}


def _ruled_entry(database: Database) -> CatalogEntry:
    entry = make_entry(database, fields=FIELDS)
    with database.write() as db:
        for name, rules in RULES.items():
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


@st.composite
def raw_rows(draw: st.DrawFn, *, text_only: bool) -> list[list[Any]]:
    rows = []
    for _ in range(draw(st.integers(0, 25))):
        row = []
        for spec in FIELDS:
            choices = VALUES[spec["name"]]
            if text_only:
                choices = [c for c in choices if isinstance(c, str)]
            row.append(draw(st.sampled_from(choices)))
        rows.append(row)
    return rows


def _outcome(checked: Any) -> tuple[Any, ...]:
    return (checked.total, checked.lines, checked.rows(), checked.deletes,
            [(p.line, p.field, p.reason, p.raw) for p in checked.problems])


@pytest.mark.parametrize("text_only", [True, False], ids=["csv", "json"])
def test_column_check_equals_row_check(database: Database, text_only: bool) -> None:
    entry = _ruled_entry(database)

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(raw_rows(text_only=text_only), min_size=1, max_size=3), st.data())
    def check(blocks: list[list[list[Any]]], data: st.DataObject) -> None:
        by_column, by_row = _checker(database, entry), _checker(database, entry)  # unique remembers per batch
        line = 1
        for rows in blocks:
            lines = list(range(line + 1, line + 1 + len(rows)))
            line += len(rows)
            problems = {i: ("", "读取时发现的问题") for i in range(len(rows)) if data.draw(st.integers(0, 9)) == 0}
            block = Block.of_rows(rows, lines, len(FIELDS), problems=problems or None, text=text_only)
            checked = by_column.check(block)
            assert _outcome(checked) == _outcome(by_row.check_rows(block))
            assert checked.nulls == [column.count(None) for column in checked.columns]

    check()


def test_some_rows_of_each_kind_are_refused(database: Database) -> None:
    """The equality above means something: good rows pass and each rule refuses what it should."""
    entry = _ruled_entry(database)
    good = [IDS[0], "张三", "1990-01-01", "12.5", "35", "是", "2024-05-01 08:00:00", "ok", "13905971234", "1", "1.5",
            IDS[0]]
    rows = [good, [IDS[3], *good[1:8], "0597-2345678", *good[9:]], [IDS[1], *good[1:8], "13905971234", *good[9:]],
            [IDS[2], "张三", "1990-01-01", *good[3:8], "0597-1111111", *good[9:11], IDS[2]],
            [IDS[0], *good[1:8], "0597-2222222", *good[9:]]]
    checked = _checker(database, entry).check(Block.of_rows(rows, [2, 3, 4, 5, 6], len(FIELDS), text=True))
    assert checked.lines == [2]
    assert [(p.line, p.field) for p in checked.problems] == [(3, "sfzh"), (4, "dh"), (5, "csrq"), (6, "sfzh")]
    assert "重复" in checked.problems[1].reason and "第 2 行" in checked.problems[3].reason
