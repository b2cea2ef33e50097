"""Pickers where codes were typed: the sharing list's search, the entry page's 共享申请 link, the audit filters."""

from __future__ import annotations

from typing import Any

from govdata.storage.engines import Database
from tests.quality.factories import make_entry


def test_the_list_of_entries_to_apply_for_has_a_search(web: Any, database: Database) -> None:
    wanted = make_entry(database, unit="gaj", name="犬只登记")
    other = make_entry(database, unit="gaj", name="机动车登记")
    steward = web("steward_mz")
    everything = steward.get("/sharing").text
    assert wanted.code in everything and other.code in everything
    assert 'data-filter="#apply-list"' in everything and "/static/picker.js" in everything
    found = steward.get("/sharing", params={"q": "犬只"}).text
    listed = found.split('id="apply-list"', 1)[1]
    assert wanted.code in listed and other.code not in listed
    by_code = steward.get("/sharing", params={"q": other.code.lower()}).text.split('id="apply-list"', 1)[1]
    assert other.code in by_code and wanted.code not in by_code
    none = steward.get("/sharing", params={"q": "没有这个目录"}).text
    assert "没有符合“没有这个目录”的目录" in none


def test_the_entry_page_links_to_the_request_form_for_that_entry(web: Any, database: Database) -> None:
    entry = make_entry(database, unit="gaj", name="可共享目录")
    steward = web("steward_mz")
    page = steward.get(f"/catalog/{entry.id}").text
    assert f'href="/sharing/apply/{entry.code}" data-testid="apply-link">共享申请</a>' in page
    form = steward.get(f"/sharing/apply/{entry.code}")
    assert form.status_code == 200 and entry.name in form.text


def test_audit_filters_are_searchable_pickers(web: Any, database: Database) -> None:
    entry = make_entry(database, unit="gaj", name="审计里的资源")
    page = web("bureau").get("/audit").text
    assert '<select name="unit_id" data-picker>' in page and '<select name="action" data-picker>' in page
    assert f'<option value="{entry.code}">{entry.name}</option>' in page.split('id="audit-resources"', 1)[1]


def test_the_classification_code_is_offered_from_the_codes_in_use(web: Any, database: Database) -> None:
    entry = make_entry(database, unit="gaj", name="分类示例")
    page = web("steward_gaj").get("/catalog/new").text
    offered = page.split('<datalist id="category-codes">', 1)[1].split("</datalist>", 1)[0]
    assert f'<option value="{entry.category_code}">' in offered and "部门" in offered, offered
    assert 'list="category-codes"' in page
