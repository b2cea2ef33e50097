"""Shared inputs for the catalog tests."""

from __future__ import annotations

from typing import Any


def entry_payload(**overrides: Any) -> dict[str, Any]:
    """A valid 无条件 entry of a made-up resource that no other unit shares."""
    data: dict[str, Any] = {
        "name": "犬只登记信息", "summary": "城区养犬登记和年检信息", "category": "department",
        "category_code": "3-01-009", "format": "database", "share_type": "unconditional", "open_type": "closed",
        "update_cycle": "daily", "ingest_mode": "realtime", "share_method": "interface",
        "fields": [
            {"name": "qzdjh", "label": "犬只登记号", "data_type": "C", "length": 20, "is_key": True},
            {"name": "qzpz", "label": "犬只品种", "data_type": "C", "length": 50},
            {"name": "yzxm", "label": "养犬人姓名", "data_type": "C", "length": 50, "sensitivity": "personal",
             "security_level": "L3", "masking_rule": "name"},
            {"name": "djrq", "label": "登记日期", "data_type": "D"},
        ],
    }
    data.update(overrides)
    return data
