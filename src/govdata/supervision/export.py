"""The supervision tables as .xlsx: one sheet per table, names not codes, times in 北京时间, formulas
neutralised (`exports.append_row`)."""

from __future__ import annotations

import io
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook

from govdata.exports import append_row
from govdata.supervision.tables import Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(tables: list[Table]) -> bytes:
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for table in tables:
        sheet = book.create_sheet(table.name[:31])
        append_row(sheet, table.header)
        for row in table.rows:
            append_row(sheet, row)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(tables: list[Table], filename: str) -> Response:
    disposition = f"attachment; filename=\"supervision.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return Response(workbook(tables), media_type=XLSX,
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})
