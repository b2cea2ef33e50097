"""`govdata ingest CODE FILE`: the upload path from the command line, with a Rich progress bar."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from govdata.actor import Actor
from govdata.config import get_settings
from govdata.datastore import service
from govdata.datastore.ingest import BatchResult
from govdata.datastore.models import BatchSource, LoadMode
from govdata.errors import GovdataError
from govdata.storage.engines import database_for
from govdata.storage.migrate import upgrade

STATUS_TEXT = {"loaded": "已写入", "partial": "部分写入", "rejected": "整批拒绝", "dry_run": "试运行",
               "failed": "失败（已回滚）"}


def ingest_file(code: str, file: str, *, mode: str, dry_run: bool, actor: Actor, console: Console,
                err: Console) -> int:
    path = Path(file)
    if not path.is_file():
        err.print(f"文件不存在：{file}")
        return 2
    try:
        load_mode = LoadMode(mode)
    except ValueError:
        err.print("--mode 应为 all_or_nothing 或 load_valid")
        return 2
    settings = get_settings()
    database = database_for(settings)
    upgrade(database)
    try:
        with database.write() as db, Progress(
            TextColumn("汇聚 {task.fields[code]}"), BarColumn(), TextColumn("{task.completed:,} 行"),
            TimeElapsedColumn(), console=err, transient=True,
        ) as progress:
            task = progress.add_task("ingest", total=None, code=code)
            entry = service.get_entry_by_code(db, code=code)
            result = service.load_file(db, actor, entry=entry, path=path, source=BatchSource.CLI, mode=load_mode,
                                       dry_run=dry_run, progress=lambda n: progress.advance(task, n),
                                       xlsx_limit=settings.max_xlsx_expanded_bytes)
    except GovdataError as exc:
        err.print(f"拒绝：{exc.message}", markup=False)
        return 2
    finally:
        database.dispose()
    _report(result, console)
    return 0 if result.status in ("loaded", "partial", "dry_run") and not (dry_run and result.rejected) else 1


def _report(result: BatchResult, console: Console) -> None:
    console.print(f"批次 {result.batch_id}：{STATUS_TEXT.get(result.status, result.status)} {result.message}",
                  markup=False)
    console.print(f"total={result.total} inserted={result.inserted} updated={result.updated} "
                  f"unchanged={result.unchanged} deleted={result.deleted} rejected={result.rejected} "
                  f"({result.duration_ms:.0f} ms)", markup=False)
    for problem in result.problems[:20]:
        console.print(f"  第 {problem.line} 行 {problem.field}：{problem.reason}", markup=False)
    if result.rejected > 20:
        console.print(f"  …… 共 {result.rejected} 行被拒绝（页面上可下载全部原因）", markup=False)
