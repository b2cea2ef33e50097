from __future__ import annotations

import subprocess
import sys
import threading

from sqlalchemy import func, select, text

from govdata.actor import Method, platform_actor
from govdata.audit import chain
from govdata.audit.models import AuditEvent
from govdata.audit.service import record
from govdata.policy import Action


def _write_events(database, n, name="t"):
    actor = platform_actor(Method.JOB, name=name)
    for i in range(n):
        with database.write() as db:
            record(db, actor, Action.JOBS_RUN, target_type="test", target_id=i, details={"i": i})


def _verify(database):
    with database.engine.connect() as conn:
        return chain.verify(conn)


def _cli(settings, *args):
    env = {"GOVDATA_HOME": str(settings.home), "GOVDATA_DATABASE_URL": settings.url, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "govdata.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_chain_verifies_and_cli_reports_count(database, settings):
    _write_events(database, 20)
    result = _verify(database)
    assert result.ok and result.checked >= 20
    done = _cli(settings, "audit", "verify")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"{result.checked} events verified"


def test_altered_row_is_caught_by_cli(database, settings):
    _write_events(database, 10)
    with database.write() as db:
        target = db.execute(select(func.max(AuditEvent.seq))).scalar_one() - 3
        db.execute(text("UPDATE audit_events SET actor_name = 'mallory' WHERE seq = :s"), {"s": target})
    done = _cli(settings, "audit", "verify")
    assert done.returncode == 1
    assert f"audit chain broken at event {target}" in done.stdout


def test_removed_and_inserted_rows_are_caught(database):
    _write_events(database, 10)
    with database.write() as db:
        top = db.execute(select(func.max(AuditEvent.seq))).scalar_one()
        db.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": top - 5})
    result = _verify(database)
    assert not result.ok and result.first_bad_seq == top - 5


def test_appended_row_is_caught(database):
    _write_events(database, 3)
    with database.write() as db:
        row = db.execute(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
        clone = {c.name: getattr(row, c.name) for c in AuditEvent.__table__.columns}
        clone["seq"] += 1
        db.execute(AuditEvent.__table__.insert().values(**clone))
    assert not _verify(database).ok


def test_failed_write_rolls_back_change_and_event(database):
    before = _verify(database).checked
    try:
        with database.write() as db:
            record(db, platform_actor(), Action.JOBS_RUN, target_type="test")
            db.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    result = _verify(database)
    assert result.ok and result.checked == before


def test_chain_holds_under_concurrent_threads(database):
    before = _verify(database).checked
    threads = [threading.Thread(target=_write_events, args=(database, 25, f"w{i}")) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = _verify(database)
    assert result.ok and result.checked == before + 100


WRITER = """
import sys
from govdata.storage.engines import open_database
from govdata.actor import platform_actor
from govdata.audit.service import record
from govdata.policy import Action
database = open_database(sys.argv[1])
for i in range(int(sys.argv[2])):
    with database.write() as db:
        record(db, platform_actor(name="proc"), Action.JOBS_RUN, target_type="test", target_id=i)
"""


def test_chain_holds_under_two_processes(database):
    before = _verify(database).checked
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, database.url, "40"]) for _ in range(2)]
    threads = [threading.Thread(target=_write_events, args=(database, 20, "main"))]
    threads[0].start()
    assert all(p.wait(timeout=120) == 0 for p in procs)
    threads[0].join()
    result = _verify(database)
    assert result.ok and result.checked == before + 100


def test_retention_cannot_be_set_below_six_months():
    import pytest
    from pydantic import ValidationError

    from govdata.config import Settings

    with pytest.raises(ValidationError):
        Settings(audit_retention_days=90)
    assert Settings(audit_retention_days=365).audit_retention_days == 365
