"""The operator guide's 应急处置 section, followed as written: its command block run line by line."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from govdata import config
from govdata.cli import app as cli_app
from govdata.security.switch_models import EmergencySwitch

GUIDE = Path(__file__).parent.parent.parent / "docs" / "operator-guide.md"


def _commands() -> list[list[str]]:
    text = GUIDE.read_text(encoding="utf-8")
    block = re.search(r"<!-- emergency-commands:[^>]*-->\s*```sh\n(?P<body>.*?)```", text, re.S)
    assert block is not None, "the guide's emergency command block is gone"
    lines = [shlex.split(line) for line in block["body"].splitlines() if line.strip()]
    assert all(line[:2] == ["govdata", "emergency"] for line in lines)
    return [line[1:] for line in lines]


@pytest.fixture
def cli_settings(settings: Any) -> Any:
    config.set_settings(settings)
    yield settings
    config._settings = None


def _in_force(database: Any) -> list[tuple[str, str]]:
    with database.read() as db:
        return [(s.kind, s.object_name) for s in db.execute(
            select(EmergencySwitch).where(EmergencySwitch.lifted_at.is_(None)).order_by(EmergencySwitch.id)).scalars()]


def test_the_guides_emergency_commands_work_as_written(database, cli_settings):
    runner = CliRunner()
    commands = _commands()
    seen = []
    for args in commands:
        result = runner.invoke(cli_app, args)
        assert result.exit_code == 0, (args, result.output)
        seen.append(result.output)
        if args[1] == "list":  # both switches of the lines before are in force
            assert "#1 单位（作为提供方）" in result.output and "#2 全平台共享" in result.output
    assert seen[0].startswith("已暂停 #1：应急处置：提供单位“")
    assert _in_force(database) == []  # the last lines lifted both
    with database.read() as db:
        assert db.execute(select(EmergencySwitch.lift_reason).order_by(EmergencySwitch.id)).scalars().all() == [
            "排查完毕，恢复提供", "事件已处置，恢复共享"]


def test_cli_refusals_exit_2_and_change_nothing(database, cli_settings):
    runner = CliRunner()
    for args, said in ((["on", "provider", "no-such-unit", "--reason", "测试原因"], "找不到“no-such-unit”"),
                       (["on", "everything", "--reason", "测试原因"], "暂停范围应为"),
                       (["on", "platform", "--reason", ""], "reason"),
                       (["off", "999", "--reason", "测试原因"], "应急处置记录不存在")):
        result = runner.invoke(cli_app, ["emergency", *args])
        assert result.exit_code == 2 and said in result.output, (args, result.output)
    assert _in_force(database) == []
    first = runner.invoke(cli_app, ["emergency", "on", "platform", "--reason", "演练"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli_app, ["emergency", "on", "platform", "--reason", "演练"])
    assert again.exit_code == 2 and "无需重复设置" in again.output
