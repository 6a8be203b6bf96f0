"""Pointing payconsole at a team ledger: `[ledger] url`, `--ledger-url`,
PAYCONSOLE_LEDGER__URL; passwords the libpq way and never shown; a refused password, a
read-only console, and `status` / `ledger migrate` on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from console.cli import main
from console.config import load_settings
from console.errors import ConfigError
from ledger.db import LedgerError, open_ledger
from ledger.local_postgres import LocalPostgres
from ledger.models import Payment
from tests.helpers import FIXED_OBJECTS, fill


def _config(path: Path, text: str, mode: int) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_a_url_in_the_config_file_env_or_flag_opens_postgresql(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_environment: None) -> None:
    url = "postgresql://ops@db.example:5432/payments"
    config = _config(tmp_path / "c.toml", f"[ledger]\nurl = '{url}'\n", 0o644)
    assert load_settings(str(config)).ledger.location == url
    monkeypatch.setenv("PAYCONSOLE_LEDGER__URL", url + "2")
    assert load_settings(None).ledger.location == url + "2"
    assert load_settings(None, {"ledger": {"path": "x.db", "url": None}}).ledger.location \
        == Path("x.db")
    monkeypatch.delenv("PAYCONSOLE_LEDGER__URL")
    with pytest.raises(ConfigError, match="postgresql://"):
        load_settings(str(_config(tmp_path / "bad.toml", "[ledger]\nurl = 'mysql://x/y'\n",
                                  0o600)))


def test_a_password_in_a_readable_config_file_is_refused_like_a_key(
        tmp_path: Path, clean_environment: None) -> None:
    text = "[ledger]\nurl = 'postgresql://ops:hunter2@db.example/payments'\n"
    with pytest.raises(ConfigError, match="chmod 600") as refused:
        load_settings(str(_config(tmp_path / "c.toml", text, 0o644)))
    assert "hunter2" not in str(refused.value)
    settings = load_settings(str(_config(tmp_path / "p.toml", text, 0o600)))
    assert settings.ledger.shown == "postgresql://ops@db.example/payments"


def test_status_on_postgresql_names_the_backend_never_the_password(
        ledger_url_with_data: str, capsys: pytest.CaptureFixture[str],
        clean_environment: None) -> None:
    assert main(["status", "--format", "json", "--ledger-url", ledger_url_with_data]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["backend"] == "postgresql" and status["leader"] is None
    assert status["ledger"].startswith("postgresql://postgres@127.0.0.1:")
    assert status["counts"]["payments"] == len([o for o in FIXED_OBJECTS
                                                if o["object"] == "payment_intent"])
    assert main(["status", "--ledger", "postgresql://postgres@127.0.0.1:1/nowhere"]) == 2


def test_ledger_migrate_says_what_it_did(pg_url: str, capsys: pytest.CaptureFixture[str],
                                         clean_environment: None) -> None:
    assert main(["ledger", "migrate", "--ledger-url", pg_url]) == 0
    assert "already up to date" in capsys.readouterr().out


def test_read_only_on_postgresql_writes_nothing(ledger_url_with_data: str) -> None:
    open_ledger(ledger_url_with_data, read_only=True)
    assert Payment.select().count() > 0
    with pytest.raises(Exception, match="read-only"):
        Payment.update(amount=1).execute()


def test_a_refused_password_says_so_and_shows_no_password(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """A server of its own, where one role must give a password over TCP."""
    with LocalPostgres() as server:
        server.create_database("team")
        with psycopg.connect(server.url("team"), autocommit=True) as admin:
            admin.execute("CREATE ROLE ops LOGIN PASSWORD 'right-pw'")
            hba = server.data_dir / "pg_hba.conf"
            hba.write_text("host all ops 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
            admin.execute("SELECT pg_reload_conf()")
        url = server.url("team").replace("postgres@", "ops@")
        monkeypatch.setenv("PGPASSWORD", "wrong-pw")
        with pytest.raises(LedgerError, match="refused the password") as refused:
            open_ledger(url)
        assert "wrong-pw" not in str(refused.value)
        passfile = tmp_path / "pgpass"
        passfile.write_text(f"127.0.0.1:{server.port}:team:ops:right-pw\n")
        passfile.chmod(0o600)
        monkeypatch.delenv("PGPASSWORD")
        monkeypatch.setenv("PGPASSFILE", str(passfile))
        with psycopg.connect(server.url("team"), autocommit=True) as admin:
            admin.execute("GRANT ALL ON SCHEMA public TO ops")
        open_ledger(url).close()  # the libpq password file, as ~/.pgpass would be


@pytest.fixture
def ledger_url_with_data(pg_url: str) -> str:
    fill(open_ledger(pg_url), FIXED_OBJECTS)
    return pg_url
