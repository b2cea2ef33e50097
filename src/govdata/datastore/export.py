"""Rejected rows of a batch as CSV (UTF-8 with BOM, so Excel opens it), streamed."""

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


def rejects_csv(database: Database, batch_id: int, names: list[str]) -> Iterator[bytes]:
    """Streamed after the request's unit of work closed, so it reads in its own (reading) session."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(["行号", "字段", "原因", *names])
    yield codecs.BOM_UTF8 + buffer.getvalue().encode()
    with database.read() as db:
        yield from _rows(db, batch_id, names, buffer, writer)


def _rows(db: Session, batch_id: int, names: list[str], buffer: io.StringIO, writer: CsvWriter) -> Iterator[bytes]:
    for reject in iter_rejects(db, batch_id=batch_id):
        buffer.seek(0)
        buffer.truncate()
        raw = orjson.loads(reject.raw)
        writer.writerow([reject.line, reject.field, reject.reason, *["" if raw.get(n) is None else raw.get(n)
                                                                       for n in names]])
        yield buffer.getvalue().encode()


def rejects_response(database: Database, batch: IngestBatch) -> StreamingResponse:
    """The download of a batch's rejected rows, for the API and the page alike."""
    names = [f.name for f in batch.entry.fields]
    return StreamingResponse(rejects_csv(database, batch.id, names), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="batch-{batch.id}-rejects.csv"'})
