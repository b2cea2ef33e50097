"""Control characters in a header, the path, the query, a form or a JSON body: 400 naming the field, before
any route runs, so nothing is written, audited or batched with anyone else's work."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from govdata.audit.models import AuditEvent
from govdata.orgs.models import Unit
from tests.datastore.factories import make_entry, system_token
from tests.datastore.test_push_api import ROWS, push
from tests.sharing.factories import token_for
from tests.sharing.test_lookup import _get, granted  # noqa: F401 (the fixture)


def _counts(database) -> tuple[int, int]:
    with database.read() as db:
        return (db.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
                db.execute(select(func.count()).select_from(Unit)).scalar_one())


def _refused(response, field: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_character" and error["field"] == field
    assert "控制字符" in error["message"]


@pytest.mark.parametrize("url, field", [
    ("/api/v1/catalog?q=a%00b", "q"),
    ("/api/v1/catalog?q=%01", "q"),
    ("/api/v1/catalog?q=%0A", "q"),  # a query value is one line
    ("/api/v1/catalog?q=ok&status=%1f", "status"),
    ("/api/v1/catalog?a%00b=1", "a\\x00b"),
    ("/api/v1/catalog/code/ab%00c", "path"),
])
def test_query_and_path(client, token, database, url, field):
    headers = token("bureau")
    before = _counts(database)
    _refused(client.get(url, headers=headers), field)
    assert _counts(database) == before


def test_a_percent_sign_that_is_no_control_character_passes(client, token):
    assert client.get("/api/v1/catalog?q=%2500%25", headers=token("bureau")).status_code == 200


@pytest.mark.parametrize("operator", ["%00", "%E5%BC%A0%00%E4%B8%89", "a%0Db", "a%09b"])
def test_x_operator_percent_encoded_is_refused_on_a_lookup(client, granted, operator):  # noqa: F811
    # The lookup records the refused call itself (escaped, tests/sharing/test_lookup_audit.py).
    code, tok, _ = granted
    response = _get(client, f"/api/v1/share/{code}/records?zjhm=350802199001010011", tok, **{"X-Operator": operator})
    assert response.status_code == 400 and response.json()["error"]["field"] == "X-Operator"
    assert "records" not in response.json()


@pytest.mark.parametrize("operator", ["%00", "a%0Ab"])
def test_x_operator_percent_encoded_is_refused_on_any_other_call(client, database, settings, operator):
    headers = {"Authorization": f"Bearer {token_for(database, settings, 'mz')}", "X-Operator": operator}
    before = _counts(database)
    _refused(client.get("/api/v1/audit/feed", headers=headers), "X-Operator")
    assert _counts(database) == before  # the feed's read is not recorded with that operator


def test_a_chinese_operator_still_passes(client, granted):  # noqa: F811
    code, tok, _ = granted
    response = _get(client, f"/api/v1/share/{code}/records?zjhm=350802199001010011", tok,
                    **{"X-Operator": "%E5%BC%A0%E4%B8%89"})
    assert response.status_code == 200, response.text


def test_raw_control_characters_in_any_header(app, client, token):
    headers = {**token("bureau"), "X-Request-Note": "a\x01b"}
    _refused(client.get("/api/v1/catalog", headers=headers), "X-Request-Note")


def test_json_body_strings_and_keys(client, token, database):
    admin, steward = token("admin"), token("steward_gaj")
    unit = {"code": "nul_unit", "name": "空字符单位", "uscc": "11350800MB0000019X", "region_id": 1}
    before = _counts(database)
    _refused(client.post("/api/v1/units", json={**unit, "name": "空\u0000字符"}, headers=admin), "name")
    _refused(client.post("/api/v1/units", json={**unit, "x\u0001": 1}, headers=admin), "x\\x01")
    entry = {"name": "测试", "fields": [{"name": "a", "label": "甲\u0007", "data_type": "string"}]}
    _refused(client.post("/api/v1/catalog", json=entry, headers=steward), "fields.0.label")
    assert _counts(database) == before


def test_json_lines_tabs_and_an_escaped_backslash_pass_the_check(client, token):
    steward = token("steward_gaj")
    # A literal backslash before "u0000" is text, not a NUL; line breaks are allowed in JSON strings.
    response = client.post("/api/v1/catalog", json={"name": "测试\\u0000", "summary": "第一行\n第二行\t完"},
                           headers=steward)
    assert response.status_code != 400, response.text


def test_one_line_form_field_on_a_page(client):
    response = client.post("/login", data={"username": "admin\nx", "password": "govdata-demo"},
                           headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    assert "username 含有不允许的控制字符" in response.text


def test_textarea_fields_keep_their_lines_but_not_nul(web):
    steward = web("steward_gaj")
    # A textarea (备案理由) may hold lines: past the check, the route answers (no such entry here).
    lines = steward.post("/resources/999999/filing", {"reason": "第一行\r\n第二行\t完"})
    assert lines.status_code == 404
    nul = steward.post("/resources/999999/filing", {"reason": "第一行\x00"})
    assert nul.status_code == 400 and "reason 含有不允许的控制字符" in nul.text
    one_line = steward.post("/resources/999999/filing", {"reason": "x", "csrf_token": steward.csrf + "\n"})
    assert one_line.status_code == 400 and "csrf_token 含有不允许的控制字符" in one_line.text


def test_a_nul_in_pushed_rows_rejects_that_row(client, database):
    """Pushed rows are data, checked row by row where they are read (not at the door): a NUL failed the whole
    batch on PostgreSQL (503 on every retry) and was stored on SQLite; now it is that row's problem."""
    entry = make_entry(database)
    headers = system_token(database)
    rows = [ROWS[0], {**ROWS[1], "xm": "人\u0000名"}]
    rejected = push(client, entry.code, headers, rows)
    assert rejected.status_code == 422, rejected.text
    assert [(d["line"], d["field"], d["reason"]) for d in rejected.json()["error"]["details"]] == [
        (2, "xm", "含有空字符（NUL），不能保存")]
    partial = push(client, entry.code, headers, rows, params={"mode": "load_valid"})
    assert (partial.status_code, partial.json()["inserted"], partial.json()["rejected"]) == (200, 1, 1)


def test_a_malformed_form_is_left_to_the_route(client):
    # The middleware's check cannot read it; the route refuses it as it always did, never a 500.
    for content_type in ("multipart/form-data; boundary=x", "multipart/form-data"):  # the second has no boundary
        response = client.post("/api/v1/auth/token", content=b"--x\r\nbroken", headers={"Content-Type": content_type})
        assert 400 <= response.status_code < 500, (content_type, response.status_code)


def test_deeply_nested_json_with_a_nul_is_named_not_a_500(client, token):
    body = "[" * 1000 + '"\\u0000"' + "]" * 1000  # deeper than Python's recursion limit
    headers = {**token("admin"), "Content-Type": "application/json"}
    response = client.post("/api/v1/units", content=body, headers=headers)
    assert response.status_code == 400 and response.json()["error"]["field"] == "0." * 999 + "0"
