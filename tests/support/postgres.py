"""A real PostgreSQL server for tests: initdb in a temporary folder, started on a free loopback port.

PostgreSQL refuses to run as root, so as root the server runs as user postgres (Debian's package creates it).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PostgresServer:
    data_dir: Path
    port: int
    bin_dir: Path

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        _run([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"], check=False)
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def find_bin_dir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(command: list[str], check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(_as_postgres() + command, check=check, capture_output=True, text=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_postgres() -> PostgresServer:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found: apt-get install postgresql (scripts/test.sh does)")
    root = Path(tempfile.mkdtemp(prefix="vaultgen-pg-"))
    data_dir = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        os.chmod(root, 0o755)
    _run([str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
    port = _free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
    started = _run([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-o", options, "-l", str(root / "server.log"), "-w", "start"], check=False)
    if started.returncode != 0:
        log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr}\n{log}")
    return PostgresServer(data_dir, port, bin_dir)
