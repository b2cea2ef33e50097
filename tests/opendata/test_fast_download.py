"""The streamed download's fast path (raw cursor, a batch as one flat list, columns masked a batch at a time,
values remembered, a batch's CSV text joined at once and checked as a whole) gives byte for byte what masking row
by row gives: the same rows through `Masker.mask_tuple` and a neutralised `csv.writer`, over more than one batch
and through awkward values."""

from __future__ import annotations

import codecs
import csv
import io
import random
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govdata.catalog.models import CatalogEntry, MaskingRule
from govdata.exports import CsvRows, csv_rows, csv_writer, neutral, neutral_column
from govdata.masking import columns as masking_columns
from govdata.masking.columns import NOTHING, ColumnMasker, Finish
from govdata.masking.masker import Masker
from govdata.masking.rules import Rule
from govdata.opendata.data import BATCH, public_view, records_query
from tests.opendata.helpers import openable, publish

# name, label, type, length, key, sensitivity, level, rule
FIELDS = [
    ("sfzh", "公民身份号码", "C", 40, True, "personal", "L4", "id_card"),
    ("xm", "姓名", "C", 50, False, "personal", "L3", "name"),
    ("xb", "性别", "C", 1, False, "none", "L1", ""),
    ("csrq", "出生日期", "D", 8, False, "none", "L2", "date_month"),
    ("zz", "住址", "C", 200, False, "personal", "L3", "address"),
    ("lxdh", "联系电话", "C", 40, False, "personal", "L3", "phone"),
    ("sr", "年收入", "Y", 18, False, "personal", "L3", "number_band:10000"),
    ("bz", "备注", "C", 200, False, "none", "L1", ""),
    ("yhk", "银行卡号", "C", 30, False, "personal", "L4", "pseudonym"),
    ("mm", "密码提示", "C", 50, False, "personal", "L4", "suppress"),
]
CELLS = Finish(value=neutral, column=neutral_column)  # a value made a CSV cell, remembered so
ODD_IDS = ["35080219850312123X\n350802198503121234",
           "３５０８０２１９８５０３１２１２３４", " 350802198503121234 ", "35080219850312123x", "350802850312123",
           "3508 0219 8503 1212 34", "不详", "", "=1+2", "35080219850312123X"]
ODD_TEXTS = ["=HYPERLINK(\"http://x\")", "+86 138", "-12.5", "@SUM(A1)", "\t制表", "\r回车", "行\n=换行", "",
             "欧阳娜娜", "司马相如", "福建省龙岩市新罗区西城街道中山路12号", "龙岩市东城街道九一路", "0597-2345678",
             "13812345678/0597-2345678", "１３８１２３４５６７８", "John Smith", "a,b\"c"]


def _rows(n: int) -> list[dict[str, Any]]:
    rng = random.Random(14)
    names = ["张三", "王小明", "欧阳娜娜", "李四", "=cmd|' /C calc'!A0"]
    rows = []
    for i in range(n):
        odd = i % 97 == 0
        rows.append({
            "sfzh": ODD_IDS[i // 97] if odd and i // 97 < len(ODD_IDS) else f"3508{i:013d}" + "0123456789X"[i % 11],
            "xm": rng.choice(ODD_TEXTS) if odd else rng.choice(names),
            "xb": None if i % 5 == 0 else "-" if i % 7 == 0 else str(1 + i % 2),
            "csrq": None if i % 11 == 0 else date(1950 + i % 60, 1 + i % 12, 1 + i % 28),
            "zz": None if i % 13 == 0 else rng.choice(ODD_TEXTS) if odd else f"福建省龙岩市新罗区中山路{i % 300}号",
            "lxdh": rng.choice(ODD_TEXTS) if odd else f"13{i % 10}{i % 5000:08d}",
            "sr": None if i % 17 == 0 else Decimal(f"{(i * 7919) % 900000 - 1000}.{i % 100:02d}"),
            "bz": rng.choice(ODD_TEXTS) if i % 3 == 0 else None if i % 3 == 1 else f"备注{i}",
            "yhk": None if i % 19 == 0 else f"6222{i % 700:012d}",
            "mm": f"提示{i}",
        })
    return rows


def _row_by_row(database: Any, entry: Any, masker: Masker) -> bytes:
    """The download as masking one row at a time would write it (in the order the table holds its rows, as a
    whole-table download reads them)."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow([label for _, label, *_ in FIELDS])
    with database.read() as db:
        for row in db.connection().execute(records_query(entry, masker, None).order_by(None)):
            writer.writerow(masker.mask_tuple(row))
    return codecs.BOM_UTF8 + buffer.getvalue().encode()


@pytest.mark.parametrize("small_memo", [False, True])
def test_a_download_of_several_batches_is_byte_identical_to_masking_row_by_row(
        client: Any, token: Any, database: Any, monkeypatch: Any, small_memo: bool) -> None:
    if small_memo:  # forgetting and giving up on remembering must not change a byte either
        monkeypatch.setattr(masking_columns, "MEMO_MAX", 50)
        monkeypatch.setattr(masking_columns, "TRIAL", 500)
    total = 2 * BATCH + 123
    entry = openable(database, fields=FIELDS, rows=_rows(total))
    dataset_id = publish(client, token("bureau"), entry, title="逐行对照").json()["id"]
    answer = client.get(f"/api/v1/open/datasets/{dataset_id}/data.csv")
    assert answer.status_code == 200 and answer.headers["x-row-count"] == str(total)
    with database.read() as db:
        loaded = db.get(CatalogEntry, entry.id)
        assert loaded is not None
        masker = public_view(db, loaded)
        expected = _row_by_row(database, loaded, masker)
    assert answer.content == expected
    assert answer.content.count(b"\n") == total + 1 + answer.content.count(b"\n=")  # one value holds a line end


@pytest.mark.parametrize("finish", [NOTHING, CELLS], ids=["masked", "csv-cells"])
@pytest.mark.parametrize("rule", [r for r in MaskingRule])
def test_each_rule_masks_a_column_as_it_masks_each_value(rule: MaskingRule, finish: Finish) -> None:
    masker = Masker([("v", Rule(rule))], key="test-key")
    columns = ColumnMasker(masker, finish)

    def one_by_one(batch: list[Any]) -> list[Any]:
        return [finish.value(masker.mask_tuple((v,))[0]) for v in batch]

    well_formed = [f"3508021985{i:07d}X" for i in range(30)]
    for batch in (well_formed, [*well_formed, "35080219850312123X\n3"], ["35080219850312123X\n350802198503121234"]):
        assert list(columns.mask_columns([batch])[0]) == one_by_one(batch)
    values: list[Any] = [*ODD_IDS, *ODD_TEXTS, None, 1, 1.0, True, False, 0, Decimal("1.0"), date(2020, 3, 4),
                         datetime(2020, 3, 4, 5, 6, 7), "2020-03-04", "1985年3月12日", 15000, "15,000", b"bytes"]
    for _ in range(3):  # cold, then remembered
        assert list(columns.mask_columns([values])[0]) == one_by_one(values)
    unhashable: list[Any] = [["a"], {"b": 1}, "张三"]
    assert list(columns.mask_columns([unhashable])[0]) == one_by_one(unhashable)


def test_a_column_is_neutralised_as_each_cell() -> None:
    cases: list[list[Any]] = [["a", "b"], ["a", "=1"], ["=1", "a"], ["a\n=1"], [None, "-x", 3], [None, 1, "ok"],
                              ["-12.5", "+3"], [], ["\t"], ["@"], [Decimal("-1"), "x"]]
    for values in cases:
        assert list(neutral_column(values)) == [neutral(v) for v in values]


def test_a_flat_batch_is_masked_as_its_columns_and_clear_columns_are_left_as_they_lie() -> None:
    rows = [tuple(row.values()) for row in _rows(300)]
    masker = Masker([(name, Rule(rule)) for name, rule in zip(
        [f[0] for f in FIELDS], [MaskingRule.ID_CARD, MaskingRule.NAME, MaskingRule.CLEAR, MaskingRule.DATE_MONTH,
                                 MaskingRule.ADDRESS, MaskingRule.PHONE, MaskingRule.NUMBER_BAND, MaskingRule.CLEAR,
                                 MaskingRule.PSEUDONYM, MaskingRule.SUPPRESS], strict=True)], key="test-key")
    flat: list[Any] = [v for row in rows for v in row]
    clear_before = flat[7::len(FIELDS)]
    masked = ColumnMasker(masker).mask_flat(flat)
    assert masked is flat
    assert [tuple(flat[i:i + len(FIELDS)]) for i in range(0, len(flat), len(FIELDS))] == \
        [masker.mask_tuple(row) for row in rows]
    assert all(a is b for a, b in zip(flat[7::len(FIELDS)], clear_before, strict=True))  # not even copied
    with pytest.raises(ValueError):
        ColumnMasker(masker).mask_flat(flat[:-1])


_CELL = st.one_of(st.none(), st.text(alphabet=st.sampled_from(list('ab,"\r\n 中=-1.')), max_size=6),
                  st.integers(-5, 5), st.floats(allow_nan=False), st.booleans(), st.dates(),
                  st.decimals(allow_nan=False, allow_infinity=False, places=2))


_TEXT = st.text(alphabet=st.sampled_from(list('ab,"\r\n 中=+-@\t1.\'')), max_size=4)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4).flatmap(lambda width: st.lists(st.lists(st.one_of(_CELL, _TEXT) if width % 2 else _TEXT,
                                                                 min_size=width, max_size=width), max_size=6)
                                 .map(lambda rows: (width, rows))))
def test_rows_are_written_as_a_neutralising_csv_writer_writes_them(case: tuple[int, list[list[Any]]]) -> None:
    width, rows = case
    ours = csv_rows([v for row in rows for v in row], width)
    theirs = io.StringIO()
    csv.writer(theirs).writerows([[neutral(v) for v in row] for row in rows])
    assert ours == theirs.getvalue()


def test_a_batch_of_plain_text_is_joined_at_once_and_any_other_is_made_cell_by_cell() -> None:
    plain = ["350802********1234", "张*", "2", "1985-03-12", "福建省龙岩市新罗区****", ""]
    assert csv_rows(plain * 3, 6) == "350802********1234,张*,2,1985-03-12,福建省龙岩市新罗区****,\r\n" * 3
    odd = [["a", "=1+2"], ["-12.5", "b,c"], ["x\ny", '"q"'], [None, 3], ["\t", "@x"], ["1985-03", "-x"], ["-", ""]]
    for first, second in odd:
        expected = io.StringIO()
        csv_writer(expected).writerows([["ok", "ok"], [first, second]])
        assert csv_rows(["ok", "ok", first, second], 2) == expected.getvalue()
    assert csv_rows([], 3) == ""
    rows_text = CsvRows(2)  # one per stream: a batch made cell by cell leaves nothing for the next
    for batch in (["a", "b"] * 3, ["=x", "y,z"] * 3, ["c", "d"] * 3, ["e", "f"], [None, "g"], ["h", "i"]):
        expected = io.StringIO()
        csv_writer(expected).writerows([batch[i:i + 2] for i in range(0, len(batch), 2)])
        assert rows_text(batch) == expected.getvalue()
