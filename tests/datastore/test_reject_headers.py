"""A rejected-row report is written in the headers of the file as it was uploaded (its names, its column
order), so it can be corrected and uploaded again as it is; a batch from no file keeps the Chinese names."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import orjson
from sqlalchemy import select

from govdata.datastore.models import IngestBatch
from govdata.storage.engines import Database
from tests.datastore.factories import make_entry, system_token
from tests.datastore.test_upload_pages import csv_bytes, load, upload

HEADER = ["姓名", "sfzh", "出生日期", "nl"]  # a label, a code, a label, a code; not in the entry's field order
ROWS = [["张三", "350802199001011234", "1990-01-01", "30"], ["王五", "350802199001019999", "不是日期", "41"],
        ["", "350802199001018888", "1990-02-02", "7"]]


def _report(person: Any, location: str) -> list[list[str]]:
    batch_id = re.search(r"/resources/batches/(\d+)", location).group(1)  # type: ignore[union-attr]
    download = person.get(f"/resources/batches/{batch_id}/rejects.csv")
    assert download.status_code == 200
    return list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))


def test_rejected_rows_come_back_in_the_uploaded_headers(web: Any, database: Database) -> None:
    entry = make_entry(database, ingest_mode="manual")
    steward = web("steward_gaj")
    preview = upload(steward, entry.id, "人口.csv", csv_bytes(ROWS, "utf-8", header=HEADER)).headers["location"]
    done = load(steward, preview, mode="load_valid")
    assert done.status_code == 303
    report = _report(steward, done.headers["location"])
    assert report[0] == ["行号", "信息项", "原因", *HEADER, "信息项代码"]
    by_line = {row[0]: row for row in report[1:]}
    assert by_line["3"][1] == "出生日期" and by_line["3"][-1] == "csrq"
    assert by_line["3"][3:7] == ["王五", "350802199001019999", "不是日期", "41"]  # the values in the file's columns
    assert by_line["4"][1] == "姓名" and by_line["4"][-1] == "xm" and by_line["4"][4] == "350802199001018888"
    with database.read() as db:
        batch = db.execute(select(IngestBatch).where(IngestBatch.entry_id == entry.id)).scalar_one()
        assert batch.headers == '{"xm":"姓名","sfzh":"sfzh","csrq":"出生日期","nl":"nl"}'
    # The page names the fields for people (the entry's Chinese names), not by the file's codes.
    page = steward.get(done.headers["location"]).text
    assert '<td title="csrq">出生日期</td>' in page and '<td title="xm">姓名</td>' in page


def test_rows_sent_without_a_file_are_reported_by_chinese_names(client: Any, web: Any, database: Database) -> None:
    entry = make_entry(database)
    sent = client.post(f"/api/v1/resources/{entry.code}/records", params={"mode": "load_valid"},
                       content=orjson.dumps([{"sfzh": "350802199001011234", "xm": "张三", "csrq": "坏日期"}]),
                       headers={**system_token(database), "Content-Type": "application/json"})
    assert sent.status_code < 500, sent.text
    with database.read() as db:
        batch = db.execute(select(IngestBatch).where(IngestBatch.entry_id == entry.id)).scalar_one()
        assert batch.headers == "" and batch.rejected == 1
    report = _report(web("steward_gaj"), f"/resources/batches/{batch.id}")
    assert report[0][3:6] == ["公民身份号码", "姓名", "出生日期"] and report[0][-1] == "信息项代码"
    assert report[1][1] == "出生日期"
