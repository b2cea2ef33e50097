"""`govdata emergency on|off|list`: the emergency switches from the command line (第二十一条 应急处置), for the
operator on duty when the pages cannot be reached. The same service calls as the page and the API, audited as
the command line. Exit codes: 0 done, 2 refused (an unknown object, a switch already on or already lifted)."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from govdata.actor import Method, platform_actor
from govdata.config import get_settings
from govdata.errors import GovdataError
from govdata.masking.exits import use_key
from govdata.policy import HALT_KINDS
from govdata.security import switches
from govdata.security.switch_schemas import SwitchLift, SwitchSet
from govdata.storage.engines import Database, database_for
from govdata.storage.migrate import upgrade
from govdata.terminal import make_console
from govdata.timeutil import fmt

app = typer.Typer(help="应急处置：暂停或恢复共享", no_args_is_help=True)
CLI = platform_actor(Method.CLI, name="命令行")
console = make_console()
err = make_console(stderr=True)
KINDS = "platform（全平台）、system（接入系统编号）、provider / consumer（单位代码）、resource（资源代码）"


def _database() -> Database:
    settings = get_settings()
    use_key(settings.key)
    database = database_for(settings)
    upgrade(database)
    return database


def _fail(message: str) -> typer.Exit:
    err.print(f"失败：{message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


@app.command("on")
def switch_on(kind: Annotated[str, typer.Argument(help=KINDS)],
              target: Annotated[str | None, typer.Argument(help="对象：系统编号、单位代码或资源代码")] = None,
              reason: Annotated[str, typer.Option("--reason", help="原因（将通知受影响单位）")] = "") -> None:
    """设置应急暂停，即时生效。"""
    if kind not in HALT_KINDS:
        raise _fail(f"暂停范围应为 {KINDS}")
    database = _database()
    try:
        with database.write() as db:
            object_id = switches.find_object_id(db, kind, target) if target and kind != "platform" else None
            data = SwitchSet(kind=kind, object_id=object_id, reason=reason)  # type: ignore[arg-type]
            switch = switches.set_switch(db, CLI, data=data)
            line = f"已暂停 #{switch.id}：{switches.describe(switch)}（原因：{switch.reason}）"
    except GovdataError as exc:
        raise _fail(exc.message) from exc
    except ValidationError as exc:
        raise _fail("；".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc
    console.print(line, markup=False, highlight=False, soft_wrap=True)


@app.command("off")
def switch_off(switch_id: Annotated[int, typer.Argument(help="应急暂停编号（emergency list 可查）")],
               reason: Annotated[str, typer.Option("--reason", help="解除原因")] = "") -> None:
    """解除应急暂停，即时恢复。"""
    database = _database()
    try:
        with database.write() as db:
            switch = switches.lift_switch(db, CLI, switch_id=switch_id, data=SwitchLift(reason=reason))
            line = f"已解除 #{switch.id}：{switches.describe(switch)}（原因：{switch.lift_reason}）"
    except GovdataError as exc:
        raise _fail(exc.message) from exc
    except ValidationError as exc:
        raise _fail("解除原因至少 2 个字") from exc
    console.print(line, markup=False, highlight=False, soft_wrap=True)


@app.command("list")
def switch_list() -> None:
    """列出生效中的应急暂停。"""
    database = _database()
    with database.read() as db:
        found = switches.switches_in_force(db, CLI)
        lines = [f"#{s.id} {s.kind_label}：{s.object_name}（原因：{s.reason}；{s.set_by}，{fmt(s.set_at)}）"
                 for s in found]
    for line in lines or ["没有生效中的应急暂停"]:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
