"""The OpenAPI document tells every status a route can answer, in the platform's error shape, and what the
downloads are; derived from each route's dependencies, so a new route is documented the same way."""

from __future__ import annotations

import pytest


@pytest.fixture
def document(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield path, method.upper(), operation


def test_every_operation_lists_400_and_422_in_the_error_shape(document):
    assert "HTTPValidationError" not in str(document)
    for path, method, operation in _operations(document):
        for status in ("400", "422"):
            content = operation["responses"][status]["content"]
            if path.startswith(("/api/3/action/", "/api/action/")):  # CKAN's envelope, as ckanapi expects
                assert content["application/json"]["schema"]["required"] == ["success", "error"], (path, method)
                continue
            assert content == {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}, (path, method)
    error = document["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message", "field"]


@pytest.mark.parametrize("method, path, expected, absent", [
    ("GET", "/api/v1/units/{unit_id}", {"400", "401", "403", "404", "422"}, {"409", "413", "429"}),
    ("GET", "/api/v1/units", {"400", "401", "403", "422"}, {"404", "413"}),
    ("POST", "/api/v1/units", {"201", "400", "401", "403", "404", "409", "413", "422"}, {"429"}),
    ("GET", "/api/v1/share/{code}/records", {"401", "403", "404", "422", "429", "503"}, {"413"}),
    ("POST", "/api/v1/auth/token", {"400", "401", "403", "413", "422", "429"}, {"503"}),  # 403: a factor to enrol first
    ("GET", "/healthz", {"200", "400", "422"}, {"403", "404"}),
])
def test_statuses_follow_from_the_route(document, method, path, expected, absent):
    responses = set(document["paths"][path][method.lower()]["responses"])
    assert expected <= responses and not absent & responses


@pytest.mark.parametrize("path, media", [
    ("/api/v1/share/usage.csv", "text/csv"),
    ("/api/v1/batches/{batch_id}/rejects.csv", "text/csv"),
    ("/api/v1/quality/comparison-runs/{run_id}/diffs.csv", "text/csv"),
    ("/api/v1/catalog/export.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
])
def test_downloads_are_documented_as_their_media_type(document, path, media):
    assert list(document["paths"][path]["get"]["responses"]["200"]["content"]) == [media]


def test_ids_are_documented_within_their_column(document):
    parameters = document["paths"]["/api/v1/units/{unit_id}"]["get"]["parameters"]
    assert parameters[0]["schema"]["maximum"] == 2**31 - 1  # INTEGER columns
