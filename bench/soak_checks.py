"""What must hold after the soak, whatever the faults: audit for every answer, whole batches, a sound chain."""

from __future__ import annotations

from sqlalchemy import bindparam, text

from govdata.audit.chain import verify
from govdata.storage.engines import open_database

CHUNK = 500


def audit_gaps(url: str, request_ids: set[str]) -> set[str]:
    """The answered requests' ids that no audit event carries."""
    ids = sorted(request_ids)
    found: set[str] = set()
    database = open_database(url)
    try:
        query = text("SELECT DISTINCT request_id FROM audit_events WHERE request_id IN :ids").bindparams(
            bindparam("ids", expanding=True))
        with database.engine.connect() as conn:
            for start in range(0, len(ids), CHUNK):
                found.update(conn.execute(query, {"ids": ids[start:start + CHUNK]}).scalars())
    finally:
        database.dispose()
    return set(ids) - found


def half_applied(url: str, table: str, batches: list[tuple[list[str], bool]]) -> list[str]:
    """Batches found in part: an answered one must be all there, an unanswered one all there or not at all."""
    problems = []
    database = open_database(url)
    try:
        query = text(f"SELECT count(*) FROM {table} WHERE sfzh IN :keys").bindparams(
            bindparam("keys", expanding=True))
        with database.engine.connect() as conn:
            for number, (keys, answered) in enumerate(batches):
                there = int(conn.execute(query, {"keys": keys}).scalar_one())
                if there != len(keys) and (answered or there != 0):
                    problems.append(f"batch {number}: {there} of {len(keys)} rows, "
                                    f"{'answered' if answered else 'unanswered'}")
    finally:
        database.dispose()
    return problems


def chain_verifies(url: str) -> tuple[bool, str]:
    database = open_database(url)
    try:
        with database.engine.connect() as conn:
            result = verify(conn)
        return result.ok, f"{result.checked:,} events; first bad seq {result.first_bad_seq}: {result.problem}"
    finally:
        database.dispose()
