"""The throwaway PostgreSQL server (ledger/local_postgres.py, ledger/postgres_server.py) and
the tests' databases on it (tests/conftest.py): it starts and answers, as an unprivileged
account when run as root; clones are what the template's callback made, and independent;
stopping frees everything; a server that cannot be found, started or reached says why."""

from __future__ import annotations

import os
import pwd
import signal
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ledger import local_postgres
from ledger.local_postgres import LocalPostgres
from ledger.postgres_server import PostgresServerError
from tests.conftest import PgDatabases


@pytest.fixture(scope="module")
def server() -> Iterator[LocalPostgres]:
    with LocalPostgres() as started:
        yield started


def tables(url: str) -> dict[str, int]:
    """Each table of the public schema with its row count."""
    with psycopg.connect(url) as connection:
        names = [row[0] for row in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {name: connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                for name in names}


def test_the_server_answers_on_loopback_and_on_its_socket(server: LocalPostgres) -> None:
    assert server.url("postgres") == f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
    with psycopg.connect(server.url("postgres")) as connection:
        settings = {name: connection.execute(f"SHOW {name}").fetchone()[0]
                    for name in ("fsync", "synchronous_commit", "full_page_writes",
                                 "max_connections", "server_encoding", "listen_addresses")}
    assert settings == {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                        "max_connections": "100", "server_encoding": "UTF8",
                        "listen_addresses": "127.0.0.1"}
    with psycopg.connect(host=str(server.socket_dir), port=server.port, user="postgres",
                         dbname="postgres") as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)


def test_the_server_runs_as_an_unprivileged_account_when_this_process_is_root(
        server: LocalPostgres) -> None:
    expected = pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else os.geteuid()
    status = Path(f"/proc/{server.pid}/status").read_text()
    real_uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
    assert int(real_uid) == expected
    assert server.data_dir.stat().st_uid == expected


def test_a_clone_is_what_the_template_callback_made_and_each_is_independent(
        pg_databases: PgDatabases) -> None:
    calls: list[str] = []

    def migrate(url: str) -> None:
        calls.append(url)
        with psycopg.connect(url) as connection:
            connection.execute("CREATE TABLE payment (id text PRIMARY KEY, amount bigint)")

    template = pg_databases.template(migrate)
    assert pg_databases.template(migrate) == template  # made once
    assert len(calls) == 1
    first, second = pg_databases.clone(template), pg_databases.clone(template)
    first_url = pg_databases.server.url(first)
    with psycopg.connect(first_url) as connection:
        connection.execute("INSERT INTO payment VALUES ('pi_1', 1000)")
    assert tables(first_url) == {"payment": 1}
    assert tables(pg_databases.server.url(second)) == {"payment": 0}
    assert tables(pg_databases.server.url(template)) == {"payment": 0}
    for name in (first, second):
        pg_databases.server.drop_database(name)
    with psycopg.connect(pg_databases.server.url("postgres")) as connection:
        left = connection.execute("SELECT datname FROM pg_database WHERE datname IN (%s, %s)",
                                  (first, second)).fetchall()
    assert left == []


def test_a_test_gets_a_database_of_its_own(pg_url: str, pg_databases: PgDatabases) -> None:
    with psycopg.connect(pg_url) as connection:
        name = connection.execute("SELECT current_database()").fetchone()[0]
    assert name.startswith(pg_databases.prefix + "_")


def test_an_open_connection_to_a_template_is_named_when_cloning_it(
        server: LocalPostgres) -> None:
    server.create_database("busy_template")
    with psycopg.connect(server.url("busy_template")), \
            pytest.raises(PostgresServerError, match="busy_template is in use"):
        server.create_database("busy_clone", template="busy_template")
    server.drop_database("busy_template")


def test_a_name_postgres_would_cut_or_quote_is_refused(server: LocalPostgres) -> None:
    for name in ("x" * 64, "drop me", "1st", ""):
        with pytest.raises(PostgresServerError, match="is not a database name"):
            server.create_database(name)


def test_stop_frees_the_port_and_removes_the_folder() -> None:
    with LocalPostgres() as started:
        port, folder = started.port, started.folder
        assert folder is not None and folder.exists()
    assert not folder.exists()
    with socket.socket() as probe:
        # As a server binds (postgres too): closed connections may linger in TIME_WAIT, but
        # a socket still listening would make this raise "address in use".
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen()
    with pytest.raises(PostgresServerError, match="not started"):
        started.url("postgres")


def test_a_server_that_died_says_so_with_its_log() -> None:
    with LocalPostgres() as started:
        os.kill(started.pid, signal.SIGKILL)
        while Path(f"/proc/{started.pid}/stat").read_text().split()[2] != "Z":
            time.sleep(0.01)  # until it is a zombie, for LocalPostgres to find dead
        with pytest.raises(PostgresServerError, match=r"has stopped \(exit code -9\)"):
            started.create_database("after_death")
        with pytest.raises(PostgresServerError, match="has stopped"):
            started.url("postgres")


def test_a_server_that_cannot_start_says_why_and_leaves_nothing() -> None:
    failing = LocalPostgres(settings={"max_connections": "lots"})
    with pytest.raises(PostgresServerError, match=r"(?s)stopped while starting.*max_connections"):
        failing.start()
    assert failing.folder is None


def test_missing_server_programs_name_what_to_install(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(local_postgres.PG_BIN_ENV, str(tmp_path))
    with pytest.raises(PostgresServerError, match=f"PAYCONSOLE_PG_BIN={tmp_path} does not"):
        LocalPostgres().start()
    monkeypatch.delenv(local_postgres.PG_BIN_ENV)
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_config
    monkeypatch.setattr(local_postgres, "DEBIAN_SERVERS", tmp_path)
    with pytest.raises(PostgresServerError, match="install Debian's `postgresql` package"):
        LocalPostgres().start()


def test_the_newest_installed_server_is_found(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    for version in ("9.6", "15", "13"):
        bin_dir = tmp_path / version / "bin"
        bin_dir.mkdir(parents=True)
        for program in ("initdb", "postgres"):
            (bin_dir / program).write_text("#!/bin/sh\n")
            (bin_dir / program).chmod(0o755)
    monkeypatch.delenv(local_postgres.PG_BIN_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(local_postgres, "DEBIAN_SERVERS", tmp_path)
    assert local_postgres.find_bin_dir() == tmp_path / "15" / "bin"


def test_as_root_a_folder_the_server_account_cannot_reach_is_named(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    server = LocalPostgres()
    if os.geteuid() == 0:
        with pytest.raises(PostgresServerError, match=f"cannot reach its folder.*{private} is"):
            server.start()
        assert list(private.iterdir()) == []
    else:  # the server runs as this user, who can
        server.start()
        server.stop()
