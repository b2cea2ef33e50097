"""The form-error helper (web.forms): every pydantic error in Chinese under its field, labelled; no English."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Literal

import pytest
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from govdata.errors import FieldProblem, RuleViolation
from govdata.orgs.schemas import AssessmentUpdate, SystemCreate
from govdata.sharing.schemas import OpinionIn
from govdata.types import IsoDate
from govdata.web.forms import FormError, as_form_error, from_error, merge, parse, posted, posted_all

ENGLISH = re.compile(r"[a-z]{3,}")  # a word of English: "should", "Field", "required", "month" …


class Level(StrEnum):
    LOW = "low"
    HIGH = "high"


class Everything(BaseModel):
    name: str = Field(min_length=2, max_length=5)
    password: str = Field(min_length=8)
    roles: list[str] = Field(min_length=1)
    count: int = Field(gt=0, le=10)
    day: IsoDate
    level: Level
    mode: Literal["a", "b"]
    since: date | None = None
    until: date | None = None

    @field_validator("until")
    @classmethod
    def _after(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value and info.data.get("since") and value < info.data["since"]:
            raise ValueError("不能早于开始日期")
        return value


LABELS = {"name": "名称", "password": "密码", "roles": "角色", "count": "数量", "day": "日期", "level": "级别",
          "mode": "方式", "since": "开始日期", "until": "结束日期"}


def test_every_error_is_reported_in_chinese_under_its_field_with_its_label() -> None:
    error = parse(Everything, {"name": "x", "password": "short", "roles": [], "count": "abc", "day": "2026-13-01",
                               "level": "middle", "mode": "c", "since": "2026-05-02", "until": "2026-05-01"}, LABELS)
    assert isinstance(error, FormError) and error.status == 422
    assert error.errors == {
        "name": "名称不能少于 2 个字符", "password": "密码不能少于 8 个字符", "roles": "角色至少选择一项",
        "count": "数量应为整数", "day": "日期应为有效的日期（YYYY-MM-DD）", "level": "级别不是可选的值，请从列表中选择",
        "mode": "方式不是可选的值，请从列表中选择", "until": "结束日期不能早于开始日期"}
    assert error.field == "name" and all(m in error.message for m in error.errors.values())
    for text in [error.message, *error.errors.values()]:
        assert not ENGLISH.search(text), text


@pytest.mark.parametrize("values,field,message", [
    ({"count": "0"}, "count", "数量应大于 0"),
    ({"count": "11"}, "count", "数量不能大于 10"),
    ({"name": "toolong"}, "name", "名称不能超过 5 个字符"),
    ({"day": "tomorrow"}, "day", "日期应为有效的日期（YYYY-MM-DD）"),
    ({"day": "2027-02-30"}, "day", "日期应为有效的日期（YYYY-MM-DD）"),
    ({"level": ""}, "level", "级别不能为空"),
])
def test_each_kind_of_error_reads_as_chinese(values: dict[str, str], field: str, message: str) -> None:
    good = {"name": "ab", "password": "12345678", "roles": ["x"], "count": "3", "day": "2026-01-01",
            "level": "low", "mode": "a"}
    error = parse(Everything, {**good, **values}, LABELS)
    assert isinstance(error, FormError) and error.errors == {field: message}


def test_texts_of_spaces_are_not_given_but_passwords_keep_their_spaces() -> None:
    error = parse(Everything, {"name": "   ", "password": "        ", "roles": ["x"], "count": "1",
                               "day": "2026-01-01", "level": "low", "mode": "a"}, LABELS)
    assert isinstance(error, FormError) and error.errors == {"name": "名称不能为空"}
    opinion = parse(OpinionIn, {"version": "1", "agree": True, "opinion": "    "}, {"opinion": "意见"})
    assert isinstance(opinion, FormError) and opinion.errors == {"opinion": "意见不能为空"}
    # the JSON API strips too: a provider opinion of spaces is refused there as well
    with pytest.raises(ValueError):
        OpinionIn.model_validate({"version": 1, "agree": True, "opinion": "  \u3000 "})


def test_no_field_codes_in_the_messages_of_real_forms() -> None:
    labels = {"assessment_date": "测评日期", "assessment_valid_until": "有效期至", "name": "系统名称",
              "unit_id": "所属单位"}
    error = parse(SystemCreate, {"unit_id": "1", "name": "", "assessment_date": "2026-05-01",
                                 "assessment_valid_until": "2026-01-01"}, labels)
    assert isinstance(error, FormError)
    assert error.errors == {"name": "系统名称不能为空", "assessment_valid_until": "有效期至不能早于测评日期"}
    update = parse(AssessmentUpdate, {"assessment_level": "6"}, {"assessment_level": "等保等级"})
    assert isinstance(update, FormError) and update.errors == {"assessment_level": "等保等级不能大于 5"}


def test_a_model_check_about_one_field_lands_beside_it() -> None:
    class Period(BaseModel):
        starts: date
        ends: date

        def model_post_init(self, _: object) -> None:
            if self.ends < self.starts:
                raise FieldProblem("截止日不能早于起始日", field="ends")

    error = parse(Period, {"starts": "2026-02-01", "ends": "2026-01-01"}, {"ends": "截止日"})
    assert isinstance(error, FormError) and error.errors == {"ends": "截止日不能早于起始日"}


def test_service_errors_go_beside_their_field_labelled() -> None:
    error = from_error(RuleViolation("必须早于申请的期限", field="valid_until"), {"valid_until": "批准期限至"})
    assert error.errors == {"valid_until": "批准期限至：必须早于申请的期限"} and error.status == 422
    plain = from_error(RuleViolation("申请已被处理"))
    assert plain.errors == {"": "申请已被处理"} and plain.field is None
    carried = as_form_error(RuleViolation("x", field="a", errors={"a": "甲有误", "b": "乙有误"}))
    assert carried is not None and carried.errors == {"a": "甲有误", "b": "乙有误"} and str(carried) == "x"
    both = merge(FormError("甲", "a", 422, {"a": "甲"}), None, FormError("乙", "b", 422, {"b": "乙", "a": "丙"}))
    assert both is not None and both.errors == {"a": "甲", "b": "乙"} and both.field == "a"


def test_kept_values_come_from_the_posted_form_else_the_stored_value() -> None:
    form = {"name": "新名称", "roles": ["a", "b"]}
    assert posted(form, "name", "旧名称") == "新名称" and posted({}, "name", "旧名称") == "旧名称"
    assert posted(form, "missing", None) == "" and posted(form, "roles") == "a"
    assert posted_all(form, "roles", ["c"]) == ["a", "b"]
    assert posted_all(form, "other", ["c"]) == []  # a posted form with nothing ticked stays unticked
    assert posted_all({}, "other", ["c"]) == ["c"]  # a fresh form shows the stored choice
