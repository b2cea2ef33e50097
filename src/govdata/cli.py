"""The `govdata` command line (Typer + Rich)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from govdata.actor import Method, Role, platform_actor
from govdata.config import get_settings
from govdata.masking.exits import use_key
from govdata.security.switch_cli import app as emergency_app
from govdata.storage.engines import database_for
from govdata.storage.migrate import upgrade
from govdata.terminal import make_console

app = typer.Typer(help="govdata 政务数据汇聚共享平台", no_args_is_help=True, add_completion=False)
user_app = typer.Typer(help="用户管理", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志", no_args_is_help=True)
jobs_app = typer.Typer(help="定时任务", no_args_is_help=True)
seal_app = typer.Typer(help="审计封印", invoke_without_command=True)
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
audit_app.add_typer(seal_app, name="seal")
app.add_typer(jobs_app, name="jobs")
app.add_typer(emergency_app, name="emergency")
console = make_console()
err = make_console(stderr=True)

CLI = platform_actor(Method.CLI, name="命令行")


def _database():  # type: ignore[no-untyped-def]
    settings = get_settings()
    use_key(settings.key)
    database = database_for(settings)
    upgrade(database)
    return settings, database


@app.command()
def init(username: Annotated[str, typer.Option(help="首个管理员用户名")] = "admin",
         password: Annotated[str | None, typer.Option(help="密码（不给则提示输入）")] = None) -> None:
    """建库（迁移）并创建首个大数据中心管理员。"""
    from govdata.auth import service
    from govdata.auth.schemas import UserCreate
    from govdata.errors import GovdataError

    settings, database = _database()
    with database.write() as db:
        if service.find_user_by_name(db, username=username):
            console.print(f"数据库已就绪；用户 {username} 已存在")
            return
        secret = password or typer.prompt("管理员密码", hide_input=True, confirmation_prompt=True)
        try:
            service.create_user(db, CLI, settings, data=UserCreate(username=username, display_name="平台管理员",
                                                                   password=secret, roles=[Role.CENTER]))
        except GovdataError as exc:
            err.print(f"失败：{exc.message}")
            raise typer.Exit(2) from exc
    console.print(f"数据库已就绪；已创建管理员 {username}")


@app.command()
def migrate() -> None:
    """应用数据库迁移（升级软件包之后、启动服务之前运行；可重复运行）。"""
    from govdata.storage.migrate import current_heads

    _settings, database = _database()
    heads = current_heads(database)
    database.dispose()
    console.print(f"数据库已是最新版本（修订 {', '.join(heads)}）")


@app.command()
def demo(base_rows: Annotated[int, typer.Option(help="每个基础库的演示行数")] = 100_000) -> None:
    """写入演示数据（可重复执行）。"""
    from govdata.demo import seed

    settings, database = _database()
    settings.demo = True
    seed(database, settings, console=console, base_rows=base_rows)
    console.print("演示数据已就绪")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000,
          demo: Annotated[bool, typer.Option("--demo", help="先写入演示数据")] = False,
          workers: Annotated[int, typer.Option(help="进程数")] = 1,
          base_rows: Annotated[int, typer.Option(help="演示基础库行数")] = 100_000,
          access_log: Annotated[bool, typer.Option(help="逐条记录访问日志（共享接口调用已逐条写入审计）")] = True,
          ) -> None:
    """启动 Web 服务。"""
    import os

    from govdata import serving

    settings, database = _database()
    if demo:
        from govdata.demo import seed

        os.environ["GOVDATA_DEMO"] = "1"
        settings.demo = True
        seed(database, settings, console=console, base_rows=base_rows)
    database.dispose()
    console.print(f"govdata 正在 http://{host}:{port} 提供服务（{workers} 个进程）")
    serving.serve(host, port, workers=workers, access_log=access_log, home=settings.home_dir)


@user_app.command("totp-reset")
def user_totp_reset(username: str, reason: Annotated[str, typer.Option(help="重置原因（如何核实了本人）")]) -> None:
    """重置某人的动态口令（手机与恢复码都已遗失时；须写明原因，记入审计）。"""
    from govdata.auth import service, totp
    from govdata.errors import GovdataError

    _settings, database = _database()
    try:
        with database.write() as db:
            user = service.find_user_by_name(db, username=username)
            if user is None:
                err.print(f"用户不存在：{username}")
                raise typer.Exit(2)
            totp.reset_factor(db, CLI, user_id=user.id, reason=reason)
    except GovdataError as exc:
        err.print(f"失败：{exc.message}")
        raise typer.Exit(2) from exc
    console.print(f"已重置 {username} 的动态口令；其下次登录时须重新绑定（如其角色要求）")


@user_app.command("create")
def user_create(username: str, role: Annotated[list[Role], typer.Option("--role", help="角色，可多次给出")],
                display_name: Annotated[str | None, typer.Option()] = None,
                unit: Annotated[str | None, typer.Option(help="单位代码")] = None,
                password: Annotated[str | None, typer.Option()] = None) -> None:
    """创建用户。"""
    from govdata.auth import service
    from govdata.auth.schemas import UserCreate
    from govdata.errors import GovdataError
    from govdata.orgs.service import find_unit_by_code

    settings, database = _database()
    secret = password or typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    try:
        with database.write() as db:
            unit_id = None
            if unit:
                found = find_unit_by_code(db, code=unit)
                if found is None:
                    err.print(f"单位代码不存在：{unit}")
                    raise typer.Exit(2)
                unit_id = found.id
            service.create_user(db, CLI, settings, data=UserCreate(username=username,
                                                                    display_name=display_name or username,
                                                          password=secret, roles=role, unit_id=unit_id))
    except GovdataError as exc:
        err.print(f"失败：{exc.message}")
        raise typer.Exit(2) from exc
    except ValueError as exc:
        err.print(f"输入有误：{exc}")
        raise typer.Exit(2) from exc
    console.print(f"已创建用户 {username}")


@audit_app.command("verify")
def audit_verify(
    seals: Annotated[Path | None, typer.Option("--seals", help="另存的封印导出文件：逐个核对其中的封印")] = None,
    public_key: Annotated[list[str] | None, typer.Option(
        "--public-key", help="另行信任的封印公钥（64 位十六进制，可多次给出；如在另一台机器上校验）")] = None,
) -> None:
    """校验审计日志哈希链，并与封印（数据库中的和 --seals 文件中的）核对；首行给出已校验的事件数，
    发现篡改时首行以中文说明问题并以状态 1 退出。"""
    from govdata.audit import cli as audit_cli

    settings, database = _database()
    raise typer.Exit(audit_cli.verify(database, settings, seals_file=seals, public_keys=public_key or [],
                                      actor=CLI, console=console, err=err))


@seal_app.callback()
def audit_seal(ctx: typer.Context) -> None:
    """立即封印审计链：用本机的封印密钥签名记录最后一条事件的序号与哈希（没有新事件时不封印）。"""
    if ctx.invoked_subcommand is not None:
        return
    from govdata.audit import cli as audit_cli

    settings, database = _database()
    raise typer.Exit(audit_cli.seal(database, settings, actor=CLI, console=console, err=err))


@seal_app.command("export")
def audit_seal_export(file: Annotated[Path, typer.Argument(help="写入的 JSON 文件（请复制到本机以外保存）")]) -> None:
    """把全部封印和签名公钥导出到 JSON 文件。"""
    from govdata.audit import cli as audit_cli

    _settings, database = _database()
    raise typer.Exit(audit_cli.export(database, file=file, actor=CLI, console=console, err=err))


@seal_app.command("rotate-key")
def audit_seal_rotate_key() -> None:
    """更换封印密钥：停用旧私钥（其公钥仍受信任），用新密钥立即封印。"""
    from govdata.audit import cli as audit_cli

    settings, database = _database()
    raise typer.Exit(audit_cli.rotate_key(database, settings, actor=CLI, console=console, err=err))


@seal_app.command("adopt-start")
def audit_seal_adopt_start() -> None:
    """为升级前清理过的审计链补签开头的清理检查点（从未留下检查点时才可用，本身记入审计）。"""
    from govdata.audit import cli as audit_cli

    settings, database = _database()
    raise typer.Exit(audit_cli.adopt_start(database, settings, actor=CLI, console=console, err=err))


@audit_app.command("purge")
def audit_purge(before: Annotated[str, typer.Option("--before", help="删除此日期（YYYY-MM-DD）之前的事件")]) -> None:
    """删除超过保留期（至少 180 天）的审计事件，留下签名的清理检查点。"""
    from govdata.audit import cli as audit_cli

    try:
        cutoff = date.fromisoformat(before)
    except ValueError as exc:
        err.print("日期格式应为 YYYY-MM-DD")
        raise typer.Exit(2) from exc
    settings, database = _database()
    raise typer.Exit(audit_cli.purge(database, settings, before=cutoff, actor=CLI, console=console, err=err))


@jobs_app.command("run")
def jobs_run(name: Annotated[list[str] | None, typer.Option("--name", help="只运行这些任务")] = None,
             force: Annotated[bool, typer.Option(help="不论是否到期都运行")] = False) -> None:
    """运行到期的定时任务（每个任务同一时刻只在一个进程中运行）。"""
    from govdata.jobs.runner import run_due

    settings, database = _database()
    results = run_due(database, settings, names=name, force=force)
    for outcome in results:
        console.print(f"{outcome.name}: {outcome.status} {outcome.summary}", markup=False)
    if any(o.status == "error" for o in results):
        raise typer.Exit(1)


BACKUP_KEY_HELP = "另行信任的封印公钥（64 位十六进制，可多次给出）；平台目录尚无密钥时，要求备份由其中之一签名"


@app.command()
def backup(path: Annotated[Path, typer.Argument(help="备份文件（.tar.gz 则压缩，推荐；其他名称为 tar）")],
           verify: Annotated[bool, typer.Option("--verify", help="只校验已有的备份文件，不备份")] = False,
           public_key: Annotated[list[str] | None, typer.Option(
               "--public-key", help=BACKUP_KEY_HELP)] = None,
           without_private_keys: Annotated[bool, typer.Option(
               "--without-private-keys", help="不把封印私钥放进备份（异地保存的备份因此无法伪造封印；恢复时须用 "
                                              "--seal-key 提供）")] = False) -> None:
    """把数据库、上传文件、密钥与封印备份到一个文件（附签名清单）；--verify 校验备份文件而不恢复。"""
    from govdata.security import backup_cli

    if verify:
        raise typer.Exit(backup_cli.verify_backup(get_settings(), path=path, public_keys=public_key or [],
                                                  console=console, err=err))
    settings = get_settings()
    database = database_for(settings)  # not migrated: a backup taken before an upgrade copies the schema as it is
    try:
        code = backup_cli.make_backup(database, settings, path=path, actor=CLI, console=console, err=err,
                                      without_private_keys=without_private_keys)
    finally:
        database.dispose()
    raise typer.Exit(code)


@app.command()
def restore(path: Annotated[Path, typer.Argument(help="govdata backup 写出的备份文件")],
            force: Annotated[bool, typer.Option("--force", help="目标已有数据时仍然覆盖")] = False,
            public_key: Annotated[list[str] | None, typer.Option(
                "--public-key", help=BACKUP_KEY_HELP)] = None,
            seal_key: Annotated[Path | None, typer.Option(
                "--seal-key", help="封印私钥文件：恢复不含私钥的备份（--without-private-keys）时必须提供")] = None
            ) -> None:
    """从备份文件恢复到空的平台目录和空数据库（先完整校验，再动手）。"""
    from govdata.security import backup_cli

    raise typer.Exit(backup_cli.restore_backup(get_settings(), path=path, force=force, public_keys=public_key or [],
                                               actor=CLI, console=console, err=err, seal_key=seal_key))


@app.command()
def ingest(code: Annotated[str, typer.Argument(help="资源代码")],
           file: Annotated[str, typer.Argument(help="CSV（UTF-8/GB18030）或 XLSX 文件")],
           mode: Annotated[str, typer.Option(help="all_or_nothing 或 load_valid")] = "all_or_nothing",
           dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查，不写入")] = False) -> None:
    """把文件汇聚到资源（与页面上传相同的检查与写入）。"""
    from govdata.datastore.cli import ingest_file

    raise typer.Exit(ingest_file(code, file, mode=mode, dry_run=dry_run, actor=CLI, console=console, err=err))


def main() -> None:
    app(prog_name="govdata")


if __name__ == "__main__":
    main()
