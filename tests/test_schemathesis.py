"""The real app against its own OpenAPI document (schemathesis), as two roles: no 5xx, no answer the document
does not describe (status, content type, headers, body schema).

Bounded and repeatable: a fixed number of examples per operation, derandomized (the same cases on every
run), no example database. Marked `schemathesis` (`pytest -m schemathesis`); it runs in `make test` too.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks

load_all_checks()
CHECK_NAMES = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
               "response_headers_conformance", "response_schema_conformance"]
EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 2}
# On PostgreSQL the center's walk alone (it reaches the most operations): CI's two passes share twenty minutes.
ROLES = ["admin"] if os.environ.get("GOVDATA_DATABASE_URL") else ["steward_gaj", "admin"]
  # a unit's steward and the big-data center

pytestmark = pytest.mark.schemathesis


def _failures(operation: Any, headers: dict[str, str], mode: GenerationMode) -> list[str]:
    checks = CHECKS.get_by_names(CHECK_NAMES)
    found: list[str] = []

    @settings(max_examples=EXAMPLES[mode], derandomize=True, database=None, deadline=None, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=checks)
        except BaseException as exc:  # schemathesis' FailureGroup: collected, every operation is tried
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            found.append(f"{operation.label} [{mode.value}]: {str(exc).strip()[:1500]}")

    with contextlib.suppress(Unsatisfiable):  # nothing to make invalid (no parameters, in negative mode)
        run()
    return found


@pytest.mark.parametrize("role", ROLES)
def test_the_api_keeps_to_its_document(app, token, role):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = token(role)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 60
    for operation in operations:
        for mode in EXAMPLES:
            failures += _failures(operation, headers, mode)
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures[:40])

