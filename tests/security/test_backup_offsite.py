"""Backups without the private seal key (第二十四条, for archives kept off-site): the key stays out and the signed
manifest says so; checking needs only the public key; a restore is refused, nothing changed, unless handed the
very key that signed the archive, and then the restored chain verifies and goes on being sealed. On SQLite and
PostgreSQL alike."""

from __future__ import annotations

import io
import tarfile
from datetime import datetime
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console

from govdata import clock
from govdata.audit import sealcheck, sealing, sealkey
from govdata.cli import CLI
from govdata.jobs.runner import run_due
from govdata.security import backup_cli
from govdata.security.backup import backup
from govdata.security.backup_restore import SealKeyNeeded, restore
from govdata.storage.engines import open_database
from tests.conftest import last_audit
from tests.security.test_backup import JOB, _drop_target, _empty_target, _furnish, _untouched

KEY = f"home/{sealkey.KEY_FILE}"


def _members(path: Path) -> tuple[list[str], dict]:
    with tarfile.open(path, mode="r|*") as tar:
        names, manifest = [], {}
        for info in tar:
            names.append(info.name)
            if info.name == "manifest.json":
                source = tar.extractfile(info)
                assert source is not None
                manifest = orjson.loads(source.read())["manifest"]
    return names, manifest


def _say() -> tuple[io.StringIO, Console]:
    out = io.StringIO()
    return out, Console(file=out, width=200)


def _other_key(path: Path) -> Path:
    pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())
    path.write_bytes(pem)
    return path


def test_an_archive_without_the_seal_key_restores_only_with_it(database, settings, tmp_path):
    _furnish(database, settings)
    out, console = _say()
    assert backup_cli.make_backup(database, settings, path=tmp_path / "offsite.tar.gz", actor=CLI, console=console,
                                  err=console, without_private_keys=True) == 0
    assert "未包含封印私钥" in out.getvalue() and "--seal-key" in out.getvalue()
    archive = tmp_path / "offsite.tar.gz"
    names, manifest = _members(archive)
    assert KEY not in names and f"home/{sealkey.PUBLIC_FILE}" in names and "home/secret_key" in names
    assert manifest["withheld"] == [KEY]
    assert KEY not in {m["name"] for m in manifest["members"]}
    event = last_audit(database, action="backup.create")
    assert event is not None and orjson.loads(event.details)["withheld"] == [KEY]

    # checked on a machine holding nothing but the public key
    elsewhere = _empty_target(tmp_path, "elsewhere")
    mine = sealkey.current_public(settings.home_dir)
    out, console = _say()
    assert backup_cli.verify_backup(elsewhere, path=archive, public_keys=[mine.hex], console=console,
                                    err=console) == 0
    assert out.getvalue().startswith("备份文件完好：") and "未包含封印私钥" in out.getvalue()
    _untouched(elsewhere)

    saved_key = tmp_path / "vault" / sealkey.KEY_FILE  # the key, kept apart from the archives
    saved_key.parent.mkdir()
    saved_key.write_bytes((settings.home_dir / sealkey.KEY_FILE).read_bytes())
    target = _empty_target(tmp_path, "target")
    try:
        with pytest.raises(SealKeyNeeded, match="--seal-key") as refused:
            restore(target, CLI, path=archive)
        assert mine.key_id in refused.value.message
        _untouched(target)
        out, console = _say()
        assert backup_cli.restore_backup(target, path=archive, force=False, public_keys=[], actor=CLI,
                                         console=console, err=console) == 2
        assert out.getvalue().startswith("拒绝恢复，未做任何改动：该备份未包含封印私钥")
        _untouched(target)

        with pytest.raises(SealKeyNeeded, match="不是签名该备份的封印私钥"):
            restore(target, CLI, path=archive, seal_key=_other_key(tmp_path / "other_key"))
        _untouched(target)
        (tmp_path / "not_a_key").write_text("hello")
        with pytest.raises(SealKeyNeeded, match="不是 PEM 格式"):
            restore(target, CLI, path=archive, seal_key=tmp_path / "not_a_key")
        with pytest.raises(SealKeyNeeded, match="无法读取"):
            restore(target, CLI, path=archive, seal_key=tmp_path / "missing_key")
        _untouched(target)

        out, console = _say()
        assert backup_cli.restore_backup(target, path=archive, force=False, public_keys=[], actor=CLI,
                                         console=console, err=console, seal_key=saved_key) == 0, out.getvalue()
        restored_key = target.home_dir / sealkey.KEY_FILE
        assert restored_key.read_bytes() == saved_key.read_bytes()
        assert restored_key.stat().st_mode & 0o777 == 0o600
        restored = open_database(target.url)
        try:
            event = last_audit(restored, action="backup.restore")
            assert event is not None and orjson.loads(event.details)["seal_key_supplied"] is True
            assert orjson.loads(event.details)["withheld"] == [KEY]
            verdict = sealcheck.verify_trail(restored, CLI, trusted=sealkey.trusted(target.home_dir))
            assert verdict.ok, verdict.problem
            with restored.write() as db:  # the restored platform goes on sealing with the same key
                seal = sealing.seal_chain(db, JOB, key=sealkey.load_or_create(target.home_dir))
                assert seal is not None
            assert sealkey.current_public(target.home_dir) == mine
            verdict = sealcheck.verify_trail(restored, CLI, trusted=sealkey.trusted(target.home_dir))
            assert verdict.ok and verdict.seals_checked >= 2, verdict.problem
        finally:
            restored.dispose()
    finally:
        _drop_target(target)
        _drop_target(elsewhere)


def test_a_full_archive_takes_no_key_and_the_daily_job_can_withhold_it(database, settings, tmp_path):
    _furnish(database, settings)
    full = backup(database, settings, CLI, path=tmp_path / "full.tar", trigger="cli")
    names, manifest = _members(full.path)
    assert KEY in names and "withheld" not in manifest  # the signed bytes of a full archive are as before
    assert full.manifest.withheld == []
    target = _empty_target(tmp_path, "target")
    try:
        with pytest.raises(SealKeyNeeded, match="不是签名该备份的封印私钥"):  # a key given must still be the one
            restore(target, CLI, path=full.path, seal_key=_other_key(tmp_path / "other_key"))
        _untouched(target)
    finally:
        _drop_target(target)

    settings.backup_without_private_keys = True
    with clock.pinned(datetime(2026, 12, 1, 2, 0)):
        outcome = run_due(database, settings, names=["security.backup"], force=True)[0]
    assert outcome.status == "ok" and "未含封印私钥" in outcome.summary, outcome.summary
    [daily] = list(settings.backup_folder.iterdir())
    names, manifest = _members(daily)
    assert KEY not in names and manifest["withheld"] == [KEY]
