"""The scan's SQL forms of the format checks (PostgreSQL) and SQLite's in-query functions agree with Python."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any

import orjson
from hypothesis import example, given, settings
from hypothesis import strategies as st

from govdata import clock
from govdata.actor import platform_actor
from govdata.quality import sqlchecks
from govdata.quality.checks import phone_ok
from govdata.quality.reports import run_scan
from govdata.quality.validator import build_validator
from govdata.storage.engines import Database
from tests.quality.factories import idcard, insert_rows, load_entry, make_entry

GOOD = idcard(date(1988, 2, 29), 5)
TOMORROW = clock.today() + timedelta(days=1)
FULL_WIDTH = "３５０８０２１９８８０２２９００５１"
IDS = [GOOD, GOOD[:-1] + "0" if GOOD[-1] != "0" else GOOD[:-1] + "1", "350802198802300051",
       "35080218880101005", "3508021849010100", "35080219880229005x", "ABCDEFGHIJKLMNOPQR", FULL_WIDTH,
       idcard(TOMORROW, 3), idcard(date(1850, 1, 1), 4), idcard(date(1849, 12, 31), 4),
       idcard(date(2000, 12, 31), 9).lower()]
PHONES = ["13905971234", "12905971234", "0597-2345678", "05972345678", "0597-2345678-123", "2345678", "400-123-4567",
          "4001234567", "139 0597 1234", "１３９０５９７１２３４", "+8613905971234", "059-123"]
MAILS = ["a@b.cn", "a.b+c@longyan.gov.cn", "a@b", "@b.cn", "a@b.c", "a b@c.cn", "a@-b.cn", "a@b..cn",
         "张@b.cn", "a@b.cn.", "x" * 250 + "@b.cn", "A_B%c@X-Y.COM"]


def test_scan_counts_equal_python_counts(database: Database) -> None:
    rules = {"xm": [{"type": "idcard"}], "lxdh": [{"type": "phone"}], "yx": [{"type": "email"}],
             "csrq": [{"type": "birth_matches", "idcard_field": "xm"}]}
    entry = make_entry(database, fields=[("sfzh", "编号", "C", 18, True), ("xm", "身份号码", "C", 40, False),
                                         ("lxdh", "电话", "C", 40, False), ("yx", "邮箱", "C", 300, False),
                                         ("csrq", "出生日期", "D", None, False)], rules=rules)
    rows: list[dict[str, Any]] = []
    for i in range(len(IDS)):
        rows.append({"sfzh": f"K{i:03d}", "xm": IDS[i], "lxdh": PHONES[i], "yx": MAILS[i],
                     "csrq": date(1988, 2, 29) if i % 2 == 0 else date(1988, 3, 1)})
    insert_rows(database, entry, rows)
    entry = load_entry(database, entry.id)
    with database.read() as db:
        validate = build_validator(db, entry)  # the quality rules alone
        expected: dict[str, int] = {}
        for row in rows:
            for name, _message in validate(row):
                expected[name] = expected.get(name, 0) + 1
    with database.write() as db:
        report = run_scan(db, platform_actor(), entry_id=entry.id, workdays=5)
    got = {r["field"]: r["failed"] for r in orjson.loads(report.results) if r["failed"]}
    assert got == expected
    assert expected["xm"] >= 8 and expected["lxdh"] >= 5 and expected["yx"] >= 6 and expected.get("csrq", 0) >= 1


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.from_regex(r"1[0-9]{9,11}", fullmatch=True), st.text("0123456789１３-+ ", min_size=9, max_size=13)))
@example("13905971234")
@example("１３９０５９７１２３４")
def test_sqlite_mobile_screen_passes_only_good_numbers(value: str) -> None:
    """The GLOB that lets SQLite skip the Python phone check proves a value good only when it is."""
    conn = sqlite3.connect(":memory:")
    screened = conn.execute(f"SELECT ? GLOB '{sqlchecks.MOBILE_GLOB}'", (value,)).fetchone()[0]
    conn.close()
    assert not screened or phone_ok(value)
    assert screened == (len(value) == 11 and value.isascii() and value.isdigit() and value[0] == "1"
                        and value[1] in "3456789")
