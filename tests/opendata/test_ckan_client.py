"""The real `ckanapi` client against a live server (uvicorn on loopback, the demo database): package_list,
package_search, package_show, organization_list and datastore_search, anonymously and with a public app key;
CKAN's errors arrive as ckanapi's own exceptions."""

from __future__ import annotations

from typing import Any

import ckanapi
import pytest
from sqlalchemy import select

from govdata.actor import Method
from govdata.auth.models import User
from govdata.auth.service import actor_for_user
from govdata.config import Settings
from govdata.opendata import accounts
from govdata.opendata.schemas import AppKeyCreate
from tests.browser.conftest import live_server, zygote  # noqa: F401  (the fixtures)


def _app_key(database: Any) -> str:
    with database.write() as db:
        citizen = db.execute(select(User).where(User.username == "citizen")).scalar_one()
        issued = accounts.create_app_key(db, actor_for_user(citizen, Method.WEB), Settings(),
                                         data=AppKeyCreate(name="ckanapi 测试"))
        return issued.secret


def test_ckanapi_reads_the_open_catalog(live_server: Any) -> None:  # noqa: F811
    anonymous = ckanapi.RemoteCKAN(live_server.url, user_agent="govdata-tests")
    names = anonymous.action.package_list()
    assert len(names) >= 7
    found = anonymous.action.package_search(q="法人", rows=5)
    assert found["count"] == 1 and found["results"][0]["title"] == "法人基础信息"
    name = found["results"][0]["name"]
    package = anonymous.action.package_show(id=name)
    assert package["resources"][0]["id"] == f"{name}-data"
    assert package["owner_org"] in anonymous.action.organization_list()
    keyed = ckanapi.RemoteCKAN(live_server.url, apikey=_app_key(live_server.database), user_agent="govdata-tests")
    rows = keyed.action.datastore_search(resource_id=f"{name}-data", limit=3, sort="tyshxydm desc")
    assert len(rows["records"]) == 3 and all("*" in r["fddbr"] for r in rows["records"] if r["fddbr"])
    with pytest.raises(ckanapi.NotFound):
        keyed.action.package_show(id="no-such-package")
    with pytest.raises(ckanapi.ValidationError) as refused:
        keyed.action.datastore_search(resource_id=f"{name}-data", filters={"fddbr": "张三"})
    assert "fddbr" in refused.value.error_dict
    authorised = anonymous.action.package_search(fq="open_type:authorized")["results"][0]["name"]
    with pytest.raises(ckanapi.NotAuthorized):
        keyed.action.datastore_search(resource_id=f"{authorised}-data")
    with pytest.raises(ckanapi.NotAuthorized):
        ckanapi.RemoteCKAN(live_server.url, apikey="gdk_revoked-or-never-issued").action.package_list()
