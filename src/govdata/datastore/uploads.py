"""Uploaded files kept under GOVDATA_HOME/uploads until loaded: saved in chunks, previewed, then loaded."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from govdata import hooks, xlsx
from govdata.catalog.models import CatalogEntry
from govdata.config import Settings
from govdata.datastore.convert import display
from govdata.datastore.readers import read_file
from govdata.errors import NotFound, RuleViolation

CHUNK = 1024 * 1024
TOKEN_RE = re.compile(r"^[a-f0-9]{32}$")
SUFFIXES = {".csv", ".txt", ".xlsx"}


@dataclass
class StoredUpload:
    token: str
    path: Path
    name: str
    size: int


def upload_dir(settings: Settings) -> Path:
    path = settings.home_dir / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(settings: Settings, *, entry: CatalogEntry, name: str, stream: BinaryIO) -> StoredUpload:
    """Copy the uploaded stream to disk in 1 MB chunks (memory stays flat whatever the size), once every
    screen (`hooks.screen_upload`: a classification marking, 第二十三条) has let it through: a refused file
    leaves nothing in the upload folder. `stream` must be seekable (an uploaded form file is)."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise RuleViolation("只接受 .csv 或 .xlsx 文件", field="file")
    hooks.screen_upload(entry, stream, xlsx_limit=settings.max_xlsx_expanded_bytes)
    token = secrets.token_hex(16)
    path = upload_dir(settings) / f"{entry.id}-{token}{suffix}"
    size = 0
    with path.open("wb") as out:
        while chunk := stream.read(CHUNK):
            out.write(chunk)
            size += len(chunk)
    if size == 0:
        path.unlink()
        raise RuleViolation("文件为空", field="file")
    path.with_suffix(path.suffix + ".name").write_text(Path(name).name[:200], encoding="utf-8")
    return StoredUpload(token, path, Path(name).name, size)


def find_upload(settings: Settings, *, entry: CatalogEntry, token: str) -> StoredUpload:
    if not TOKEN_RE.match(token):
        raise NotFound("上传文件不存在", field="token")
    for suffix in SUFFIXES:
        path = upload_dir(settings) / f"{entry.id}-{token}{suffix}"
        if path.exists():
            name_file = path.with_suffix(path.suffix + ".name")
            name = name_file.read_text(encoding="utf-8") if name_file.exists() else path.name
            return StoredUpload(token, path, name, path.stat().st_size)
    raise NotFound("上传文件不存在或已处理", field="token")


def remove_upload(upload: StoredUpload) -> None:
    upload.path.unlink(missing_ok=True)
    upload.path.with_suffix(upload.path.suffix + ".name").unlink(missing_ok=True)


def preview(entry: CatalogEntry, upload: StoredUpload, rows: int = 10, *,
            xlsx_limit: int = xlsx.DEFAULT_MAX_EXPANDED) -> list[dict[str, Any]]:
    """The first rows as the fields will receive them (raw values, before checking)."""
    names = [f.name for f in entry.fields]
    out = []
    iterator = read_file(entry, upload.path, xlsx_limit=xlsx_limit)
    for line, values, is_delete, _problem in islice(iterator, rows):
        cells = {name: display(values[i]) for i, name in enumerate(names)}
        out.append({"line": line, "cells": cells, "delete": is_delete})
    close = getattr(iterator, "close", None)
    if close is not None:
        close()
    return out
