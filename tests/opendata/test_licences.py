"""Commercial development (第二十条): a licence only from a recorded competitive selection, its revenue recorded
as paid to the treasury, the portal listing licences in force; bad inputs name the field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from govdata import clock
from tests.conftest import last_audit
from tests.opendata.helpers import companies, openable, publish

WINNER_CODE = "91350802MA2Y0X2K13"


def _selection(client: Any, headers: dict[str, str], dataset_id: int, **body: Any) -> Any:
    today = clock.today()
    return client.post("/api/v1/open/selections", headers=headers, json={
        "dataset_id": dataset_id, "tender_no": "LYZC-2026-018", "method": "public_tender",
        "held_on": (today - timedelta(days=3)).isoformat(), "winner_name": "龙岩数据科技有限公司",
        "winner_credit_code": WINNER_CODE, "scope": "企业信用评价产品开发", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=365)).isoformat(), **body})


def _dataset(client: Any, token: Any, database: Any, open_type: str = "authorized") -> int:
    entry = openable(database, unit="gaj", open_type=open_type, rows=companies(1))
    return int(publish(client, token("bureau"), entry).json()["id"])


def test_a_licence_from_a_selection_with_revenue_is_listed_on_the_portal(client: Any, token: Any,
                                                                        database: Any) -> None:
    bureau = token("bureau")
    dataset_id = _dataset(client, token, database)
    made = _selection(client, bureau, dataset_id)
    assert made.status_code == 201, made.text
    selection = made.json()
    assert selection["method_label"] == "公开招标"
    licence = client.post(f"/api/v1/open/selections/{selection['id']}/licence", headers=bureau)
    assert licence.status_code == 201, licence.text
    lic = licence.json()
    assert (lic["licensee_name"], lic["tender_no"], lic["revenue_total"]) == ("龙岩数据科技有限公司", "LYZC-2026-018",
                                                                              "0.00")
    assert client.post(f"/api/v1/open/selections/{selection['id']}/licence", headers=bureau).status_code == 409
    paid = client.post(f"/api/v1/open/licences/{lic['id']}/revenues", headers=bureau, json={
        "amount": "125000.50", "paid_on": clock.today().isoformat(), "receipt_no": "FJ2026-000123"})
    assert paid.status_code == 201, paid.text
    event = last_audit(database, action="open.licence_manage")
    assert event is not None and event.target_id == str(lic["id"])
    again = client.post(f"/api/v1/open/licences/{lic['id']}/revenues", headers=bureau, json={
        "amount": "1.00", "paid_on": clock.today().isoformat(), "receipt_no": "FJ2026-000123"})
    assert again.status_code == 409 and again.json()["error"]["field"] == "receipt_no"
    detail = client.get(f"/api/v1/open/licences/{lic['id']}/revenues", headers=bureau).json()
    assert detail["revenue_total"] == "125000.50"
    listed = client.get("/api/v1/open/licences").json()  # anyone
    assert [(x["licensee_name"], x["dataset_id"]) for x in listed] == [("龙岩数据科技有限公司", dataset_id)]
    assert "revenues" not in listed[0]
    assert client.get(f"/api/v1/open/licences/{lic['id']}/revenues").status_code == 401
    page = client.get("/open/licences")
    assert page.status_code == 200 and "龙岩数据科技有限公司" in page.text and "LYZC-2026-018" in page.text


@pytest.mark.parametrize("body, field", [
    ({"winner_credit_code": WINNER_CODE[:-1] + "0"}, "winner_credit_code"),
    ({"method": "single_source"}, "method"),  # not a competitive selection
    ({"held_on": "2999-01-01"}, "held_on"),
    ({"ends_on": "2020-01-01"}, "ends_on"),
    ({"tender_no": "x"}, "tender_no"),
    ({"scope": ""}, "scope"),
])
def test_bad_selections_name_the_field(client: Any, token: Any, database: Any, body: dict[str, Any],
                                       field: str) -> None:
    answer = _selection(client, token("bureau"), _dataset(client, token, database), **body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field


def test_only_the_bureau_and_only_authorised_data(client: Any, token: Any, database: Any) -> None:
    public_id = _dataset(client, token, database, open_type="public")
    refused = _selection(client, token("bureau"), public_id)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "dataset_id"
    dataset_id = _dataset(client, token, database)
    assert _selection(client, token("steward_gaj"), dataset_id).status_code == 403
    assert client.post("/api/v1/open/selections/999999/licence", headers=token("bureau")).status_code == 404
    bad = client.post("/api/v1/open/licences/1/revenues", headers=token("bureau"), json={
        "amount": "-5", "paid_on": clock.today().isoformat(), "receipt_no": "R-0001"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "amount"


def test_the_bureau_works_on_the_page(web: Any, client: Any, token: Any, database: Any) -> None:
    dataset_id = _dataset(client, token, database)
    bureau = web("bureau")
    page = bureau.get("/open/manage/licences")
    assert page.status_code == 200 and "登记竞争性遴选结果" in page.text
    today = clock.today()
    form = {"dataset_id": str(dataset_id), "tender_no": "LYZC-2026-020", "method": "consultation",
            "held_on": today.isoformat(), "winner_name": "闽西数据有限公司", "winner_credit_code": WINNER_CODE,
            "scope": "交通出行服务", "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat()}
    bad = bureau.post("/open/manage/selections", {**form, "winner_credit_code": "123"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    assert bureau.post("/open/manage/selections", form).status_code == 303
    listed = bureau.get("/open/manage/licences")
    assert "LYZC-2026-020" in listed.text and "签发授权开发许可" in listed.text
