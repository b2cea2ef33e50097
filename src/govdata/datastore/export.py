"""Rejected rows of a batch as CSV (UTF-8 with BOM, so Excel opens it), streamed.

The columns carry the headers of the file as it was uploaded (出生日期 if the file said so, csrq if it said
that), in its column order, so the file can be corrected and uploaded again as it is; a batch that came from no file
uses the fields' Chinese names. The field a row was refused for is named the same way, its code in the last
column."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator

import orjson
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from govdata.datastore.models import IngestBatch
from govdata.datastore.service import iter_rejects
from govdata.exports import CsvWriter, csv_writer
from govdata.storage.engines import Database


def rejects_csv(database: Database, batch_id: int, columns: dict[str, str],
                names: dict[str, str] | None = None) -> Iterator[bytes]:
    """Streamed after the request's unit of work closed, so it reads in its own (reading) session. `columns`:
    field name → the column's header, in column order; `names`: how to name any field (default `columns`)."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(["行号", "信息项", "原因", *columns.values(), "信息项代码"])
    yield codecs.BOM_UTF8 + buffer.getvalue().encode()
    with database.read() as db:
        yield from _rows(db, batch_id, columns, names or columns, buffer, writer)


def _rows(db: Session, batch_id: int, columns: dict[str, str], names: dict[str, str], buffer: io.StringIO,
          writer: CsvWriter) -> Iterator[bytes]:
    for reject in iter_rejects(db, batch_id=batch_id):
        buffer.seek(0)
        buffer.truncate()
        raw = orjson.loads(reject.raw)
        writer.writerow([reject.line, names.get(reject.field, reject.field), reject.reason,
                         *["" if raw.get(n) is None else raw.get(n) for n in columns], reject.field])
        yield buffer.getvalue().encode()


def uploaded_headers(batch: IngestBatch) -> dict[str, str]:
    """The file's columns as uploaded (field → header, in the file's order); {} for a batch from no file."""
    if not batch.headers:
        return {}
    found = orjson.loads(batch.headers)
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def field_labels(batch: IngestBatch) -> dict[str, str]:
    """The batch's entry's fields by Chinese name (the code where a field has none), in field order."""
    return {f.name: f.label or f.name for f in batch.entry.fields}


def rejects_response(database: Database, batch: IngestBatch) -> StreamingResponse:
    """The download of a batch's rejected rows, for the API and the page alike: the file's own columns when
    it came from a file, else every field."""
    uploaded = uploaded_headers(batch)
    names = {**field_labels(batch), **uploaded}
    columns = uploaded or names
    return StreamingResponse(rejects_csv(database, batch.id, columns, names), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="batch-{batch.id}-rejects.csv"'})
