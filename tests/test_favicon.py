"""The site's icon: pages link a static SVG, and /favicon.ico answers too (no 404 on every page)."""

from __future__ import annotations


def test_favicon_is_served_and_linked(client) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content.startswith(b"<svg")
    assert "max-age" in icon.headers["cache-control"]
    page = client.get("/login")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text
    assert client.get("/static/favicon.svg").content == icon.content


def test_favicon_takes_no_query_or_other_method(client) -> None:
    assert client.post("/favicon.ico").status_code == 405
    assert client.get("/favicon.png").status_code == 404
