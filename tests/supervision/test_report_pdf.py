"""The monthly report as PDF: a real PDF whose text names the units (not codes) and the month, linked beside the
.xlsx; the same scope rules and the same month errors as the page."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from govdata.auth.service import find_user_by_name, issue_user_token
from govdata.supervision.months import current
from tests.supervision.test_pages import _ids


@pytest.fixture
def as_user_web(client, database, settings):
    """`as_user_web("bureau").get(url)`: GET as that demo account (a bearer token, no slow password check)."""

    class _Pages:
        def __init__(self, username: str) -> None:
            with database.write() as db:
                user = find_user_by_name(db, username=username)
                assert user is not None
                self.headers = {"Authorization": f"Bearer {issue_user_token(db, settings, user=user)}"}

        def get(self, url: str):
            return client.get(url, headers=self.headers)

    return _Pages


def _text(response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    # A name may wrap inside its narrow column: read the text without the line breaks.
    return "".join(page.extract_text() or "" for page in reader.pages).replace("\n", "")


def test_city_report_pdf_names_units_and_month(as_user_web):
    bureau = as_user_web("bureau")
    text = _text(bureau.get("/supervision/report.pdf"))
    month = current()
    assert f"监督检查月报 · 全市 · {month.label}" in text
    for name in ("龙岩市公安局", "龙岩市财政局", "新罗区"):
        assert name in text
    assert "区县汇总" in text and "北京时间" in text
    page = bureau.get("/supervision/report")
    assert 'data-testid="report-pdf"' in page.text and "/supervision/report.pdf?month=" in page.text


def test_unit_report_pdf_and_its_scope(database, as_user_web):
    ids = _ids(database)
    text = _text(as_user_web("bureau").get(f"/supervision/report.pdf?unit_id={ids['cz']}"))
    assert "龙岩市财政局" in text and "逾期事项" in text
    steward = as_user_web("steward_gaj")
    assert "龙岩市公安局" in _text(steward.get("/supervision/report.pdf"))
    assert steward.get(f"/supervision/report.pdf?unit_id={ids['mz']}").status_code == 403


def test_a_bad_month_is_refused_naming_the_field(as_user_web):
    bureau = as_user_web("bureau")
    for bad, says in (("2999-01", "2999年1月尚未开始"), ("13-2026", "月份格式应为 YYYY-MM"),
                      ("2026-13", "月份格式应为 YYYY-MM")):
        response = bureau.get(f"/supervision/report.pdf?month={bad}")
        assert response.status_code == 422, bad
        assert says in response.text and not response.content.startswith(b"%PDF")
