"""The daily backup (第二十四条): an archive into the backup folder (`GOVDATA_BACKUP_DIR`, default
`<home>/backups`), the newest `GOVDATA_BACKUP_KEEP` kept, without the private seal key when
`GOVDATA_BACKUP_WITHOUT_PRIVATE_KEYS` is set (archives copied off-site); every run, good or failed, on record
(`BackupRun`) and shown on the security dashboard ("最近一次备份")."""

from __future__ import annotations

from datetime import timedelta

from govdata import clock
from govdata.errors import GovdataError
from govdata.jobs.registry import job
from govdata.jobs.runner import JobContext
from govdata.security import backup as backups


@job("security.backup", every=timedelta(days=1), title="平台备份",
     description="备份数据库、上传文件、密钥与封印到备份目录，并按保留份数清理旧备份")
def daily_backup(ctx: JobContext) -> str:
    """备份平台并清理旧备份（失败也记入备份记录）。"""
    started = clock.now()
    try:
        path = backups.scheduled_path(ctx.settings)
    except OSError as exc:  # the folder cannot be made: a failed run, on record like any other
        folder = ctx.settings.backup_folder
        backups.record_failure(ctx.database, ctx.actor, path=folder, trigger="job", started=started, error=exc)
        raise GovdataError(f"备份失败：无法使用备份目录 {folder}（{exc.strerror or exc}）") from exc
    try:
        done = backups.backup(ctx.database, ctx.settings, ctx.actor, path=path, trigger="job",
                              without_private_keys=ctx.settings.backup_without_private_keys)
    except OSError as exc:
        raise GovdataError(f"备份失败：无法写入 {path}（{exc.strerror or exc}）") from exc
    removed = backups.prune(ctx.settings)
    kept = f"，清理旧备份 {len(removed)} 份" if removed else ""
    withheld = "，未含封印私钥" if done.manifest.withheld else ""
    return f"已备份到 {done.path.name}（{done.size} 字节{withheld}）{kept}"
