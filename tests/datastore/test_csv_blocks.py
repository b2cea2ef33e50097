"""A CSV file read in blocks gives the rows, line numbers, deletes and problems of reading it row by row."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govdata.datastore import readers
from govdata.datastore.checking import blocks, mapping_blocks, prepare_mappings
from govdata.storage.engines import Database
from tests.datastore.factories import make_entry

FIELDS: list[dict[str, Any]] = [
    {"name": "bh", "label": "编号", "data_type": "C", "length": 20, "is_key": True},
    {"name": "mc", "label": "名称", "data_type": "C", "length": 50},
    {"name": "bz", "label": "备注", "data_type": "M"},
]
CELLS = ["a", "张三", "", " ", "x\ny", "x\r\ny", "x\rz", '"q"', "a,b", "1", "是"]
# Cells a csv writer leaves unquoted: files of these are read in plain parts (split, not parsed).
PLAIN_CELLS = ["a", "张三", "", " ", "1", "是", "a b", "\\N", "\t"]


def _flatten(rows: Any) -> list[tuple[Any, ...]]:
    return [(line, list(values), is_delete, problem) for line, values, is_delete, problem in rows]


def _from_blocks(blocks: Any) -> list[tuple[Any, ...]]:
    out = []
    for block in blocks:
        assert block.size <= readers.BLOCK_ROWS
        for i in range(block.size):
            problem = (block.problems or {}).get(i)
            out.append((block.lines[i], block.row(i), bool(block.deletes and block.deletes[i]), problem))
    return out


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    header = draw(st.sampled_from([["bh", "mc", "bz"], ["编号", "名称", "备注"], ["bh", "bz", "mc"],
                                   ["bh", "mc", "bz", "_delete"], ["bh", "mc"]]))
    out = io.StringIO()
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    writer = csv.writer(out, lineterminator=ending)
    writer.writerow(header)
    plain = draw(st.booleans())
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.integers(0, 9))
        cells = st.sampled_from(PLAIN_CELLS if plain and draw(st.integers(0, 9)) else CELLS)
        if kind == 0:
            out.write(draw(st.sampled_from(["\n", ending])))  # a blank line
        elif kind == 1:
            writer.writerow([draw(cells)])  # short
        elif kind == 2:
            writer.writerow([draw(cells) for _ in range(len(header) + 2)])  # long
        else:
            writer.writerow([draw(cells) for _ in header])
    if draw(st.booleans()):  # the last line without its line end
        return out.getvalue().removesuffix(ending).encode()
    return out.getvalue().encode()


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks and parts of a few rows, so that every boundary falls somewhere in a short file."""
    monkeypatch.setattr(readers, "FIRST_BLOCK_ROWS", 3)
    monkeypatch.setattr(readers, "BLOCK_ROWS", 7)
    monkeypatch.setattr(readers, "PART_ROWS", 2)


@pytest.mark.usefixtures("small_blocks")
def test_blocks_equal_rows(database: Database, tmp_path: Path) -> None:
    entry = make_entry(database, fields=FIELDS)

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(csv_files())
    def check(content: bytes) -> None:
        path = tmp_path / "f.csv"
        path.write_bytes(content)
        assert _from_blocks(readers.read_file_blocks(entry, path)) == _flatten(readers.read_file(entry, path))

    check()


@pytest.mark.usefixtures("small_blocks")
def test_multi_line_cells_keep_their_line_numbers(database: Database, tmp_path: Path) -> None:
    entry = make_entry(database, fields=FIELDS)
    path = tmp_path / "f.csv"
    path.write_bytes(b'bh,mc,bz\r\n1,a,"two\r\nlines"\r\n2,b,c\r\n\r\n3,"x\ny\rz",d\r\n4,e,f\r\n5,g\r\n')
    rows = _from_blocks(readers.read_file_blocks(entry, path))
    assert [(line, values[0]) for line, values, _d, _p in rows] == [(3, "1"), (4, "2"), (8, "3"), (9, "4"),
                                                                    (10, "5")]
    assert rows[-1][1] == ["5", "g", None]


def test_block_size_follows_row_width(database: Database, tmp_path: Path) -> None:
    """Wide rows make short blocks: memory per block stays near BLOCK_CHARS whatever the file."""
    entry = make_entry(database, fields=FIELDS)
    path = tmp_path / "wide.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["bh", "mc", "bz"])
        for i in range(3000):
            writer.writerow([str(i), "名称", "备" * 20_000])
    sizes = [block.size for block in readers.read_file_blocks(entry, path)]
    assert sum(sizes) == 3000
    assert sizes[0] == readers.FIRST_BLOCK_ROWS and max(sizes[1:]) <= readers.BLOCK_CHARS // 20_000 + 1


MAPPINGS = [
    {"bh": "1", "mc": "甲"}, {"bh": "2"}, {}, {"bh": "3", "mc": None, "bz": 5}, {"bh": "4", "_delete": True},
    {"bh": "5", "xx": "未知"}, ["不是对象"], None, {"bh": 6, "mc": 1.5},
]


@given(st.lists(st.sampled_from(range(len(MAPPINGS))), max_size=30), st.integers(1, 7))
@settings(max_examples=200, deadline=None)
def test_mapping_blocks_equal_prepared_rows(picks: list[int], size: int) -> None:
    """Pushed objects cut into blocks (columns straight from plain dicts) as the row-by-row preparation."""
    entry: Any = SimpleNamespace(fields=[SimpleNamespace(name=f["name"]) for f in FIELDS])
    rows = [MAPPINGS[i] for i in picks]
    got = [(b.columns, list(b.lines), b.deletes, b.problems) for b in mapping_blocks(entry, rows, size)]
    want = [(b.columns, list(b.lines), b.deletes, b.problems)
            for b in blocks(prepare_mappings(entry, rows), size, len(FIELDS))]
    assert got == want
