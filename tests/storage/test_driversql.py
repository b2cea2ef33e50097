"""Driver-cursor reads give what SQLAlchemy gives: the same values and Python types, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Column, Date, DateTime, Integer, MetaData, Numeric, String, Table, bindparam, select

from govdata.storage.driversql import Prepared, bind_value, prepare


def _sample(database):
    metadata = MetaData()
    table = Table("driversql_sample", metadata, Column("id", Integer, primary_key=True), Column("name", String(20)),
                  Column("born", Date), Column("seen", DateTime), Column("alive", Boolean),
                  Column("score", Numeric(10, 2)))
    with database.write() as db:
        metadata.create_all(db.connection())
        db.execute(table.insert(), [
            {"id": 1, "name": "张三", "born": date(1990, 3, 7), "seen": datetime(2026, 1, 2, 3, 4, 5, 600),
             "alive": True, "score": Decimal("12.50")},
            {"id": 2, "name": None, "born": None, "seen": datetime(2026, 1, 2), "alive": False, "score": None},
        ])
    return table


def test_rows_and_types_match_sqlalchemy(database):
    table = _sample(database)
    statement = select(table).where(table.c.id <= bindparam("top")).order_by(table.c.id)
    with database.engine.connect() as conn:
        expected = [tuple(r) for r in conn.execute(statement, {"top": 2})]
        got = Prepared(statement).on(conn).all(conn, {"top": 2})
    assert [tuple(r) for r in got] == expected
    assert [type(v) for v in got[0]] == [type(v) for v in expected[0]]
    assert got[0].born == date(1990, 3, 7) and got[1].alive is False and got[1].name is None


def test_a_date_key_is_bound_as_the_column_stores_it(database):
    table = _sample(database)
    with database.engine.connect() as conn:
        query = prepare(select(table.c.id).where(table.c.born == bindparam("k0")), conn.dialect)
        to_driver = bind_value(table.c.born.type, conn.dialect)
        assert [r.id for r in query.all(conn, {"k0": to_driver(date(1990, 3, 7))})] == [1]
        assert query.first(conn, {"k0": to_driver(date(1990, 3, 8))}) is None


def test_values_are_bound_never_spliced(database):
    table = _sample(database)
    with database.engine.connect() as conn:
        query = prepare(select(table.c.id).where(table.c.name == bindparam("n")), conn.dialect)
        assert query.all(conn, {"n": "张三' OR '1'='1"}) == []
        assert [r.id for r in query.all(conn, {"n": "张三"})] == [1]
