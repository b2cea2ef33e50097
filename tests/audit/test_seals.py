"""Seals on the audit chain: what someone holding only the database can no longer do unseen.

Each attack is done the way it is done by hand — SQL on the tables, hashes recomputed, the head moved — so that
the chain's own walk passes, and then `govdata audit verify` (a real process) is asked, with and without the
exported seal file. Runs on the configured backend (SQLite, or PostgreSQL when its URL is set).
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from unittest.mock import ANY

import pytest
from rich.console import Console
from sqlalchemy import func, select, text

from govdata import clock
from govdata.actor import Actor, Method, Role, platform_actor
from govdata.audit import chain, sealing, sealkey
from govdata.audit import cli as audit_cli
from govdata.audit.models import AuditEvent, AuditHead, AuditSeal
from govdata.audit.service import AuditDraft, record
from govdata.cli import CLI
from govdata.jobs.registry import load_all
from govdata.jobs.runner import run_one
from govdata.policy import Action
from tests.audit.test_audit_pages import _cli
from tests.conftest import last_audit

JOB = platform_actor(Method.JOB, name="测试")


def _write(database, n):
    for i in range(n):
        with database.write() as db:
            record(db, JOB, Action.JOBS_RUN, target_type="test", target_id=i, details={"i": i})


def _top(database):
    with database.read() as db:
        return db.execute(select(func.max(AuditEvent.seq))).scalar_one()


def _seal(database, settings):
    with database.write() as db:
        made = sealing.seal_chain(db, JOB, key=sealkey.load_or_create(settings.home_dir))
    assert made is not None
    return made


def _export(database, path):
    """`govdata audit seal export PATH` in this process."""
    out = io.StringIO()
    assert audit_cli.export(database, file=path, actor=CLI, console=Console(file=out), err=Console(file=out)) == 0
    return json.loads(path.read_text())


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def _verify(database, settings, *args):
    """`govdata audit verify ARGS` in this process (the same function the command calls, printing to strings);
    `_cli` runs the real command where the process matters."""
    options = dict(zip(args[::2], args[1::2], strict=True))
    out, err = io.StringIO(), io.StringIO()
    code = audit_cli.verify(database, settings, seals_file=Path(options["--seals"]) if "--seals" in options else None,
                            public_keys=[options["--public-key"]] if "--public-key" in options else [], actor=CLI,
                            console=Console(file=out, width=80), err=Console(file=err, width=80))
    return Done(code, out.getvalue(), err.getvalue())


def _chain_walk_passes(database):
    with database.engine.connect() as conn:
        result = chain.verify(conn)
    assert result.ok, result.problem  # the attack left a chain that verifies on its own


def _rehash_from(database, start):
    """What an attacker with the database does after editing event `start`: recompute every hash from it on
    and move the head, so that the chain fits together again."""
    with database.write() as db:
        prev = db.execute(select(AuditEvent.hash).where(AuditEvent.seq == start - 1)).scalar_one()
        rows = db.execute(select(AuditEvent).where(AuditEvent.seq >= start).order_by(AuditEvent.seq)).scalars()
        for row in list(rows):
            values = [getattr(row, name) for name in chain.HASHED]
            values[1] = chain.canonical_time(values[1])
            row.prev_hash, row.hash = prev, chain.event_hash(prev, values)
            prev = row.hash
        db.flush()
        db.execute(AuditHead.__table__.update().values(hash=prev))


def _cut_tail(database, keep):
    """Delete the events after `keep` and move the head back onto it."""
    with database.write() as db:
        last_hash = db.execute(select(AuditEvent.hash).where(AuditEvent.seq == keep)).scalar_one()
        db.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": keep})
        db.execute(AuditHead.__table__.update().values(seq=keep, hash=last_hash))


@pytest.fixture
def sealed(database, settings, tmp_path):
    """A trail sealed twice with events between, exported to a file; returns (file, seal seqs)."""
    _write(database, 6)
    first = _seal(database, settings).seq
    _write(database, 6)
    second = _seal(database, settings).seq
    path = tmp_path / "seals.json"
    exported = _export(database, path)
    assert [s["seq"] for s in exported["seals"]] == [first, second]
    return path, (first, second)


def test_intact_chain_passes_with_file_and_database_seals(database, settings, sealed):
    path, (first, second) = sealed
    _write(database, 3)
    done = _verify(database, settings, "--seals", str(path))
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    with database.read() as db:
        verified = db.execute(select(func.count()).select_from(AuditEvent)).scalar_one() - 1  # minus its own record
    assert lines[0] == f"{verified} events verified"
    assert lines[1] == f"封印核对通过（封印文件）：2 个封印与审计链相符，最后一个封印在序号 {second}"
    event = last_audit(database, action="audit.verify")
    assert event is not None and event.outcome == "ok" and event.actor_type == "platform"
    assert json.loads(event.details)["seals_checked"] == 2


def test_rewrite_with_recomputed_hashes_fails_naming_the_seq(database, settings, sealed):
    path, (first, second) = sealed
    forged = first + 2
    with database.write() as db:
        db.execute(text("UPDATE audit_events SET actor_name = 'mallory' WHERE seq = :s"), {"s": forged})
    _rehash_from(database, forged)
    _chain_walk_passes(database)
    # The stored seals were dropped too: only the file kept elsewhere still knows.
    with database.write() as db:
        db.execute(text("DELETE FROM audit_seals"))
    done = _cli(settings, "audit", "verify", "--seals", str(path))  # the real command
    assert done.returncode == 1, done.stdout
    first_line = done.stdout.splitlines()[0]
    assert first_line.startswith(f"审计链被改写：序号 {second} 的哈希与封印文件中 ")
    assert f"序号 {first + 1} 至 {second} 之间有事件在封印后被改动" in first_line
    event = last_audit(database, action="audit.verify")
    assert event.outcome == "error" and json.loads(event.details)["first_bad_seq"] == second


def test_rewrite_is_caught_by_the_stored_seals_while_they_are_there(database, settings, sealed):
    _path, (first, second) = sealed
    with database.write() as db:
        db.execute(text("UPDATE audit_events SET purpose = 'x' WHERE seq = :s"), {"s": second})
    _rehash_from(database, second)
    done = _verify(database, settings)
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith(f"审计链被改写：序号 {second} 的哈希与数据库中 ")


def test_cut_tail_fails(database, settings, sealed):
    path, (first, second) = sealed
    _cut_tail(database, second - 3)
    _chain_walk_passes(database)
    with database.write() as db:
        db.execute(text("DELETE FROM audit_seals WHERE seq > :s"), {"s": second - 3})
    assert _verify(database, settings).returncode == 0  # the database alone no longer knows
    end = _top(database)  # that verification's own record came after the cut
    done = _verify(database, settings, "--seals", str(path))
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith(f"审计链末尾被截断：链只到序号 {end}，而封印文件中 ")
    assert f"的封印记录到序号 {second}（序号 {end + 1} 至 {second} 的事件被删除）" in done.stdout.splitlines()[0]


def test_cut_and_rewritten_tail_is_a_rewrite(database, settings, sealed):
    """Events deleted and as many forged ones chained on: the sealed seq is there again, with another hash."""
    path, (first, second) = sealed
    _cut_tail(database, second - 2)
    _write(database, 4)
    done = _verify(database, settings, "--seals", str(path))
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith(f"审计链被改写：序号 {second} 的哈希")


def _verify_edited(database, settings, path, edit, *args):
    """Verify against a copy of the seal file `path` changed by `edit(data)`; returns the outcome."""
    data = json.loads(path.read_text())
    edit(data)
    edited = path.with_name("edited.json")
    edited.write_text(json.dumps(data))
    return _verify(database, settings, "--seals", str(edited), *args)


def test_seal_file_signed_by_another_key_is_refused(database, settings, sealed, tmp_path):
    path, (first, second) = sealed
    other = sealkey.load_or_create(tmp_path)  # a key of someone else's making

    def sign_with_other(data):
        for seal in data["seals"]:
            at = sealing.SealRecord.model_validate(seal).sealed_at
            seal["key_id"] = other.public.key_id
            seal["signature"] = other.sign(sealing.signed_message(seal["kind"], seal["seq"], seal["hash"], at)).hex()
        data["public_keys"] = [{"key_id": other.public.key_id, "public_key": other.public.hex}]

    done = _verify_edited(database, settings, path, sign_with_other)
    assert done.returncode == 1
    first_line = done.stdout.splitlines()[0]
    assert first_line.startswith(f"封印不可信：封印文件中序号 {first} 的封印（")
    assert f"由未知的密钥 {other.public.key_id} 签署，不是本平台的封印密钥" in first_line
    # ... and trusting that key on purpose makes the same file acceptable (checking on another machine)
    trusted = _verify_edited(database, settings, path, sign_with_other, "--public-key", other.public.hex)
    assert trusted.returncode == 0, trusted.stdout


def test_edited_seal_in_the_file_is_refused(database, settings, sealed):
    path, (first, second) = sealed
    done = _verify_edited(database, settings, path, lambda data: data["seals"][1].update(seq=second - 1))
    assert done.returncode == 1
    first_line = done.stdout.splitlines()[0]
    assert first_line.startswith(f"封印不可信：封印文件中序号 {second - 1} 的封印")
    assert first_line.endswith("的签名与内容不符（封印被改动或伪造）")


@pytest.mark.parametrize("content,message", [
    (None, "封印文件无法读取"),
    ("not json", "封印文件不是 JSON"),
    ('{"format": "other"}', "不是有效的审计封印导出文件"),
    ('{"format": "govdata-audit-seals/1", "exported_at": "2026-01-01T00:00:00Z", "public_keys": [],'
     ' "seals": [{"id": 1, "kind": "seal", "seq": 0, "hash": "x"}]}', "不是有效的审计封印导出文件"),
])
def test_unreadable_seal_file_is_exit_2(database, settings, tmp_path, content, message):
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    done = _verify(database, settings, "--seals", str(path))
    assert done.returncode == 2 and done.stderr.startswith(f"无法校验：{message}"), done.stderr


def test_bad_public_key_is_exit_2(settings):
    done = _cli(settings, "audit", "verify", "--public-key", "abc")
    assert done.returncode == 2 and "公钥应为 64 位十六进制数字" in done.stderr


def _backdated(database, n):
    old = clock.now() - timedelta(days=400)
    actor = Actor(kind="user", id=None, name="老用户", roles=frozenset({Role.STEWARD}), method=Method.WEB)
    with database.write() as db:
        chain.append(db.connection(), [AuditDraft(actor=actor, action="auth.login", at=old).to_row()
                                       for _ in range(n)])


def test_purge_leaves_a_checkpoint_and_the_rest_verifies(database, settings, tmp_path):
    purged_seal = _seal(database, settings).seq
    _backdated(database, 10)
    kept_seal = _seal(database, settings).seq
    _write(database, 3)
    path = tmp_path / "before-purge.json"
    _export(database, path)
    cutoff = clock.today() - timedelta(days=200)
    purged = _cli(settings, "audit", "purge", "--before", str(cutoff))
    assert purged.returncode == 0, purged.stderr
    with database.read() as db:
        head = db.get(AuditHead, 1)
        checkpoint = db.execute(select(AuditSeal).where(AuditSeal.kind == "checkpoint")).scalar_one()
    assert (checkpoint.seq, checkpoint.hash) == (head.anchor_seq, head.anchor_hash) == (kept_seal - 1, ANY)
    assert purged_seal < head.anchor_seq
    purge_event = last_audit(database, action="audit.purge")
    assert json.loads(purge_event.details)["checkpoint_id"] == checkpoint.id
    for args in ((), ("--seals", str(path))):
        done = _verify(database, settings, *args)
        assert done.returncode == 0, done.stdout
        assert done.stdout.splitlines()[1].endswith(
            f"最后一个封印在序号 {kept_seal}，另有 1 个封印所在的事件已清理"), done.stdout
    after = _export(database, tmp_path / "after-purge.json")
    assert "checkpoint" in [s["kind"] for s in after["seals"]]


def test_events_deleted_from_the_start_without_a_purge_fail(database, settings):
    _write(database, 3)
    with database.write() as db:
        cut = 5
        anchor = db.execute(select(AuditEvent.hash).where(AuditEvent.seq == cut)).scalar_one()
        db.execute(text("DELETE FROM audit_events WHERE seq <= :s"), {"s": cut})
        db.execute(AuditHead.__table__.update().values(anchor_seq=cut, anchor_hash=anchor))
    _chain_walk_passes(database)
    done = _verify(database, settings)
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == (
        f"审计链开头的事件被删除：链从序号 {cut + 1} 开始，但没有与之相符的签名清理检查点"
        f"（序号 {cut} 及之前的事件不是由 govdata audit purge 清理的）")


def test_start_purged_before_seals_existed_can_be_adopted_once(database, settings):
    """An installation that purged before this version: its start is signed once, on the record."""
    never = _cli(settings, "audit", "seal", "adopt-start")
    assert never.returncode == 2 and never.stderr.startswith("拒绝：审计链从未清理过"), never.stderr
    with database.write() as db:
        anchor = db.execute(select(AuditEvent.hash).where(AuditEvent.seq == 5)).scalar_one()
        db.execute(text("DELETE FROM audit_events WHERE seq <= 5"))
        db.execute(AuditHead.__table__.update().values(anchor_seq=5, anchor_hash=anchor))
    assert _verify(database, settings).returncode == 1
    done = _cli(settings, "audit", "seal", "adopt-start")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("已为审计链开头（序号 5）补签清理检查点")
    assert json.loads(last_audit(database, action="audit.seal").details)["adopted_start"] == 5
    assert _verify(database, settings).returncode == 0
    again = _cli(settings, "audit", "seal", "adopt-start")
    assert again.returncode == 2 and "已有签名的清理检查点" in again.stderr


def test_seal_job_seals_once_and_not_again_with_nothing_new(database, settings):
    job = load_all()["audit.seal"]
    top = _top(database)
    first = run_one(database, settings, job, force=True)
    assert first.status == "ok", first.summary
    with database.read() as db:
        seals = list(db.execute(select(AuditSeal)).scalars())
    assert len(seals) == 1 and seals[0].seq == top + 1  # its own event, sealed with the rest
    assert first.summary == f"已封印至序号 {top + 1}（密钥 {seals[0].key_id}）"
    event = last_audit(database)
    assert (event.seq, event.action, event.actor_name) == (top + 1, "audit.seal", "任务:audit.seal")
    again = run_one(database, settings, job, force=True)
    assert (again.status, again.summary) == ("ok", "没有新的审计事件，未封印")
    with database.read() as db:
        assert db.execute(select(func.count()).select_from(AuditSeal)).scalar_one() == 1
    assert _top(database) == top + 1  # nothing written either
    _write(database, 1)
    assert run_one(database, settings, job, force=True).summary.startswith(f"已封印至序号 {top + 3}")


def test_cli_seal_nothing_new_and_export(database, settings, tmp_path):
    done = _cli(settings, "audit", "seal")
    assert done.returncode == 0 and done.stdout.startswith("已封印：序号 "), done.stderr
    again = _cli(settings, "audit", "seal")
    assert again.returncode == 0
    top = _top(database)
    assert again.stdout.splitlines()[0] == f"没有新的审计事件：最后一条事件（序号 {top}）已封印"
    path = tmp_path / "seals.json"
    exported = _cli(settings, "audit", "seal", "export", str(path))
    key = sealkey.current_public(settings.home_dir)
    assert exported.returncode == 0 and exported.stdout.splitlines() == [
        f"已导出 1 个封印到 {path}（公钥 {key.key_id}）", "请把该文件复制到本机以外保存（见运维手册第 3 节）"]
    data = json.loads(path.read_text())
    assert data["public_keys"] == [{"key_id": key.key_id, "public_key": key.hex}]
    assert [(s["kind"], s["seq"]) for s in data["seals"]] == [("seal", top)]
    event = last_audit(database, action="audit.seal_export")
    assert (event.row_count, event.medium, event.actor_name) == (1, "file", "命令行")


def test_key_is_made_once_private_to_the_platform(settings):
    home = settings.home_dir
    key = sealkey.load_or_create(home)
    path = home / sealkey.KEY_FILE
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert sealkey.load_or_create(home).public == key.public
    assert (home / sealkey.PUBLIC_FILE).read_text() == f"{key.public.hex} {key.public.key_id}\n"
    os.chmod(path, 0o644)
    with pytest.raises(sealkey.SealKeyError, match="权限过宽"):
        sealkey.load_or_create(home)


def test_rotated_key_keeps_old_seals_verifying(database, settings, sealed):
    path, (first, second) = sealed
    old = sealkey.current_public(settings.home_dir)
    done = _cli(settings, "audit", "seal", "rotate-key")
    assert done.returncode == 0, done.stderr
    new = sealkey.current_public(settings.home_dir)
    assert new != old and old.key_id in done.stdout and new.key_id in done.stdout
    event = last_audit(database, action="audit.seal_rotate")
    assert json.loads(event.details)["retired_key_id"] == old.key_id
    with database.read() as db:
        latest = sealing.last_seal(db)
    assert (latest.seq, latest.key_id) == (event.seq, new.key_id)
    assert _verify(database, settings, "--seals", str(path)).returncode == 0
    # Without the home's list of keys, old seals are unknown unless their key is given
    (settings.home_dir / sealkey.PUBLIC_FILE).unlink()
    refused = _verify(database, settings)
    assert refused.returncode == 1 and f"由未知的密钥 {old.key_id} 签署" in refused.stdout.splitlines()[0]
    assert _verify(database, settings, "--public-key", old.hex).returncode == 0


def test_export_to_a_missing_folder_is_exit_2_and_not_recorded(database, settings, tmp_path):
    _seal(database, settings)
    done = _cli(settings, "audit", "seal", "export", str(tmp_path / "nowhere" / "seals.json"))
    assert done.returncode == 2 and done.stderr.startswith("无法导出：封印文件无法写入"), done.stderr
    assert last_audit(database, action="audit.seal_export") is None


@pytest.mark.parametrize("role", [Role.BUREAU, Role.STEWARD, Role.SECURITY])
def test_only_the_center_seals(database, settings, role):
    from govdata.policy import Denied

    person = Actor(kind="user", id=1, name="someone", roles=frozenset({role}), unit_id=1, method=Method.WEB)
    with pytest.raises(Denied), database.write() as db:
        sealing.seal_chain(db, person, key=sealkey.load_or_create(settings.home_dir))
