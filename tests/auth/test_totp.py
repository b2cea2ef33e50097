"""The second factor: enrol from 我的账户 → sign in with a code → the same code replayed is refused → a recovery
code works once; required roles cannot skip enrolment; the center resets a lost factor with a reason; the
API's password grant with the `totp` field. The clock is pinned, so codes are computed for a known step."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from govdata import clock
from govdata.actor import Method, Role, platform_actor
from govdata.audit.models import AuditEvent
from govdata.auth import service, totp
from govdata.auth.demo import DEMO_TOTP_SECRET
from govdata.auth.models import RecoveryCode, User
from govdata.auth.schemas import UserCreate
from govdata.policy import Action
from tests.conftest import CSRF_RE, DEMO_PASSWORD, last_audit, sign_in

T0 = datetime(2026, 3, 2, 2, 0, 5)


def _code(secret: str) -> str:
    return totp.code_for(secret, totp.step_at(clock.now()))


def _post_code(client: TestClient, location: str, code: str) -> Any:
    page = client.get(location)
    assert page.status_code == 200, page.text[-2000:]
    csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
    return client.post("/login/totp", data={"csrf_token": csrf, "next": "/", "code": code})


def _details(database: Any, **where: Any) -> dict[str, Any]:
    event = last_audit(database, **where)
    assert event is not None
    return json.loads(event.details)  # type: ignore[no-any-return]


def _recent(database: Any, n: int = 3) -> list[dict[str, Any]]:
    with database.read() as db:
        rows = db.execute(select(AuditEvent.details).where(AuditEvent.action == Action.AUTH_LOGIN.value)
                          .order_by(AuditEvent.seq.desc()).limit(n)).scalars()
        return [json.loads(d) for d in rows if d]


def _fresh(app: Any) -> TestClient:
    return TestClient(app, base_url="http://testserver", follow_redirects=False)


def test_enrol_then_sign_in_replay_refused_recovery_code_once(app, web, database):
    with clock.pinned(T0, frozen=True):
        person = web("steward_gaj")
        assert "未启用" in person.get("/account/totp").text
        page = person.get("/account/totp/enrol")
        assert "<svg" in page.text and "otpauth://totp/" in page.text
        secret = re.search(r'data-testid="totp-secret"[^>]*>([^<]+)<', page.text).group(1).replace(" ", "")
        wrong = person.post("/account/totp/enrol", {"code": "000000" if _code(secret) != "000000" else "111111"})
        assert wrong.status_code == 422 and 'data-field-error="code"' in wrong.text
        done = person.post("/account/totp/enrol", {"code": _code(secret)})
        assert done.status_code == 303 and done.headers["location"].startswith("/account/totp/codes")
        shown = person.get(done.headers["location"])
        codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", shown.text)
        assert len(codes) == 10 and len(set(codes)) == 10
        assert re.findall(r"<li><code>", person.get("/account/totp/codes").text) == []  # shown once
        assert _details(database, action=Action.USER_SELF.value)["op"] == "totp_enrol"
        with database.read() as db:
            stored = list(db.execute(select(RecoveryCode.code_hash)).scalars())
        assert len(stored) == 10 and not any(c in stored for c in codes)  # only hashes are kept

        browser = _fresh(app)
        first = sign_in(browser, "steward_gaj", next="/")
        assert first.status_code == 303 and first.headers["location"].startswith("/login/totp")
        assert _details(database, action=Action.AUTH_LOGIN.value)["second_factor"] == "asked"
        assert browser.get("/").headers["location"].startswith("/login")  # not signed in before the code
        replay = _post_code(browser, first.headers["location"], _code(secret))  # the step used to enrol
        assert replay.status_code == 401 and "已使用过" in replay.text
        assert _details(database, action=Action.AUTH_LOGIN.value, outcome="denied")["reason"] == "replayed_code"
        clock.advance(timedelta(seconds=30))
        ok = _post_code(browser, first.headers["location"], _code(secret))
        assert ok.status_code == 303 and ok.headers["location"] == "/"
        assert browser.get("/").status_code == 200

        again = _fresh(app)  # the same code a second time, within its window: refused
        second = sign_in(again, "steward_gaj", next="/")
        assert _post_code(again, second.headers["location"], _code(secret)).status_code == 401
        used = _post_code(again, second.headers["location"], codes[0].upper().replace("-", " - "))
        assert used.status_code == 303 and again.get("/").status_code == 200
        assert {"step": "second_factor", "factor": "recovery_code", "recovery_codes_left": "9"} in _recent(database)

        third = _fresh(app)
        start = sign_in(third, "steward_gaj", next="/")
        assert _post_code(third, start.headers["location"], codes[0]).status_code == 401  # once only
        for browser_ in (browser, again, third):
            browser_.close()


def test_required_roles_cannot_skip_enrolment(app, client, database, settings):
    with clock.pinned(T0, frozen=True):
        with database.write() as db:
            service.create_user(db, platform_actor(Method.CLI), settings, data=UserCreate(
                username="sec_two", display_name="网络安全监管员二", password="Guard-pass-2026", roles=[Role.SECURITY]))
        token = client.post("/api/v1/auth/token", data={"username": "sec_two", "password": "Guard-pass-2026"})
        assert token.status_code == 403 and token.json()["error"]["field"] == "totp"
        start = sign_in(client, "sec_two", "Guard-pass-2026", next="/")
        assert start.status_code == 303 and start.headers["location"].startswith("/login/enrol")
        for path in ("/", "/account/totp"):
            assert client.get(path).headers["location"].startswith("/login")
        assert client.get("/api/v1/auth/me").status_code == 401
        page = client.get(start.headers["location"])
        assert "须使用双因素认证" in page.text
        csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
        secret = re.search(r'data-testid="totp-secret"[^>]*>([^<]+)<', page.text).group(1).replace(" ", "")
        bad = client.post("/login/enrol", data={"csrf_token": csrf, "next": "/", "code": "12ab"})
        assert bad.status_code == 422 and "6 位数字" in bad.text
        done = client.post("/login/enrol", data={"csrf_token": csrf, "next": "/", "code": _code(secret)})
        assert done.status_code == 303 and done.headers["location"].startswith("/account/totp/codes")
        assert len(re.findall(r"<li><code>", client.get(done.headers["location"]).text)) == 10
        assert client.get("/").status_code == 200


def test_center_resets_a_lost_factor_with_its_reason(web, client, database):
    with database.read() as db:
        security_id = db.execute(select(User.id).where(User.username == "security")).scalar_one()
    center = web("admin")
    page = center.get(f"/admin/users/{security_id}/signin")
    assert page.status_code == 200 and "已启用" in page.text
    short = center.post(f"/admin/users/{security_id}/totp-reset", {"reason": "丢"})
    assert short.status_code == 422 and 'data-field-error="reason"' in short.text
    with database.read() as db:
        assert db.get(User, security_id).totp_secret == DEMO_TOTP_SECRET  # nothing changed
    done = center.post(f"/admin/users/{security_id}/totp-reset", {"reason": "手机遗失，已电话核实本人"})
    assert done.status_code == 303
    details = _details(database, action=Action.USER_MANAGE.value)
    assert details["op"] == "totp_reset" and details["reason"] == "手机遗失，已电话核实本人"
    with database.read() as db:
        assert db.get(User, security_id).totp_enabled_at is None
    again = sign_in(client, "security", next="/")  # must enrol again at the next sign-in
    assert again.headers["location"].startswith("/login/enrol")
    other = web("bureau").post(f"/admin/users/{security_id}/totp-reset", {"reason": "不该允许的重置"})
    assert other.status_code == 403


def test_api_token_needs_the_code_of_an_enrolled_person(client, database, settings):
    settings.totp_attempts_per_minute = 3
    form = {"username": "admin", "password": DEMO_PASSWORD}
    with clock.pinned(T0, frozen=True):
        missing = client.post("/api/v1/auth/token", data=form)
        assert missing.status_code == 401 and missing.json()["error"]["field"] == "totp"
        assert _details(database, action=Action.AUTH_LOGIN.value, outcome="denied")["reason"] == "missing_code"
        good = _code(DEMO_TOTP_SECRET)
        wrong = client.post("/api/v1/auth/token", data={**form, "totp": "000000" if good != "000000" else "111111"})
        assert wrong.status_code == 401 and wrong.json()["error"]["field"] == "totp"
        ok = client.post("/api/v1/auth/token", data={**form, "totp": good})
        assert ok.status_code == 200, ok.text
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {ok.json()['access_token']}"})
        assert me.json()["username"] == "admin"
        replay = client.post("/api/v1/auth/token", data={**form, "totp": good})
        assert replay.status_code == 401 and "已使用过" in replay.json()["error"]["message"]
        limited = client.post("/api/v1/auth/token", data={**form, "totp": good})
        assert limited.status_code == 429  # the fourth code in a minute
    # people without a second factor sign in to the API as before
    assert client.post("/api/v1/auth/token", data={"username": "bureau", "password": DEMO_PASSWORD}).status_code == 200


def test_wrong_codes_lock_the_account_like_wrong_passwords(app, settings):
    with clock.pinned(T0, frozen=True):
        browser = _fresh(app)
        first = sign_in_raw(browser, "admin")
        wrong = "000000" if _code(DEMO_TOTP_SECRET) != "000000" else "111111"
        for _ in range(settings.login_max_failures - 1):
            assert _post_code(browser, first, wrong).status_code == 401
        locked = _post_code(browser, first, wrong)
        assert locked.status_code == 303 and locked.headers["location"].startswith("/login?msg=")
        assert sign_in_raw(browser, "admin") == ""  # locked: the password alone is refused now
        browser.close()


def sign_in_raw(client: TestClient, username: str) -> str:
    """The password step only (no helper completing the second factor): where it leads, or ""."""
    page = client.get("/login")
    csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": csrf,
                                           "next": "/"})
    return response.headers.get("location", "") if response.status_code == 303 else ""


def test_cli_resets_a_factor_when_no_center_person_can(settings, database):
    """The center's only administrator lost the phone: the operator resets it on the command line."""
    env = {"GOVDATA_HOME": str(settings.home), "GOVDATA_DATABASE_URL": settings.url, "PATH": "/usr/bin:/bin"}

    def cli(*args: str) -> Any:
        return subprocess.run([sys.executable, "-m", "govdata.cli", "user", "totp-reset", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    refused = cli("admin", "--reason", "丢")
    assert refused.returncode == 2 and "重置原因" in refused.stderr
    with database.read() as db:
        assert db.execute(select(User.totp_enabled_at).where(User.username == "admin")).scalar_one() is not None
    done = cli("admin", "--reason", "手机遗失，运维当面核实")
    assert done.returncode == 0, done.stderr
    with database.read() as db:
        assert db.execute(select(User.totp_secret).where(User.username == "admin")).scalar_one() is None
    details = _details(database, action=Action.USER_MANAGE.value, method="cli")
    assert details["op"] == "totp_reset" and details["reason"] == "手机遗失，运维当面核实"
