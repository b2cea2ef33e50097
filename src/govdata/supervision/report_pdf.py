"""The monthly supervision report as PDF: the same tables as its page and its .xlsx (`supervision.tables`), so all
three carry the same names (never codes) and figures, with times in 北京时间 and the zone named.

Drawn with reportlab's built-in Chinese CID font `STSong-Light`, as the use agreements are (`sharing.agreements`):
no font file is shipped or downloaded; a PDF reader supplies the glyphs. Landscape A4, because the ranking has
sixteen columns; cells wrap inside their column and a long table continues on the next page under its header.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from fastapi.responses import Response

from govdata import clock
from govdata.supervision.tables import Table
from govdata.timeutil import fmt

FONT = "STSong-Light"
MARGIN = 30.0


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return escape(str(value))


def report_pdf(tables: list[Table], *, title: str) -> bytes:
    """`tables` under `title`, one section each, as a PDF document's bytes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    font = _font()
    page = landscape(A4)
    heading = ParagraphStyle("heading", fontName=font, fontSize=16, leading=22, spaceAfter=6)
    section = ParagraphStyle("section", fontName=font, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4)
    note = ParagraphStyle("note", fontName=font, fontSize=8, leading=11, textColor=colors.grey)
    body = ParagraphStyle("cell", fontName=font, fontSize=7, leading=9, wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, textColor=colors.white)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=page, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=title, author="政务数据汇聚共享平台")
    story: list[Any] = [Paragraph(escape(title), heading),
                        Paragraph(f"生成时间：{fmt(clock.now())}（北京时间）", note)]
    width = page[0] - 2 * MARGIN
    for table in tables:
        story.append(Paragraph(escape(table.name), section))
        rows = [[Paragraph(_cell(h), head) for h in table.header]]
        rows += [[Paragraph(_cell(v), body) for v in row] for row in table.rows]
        if not table.rows:
            rows.append([Paragraph("（无）", body)] + [Paragraph("", body)] * (len(table.header) - 1))
        made = LongTable(rows, colWidths=[width / len(table.header)] * len(table.header), repeatRows=1)
        made.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f4e79")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa7b5")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f5f8")]),
        ]))
        story += [made, Spacer(1, 6)]
    doc.build(story)
    return buffer.getvalue()


def pdf_response(tables: list[Table], *, title: str, filename: str) -> Response:
    disposition = f"attachment; filename=\"supervision.pdf\"; filename*=UTF-8''{quote(filename)}"
    return Response(report_pdf(tables, title=title), media_type="application/pdf",
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})
