"""The declarative base every domain's tables are mapped on, with one naming convention for constraints
(so that migrations name them the same way on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Session

from govdata.types import MAX_INT

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


Row = TypeVar("Row", bound=Base)


def row_by_id(db: Session, model: type[Row], row_id: int) -> Row | None:
    """The row of `model` with this id, or None: an id outside INTEGER's range names no row (PostgreSQL would
    refuse to compare it), whoever handed it over."""
    return db.get(model, row_id) if 0 < row_id <= MAX_INT else None
