"""A real PostgreSQL server for the tests, started on a free local port and removed afterwards.

``ensure_postgresql()`` finds Debian's server binaries (``/usr/lib/postgresql/<v>/bin``) and
installs Debian's ``postgresql`` package when they are missing (as root, ``apt-get update``
then ``apt-get install -y``), *failing* the test with the installer's output when that does not
work: a PostgreSQL test never skips silently.

``PostgresServer`` initialises a fresh cluster in a temporary folder (``--locale=C``, so text
sorts by bytes as it does in DuckDB; trust authentication, reachable only on 127.0.0.1 and a
unix socket inside the folder), starts it with ``pg_ctl`` on a free port and stops it and
removes the folder on exit. PostgreSQL refuses to run as root, so when the tests are root the
server runs as Debian's ``postgres`` system user (created by the package).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.debian_packages import ensure_installed

PACKAGES = ("postgresql",)
SERVER_PARENT = "/tmp" if os.path.isdir("/tmp") else None
SERVICE_USER = "postgres"  # Debian's package creates it; the server cannot run as root


def _find_bindir() -> Path | None:
    """The newest installed server's bin folder (Debian keeps one per major version)."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")
             if (Path(p).parent / "pg_ctl").exists() and (Path(p).parent / "postgres").exists()]
    if not found:
        return None
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


def ensure_postgresql() -> Path:
    """The bin folder of PostgreSQL's server binaries, installing the server when missing."""
    ensure_installed("PostgreSQL's server", PACKAGES,
                     lambda: _find_bindir() is not None and _service_user_ok())
    bindir = _find_bindir()
    if not bindir:
        pytest.fail(f"apt-get installed {PACKAGES} but no /usr/lib/postgresql/*/bin/initdb exists")
    if not _service_user_ok():
        pytest.fail(f"apt-get installed {PACKAGES} but there is no '{SERVICE_USER}' user")
    return bindir


def _service_user_ok() -> bool:
    if os.geteuid() != 0:
        return True  # not root: the server runs as the current user
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        return False
    return True


def free_port() -> int:
    """A port nobody listens on now (the kernel's choice for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One throw-away PostgreSQL cluster: ``host``, ``port``, ``user``, ``dbname``, ``dsn``."""

    user = "postgres"  # the cluster's superuser (initdb -U); trust auth, no password
    dbname = "postgres"
    host = "127.0.0.1"

    def __init__(self, bindir: Path | None = None, start_timeout: float = 60):
        self.bindir = bindir or ensure_postgresql()
        self.start_timeout = start_timeout
        # In /tmp, not tempfile's folder: a test may point TMPDIR into pytest's private
        # (0700) folders, which the postgres user cannot enter, and a unix socket's path
        # must stay under 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="kurume-pg-", dir=SERVER_PARENT))
        self.data = self.root / "data"
        self.socket_dir = self.root / "run"
        self.log = self.root / "server.log"
        self.port = 0
        self._started = False

    # -- running the server's binaries as a user PostgreSQL accepts -------------------------
    def _as_owner(self, argv: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", SERVICE_USER, "--", *argv]
        return argv

    def _run(self, argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(self._as_owner(argv), capture_output=True, text=True,
                                  timeout=timeout, cwd=self.root,
                                  env={**os.environ, "LC_ALL": "C", "LANG": "C"})
        except (OSError, subprocess.TimeoutExpired) as exc:
            # A failed command reads as a failed one (returncode != 0) to the caller.
            return subprocess.CompletedProcess(argv, 255, "", f"{' '.join(argv)}: {exc}")

    def _chown(self) -> None:
        if os.geteuid() != 0:
            return
        owner = pwd.getpwnam(SERVICE_USER)
        for path in (self.root, *self.root.rglob("*")):
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def start(self) -> PostgresServer:
        self.socket_dir.mkdir()
        self.log.touch()
        self._chown()
        init = self._run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user,
                          "--auth=trust", "--locale=C", "--encoding=UTF8", "--no-sync"])
        if init.returncode != 0:
            output = init.stdout + init.stderr
            self.close()
            pytest.fail(f"PostgreSQL initdb failed ({init.returncode}):\n{output[-3000:]}")
        # Another process may take the port between bind(0) and the server's start: retry.
        for _ in range(5):
            self.port = free_port()
            options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                       f"-c unix_socket_directories={self.socket_dir} -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off")
            started = self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data),
                                 "-l", str(self.log), "-o", options, "-w",
                                 "-t", str(int(self.start_timeout)), "start"],
                                timeout=self.start_timeout + 30)
            if started.returncode == 0 and self._ready():
                self._started = True
                return self
            self._stop()
        tail = self._log_tail()
        self.close()
        pytest.fail(f"PostgreSQL did not start: {started.stdout}{started.stderr}\n{tail}")

    def _ready(self) -> bool:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            ready = self._run([str(self.bindir / "pg_isready"), "-h", self.host,
                               "-p", str(self.port), "-U", self.user, "-d", self.dbname],
                              timeout=30)
            if ready.returncode == 0:
                return True
            time.sleep(0.1)
        return False

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    @property
    def dsn(self) -> str:
        return self.url(self.dbname)

    def url(self, dbname: str) -> str:
        """A libpq URL of a database on this server (as the platform's config takes it)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    def connect(self, dbname: str | None = None):
        import psycopg2

        connection = psycopg2.connect(host=self.host, port=self.port, user=self.user,
                                      dbname=dbname or self.dbname)
        connection.autocommit = True
        return connection

    def query(self, sql: str, dbname: str | None = None) -> list[tuple]:
        connection = self.connect(dbname)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        from psycopg2 import sql

        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        finally:
            connection.close()
        return self.url(name)

    def _stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                       "-w", "stop"], timeout=60)

    def close(self) -> None:
        try:
            if self.data.exists():
                self._stop()
        finally:
            self._started = False
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server per test process (xdist workers each get their own port)."""
    with PostgresServer() as server:
        yield server
