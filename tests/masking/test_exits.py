"""Generated sensitive values sent through every exit where values leave their unit: none may come out unmasked
where a rule applies. Each exit is read over HTTP by someone outside the owning unit — a consumer unit holding a
grant (masked), the bureau — and the owning unit's own view is checked to still show them in clear.

Exits: comparison differences (page and CSV), quality report samples, correction views (page and API) and the
sharing lookup (the consumer's system, a grant that gives nothing in clear). Vendor reads are tested with their
own journey (tests/vendors); the provider's choice of fields in clear with the sharing exit (tests/sharing).
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from govdata.catalog.models import CatalogEntry, EntryStatus, Field
from govdata.datastore.tables import create_tables
from govdata.quality.models import QualityReport
from tests.masking.test_properties import addresses, id_cards, mobiles, names
from tests.quality.factories import grant_fields, insert_rows, load_entry, unit_id
from tests.sharing.factories import token_for

PERSONAL = [  # name, label, type, length, key, rule
    ("sfzh", "公民身份号码", "C", 18, True, "id_card"),
    ("xm", "姓名", "C", 50, False, "name"),
    ("lxdh", "联系电话", "C", 20, False, "phone"),
    ("zz", "住址", "C", 200, False, "address"),
]
people = st.lists(st.tuples(id_cards(), names, mobiles, addresses), min_size=2, max_size=4,
                  unique_by=lambda p: p[0])
_serial = itertools.count(1)
EXITS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _entry(database: Any, unit: str, name: str) -> CatalogEntry:
    with database.write() as db:
        entry = CatalogEntry(code=f"M{unit.upper()}{name}", unit_id=unit_id(database, unit), name=name,
                             category="department", category_code="3-01", format="database",
                             share_type="conditional", legal_basis="测试", open_type="closed",
                             update_cycle="daily", ingest_mode="realtime", status=EntryStatus.REGISTERED.value,
                             version=1)
        for pos, (fname, label, kind, length, key, rule) in enumerate(PERSONAL):
            entry.fields.append(Field(position=pos, name=fname, label=label, data_type=kind, length=length,
                                      is_key=key, is_lookup=key, sensitivity="personal", security_level="L3",
                                      masking_rule=rule,
                                      rules='[{"type": "length", "max": 1}]' if fname == "zz" else "[]"))
        db.add(entry)
        db.flush()
        create_tables(db.connection(), entry)
        entry_id = entry.id
    return load_entry(database, entry_id)


def _rows(found: list[tuple[str, str, str, tuple[str, str, str]]]) -> list[dict[str, str]]:
    return [{"sfzh": sfzh, "xm": xm, "lxdh": phone, "zz": "".join(address)} for sfzh, xm, phone, address in found]


def _secrets(rows: list[dict[str, str]]) -> list[str]:
    """What must never appear: every 身份证号 (and its birth date), full name, phone and full address."""
    found = []
    for row in rows:
        found += [row["sfzh"], row["sfzh"][6:14], row["lxdh"], row["zz"]]
        if len(row["xm"]) >= 2:
            found.append(row["xm"])
    return found


def _keys(rows: list[dict[str, str]]) -> set[str]:
    return {r["sfzh"] for r in rows} | {r["sfzh"][6:14] for r in rows}


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s in text]


@EXITS
@given(found=people)
def test_no_exit_hands_a_sensitive_value_to_another_unit_unmasked(client: Any, token: Any, database: Any,
                                                                  settings: Any, found: Any) -> None:
    rows = _rows(found)
    secrets = _secrets(rows)
    suffix = f"{next(_serial):05d}"
    own, provided = _entry(database, "gaj", f"L{suffix}"), _entry(database, "mz", f"R{suffix}")
    # 公安局's own copy of all but the last person, with its own 姓名, 电话 and 住址 (the 身份证号 is the join key)
    mine = [{"sfzh": r["sfzh"], "xm": f"本单位{i}", "lxdh": f"0597-{i:07d}", "zz": f"本单位地址{i}"}
            for i, r in enumerate(rows[:-1])]
    insert_rows(database, own, mine)
    insert_rows(database, provided, rows)
    grant_fields(database, provided, "gaj", ["sfzh", "xm", "lxdh", "zz"])  # granted, not in clear
    gaj, mz, bureau = token("steward_gaj"), token("steward_mz"), token("bureau")

    # comparison differences: page and CSV, read by the comparing unit (the other side is 民政局's)
    made = client.post("/api/v1/quality/comparisons", headers=gaj, json={
        "name": "x", "left_code": own.code, "right_code": provided.code, "key_pairs": [["sfzh", "sfzh"]],
        "field_pairs": [["xm", "xm"], ["lxdh", "lxdh"], ["zz", "zz"]]})
    assert made.status_code == 201, made.text
    run = client.post(f"/api/v1/quality/comparisons/{made.json()['id']}/run", headers=gaj).json()
    outputs = {"diffs.csv": client.get(f"/api/v1/quality/comparison-runs/{run['id']}/diffs.csv", headers=gaj).text,
               "run page": client.get(f"/quality/comparison-runs/{run['id']}", headers=gaj).text}
    assert all(m["xm"] in outputs["diffs.csv"] for m in mine)  # its own side stays in clear
    # what only 民政局 holds: the last person's 身份证号, and everyone's 姓名, 电话, 住址
    # (a birth date the comparing unit's own 身份证号 also carries is its own: not counted as leaked)
    provided_only = [s for s in _secrets(rows[-1:]) + _secrets(rows) if s not in _keys(rows[:-1])]
    leaked = {name: _leaks(text, provided_only) for name, text in outputs.items() if _leaks(text, provided_only)}
    assert not leaked, leaked
    outputs.clear()

    # quality report samples of 民政局's entry, read by the bureau (the length rule fails on every 住址)
    scan = client.post(f"/api/v1/quality/entries/{provided.id}/scan", headers=mz)
    assert scan.status_code == 201, scan.text
    report_id = scan.json()["id"]
    outputs["report api"] = client.get(f"/api/v1/quality/reports/{report_id}", headers=bureau).text
    outputs["report page"] = client.get(f"/quality/reports/{report_id}", headers=bureau).text
    owner_view = client.get(f"/api/v1/quality/reports/{report_id}", headers=mz).text
    assert any(r["zz"] in owner_view for r in rows)  # the producer sees its own samples

    # a correction 公安局 reports on 民政局's record, read back by the reporter
    reported = client.post("/api/v1/corrections", headers=gaj, json={
        "resource_code": provided.code, "key": {"sfzh": rows[0]["sfzh"]}, "field": "lxdh",
        "value_seen": rows[0]["lxdh"], "value_proposed": rows[1]["lxdh"], "evidence": "电话有误"})
    assert reported.status_code == 201, reported.text
    cid = reported.json()["id"]
    outputs["correction api"] = reported.text + client.get(f"/api/v1/corrections/{cid}", headers=gaj).text
    outputs["correction page"] = client.get(f"/corrections/{cid}", headers=gaj).text
    assert rows[0]["lxdh"] in client.get(f"/api/v1/corrections/{cid}", headers=mz).text  # the producer's own

    # the sharing lookup by 公安局's system, by every 身份证号 (within the grant's row limit)
    system = {"Authorization": f"Bearer {token_for(database, settings, 'gaj')}", "X-Operator": "clerk"}
    looked_up = client.get(f"/api/v1/share/{provided.code}/records",
                           params={"sfzh": ",".join(r["sfzh"] for r in rows)}, headers=system)
    assert looked_up.status_code == 200 and len(looked_up.json()["records"]) == len(rows), looked_up.text
    outputs["sharing lookup"] = looked_up.text

    leaked = {name: _leaks(text, secrets) for name, text in outputs.items() if _leaks(text, secrets)}
    assert not leaked, leaked
    with database.read() as db:
        assert db.execute(select(QualityReport.id).where(QualityReport.id == report_id)).scalar_one()


def test_the_fixture_values_are_really_sensitive() -> None:
    """The generated people are what the rules are for: a check that the test above tests something."""
    row = _rows([("350802199001010011", "欧阳娜娜", "13800001111", ("福建省龙岩市新罗区", "西城街道", "中山路1号"))])[0]
    assert _secrets([row]) == ["350802199001010011", "19900101", "13800001111", "福建省龙岩市新罗区西城街道中山路1号",
                               "欧阳娜娜"]
    assert date(1990, 1, 1).strftime("%Y%m%d") in row["sfzh"]
