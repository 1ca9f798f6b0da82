"""A throwaway PostgreSQL server, started from the system's binaries, on 127.0.0.1."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: $PG_BIN, pg_config, or Debian's newest version."""
    candidates = [os.environ.get("PG_BIN", "")]
    pg_config = shutil.which("pg_config")
    if pg_config:
        candidates.append(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """One running throwaway server; `url` connects as the superuser `postgres`."""

    bindir: Path
    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)

    def start(self) -> PostgresServer:
        """initdb a fresh data directory and start the server on 127.0.0.1 only."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.directory / "server.log"), "-w", "start"
        )
        return self

    def stop(self) -> None:
        """Stop the server and remove its data."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)

    def database_url(self, name: str) -> str:
        """The URL of database name on this server."""
        return f"{self.url.rsplit('/', 1)[0]}/{name}"

    def create_database(self, prefix: str = "t") -> str:
        """Create a fresh, uniquely named database; return its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.psql(f"create database {name}")
        return self.database_url(name)

    def psql(self, sql: str, *, url: str | None = None) -> str:
        """Run SQL with psql and return its unaligned output."""
        psql = self.bindir / "psql"
        command = [
            str(psql if psql.is_file() else "psql"),
            url or self.url,
            "-X",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ]
        return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout.strip()


def start_server(directory: Path, *, attempts: int = 5) -> PostgresServer:
    """Start a throwaway server in directory (which must not be inside a root-only path when run as root).

    The port can be taken between free_port() and the server binding it (parallel test workers start servers and
    open connections at the same time); the server is then started afresh on another port.
    """
    bindir = find_bindir()
    assert bindir is not None, "PostgreSQL server binaries not found: install postgresql (.ci/run does)"
    for _ in range(attempts - 1):
        server = PostgresServer(bindir=bindir, directory=directory, port=free_port())
        try:
            return server.start()
        except subprocess.CalledProcessError:
            log = directory / "server.log"
            if not (log.is_file() and "already in use" in log.read_text(errors="replace")):
                raise
            server.stop()  # removes directory: the next attempt runs initdb again
    return PostgresServer(bindir=bindir, directory=directory, port=free_port()).start()
