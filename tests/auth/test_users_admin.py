from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import func, select

from govdata.auth.models import User
from govdata.orgs.models import Unit
from tests.conftest import DEMO_PASSWORD, last_audit, sign_in


def _unit_id(database, code):
    with database.read() as db:
        return db.execute(select(Unit.id).where(Unit.code == code)).scalar_one()


def _user(database, username):
    with database.read() as db:
        return db.execute(select(User).where(User.username == username)).scalar_one_or_none()


def _count(database):
    with database.read() as db:
        return db.execute(select(func.count()).select_from(User)).scalar_one()


def test_center_lists_and_creates_users(web, client, database):
    admin = web("admin")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and 'data-username="steward_gaj"' in page.text and "公安局专管员" in page.text
    form = {"username": "steward_jyj", "display_name": "教育局专管员", "password": "first-pass-1",
            "unit_id": str(_unit_id(database, "jyj")), "roles": ["steward"], "phone": "13800000001",
            "email": "jyj@longyan.gov.example"}
    done = admin.post("/admin/users", form)
    assert done.status_code == 303, done.text
    user = _user(database, "steward_jyj")
    assert user is not None and user.roles == ["steward"] and user.phone == "13800000001"
    event = last_audit(database, action="user.manage")
    assert event is not None and event.target_id == str(user.id) and event.owner_unit_id == user.unit_id
    assert sign_in(client, "steward_jyj", "first-pass-1").status_code == 303


@pytest.mark.parametrize("change,field,message", [
    ({"password": "short"}, "password", "初始密码：密码至少 12 位（现为 5 位）"),
    ({"roles": []}, "roles", "角色至少选择一项"),
    ({"username": "有 空格"}, "username", "用户名格式不正确"),
    ({"display_name": "   "}, "display_name", "姓名不能为空"),
    ({"email": "jyj@longyan"}, "email", "电子邮箱格式不正确（例如 zhangsan@example.gov.cn）"),
    ({"email": "a@b..cn"}, "email", "电子邮箱格式不正确（例如 zhangsan@example.gov.cn）"),
])
def test_create_user_bad_input_names_the_field(web, database, change, field, message):
    before = _count(database)
    form = {"username": "someone", "display_name": "某人", "password": "first-pass-1", "roles": ["steward"],
            "phone": "13800000009"}
    form.update(change)
    response = web("admin").post("/admin/users", form)
    assert response.status_code == 422
    assert f'<span class="field-error" id="err-{field}" data-field-error="{field}">{message}</span>' in response.text
    assert 'value="13800000009"' in response.text and "first-pass-1" not in response.text  # kept, but no password
    assert "String should" not in response.text and "List should" not in response.text
    assert _count(database) == before


def test_all_errors_of_the_user_form_at_once(web, database):
    response = web("admin").post("/admin/users", {"username": "x", "display_name": "", "password": "short",
                                                  "roles": ["steward", "unit_head"]})
    assert response.status_code == 422
    for message in ("用户名不能少于 2 个字符", "姓名不能为空", "初始密码：密码至少 12 位"):
        assert message in response.text
    assert 'value="unit_head" class="inline-check" checked' in response.text
    assert 'value="steward" class="inline-check" checked' in response.text


def test_duplicate_username_is_a_conflict(web, database):
    response = web("admin").post("/admin/users", {"username": "bureau", "display_name": "重复", "password":
                                                  "first-pass-1", "roles": ["bureau"]})
    assert response.status_code == 409 and "用户名已存在" in response.text


def test_deactivate_signs_out_and_reactivate_restores(web, client, database, token):
    headers = token("head_mz")
    person = web("head_mz")
    assert person.get("/").status_code == 200
    admin = web("admin")
    uid = _user(database, "head_mz").id
    assert admin.post(f"/admin/users/{uid}/deactivate").status_code == 303
    assert person.get("/").status_code == 303  # signed out
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    refused = sign_in(client, "head_mz", DEMO_PASSWORD)
    assert refused.status_code == 401
    event = last_audit(database, action="user.manage", target_id=str(uid))
    assert event is not None and '"after":false' in event.details
    assert 'data-username="head_mz"' in admin.get("/admin/users").text and "已停用" in admin.get("/admin/users").text
    assert admin.post(f"/admin/users/{uid}/reactivate").status_code == 303
    assert sign_in(client, "head_mz", DEMO_PASSWORD).status_code == 303


def test_cannot_deactivate_self_and_others_cannot_manage(web, database, client, token):
    admin = web("admin")
    me = _user(database, "admin").id
    response = admin.post(f"/admin/users/{me}/deactivate")
    assert response.status_code == 422 and "不能停用自己的账号" in response.text
    assert _user(database, "admin").is_active
    assert web("bureau").get("/admin/users").status_code == 403
    target = _user(database, "vendor").id
    assert client.post(f"/api/v1/users/{target}/deactivate", headers=token("security")).status_code == 403
    assert _user(database, "vendor").is_active
    listed = client.get("/api/v1/users", headers=token("admin")).json()
    assert any(u["username"] == "vendor" for u in listed)


def test_cli_user_create(settings, database):
    env = {"GOVDATA_HOME": str(settings.home), "GOVDATA_DATABASE_URL": settings.url, "PATH": "/usr/bin:/bin"}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "govdata.cli", "user", "create", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    done = cli("auditor2", "--role", "security", "--unit", "wxb", "--password", "cli-pass-123",
               "--display-name", "第二监管员")
    assert done.returncode == 0, done.stderr
    user = _user(database, "auditor2")
    assert user is not None and user.roles == ["security"] and user.display_name == "第二监管员"
    event = last_audit(database, action="user.manage", target_id=str(user.id))
    assert event is not None and event.method == "cli"
    assert cli("auditor2", "--role", "security", "--password", "cli-pass-123").returncode == 2
    assert cli("auditor3", "--role", "security", "--unit", "nope", "--password", "cli-pass-123").returncode == 2
    assert cli("auditor4", "--role", "security", "--password", "short").returncode == 2
    assert _user(database, "auditor3") is None and _user(database, "auditor4") is None
