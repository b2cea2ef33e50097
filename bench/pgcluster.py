"""A private PostgreSQL cluster on loopback, for the soak test and the replica test: started, stopped and
restarted at will without touching the machine's own server.

It lives under a fresh folder in /tmp (pytest's temporary folders are private to root, where `postgres` cannot
go); as root its commands run as the `postgres` user. initdb's own pg_hba.conf trusts local and 127.0.0.1
connections, replication ones included, which is what `pg_basebackup` needs."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path

from sqlalchemy import create_engine, text


def bindir() -> Path:
    """PostgreSQL's server programs (Debian keeps them out of PATH)."""
    found = sorted(glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    if not which:
        raise RuntimeError("PostgreSQL's server programs (pg_ctl, initdb) are missing")
    return Path(which).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """Data folders under `root`, each started on its own port."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="govdata-pg-")))
    bin: Path = field(default_factory=bindir)
    ports: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    def run(self, *args: str, timeout: float = 120) -> None:
        runas = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*runas, *args], capture_output=True, timeout=timeout, check=False)
        if done.returncode:  # what the program said, not only its status
            said = (done.stderr or done.stdout).decode(errors="replace").strip()[-500:]
            raise RuntimeError(f"{Path(args[0]).name} {' '.join(args[1:])} exited {done.returncode}: {said}")

    def init(self, name: str = "primary") -> None:
        self.run(str(self.bin / "initdb"), "-D", str(self.root / name), "-U", "postgres", "-A", "trust")

    def basebackup(self, source: str, name: str) -> None:
        """A streaming replica of `source` (`-R`: it follows the primary once started)."""
        self.run(str(self.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.ports[source]), "-U", "postgres",
                 "-D", str(self.root / name), "-R", "-X", "stream", "-c", "fast")

    def start(self, name: str = "primary") -> None:
        port = self.ports.setdefault(name, free_port())
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.root / name), "-w", "-t", "60", "-l",
                 str(self.root / f"{name}.log"), "-o", f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1",
                 "start")

    def stop(self, name: str = "primary", mode: str = "immediate") -> None:
        """Stop; `immediate` as a crash would (nothing to keep, no shutdown checkpoint to wait for)."""
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.root / name), "-w", "-t", "60", "-m", mode, "stop")

    def running(self, name: str) -> bool:
        return (self.root / name / "postmaster.pid").exists()

    def url(self, name: str = "primary", database: str = "govdata") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.ports[name]}/{database}"

    def sql(self, name: str, statement: str, database: str = "govdata") -> object:
        engine = create_engine(self.url(name, database).replace("postgresql://", "postgresql+psycopg://"),
                               isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                result = conn.execute(text(statement))
                return result.scalar() if result.returns_rows else None
        finally:
            engine.dispose()

    def remove(self) -> None:
        for name in list(self.ports):
            if self.running(name):
                self.stop(name)
        shutil.rmtree(self.root, ignore_errors=True)
