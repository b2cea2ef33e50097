"""The operator guide's backup and restore section, followed as written: its command blocks run through the real
command line, the first against a demo home, the second against a new empty home. One subprocess runs them all,
one after the other, each with its own environment and fresh settings (a process per command cost 5 s each in
imports alone on a loaded CI machine)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL

GUIDE = Path(__file__).parent.parent.parent / "docs" / "operator-guide.md"


def _blocks() -> list[list[str]]:
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("## 2. Backup and restore"):text.index("## 3. Audit")]
    return [[_command(line) for line in block.splitlines() if _command(line)]
            for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]


def _command(line: str) -> str:
    """The `govdata …` command a guide line runs, whether through the block's alias (`govdata backup …`) or spelt
    out as the service user with its settings (`sudo -u govdata env … /opt/govdata/.venv/bin/govdata restore …`);
    the environment is the test's own."""
    if line.startswith("govdata "):
        return line
    _sudo, found, command = line.partition("/bin/govdata ")
    return "govdata " + command if found else ""


DRIVER = """
import json, os, sys
import govdata.config
from govdata.cli import app
for env, args in json.loads(sys.argv[1]):
    for name in [n for n in os.environ if n.startswith("GOVDATA_")]:
        del os.environ[name]
    os.environ.update(env)
    govdata.config._settings = None
    code = app(args, prog_name="govdata", standalone_mode=False)
    print(f"@@exit {code or 0}", flush=True)
"""


def _run(steps: list[tuple[dict[str, str], str]], backup_dir: Path,
         secure_dir: Path | None = None) -> list[tuple[str, int]]:
    """Each (environment, guide line) through `govdata`'s command line; each command's output and exit code.
    The guide's `/backup/` is `backup_dir`, its `/secure/` (the secret store) `secure_dir`."""
    plan = [(env, line.replace("/backup/", f"{backup_dir}/").replace("/secure/", f"{secure_dir or backup_dir}/")
             .split()[1:]) for env, line in steps]
    done = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(plan)], capture_output=True, text=True,
                          timeout=300, check=False, env={k: v for k, v in os.environ.items()
                                                         if not k.startswith("GOVDATA_")})
    assert done.returncode == 0, done.stderr
    parts = re.split(r"@@exit (\d+)\n", done.stdout)
    return [(parts[i], int(parts[i + 1])) for i in range(0, len(parts) - 1, 2)]


@pytest.mark.skipif(bool(PG_URL), reason="the same commands; the round trip on PostgreSQL is test_backup.py's")
def test_the_guide_section_as_written(database, settings, tmp_path):
    back_up, restore, _offsite, _offsite_restore = _blocks()
    assert back_up == ["govdata backup /backup/govdata-2026-12-06.tar.gz",
                       "govdata backup --verify /backup/govdata-2026-12-06.tar.gz"]
    assert restore == ["govdata restore /backup/govdata-2026-12-06.tar.gz", "govdata audit verify"]
    (settings.home_dir / "uploads").mkdir()
    (settings.home_dir / "uploads" / "waiting.csv").write_text("a,b\n1,2\n")
    database.dispose()
    running = {"GOVDATA_HOME": str(settings.home_dir), "GOVDATA_DATABASE_URL": database.url}
    spare = {"GOVDATA_HOME": str(tmp_path / "spare")}  # a new machine: the database inside its home
    results = _run([(running, line) for line in back_up] + [(spare, line) for line in restore], tmp_path)
    assert [code for _out, code in results] == [0, 0, 0, 0], results
    outputs = [out for out, _code in results]
    assert outputs[0].startswith("已备份到 ") and outputs[1].startswith("备份文件完好：")
    assert outputs[2].startswith("已恢复 ") and re.match(r"\d+ events verified\n", outputs[3])
    assert (tmp_path / "spare" / "uploads" / "waiting.csv").read_text() == "a,b\n1,2\n"
    assert (tmp_path / "spare" / "govdata.db").exists()


@pytest.mark.skipif(bool(PG_URL), reason="the same commands; the round trip on PostgreSQL is test_backup_offsite.py's")
def test_the_off_site_commands_as_written(database, settings, tmp_path):
    _back_up, _restore, offsite, offsite_restore = _blocks()
    assert offsite == ["govdata backup --without-private-keys /backup/govdata-offsite-2026-12-06.tar.gz",
                       "govdata backup --verify /backup/govdata-offsite-2026-12-06.tar.gz"]
    assert offsite_restore == [
        "govdata restore --seal-key /secure/audit_seal_key /backup/govdata-offsite-2026-12-06.tar.gz",
        "govdata audit verify"]
    database.dispose()
    running = {"GOVDATA_HOME": str(settings.home_dir), "GOVDATA_DATABASE_URL": database.url}
    spare = {"GOVDATA_HOME": str(tmp_path / "spare")}
    secure = tmp_path / "secure"
    results = _run([(running, line) for line in offsite], tmp_path, secure)
    assert [code for _out, code in results] == [0, 0], results
    assert "未包含封印私钥" in results[0][0] and "未包含封印私钥" in results[1][0]
    refused = _run([(spare, offsite_restore[0])], tmp_path, secure)  # the key not yet in the secret store
    assert refused[0][1] == 2 and not (tmp_path / "spare" / "govdata.db").exists()
    secure.mkdir()  # the operator's copy of the key, as the guide asks
    (secure / "audit_seal_key").write_bytes((settings.home_dir / "audit_seal_key").read_bytes())
    results = _run([(spare, line) for line in offsite_restore], tmp_path, secure)
    assert [code for _out, code in results] == [0, 0], results
    assert results[0][0].startswith("已恢复 ") and re.match(r"\d+ events verified\n", results[1][0])
    restored_key = tmp_path / "spare" / "audit_seal_key"
    assert restored_key.read_bytes() == (secure / "audit_seal_key").read_bytes()
