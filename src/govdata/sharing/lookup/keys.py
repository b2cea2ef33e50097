"""What a sharing call may look up by (第十三条: a lookup answers for a case, never a bulk query).

A call names one key field with one or more values (`?sfzh=a,b`), or one value for each field of a combination
the provider named in the catalog (`?xm=孙华&csrq=1990-01-01`). Alone, only the entry's keys and lookup fields
that the grant covers may be used; a name or an address (not unique) is a lookup field only in a combination.
Whatever the key, a call answers at most its grant's row limit: more matches is refused, with nothing returned.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from govdata.errors import BadRequest, RuleViolation

COMBINED = "+"  # joins a combination's fields in the call's key label (`xm+csrq`), as the catalog writes them


def parse_keys(items: list[tuple[str, str]], max_keys: int) -> tuple[str, list[str]]:
    """`?sfzh=a&sfzh=b` or `?sfzh=a,b` (values cannot contain commas): one key field and 1..max values; or
    `?xm=a&csrq=b`: the fields joined by `+` and one value for each, in the order given."""
    names = list(dict.fromkeys(name for name, _ in items))
    if not names:
        raise BadRequest("缺少查询键：请用 ?<查询字段>=<值> 指定", field="key")
    if len(names) > 1:
        return COMBINED.join(names), [_one_value(items, name) for name in names]
    name = names[0]
    values = [v.strip() for _, raw in items for v in raw.split(",")]
    if not values or any(v == "" for v in values):
        raise BadRequest("查询键的值不能为空", field=name)
    values = list(dict.fromkeys(values))
    if len(values) > max_keys:
        raise BadRequest(f"一次最多查询 {max_keys} 个键值", field=name)
    return name, values


def _one_value(items: list[tuple[str, str]], name: str) -> str:
    values = [v.strip() for key, raw in items if key == name for v in raw.split(",")]
    if len(values) != 1:
        raise BadRequest("组合查询时每个信息项只能给一个值", field=name)
    if not values[0]:
        raise BadRequest("查询键的值不能为空", field=name)
    return values[0]


def key_names(label: str) -> tuple[str, ...]:
    return tuple(label.split(COMBINED))


def check_key(label: str, *, granted: Collection[str], granted_keys: Collection[str], alone: Collection[str],
              combinations: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    """The call's key fields if this grant and entry allow them; BadRequest naming the field otherwise.
    `granted`: the grant's fields; `granted_keys`: of those, the keys and lookup fields when it was approved;
    `alone`: the entry's keys and lookup fields now; `combinations`: the entry's named combinations."""
    names = key_names(label)
    usable = [c for c in combinations if set(c) <= set(granted)]
    if len(names) > 1:
        if any(set(names) == set(c) for c in usable):
            return names
        choices = _choices(granted_keys, alone, usable)
        raise BadRequest(f"{'+'.join(names)} 不是提供单位公布的组合查询项，可用：{choices}", field=names[-1])
    name = names[0]
    if name in granted_keys and name in alone:
        return names
    partners = [c for c in usable if name in c]
    if partners:
        raise BadRequest(f"{name} 不唯一，不能单独查询，请组合查询：{'；'.join('+'.join(c) for c in partners)}",
                         field=name)
    raise BadRequest(f"{name} 不是可查询的字段，可用：{_choices(granted_keys, alone, usable)}", field=name)


def _choices(granted_keys: Collection[str], alone: Collection[str], usable: list[tuple[str, ...]]) -> str:
    return "、".join([n for n in granted_keys if n in alone] + ["+".join(c) for c in usable]) or "无"


def too_many(limit: int, key_label: str) -> RuleViolation:
    return RuleViolation(f"匹配的记录超过每次调用 {limit} 条的上限，未返回任何数据；请使用更精确的查询键"
                         "（如身份证号，或提供单位公布的组合查询项）", field=key_label)
