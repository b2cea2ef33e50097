"""The CKAN Action API subset over the open catalog: CKAN's envelope and error types, GET and POST, capped
rows and limits, negative offsets refused, Solr and SQL syntax in q as text, masked values only, filters and
sorts on masked fields refused naming the field, 授权开放 values refused, withdrawn datasets not found, a bounded
total, and every datastore_search audited as a read of values."""

from __future__ import annotations

from typing import Any

import pytest

from govdata.opendata import ckan_datastore
from tests.conftest import last_audit
from tests.opendata.helpers import companies, openable, publish

A = "/api/3/action"


def _ok(answer: Any) -> Any:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["success"] is True and body["help"].endswith("help_show?name=" + answer.url.path.rsplit("/", 1)[1])
    return body["result"]


def _error(answer: Any, status: int, kind: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["success"] is False and body["error"]["__type"] == kind
    return body["error"]  # type: ignore[no-any-return]


@pytest.fixture
def company(client: Any, token: Any, database: Any) -> str:
    """A published 普遍开放 dataset of 12 companies (法定代表人 and 联系电话 masked); its package name."""
    entry = openable(database, rows=companies(12))
    assert publish(client, token("bureau"), entry).status_code == 201
    return entry.code.lower().replace("/", "-")  # type: ignore[union-attr]


def test_package_search_in_ckans_shape_with_facets_and_filters(client: Any) -> None:
    found = _ok(client.get(f"{A}/package_search", params={"q": "法人", "facet.field": '["organization","groups"]'}))
    assert found["count"] == 1 and found["results"][0]["title"] == "法人基础信息"
    package = found["results"][0]
    assert package["organization"]["title"] and package["owner_org"] == package["organization"]["name"]
    assert [r["format"] for r in package["resources"]] == ["API", "CSV", "JSON", "XLSX"]
    org = package["owner_org"]
    assert found["facets"]["organization"] == {org: 1} and found["search_facets"]["groups"]["items"][0]["count"] == 1
    everything = _ok(client.get(f"{A}/package_search", params={"rows": 1_000_000}))
    assert everything["count"] >= 7 and len(everything["results"]) == everything["count"]
    by_org = _ok(client.get(f"{A}/package_search", params={"fq": f"organization:{org}"}))
    assert by_org["count"] >= 1 and all(p["owner_org"] == org for p in by_org["results"])
    posted = _ok(client.post("/api/action/package_search", json={"q": "法人", "rows": 5}))
    assert posted["count"] == 1
    for q in ("' OR 1=1 --", "title:法人", "*", "法人 AND NOT x", "%_\\"):
        assert _ok(client.get(f"{A}/package_search", params={"q": q}))["count"] == 0, q


@pytest.mark.parametrize("params, field", [
    ({"rows": "-1"}, "rows"), ({"start": "-5"}, "start"), ({"rows": "ten"}, "rows"), ({"sort": "random()"}, "sort"),
    ({"fq": "secret:1"}, "fq"), ({"facet.field": '["license"]'}, "facet.field"), ({"q": "x" * 101}, "q"),
])
def test_bad_search_parameters_are_validation_errors_naming_the_field(client: Any, params: dict[str, str],
                                                                      field: str) -> None:
    error = _error(client.get(f"{A}/package_search", params=params), 409, "Validation Error")
    assert field in error and error["message"]


def test_package_show_list_organizations_and_resources(client: Any, company: str) -> None:
    names = _ok(client.get(f"{A}/package_list"))
    assert company in names and names == sorted(names)
    package = _ok(client.get(f"{A}/package_show", params={"id": company}))
    assert package["name"] == company and package["license_id"] == "cc_by_4" and package["num_resources"] == 4
    assert {e["key"] for e in package["extras"]} >= {"resource_code", "open_type"}
    org = _ok(client.get(f"{A}/organization_show", params={"id": package["owner_org"], "include_datasets": "true"}))
    assert org["package_count"] >= 1 and company in [p["name"] for p in org["packages"]]
    assert package["owner_org"] in _ok(client.get(f"{A}/organization_list"))
    resource = _ok(client.get(f"{A}/resource_show", params={"id": f"{company}-csv"}))
    assert resource["package_id"] == company and resource["url"].endswith("/data.csv")
    _error(client.get(f"{A}/package_show", params={"id": "no-such-package"}), 404, "Not Found Error")
    _error(client.get(f"{A}/resource_show", params={"id": f"{company}-pdf"}), 404, "Not Found Error")
    _error(client.get(f"{A}/package_show"), 409, "Validation Error")
    _error(client.get(f"{A}/nope"), 400, "Bad Request")
    assert _ok(client.get(f"{A}/status_show"))["ckan_version"]


def test_datastore_search_gives_masked_values_only(client: Any, company: str, database: Any) -> None:
    found = _ok(client.get(f"{A}/datastore_search", params={"resource_id": f"{company}-data", "limit": 5}))
    assert [f["id"] for f in found["fields"]] == ["tyshxydm", "jgmc", "fddbr", "lxdh", "zczb"]
    assert {f["id"]: f["info"]["masked"] for f in found["fields"]}["fddbr"] is True
    assert len(found["records"]) == 5 and found["total"] == 12 and found["total_was_estimated"] is False
    for record, original in zip(found["records"], companies(12), strict=False):
        assert record["fddbr"] != original["fddbr"] and "*" in record["fddbr"]
        assert record["lxdh"] != original["lxdh"]
    event = last_audit(database, action="open.download")
    assert event is not None and event.row_count == 5
    filtered = _ok(client.post(f"{A}/datastore_search", json={
        "resource_id": f"{company}-data", "filters": {"jgmc": ["测试公司3", "测试公司4"]}, "sort": "zczb desc",
        "fields": ["jgmc", "fddbr"]}))
    assert [r["jgmc"] for r in filtered["records"]] == ["测试公司4", "测试公司3"]
    assert set(filtered["records"][0]) == {"jgmc", "fddbr"}
    texted = _ok(client.get(f"{A}/datastore_search", params={"resource_id": f"{company}-data", "q": "公司1"}))
    assert {r["jgmc"] for r in texted["records"]} == {"测试公司1", "测试公司10", "测试公司11"}
    fields_only = _ok(client.get(f"{A}/datastore_search", params={"resource_id": f"{company}-data", "limit": 0}))
    assert fields_only["records"] == [] and len(fields_only["fields"]) == 5 and fields_only["total"] == 12
    for offset, records in ((10, 2), (20, 0)):  # the last page's total needs no count; past the end it is counted
        page = _ok(client.get(f"{A}/datastore_search", params={"resource_id": f"{company}-data", "limit": 5,
                                                               "offset": offset}))
        assert len(page["records"]) == records and page["total"] == 12
    capped = _ok(client.get(f"{A}/datastore_search", params={"resource_id": f"{company}-data", "limit": 10**9}))
    assert capped["limit"] == 1_000 and len(capped["records"]) == 12


@pytest.mark.parametrize("params, field", [
    ({"filters": '{"fddbr": "欧阳娜0"}'}, "fddbr"), ({"sort": "lxdh"}, "lxdh"),
    ({"filters": '{"nope": "1"}'}, "filters"),
    ({"offset": "-1"}, "offset"), ({"fields": "jgmc,nope"}, "fields"), ({"filters": "[1]"}, "filters"),
    ({"filters": '{"zczb": "abc"}'}, "zczb"), ({"sort": "jgmc sideways"}, "sort"),
])
def test_masked_and_unknown_fields_cannot_filter_or_sort(client: Any, company: str, params: dict[str, str],
                                                        field: str) -> None:
    answer = client.get(f"{A}/datastore_search", params={"resource_id": f"{company}-data", **params})
    error = _error(answer, 409, "Validation Error")
    assert field in error, error


def test_the_total_is_bounded_and_says_when_it_is_a_lower_bound(client: Any, company: str, monkeypatch: Any) -> None:
    monkeypatch.setattr(ckan_datastore, "COUNT_CAP", 5)
    found = _ok(client.get(f"{A}/datastore_search", params={"resource_id": f"{company}-data", "limit": 2}))
    assert found["total"] == 5 and found["total_was_estimated"] is True


def test_authorised_and_withdrawn_datasets(client: Any, token: Any, database: Any) -> None:
    bureau = token("bureau")
    authorised = openable(database, open_type="authorized", rows=companies(2))
    assert publish(client, bureau, authorised).status_code == 201
    name = authorised.code.lower().replace("/", "-")  # type: ignore[union-attr]
    package = _ok(client.get(f"{A}/package_show", params={"id": name}))
    assert [r["format"] for r in package["resources"]] == ["API"]
    assert package["resources"][0]["datastore_active"] is False
    _error(client.get(f"{A}/datastore_search", params={"resource_id": f"{name}-data"}), 403, "Authorization Error")
    gone = openable(database, rows=companies(2))
    made = publish(client, bureau, gone).json()
    assert client.post(f"/api/v1/open/datasets/{made['id']}/withdraw", headers=bureau,
                       json={"note": "数据有误"}).status_code == 200
    gone_name = gone.code.lower().replace("/", "-")  # type: ignore[union-attr]
    _error(client.get(f"{A}/package_show", params={"id": gone_name}), 404, "Not Found Error")
    _error(client.get(f"{A}/package_show", params={"id": str(made["id"])}), 404, "Not Found Error")
    _error(client.get(f"{A}/datastore_search", params={"resource_id": f"{gone_name}-data"}), 404, "Not Found Error")
    assert gone_name not in _ok(client.get(f"{A}/package_list"))


def test_bad_bodies_and_signed_in_writes_without_csrf(client: Any) -> None:
    _error(client.post(f"{A}/package_search", content=b"{nope", headers={"content-type": "application/json"}),
           400, "Bad Request")
    _error(client.post(f"{A}/package_search", json=[1, 2]), 400, "Bad Request")


def test_package_search_reads_only_what_it_lists(client: Any, database: Any) -> None:
    """A page of results loads no entry's fields and no release history, and without the organization facet it
    groups no datasets by unit (a search's cost stays that of its matches, not of the whole catalog)."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    engines = {database.engine, database.write_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        found = _ok(client.get(f"{A}/package_search", params={"rows": 1_000}))
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
    assert found["count"] >= 7 and found["results"][0]["resources"]
    tables = " ".join(seen)
    assert "FROM open_datasets" in tables
    assert "catalog_fields" not in tables and "open_releases" not in tables, tables
    assert not [s for s in seen if "GROUP BY" in s], seen
    by_org = _ok(client.get(f"{A}/package_search", params={"facet.field": '["organization"]'}))
    assert sum(by_org["facets"]["organization"].values()) == by_org["count"]
