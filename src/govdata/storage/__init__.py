"""Storage plumbing: engines and the database object (`engines`), the one unit of work (`unit_of_work`),
the SQLite shelf of write connections (`shelf`) and WAL checkpoints (`checkpoint`), statements run on the
driver cursor (`driversql`), reads awaited on the event loop (`asyncread`), the declarative base (`base`)
and migrations driven from code (`migrate`). Domains import these; nothing here imports a domain.
"""
