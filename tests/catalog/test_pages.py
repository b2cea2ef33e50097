"""The catalog in the browser (no JavaScript): draft, submit, filing, version diff, search, permissions."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from govdata.catalog.models import CatalogEntry
from tests.conftest import last_audit


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "城市路灯设施信息", "summary": "城区路灯杆位置和维护记录", "category": "department",
        "category_code": "3-08-009", "format": "database", "share_type": "conditional",
        "share_condition": "仅限城市管理部门使用", "legal_basis": "《城市道路管理条例》第三十条",
        "share_method": "interface", "open_type": "closed", "update_cycle": "monthly", "ingest_mode": "manual",
        "security_class": "general", "rows": "4",
        "f0_name": "ldbh", "f0_label": "路灯编号", "f0_data_type": "C", "f0_length": "20", "f0_is_key": "1",
        "f0_sensitivity": "none", "f0_security_level": "L1",
        "f1_name": "jd", "f1_label": "经度", "f1_data_type": "N", "f1_length": "12", "f1_precision": "8",
        "f1_sensitivity": "none", "f1_security_level": "L2",
        "f2_name": "whrq", "f2_label": "维护日期", "f2_data_type": "D", "f2_sensitivity": "none",
        "f2_security_level": "L1",
        "f3_name": "", "f3_label": "", "f3_data_type": "C",
    }
    data.update(overrides)
    return data


def _entry_id(response: Any) -> int:
    match = re.match(r"/catalog/(\d+)", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def test_draft_submit_file_accept_change_and_search(web: Any, database: Any) -> None:
    steward, head, bureau = web("steward_gaj"), web("head_gaj"), web("bureau")
    assert "新建信息资源" in steward.get("/catalog/new").text
    created = steward.post("/catalog/new", form_data())
    assert created.status_code == 303, created.text
    entry_id = _entry_id(created)
    page = steward.get(f"/catalog/{entry_id}")
    assert page.status_code == 200 and "城市路灯设施信息" in page.text and "草稿" in page.text
    assert "提交登记" not in page.text  # only the unit head submits, and the steward is told who that is
    assert "由本单位数据管理科室负责人 公安局数据科科长 提交" in page.text

    submitted = head.post(f"/catalog/{entry_id}/submit")
    assert submitted.status_code == 303 and "等待大数据局备案审核" in submitted.headers["location"] or \
        "%E7%AD%89%E5%BE%85" in submitted.headers["location"]
    queue = bureau.get("/catalog/filings")
    assert "城市路灯设施信息" in queue.text and "《城市道路管理条例》第三十条" in queue.text
    with database.read() as db:
        entry = db.get(CatalogEntry, entry_id)
        assert entry is not None and entry.status == "submitted" and entry.code == "3-08-009/000001"
    filing_id = int(re.search(r'data-testid="filing-(\d+)"', queue.text).group(1))  # type: ignore[union-attr]
    accepted = bureau.post(f"/catalog/filings/{filing_id}/decision", {"accept": "1", "note": ""})
    assert accepted.status_code == 303
    page = steward.get("/catalog/3-08-009/000001")
    assert "已登记" in page.text and "3-08-009/000001" in page.text

    # the steward changes the registered entry; the head submits the change; the diff shows it
    edit = steward.get(f"/catalog/{entry_id}/edit")
    assert edit.status_code == 200 and 'value="ldbh"' in edit.text
    changed = form_data(rows="4", f3_name="dz", f3_label="安装地址", f3_data_type="C", f3_length="200",
                        f3_sensitivity="none", f3_security_level="L1", note="补充地址")
    assert steward.post(f"/catalog/{entry_id}/edit", changed).status_code == 303
    assert "新增信息项 安装地址（dz）" in steward.get(f"/catalog/{entry_id}").text
    assert head.post(f"/catalog/{entry_id}/submit").status_code == 303
    diff = steward.get(f"/catalog/{entry_id}/diff?to_version=2")
    assert diff.status_code == 200 and "安装地址（dz）" in diff.text and "diff-add" in diff.text

    found = steward.get("/catalog", params={"q": "路灯"})
    assert found.status_code == 200 and "城市路灯设施信息" in found.text and "共 1 条" in found.text
    assert "共 0 条" in steward.get("/catalog", params={"q": "飞船"}).text


def test_bad_form_names_the_item_and_saves_nothing(web: Any, database: Any) -> None:
    steward = web("steward_gaj")
    with database.read() as db:
        before = len(db.execute(select(CatalogEntry.id)).all())
    cases = [
        (form_data(share_condition=""), "共享条件"),
        (form_data(legal_basis=""), "法律"),
        (form_data(f1_name="ldbh"), "信息项名称重复：ldbh"),
        (form_data(f0_is_key="", f1_is_key=""), "至少需要一个主键"),
        (form_data(f1_data_type="X"), "信息项第 2 行（jd）数据类型"),
        (form_data(f2_length="8"), "信息项第 3 行（whrq）"),
        (form_data(f0_name="LDBH"), "信息项第 1 行（LDBH）名称"),
        (form_data(name=""), "名称"),
    ]
    for data, expected in cases:
        response = steward.post("/catalog/new", data)
        assert response.status_code == 422, (expected, response.status_code)
        assert expected in response.text, expected
        assert 'value="城市路灯设施信息"' in response.text or expected == "名称"  # the form keeps what was typed
    classified = steward.post("/catalog/new", form_data(is_classified="1"))
    assert classified.status_code == 422 and "第二十三条" in classified.text
    refused = last_audit(database, action="catalog.draft")
    assert refused is not None and refused.outcome == "refused" and refused.actor_name == "steward_gaj"
    with database.read() as db:
        assert len(db.execute(select(CatalogEntry.id)).all()) == before


def test_recollection_shows_the_shared_entry_and_needs_a_basis(web: Any, database: Any) -> None:
    steward = web("steward_mz")
    data = form_data(name="低保对象人口信息", category_code="3-05-009", rows="3",
                     f0_name="sfzh", f0_label="公民身份号码", f0_length="18",
                     f1_name="xm", f1_label="姓名", f1_data_type="C", f1_length="50", f1_precision="",
                     f2_name="csrq", f2_label="出生日期")
    refused = steward.post("/catalog/new", data)
    assert refused.status_code == 422
    assert 'data-testid="recollection"' in refused.text and "人口基础信息" in refused.text
    assert "申请共享" in refused.text
    ok = steward.post("/catalog/new", {**data, "recollection_basis": "《社会救助暂行办法》第十一条 入户核查"})
    assert ok.status_code == 303
    audit = last_audit(database, action="catalog.draft")
    assert audit is not None and "社会救助暂行办法" in audit.details and "人口基础信息" in audit.details


def test_catalog_home_facets_and_unit_home(web: Any) -> None:
    user = web("steward_scjg")
    home = user.get("/catalog")
    assert home.status_code == 200 and "全市政务数据目录" in home.text
    assert 'data-facet="share_type"' in home.text and "无条件共享" in home.text
    unit = user.get("/catalog/unit/scjg")
    assert unit.status_code == 200 and "市场主体登记信息" in unit.text and "户籍人口信息" not in unit.text
    assert user.get("/catalog/unit/nope").status_code == 404


def test_other_units_cannot_edit_and_stewards_cannot_submit(web: Any, database: Any) -> None:
    with database.read() as db:
        entry = db.execute(select(CatalogEntry).where(CatalogEntry.name == "户籍人口信息")).scalar_one()
    other = web("steward_mz")
    page = other.get(f"/catalog/{entry.id}")
    assert page.status_code == 200 and f"/catalog/{entry.id}/edit" not in page.text
    assert other.post(f"/catalog/{entry.id}/edit", form_data()).status_code == 403
    assert web("steward_gaj").post(f"/catalog/{entry.id}/submit").status_code == 403
    assert web("head_mz").post(f"/catalog/{entry.id}/retire", {"reason": "x"}).status_code == 403
    assert web("steward_gaj").get("/catalog/filings").status_code == 403
    audit = last_audit(database, action="catalog.retire")
    assert audit is not None and audit.outcome == "denied"


def test_more_rows_keeps_the_form_and_saves_nothing(web: Any, database: Any) -> None:
    steward = web("steward_gaj")
    with database.read() as db:
        before = len(db.execute(select(CatalogEntry.id)).all())
    page = steward.post("/catalog/new", form_data(more_rows="1"))
    assert page.status_code == 200 and 'name="f7_name"' in page.text and 'value="路灯编号"' in page.text
    with database.read() as db:
        assert len(db.execute(select(CatalogEntry.id)).all()) == before


def test_filings_page_lists_all_and_refuses_a_rejection_without_reason(web: Any) -> None:
    bureau = web("bureau")
    everything = bureau.get("/catalog/filings?status=")
    assert everything.status_code == 200 and "已通过" in everything.text and "通过备案" in everything.text
    pending = bureau.get("/catalog/filings")
    filing_id = int(re.search(r'data-testid="filing-(\d+)"', pending.text).group(1))  # type: ignore[union-attr]
    refused = bureau.post(f"/catalog/filings/{filing_id}/decision", {"accept": "0", "note": " "})
    assert refused.status_code == 422
    card = refused.text.split(f'data-testid="filing-{filing_id}"')[1].split("</section>")[0]  # says which card
    assert 'data-testid="filing-error-' + str(filing_id) + '"' in card
    assert f'id="err-note-{filing_id}"' in card and "退回备案必须说明理由" in card
    assert refused.text.count("退回备案必须说明理由") == 2  # the summary and the field, on that card only
    unchosen = bureau.post(f"/catalog/filings/{filing_id}/decision", {"accept": "", "note": "看过了"})
    assert unchosen.status_code == 422 and "请选择通过备案或退回" in unchosen.text
    assert ">看过了</textarea>" in unchosen.text


def test_entry_form_errors_sit_beside_their_inputs_and_cells(web: Any, database: Any) -> None:
    steward = web("steward_gaj")
    page = steward.post("/catalog/new", form_data(share_condition="  ", f1_length="", f2_length="8"))
    assert page.status_code == 422
    text = page.text
    assert 'id="err-share_condition" data-field-error="share_condition">' \
        '共享条件：有条件共享、暂不共享必须填写共享条件<' in text
    assert 'id="err-f1_name"' in text and "信息项第 2 行（jd）" in text  # the row's own check, on that row
    assert 'id="err-f2_length"' in text or 'id="err-f2_name"' in text
    assert 'name="f1_label" value="经度"' in text  # kept as typed
    assert 'aria-describedby="err-share_condition"' in text
