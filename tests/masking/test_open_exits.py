"""Generated sensitive values sent through every public path of the open-data portal (第十七条): the dataset
page's preview, the records API, and the CSV, JSON and XLSX downloads, read by an anonymous visitor and by a
signed-in person of the owning unit (the portal is one exit: nobody gets values in clear there). None may come
out unmasked; a filter on a masked field is refused without revealing whether the value matched."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
from hypothesis import given

from tests.masking.test_exits import EXITS, PERSONAL, _leaks, _rows, _secrets, people
from tests.opendata.helpers import openable, publish

FIELDS = [(name, label, kind, length, key, "personal", "L3", rule)
          for name, label, kind, length, key, rule in PERSONAL]


def _xlsx_text(content: bytes) -> str:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    return "\n".join("\t".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True))


def _outputs(client: Any, dataset_id: int, headers: dict[str, str]) -> dict[str, str]:
    api = f"/api/v1/open/datasets/{dataset_id}"
    found = {"page": client.get(f"/open/datasets/{dataset_id}", headers=headers).text,
             "metadata": client.get(api, headers=headers).text,
             "records": client.get(f"{api}/records", params={"limit": 100}, headers=headers).text,
             "csv": client.get(f"{api}/data.csv", headers=headers).content.decode("utf-8-sig"),
             "json": client.get(f"/open/datasets/{dataset_id}/data.json", headers=headers).content.decode()}
    xlsx = client.get(f"{api}/data.xlsx", headers=headers)
    assert xlsx.status_code == 200, xlsx.text
    found["xlsx"] = _xlsx_text(xlsx.content)
    return found


@EXITS
@given(found=people)
def test_no_public_path_hands_out_a_sensitive_value_unmasked(app: Any, client: Any, token: Any, database: Any,
                                                             found: Any) -> None:
    app.state.settings.open_downloads_per_minute = 10_000
    rows = _rows(found)
    secrets = _secrets(rows)
    entry = openable(database, unit="gaj", fields=FIELDS, rows=rows)
    made = publish(client, token("bureau"), entry)
    assert made.status_code == 201, made.text
    dataset_id = made.json()["id"]
    for who, headers in (("anonymous", {}), ("owning unit", token("steward_gaj"))):
        outputs = _outputs(client, dataset_id, headers)
        assert len(json.loads(outputs["records"])["records"]) == len(rows)
        assert outputs["csv"].count("\n") == len(rows) + 1, outputs["csv"]
        leaked = {name: _leaks(text, secrets) for name, text in outputs.items() if _leaks(text, secrets)}
        assert not leaked, (who, leaked)
    for field, value in (("xm", rows[0]["xm"]), ("sfzh", rows[0]["sfzh"]), ("lxdh", rows[0]["lxdh"])):
        refused = client.get(f"/api/v1/open/datasets/{dataset_id}/records", params={"field": field, "value": value})
        assert refused.status_code == 422 and refused.json()["error"]["field"] == field
        assert not _leaks(refused.text, secrets)
        sorted_by = client.get(f"/api/v1/open/datasets/{dataset_id}/records", params={"sort": f"-{field}"})
        assert sorted_by.status_code == 422 and sorted_by.json()["error"]["field"] == field
