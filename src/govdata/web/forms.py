"""Form pages: turn a posted form into a pydantic model, or every problem in Chinese beside its field.

`parse` returns the model or a `FormError` holding one message per field (all of them, not only the first),
each naming the field by its Chinese label; `from_error` does the same for a service's `GovdataError`. The
templates' `_forms.html` macros put each message beside its input (`aria-describedby`) and keep what was typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from govdata.errors import FieldProblem, GovdataError

M = TypeVar("M", bound=BaseModel)

# pydantic's error types, as what is wrong with the field ("{label}{reason}"); `{…}` are the error's ctx.
REASONS: dict[str, str] = {
    "missing": "不能为空",
    "string_too_short": "不能少于 {min_length} 个字符",
    "string_too_long": "不能超过 {max_length} 个字符",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "int_parsing_size": "数值过大",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_digits": "位数过多",
    "decimal_max_places": "小数位数过多",
    "finite_number": "应为有限的数字",
    "bool_parsing": "应为“是”或“否”",
    "bool_type": "应为“是”或“否”",
    "date_parsing": "应为有效的日期（YYYY-MM-DD）",
    "date_type": "应为有效的日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为有效的日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为日期，不带时间",
    "iso_date": "应为有效的日期（YYYY-MM-DD）",
    "date_past": "应为今天以前的日期",
    "date_future": "应为今天以后的日期",
    "datetime_parsing": "应为有效的时间",
    "datetime_type": "应为有效的时间",
    "datetime_from_date_parsing": "应为有效的时间",
    "iso_datetime": "应为带时区的时间（如 2026-11-25T16:41:12+08:00）",
    "time_parsing": "应为有效的时刻（HH:MM）",
    "enum": "不是可选的值，请从列表中选择",
    "literal_error": "不是可选的值，请从列表中选择",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "应为文字",
    "list_type": "应为一组值",
    "url_parsing": "应为有效的网址",
    "url_type": "应为有效的网址",
    "url_scheme": "应以 http:// 或 https:// 开头",
    "value_error": "{error}",
    "assertion_error": "{error}",
    "extra_forbidden": "不是本表单的项目",
    "uuid_parsing": "格式不正确",
}
FALLBACK = "填写有误"


@dataclass
class FormError:
    """What is wrong with a posted form: `errors` maps each field to its Chinese message (with its label);
    `message` sums them up for the top of the form; `field` is the first field at fault."""

    message: str
    field: str | None
    status: int = 422
    errors: dict[str, str] = dc_field(default_factory=dict)

    def for_field(self, name: str) -> str:
        return self.errors.get(name, "")

    def __str__(self) -> str:  # `{{ error }}` in a template is the summary
        return self.message


def reason(error: Mapping[str, Any]) -> str:
    """One pydantic error as what is wrong, in Chinese, without the field's name."""
    kind = str(error.get("type", ""))
    ctx = dict(error.get("ctx") or {})
    if kind in ("value_error", "assertion_error"):
        cause = ctx.get("error")
        text = str(cause) if cause is not None else str(error.get("msg", ""))
        return text.removeprefix("Value error, ").removeprefix("Assertion failed, ") or FALLBACK
    if kind in ("string_too_short", "too_short") and int(ctx.get("min_length", 0) or 0) <= 1:
        return "不能为空" if kind == "string_too_short" else "至少选择一项"
    if kind in ("enum", "literal_error") and error.get("input") in ("", None):
        return "请选择"
    template = REASONS.get(kind)
    if template is None:
        msg = str(error.get("msg", ""))
        return msg if _is_chinese(msg) else FALLBACK  # a custom error (PydanticCustomError) is ours, in Chinese
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return FALLBACK


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _join(label: str, why: str) -> str:
    if why.startswith(label) or not label:
        return why
    if why[:1].isascii() and not why[:1].isalnum() or why.startswith(("不", "应", "至少", "最多", "请", "格式",
                                                                      "数值", "位数", "小数", "是")):
        return f"{label}{why}"
    return f"{label}：{why}"


def field_of(error: Mapping[str, Any]) -> str | None:
    ctx = error.get("ctx") or {}
    cause = ctx.get("error") if isinstance(ctx, Mapping) else None
    if isinstance(cause, FieldProblem) and cause.field:
        return cause.field
    loc = [p for p in error.get("loc", ()) if p not in ("body", "query", "path", "form")]
    return str(loc[0]) if loc else None


def errors_of(exc: ValidationError, labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every error of a validation, one Chinese message per field (the first one found for that field);
    an error of the whole form (a model validator) is kept under the key ``""``."""
    out: dict[str, str] = {}
    for error in exc.errors():
        name = field_of(error) or ""
        label = (labels or {}).get(name, "") if name else ""
        why = reason(error)
        out.setdefault(name, _join(label, why) if label else why)
    return out


def from_validation(exc: ValidationError, labels: Mapping[str, str] | None = None) -> FormError:
    errors = errors_of(exc, labels)
    fields = [k for k in errors if k]
    summary = "；".join(errors.values())
    return FormError(summary, fields[0] if fields else None, 422, errors)


def parse(model: type[M], data: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> M | FormError:
    """Empty strings count as "not given" so optional fields stay None; texts are stripped (passwords aside),
    so a required text of spaces is "not given" too."""
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str) and "password" not in key:
            value = value.strip()
        if value in ("", None):
            continue
        cleaned[key] = value
    try:
        return model.model_validate(cleaned)
    except ValidationError as exc:
        return from_validation(exc, labels)


def from_error(exc: GovdataError, labels: Mapping[str, str] | None = None) -> FormError:
    """A service's refusal, beside its field when it names one."""
    name = exc.field.split(".")[0] if exc.field else None
    errors = {name: exc.message} if name else {"": exc.message}
    message = exc.message
    if name and labels and name in labels and labels[name] not in message:
        message = f"{labels[name]}：{exc.message}"
        errors[name] = message
    return FormError(message, name, exc.status if 400 <= exc.status < 500 else 422, errors)


def field_errors(exc: GovdataError | None) -> dict[str, str]:
    """A refusal's messages by field, for pages that re-render with a `GovdataError`: all of a form's errors
    when `parse`'s were carried along (`errors=`), else the one message under its field."""
    if exc is None:
        return {}
    carried = exc.context.get("errors")
    if isinstance(carried, dict) and carried:
        return {str(k): str(v) for k, v in carried.items()}
    return {exc.field.split(".")[0]: exc.message} if exc.field else {}


def as_form_error(exc: GovdataError | None) -> FormError | None:
    """A refusal as the form macros take it (its messages by field, see `field_errors`)."""
    if exc is None:
        return None
    status = exc.status if 400 <= exc.status < 500 else 422
    return FormError(exc.message, exc.field.split(".")[0] if exc.field else None, status, field_errors(exc))


def merge(*found: FormError | None) -> FormError | None:
    """Several checks' errors as one (the first message kept per field)."""
    parts = [f for f in found if f is not None]
    if not parts:
        return None
    errors: dict[str, str] = {}
    for part in parts:
        for key, text in part.errors.items():
            errors.setdefault(key, text)
    fields = [k for k in errors if k]
    return FormError("；".join(errors.values()), fields[0] if fields else None, parts[0].status, errors)


async def form_dict(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: v for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}


async def form_lists(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    out: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out


def posted(form: Any, name: str, default: Any = "") -> str:
    """The value typed into `name` (a form kept after an error), else `default` (the stored value)."""
    if not form:
        return "" if default is None else str(default)
    getlist = getattr(form, "getlist", None)
    if getlist is not None and name in form:
        values = getlist(name)
        return str(values[0]) if values else ""
    if isinstance(form, Mapping) and name in form:
        value = form[name]
        if isinstance(value, list | tuple):
            return str(value[0]) if value else ""
        return "" if value is None else str(value)
    return "" if default is None else str(default)


def posted_all(form: Any, name: str, default: Any = None) -> list[str]:
    """Every value ticked for `name` (checkboxes, multi-selects) after an error, else `default`."""
    getlist = getattr(form, "getlist", None) if form else None
    if getlist is not None and name in form:
        return [str(v) for v in getlist(name)]
    if form and isinstance(form, Mapping) and name in form:
        value = form[name]
        return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
    if form:
        return []  # a posted form with nothing ticked stays with nothing ticked
    return [str(v) for v in (default or [])]
