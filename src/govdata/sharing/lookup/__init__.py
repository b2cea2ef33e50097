"""The sharing lookup's fast path (第十三条): `GET /api/v1/share/{code}/records`, checked, counted and audited.

`gateway` answers lookups from ASGI before routing (installed by the app factory through `hooks`, from
sharing's `plugin.py`); `service` checks the caller, the grant and the key and reads the rows; `onetrip` reads
a repeated call's checks and rows in one statement; `groupcommit` counts the calls against their grants
(`quota`) and appends their audit events through the audit package, many calls per transaction, queueing
SQLite writers across processes (`writer_queue`).
"""
