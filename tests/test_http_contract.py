"""What every answer promises at the HTTP level: sign-in CSRF, Secure cookies over HTTPS, the content security
policy and no caching, 405 and OPTIONS with the full Allow list, 413 for a streamed body over the limit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from govdata.app import create_app
from govdata.web.templating import TEMPLATE_DIR
from tests.conftest import CSRF_RE, DEMO_PASSWORD, last_audit, sign_in
from tests.sharing.factories import token_for


def test_the_sign_in_form_carries_a_csrf_token_its_post_must_return(client, database):
    page = client.get("/login")
    token = CSRF_RE.search(page.text)
    assert token and "govdata_login_csrf" in page.headers["set-cookie"]
    forged = client.post("/login", data={"username": "bureau", "password": DEMO_PASSWORD})
    assert forged.status_code == 403 and "CSRF" in forged.text
    assert "govdata_session" not in forged.headers.get("set-cookie", "")
    wrong = client.post("/login", data={"username": "bureau", "password": DEMO_PASSWORD, "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    assert last_audit(database, action="auth.login") is None  # refused before the password was tried
    assert sign_in(client, "bureau").status_code == 303


def _session_cookie(response) -> str:
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "govdata_session=" in v)


@pytest.mark.parametrize("base_url, proxies, peer, forwarded, secure", [
    ("https://testserver", "", "10.0.0.5", None, True),          # HTTPS straight to the app
    ("http://testserver", "", "10.0.0.5", "https", False),       # a header from anyone is not believed
    ("http://testserver", "10.0.0.0/24", "10.0.0.5", "https", True),  # the trusted proxy says https
    ("http://testserver", "10.0.0.9", "10.0.0.5", "https", False),    # another address is not that proxy
    ("http://testserver", "10.0.0.5", "10.0.0.5", "http", False),
])
def test_the_session_cookie_is_secure_whenever_the_request_came_over_https(settings, database, base_url, proxies,
                                                                           peer, forwarded, secure):
    app = create_app(settings.model_copy(update={"trusted_proxies": proxies}), database, migrate=False,
                     run_jobs=False)
    headers = {"X-Forwarded-Proto": forwarded} if forwarded else {}
    with TestClient(app, base_url=base_url, follow_redirects=False, client=(peer, 40000), headers=headers) as c:
        form = c.get("/login")
        assert ("; Secure" in form.headers["set-cookie"]) is secure
        # The browser speaks HTTPS to the proxy, so it sends a Secure cookie back; this client speaks HTTP.
        c.cookies.set("govdata_login_csrf", form.cookies["govdata_login_csrf"])
        cookie = _session_cookie(c.post("/login", data={"username": "bureau", "password": DEMO_PASSWORD,
                                                        "csrf_token": CSRF_RE.search(form.text).group(1)}))
    assert ("; Secure" in cookie) is secure
    assert "HttpOnly" in cookie


def test_pages_carry_a_policy_without_inline_script_and_are_not_stored(web):
    home = web("steward_gaj").get("/")
    policy = home.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert home.headers["cache-control"] == "no-store"
    assert home.headers["x-content-type-options"] == "nosniff" and home.headers["referrer-policy"] == "same-origin"
    assert '<script src="/static/app.js" defer></script>' in home.text


def test_api_answers_are_not_stored_but_static_files_may_be(client, token):
    assert client.get("/api/v1/units", headers=token("admin")).headers["cache-control"] == "no-store"
    assert "cache-control" not in client.get("/static/app.css").headers


def test_no_template_holds_inline_script_or_style():
    found = []
    pattern = re.compile(r"<script(?![^>]*\ssrc=)|\son[a-z]+\s*=|javascript:|\sstyle\s*=", re.IGNORECASE)
    for page in Path(TEMPLATE_DIR).rglob("*.html"):
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{page.relative_to(TEMPLATE_DIR)}:{number}: {line.strip()[:100]}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("path, allowed", [
    ("/api/v1/units", "GET, HEAD, OPTIONS, POST"),
    ("/api/v1/catalog/5", "GET, HEAD, OPTIONS, PUT"),
    ("/api/v1/share/3-05-007/000001/records", "GET, HEAD, OPTIONS"),
    ("/login", "GET, HEAD, OPTIONS, POST"),
])
def test_options_and_a_wrong_method_list_every_allowed_method(client, path, allowed):
    options = client.options(path)
    assert options.status_code == 204 and options.headers["allow"] == allowed
    wrong = client.request("PATCH", path)
    assert wrong.status_code == 405 and wrong.headers["allow"] == allowed
    if path.startswith("/api/"):
        assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_options_on_no_route_is_404(client):
    assert client.options("/api/v1/no-such-thing").status_code == 404


@pytest.fixture
def small_limits(settings, database):
    app = create_app(settings.model_copy(update={"max_body_bytes": 2000, "max_upload_bytes": 4000}), database,
                     migrate=False, run_jobs=False)
    with TestClient(app, follow_redirects=False) as c:
        yield c


def _chunks(size: int):
    body = b'["' + b"x" * size + b'"]'
    for start in range(0, len(body), 500):
        yield body[start:start + 500]


@pytest.mark.parametrize("who, path, content_type, size", [
    ("admin", "/api/v1/units", "application/json", 3000),  # read whole by the middleware's check
    ("system", "/api/v1/resources/3-05-007/000001/records", "application/json", 5000),  # spooled by the route
    ("steward_gaj", "/api/v1/catalog/import", "multipart/form-data; boundary=b", 5000),  # parsed by FastAPI
])
def test_a_chunked_body_over_the_limit_is_413(small_limits, token, database, settings, who, path, content_type,
                                              size):
    auth = {"Authorization": f"Bearer {token_for(database, settings, 'mz')}"} if who == "system" else token(who)
    headers = {**auth, "Content-Type": content_type}
    response = small_limits.post(path, content=_chunks(size), headers=headers)
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"
