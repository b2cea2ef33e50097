"""Millions of demo people fast, for the scale benches: the same 身份证 as `govdata.datastore.demo.sfzh(i)` and
values from the demo's own pools, written as CSV in blocks, and loaded bare (COPY or one executemany) into a
resource table when a bench needs the rows there without measuring how they got there.

`demo.people()` spends most of its time in stdnum's check digit and the rng: ten million rows took minutes.
Here every part of the number's weighted sum is looked up (region, birth date and sequence each have a few
thousand values at most), and the pools are drawn once into 65,536-long cycles, so a row is one f-string.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from govdata.datastore import demo

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643's weights of the first 17 digits
CHECK = "10X98765432"  # the check character for each remainder of the weighted sum mod 11
HEADER = [f[0] for f in demo.BASE["人口基础信息"]["fields"]]  # sfzh xm xb mz csrq hjdz xzqh lxdh
CYCLE = 1 << 16
BLOCK = 1000  # demo.sfzh: one birth date per thousand people, the sequence number is i % 1000
DATES = 25_000


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True))


class People:
    """Row i of the demo's people stream (`demo.sfzh(i)` as the key; name, address and phone from the pools)."""

    def __init__(self, seed: int = 20240501) -> None:
        pools = demo.Pools(seed)
        rng = random.Random(seed)
        self.regions = [(r, _weighted(r, WEIGHTS[:6])) for r in demo.REGIONS]
        self.births = []
        for k in range(DATES):
            birth = date(1950, 1, 1) + timedelta(days=k * 97 % DATES)
            compact = f"{birth:%Y%m%d}"
            self.births.append((compact, birth.isoformat(), _weighted(compact, WEIGHTS[6:14])))
        self.seqs = [(f"{s:03d}", _weighted(f"{s:03d}", WEIGHTS[14:])) for s in range(BLOCK)]
        self.names = rng.choices(pools.names, k=CYCLE)
        self.addresses = ["福建省龙岩市" + s for s in rng.choices(pools.streets, k=CYCLE)]
        self.phones = rng.choices(pools.phones, k=CYCLE)
        self.nations = ["01" if rng.random() < 0.9 else "07" for _ in range(CYCLE)]
        for value in (*self.names, *self.addresses, *self.phones):
            assert not set(value) & set(',"\r\n'), value  # the CSV below is written without quoting

    def sfzh(self, i: int) -> str:
        region, rsum = self.regions[i % len(self.regions)]
        compact, _iso, bsum = self.births[i // BLOCK % DATES]
        seq, ssum = self.seqs[i % BLOCK]
        return f"{region}{compact}{seq}{CHECK[(rsum + bsum + ssum) % 11]}"

    def lines(self, start: int, stop: int) -> Iterator[str]:
        """CSV lines of rows start..stop-1, a block of up to a thousand rows at a time."""
        regions, names, addresses, phones, nations = self.regions, self.names, self.addresses, self.phones, self.nations
        nregions = len(regions)
        for block_start in range(start - start % BLOCK, stop, BLOCK):
            compact, iso, bsum = self.births[block_start // BLOCK % DATES]
            out = []
            for i in range(max(start, block_start), min(stop, block_start + BLOCK)):
                region, rsum = regions[i % nregions]
                seq, ssum = self.seqs[i % BLOCK]
                j = i % CYCLE
                out.append(f"{region}{compact}{seq}{CHECK[(rsum + bsum + ssum) % 11]},{names[j]},{2 - i % 2},"
                           f"{nations[j]},{iso},{addresses[(j * 7) % CYCLE]},{region},{phones[(j * 13) % CYCLE]}\n")
            yield "".join(out)

    def write_csv(self, path: Path, n: int) -> None:
        with path.open("w", encoding="utf-8", newline="") as f:
            f.write(",".join(HEADER) + "\n")
            for block in self.lines(0, n):
                f.write(block)

    def sample_keys(self, n: int, count: int) -> list[str]:
        """`count` keys spread evenly over the n rows."""
        return [self.sfzh(k * n // count) for k in range(count)]


def bulk_load(database: Any, table: str, path: Path, stamp: datetime) -> None:
    """The CSV's rows into an empty resource table the fastest bare way: COPY (PostgreSQL; the bookkeeping
    columns given a default for its length) or one executemany in one transaction with a large page cache
    (SQLite). No checks, no history, no audit: setup, not what is measured."""
    cols = ", ".join(HEADER)
    raw = database.write_engine.raw_connection()
    try:
        cur = raw.cursor()
        if database.is_sqlite:
            cur.execute("PRAGMA cache_size = -1000000")  # 1 GB: the key index's pages stay in memory
            sql = f"INSERT INTO {table} ({cols}, _updated_at, _deleted) VALUES ({', '.join('?' * len(HEADER))}, ?, 0)"
            moment = stamp.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores a DateTime in SQLite
            with path.open(newline="", encoding="utf-8") as f:
                reader = csv.reader(f)
                next(reader)
                cur.execute("BEGIN")
                cur.executemany(sql, (row + [moment] for row in reader))
        else:
            cur.execute(f"ALTER TABLE {table} ALTER COLUMN _updated_at SET DEFAULT '{stamp.isoformat(sep=' ')}', "
                        f"ALTER COLUMN _deleted SET DEFAULT false")  # DDL takes no parameters
            with path.open("rb") as f, cur.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, HEADER true)") \
                    as copy:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
            cur.execute(f"ALTER TABLE {table} ALTER COLUMN _updated_at DROP DEFAULT, "
                        f"ALTER COLUMN _deleted DROP DEFAULT")
        raw.commit()
    finally:
        raw.close()
    if not database.is_sqlite:  # vacuumed and analysed now, not by autovacuum during the measured work
        with database.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
