"""A batch report made from the loader's summary equals the one made by reading the batch's rows back."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson
from sqlalchemy import select

from govdata.actor import platform_actor
from govdata.datastore import service
from govdata.quality.models import QualityReport, ReportKind
from govdata.quality.reports import build_report
from govdata.storage.engines import Database
from tests.quality.factories import idcard, load_entry, make_entry

RULES = {
    "sfzh": [{"type": "idcard"}],
    "xm": [{"type": "length", "max": 10}],
    "xb": [{"type": "code", "table": "GB/T 2261.1"}],
    "csrq": [{"type": "not_future"}, {"type": "birth_matches", "idcard_field": "sfzh"}],
    "lxdh": [{"type": "phone"}, {"type": "unique"}],
    "nl": [{"type": "range", "min": 0, "max": 120}],
}
SCORES = ("rows_checked", "rows_rejected", "completeness", "validity", "uniqueness", "consistency", "timeliness",
          "score")


def _row(i: int, **changes: Any) -> dict[str, Any]:
    born = date(1960, 1, 1) + timedelta(days=i * 37)
    row = {"sfzh": idcard(born, i), "xm": f"人{i}", "xb": "1" if i % 2 else "2", "csrq": born.isoformat(),
           "lxdh": f"139{i:08d}", "nl": str(30 + i % 3)}
    row.update(changes)
    return row


def _compare(database: Database, entry_id: int, batch_id: int | None) -> dict[str, Any]:
    """The stored report of the batch against one made now from the rows, without the summary."""
    assert batch_id is not None
    with database.write() as db:
        stored = db.execute(select(QualityReport).where(QualityReport.batch_id == batch_id)).scalar_one()
        fresh, _outcome = build_report(db, load_entry(database, entry_id), kind=ReportKind.BATCH, batch_id=batch_id,
                                       rejected=stored.rows_rejected)
        got = {k: getattr(stored, k) for k in SCORES}
        assert got == {k: getattr(fresh, k) for k in SCORES}
        failed = {r["key"]: (r["failed"], r["samples"]) for r in orjson.loads(stored.results)}
        assert failed == {r["key"]: (r["failed"], r["samples"]) for r in orjson.loads(fresh.results)}
        db.rollback()
    return got | {"failed": {k: v[0] for k, v in failed.items() if v[0]}}


def test_report_from_summary_equals_report_from_rows(database: Database) -> None:
    entry = make_entry(database, rules=RULES)
    actor = platform_actor()
    first = [_row(i) for i in range(30)] + [_row(30, nl="130"), _row(31, xb="7"), _row(32, xm=None, nl=None)]
    with database.write() as db:
        loaded = service.load_rows(db, actor, entry=load_entry(database, entry.id), rows=first, source="cli",
                                   mode="load_valid")
    assert (loaded.inserted, loaded.rejected) == (31, 2)
    report = _compare(database, entry.id, loaded.batch_id)
    assert report["rows_checked"] == 31 and report["rows_rejected"] == 2 and report["completeness"] < 1
    # Updated, unchanged, deleted and new rows; a phone number another stored row already has.
    second = ([_row(i) for i in range(10)] + [_row(i, xm=f"改{i}") for i in range(10, 15)]
              + [{"sfzh": _row(20)["sfzh"], "_delete": True}] + [_row(40, lxdh=_row(25)["lxdh"])])
    with database.write() as db:
        again = service.load_rows(db, actor, entry=load_entry(database, entry.id), rows=second, source="cli")
    assert (again.unchanged, again.updated, again.deleted, again.inserted) == (10, 5, 1, 1)
    report = _compare(database, entry.id, again.batch_id)
    assert report["rows_checked"] == 16 and report["failed"] == {"lxdh:unique": 1} and report["uniqueness"] < 1
