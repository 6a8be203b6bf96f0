"""A throwaway PostgreSQL server started in a temporary folder, for the test suite and
`payconsole demo --team`.

It trusts every local connection and keeps nothing: durability is off
(fsync, synchronous_commit, full_page_writes), since its data dies with it anyway, and its
folder is removed when it stops. It listens on 127.0.0.1 at a free port and on a unix socket
in its folder.

initdb and postgres refuse to run as root (a superuser's SQL, e.g. COPY ... TO PROGRAM,
runs as the server's account: as root, that would be anything on the machine). When this
process is root, as on CI, they run as `nobody` in a temporary folder handed to it: the
account is on every Debian, and using it changes nothing on the machine (creating a system
user instead would, and two test workers would race to create it). The server's programs
must then be readable by `nobody`, as the Debian package's are.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import psycopg

from ledger.postgres_server import PostgresServer, PostgresServerError

PG_BIN_ENV = "PAYCONSOLE_PG_BIN"
DEBIAN_SERVERS = Path("/usr/lib/postgresql")  # /usr/lib/postgresql/<version>/bin
UNPRIVILEGED_USER = "nobody"
SUPERUSER = "postgres"
HOST = "127.0.0.1"
# Nothing on a throwaway server is worth an fsync.
FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
}
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
PORT_ATTEMPTS = 3  # another program may take the free port between picking and binding it
LOG_TAIL_LINES = 20


class LocalPostgres(PostgresServer):
    """A throwaway PostgreSQL server, started on entering and removed on leaving:

        with LocalPostgres() as server:
            server.create_database("demo")
            open_ledger(server.url("demo"))

    `settings` are passed to postgres (over FAST_SETTINGS); `locale` is initdb's (C: ids
    and text compare byte by byte, and lower() changes ASCII only, as in SQLite)."""

    def __init__(self, *, settings: Mapping[str, str] | None = None, locale: str = "C",
                 start_timeout: float = START_TIMEOUT) -> None:
        super().__init__("")
        self.settings = {**FAST_SETTINGS, **(settings or {})}
        self.locale = locale
        self.start_timeout = start_timeout
        self.port = 0
        self.folder: Path | None = None  # the data folder, the socket and the server's log
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def __enter__(self) -> LocalPostgres:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    @property
    def data_dir(self) -> Path:
        return self._folder() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._folder()

    @property
    def pid(self) -> int:
        if self._process is None:
            raise PostgresServerError("the local PostgreSQL server is not started")
        return self._process.pid

    def start(self) -> None:
        if self._process is not None:
            raise PostgresServerError("the local PostgreSQL server is already started")
        bin_dir = find_bin_dir()
        account = _server_account()
        self.folder = Path(tempfile.mkdtemp(prefix="payconsole-pg-"))
        try:
            if account is not None:
                _check_reachable(bin_dir / "initdb", account, f"its programs ({PG_BIN_ENV})")
                _check_reachable(self.folder, account, "its folder (TMPDIR)")
                os.chown(self.folder, account.pw_uid, account.pw_gid)
            self._initdb(bin_dir, account)
            self._launch(bin_dir, account)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (at once: nothing it holds is kept) and remove its folder.
        Does nothing on a server that is not started."""
        self.close()
        process, self._process = self._process, None
        if process is not None:
            _end(process)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def _initdb(self, bin_dir: Path, account: pwd.struct_passwd | None) -> None:
        command = [str(bin_dir / "initdb"), "--pgdata", str(self.data_dir),
                   "--username", SUPERUSER, "--auth", "trust", "--encoding", "UTF8",
                   "--locale", self.locale, "--no-sync", "--no-instructions"]
        done = subprocess.run(command, **_as(account, self._folder()), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0:
            output = done.stdout.decode(errors="replace").strip().splitlines()
            raise PostgresServerError(
                f"initdb failed (exit code {done.returncode}) in {self.data_dir}:\n"
                + "\n".join(output[-LOG_TAIL_LINES:]))

    def _launch(self, bin_dir: Path, account: pwd.struct_passwd | None) -> None:
        log_path = self._folder() / "server.log"
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self.port = _free_port()
            self._admin_url = f"postgresql://{SUPERUSER}@{HOST}:{self.port}/postgres"
            settings = {**self.settings, "listen_addresses": HOST,
                        "unix_socket_directories": str(self.socket_dir)}
            command = [str(bin_dir / "postgres"), "-D", str(self.data_dir),
                       "-p", str(self.port)]
            command += [f"-c{name}={value}" for name, value in settings.items()]
            self._log = log_path.open("ab")
            self._process = subprocess.Popen(command, **_as(account, self._folder()),
                                             stdout=self._log, stderr=subprocess.STDOUT)
            try:
                self._wait_until_ready()
                return
            except PostgresServerError:
                port_taken = "could not bind" in self._log_tail()
                if not port_taken or attempt == PORT_ATTEMPTS:
                    raise
                _end(self._process)
                self._log.close()
                self._process, self._log = None, None

    def _wait_until_ready(self) -> None:
        """Until the server accepts a connection (the admin one, kept); a server that exits
        or is not ready in time raises with its log's last lines."""
        assert self._process is not None
        started = time.monotonic()
        while True:
            code = self._process.poll()
            if code is not None:
                raise PostgresServerError(
                    f"PostgreSQL stopped while starting (exit code {code}); its log ends "
                    f"with:\n{self._log_tail()}")
            try:
                self._admin = psycopg.connect(self._admin_url, autocommit=True,
                                              connect_timeout=2)
                return
            except psycopg.OperationalError:
                pass  # not listening yet, or "the database system is starting up"
            if time.monotonic() - started > self.start_timeout:
                raise PostgresServerError(
                    f"PostgreSQL did not accept connections within {self.start_timeout:.0f} "
                    f"s; its log ends with:\n{self._log_tail()}")
            time.sleep(0.02)

    def _check_running(self) -> None:
        if self._process is None:
            raise PostgresServerError(
                "the local PostgreSQL server is not started (use it as a context manager: "
                "`with LocalPostgres() as server:`)")
        code = self._process.poll()
        if code is not None:
            raise PostgresServerError(
                f"the local PostgreSQL server (pid {self._process.pid}, port {self.port}) "
                f"has stopped (exit code {code}); its log ends with:\n{self._log_tail()}")

    def _folder(self) -> Path:
        if self.folder is None:
            raise PostgresServerError("the local PostgreSQL server is not started")
        return self.folder

    def _log_tail(self) -> str:
        try:
            lines = (self._folder() / "server.log").read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-LOG_TAIL_LINES:]) or "(empty log)"


def find_bin_dir() -> Path:
    """The folder of the server's programs: $PAYCONSOLE_PG_BIN, else `pg_config --bindir`,
    else the newest /usr/lib/postgresql/*/bin."""
    configured = os.environ.get(PG_BIN_ENV)
    if configured:
        path = Path(configured).expanduser()
        if not _holds_server(path):
            raise PostgresServerError(
                f"{PG_BIN_ENV}={configured} does not hold the PostgreSQL server programs "
                "(initdb, postgres): point it at their folder, or unset it to use the "
                "installed server")
        return path
    candidates = [*_pg_config_bindir(), *sorted(DEBIAN_SERVERS.glob("*/bin"),
                                                key=_version, reverse=True)]
    for candidate in candidates:
        if _holds_server(candidate):
            return candidate
    raise PostgresServerError(
        "the PostgreSQL server programs (initdb, postgres) are not installed: install "
        "Debian's `postgresql` package (apt-get install --no-install-recommends postgresql; "
        f"`make test` does it), or set {PG_BIN_ENV} to the folder that holds them")


def _pg_config_bindir() -> list[Path]:
    # Debian's pg_config may come with libpq-dev alone: its folder may lack the server.
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return []
    try:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                              timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return []
    return [Path(done.stdout.strip())] if done.stdout.strip() else []


def _holds_server(folder: Path) -> bool:
    return all(os.access(folder / name, os.X_OK) for name in ("initdb", "postgres"))


def _version(bin_dir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", bin_dir.parent.name))


def _server_account() -> pwd.struct_passwd | None:
    """The account the server runs as: None for this process's own (when not root)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        raise PostgresServerError(
            f"running as root, the PostgreSQL server needs the unprivileged account "
            f"{UNPRIVILEGED_USER!r} to run as (initdb and postgres refuse root), and there "
            "is none on this machine") from None


def _check_reachable(path: Path, account: pwd.struct_passwd, what: str) -> None:
    closed = [parent for parent in path.parents if not parent.stat().st_mode & stat.S_IXOTH]
    if closed:
        raise PostgresServerError(
            f"the PostgreSQL server runs as {account.pw_name} (not root), which cannot reach "
            f"{what} at {path}: {closed[0]} is closed to other users; use a folder under one "
            "they can open, such as /tmp")


def _as(account: pwd.struct_passwd | None, cwd: Path) -> dict[str, Any]:
    """subprocess arguments that run a program as `account`, in `cwd`, with only the
    environment it needs."""
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    if account is None:
        return {"cwd": cwd, "env": environment}
    return {"cwd": cwd, "env": {**environment, "HOME": str(cwd)},
            "user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # Immediate shutdown: no final checkpoint, the folder is removed right after.
    process.send_signal(signal.SIGQUIT)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
