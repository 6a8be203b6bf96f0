"""Offline review: every pane works from the ledger with no network, actions say why they
are unavailable, and `--read-only` leaves the ledger file exactly as it was.

The console is checked twice: in process through Pilot with the socket module booby-trapped,
and as the real `payconsole` command in a pseudo-terminal with an audit hook that reports
any connection or name lookup the process attempts."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from peewee import Database
from textual.widgets import TabbedContent

from console.commands import PANES, TEAM_PANES
from console.context import Mode
from console.panes.analytics import AnalyticsPane
from console.widgets.status_header import OFFLINE_ACTIONS
from ledger.dialect import dialect_of
from ledger.locations import is_postgres_url
from sync.scheduler import Job
from tests.conftest import Waiter
from tests.console.conftest import SIZE, AppFactory
from tests.helpers import SQLITE_ONLY, label_text, location_of, whole_ledger

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every way to reach a host fails, and is recorded."""
    attempts: list[str] = []

    def trap(name: str) -> Callable[..., Any]:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            attempts.append(f"{name}{args[1:] if name.startswith('socket.') else args}")
            raise OSError(f"offline test: {name} attempted")
        return refuse

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, trap(f"socket.{name}"))
    for name in ("create_connection", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, trap(name))
    return attempts


async def test_offline_console_never_opens_a_socket(
    make_app: AppFactory, no_network: list[str], wait_for: Waiter) -> None:
    job = Job("sync", lambda: socket.create_connection(("api.stripe.com", 443)), 1)
    app = make_app(mode=Mode.OFFLINE, jobs=[job])
    async with app.run_test(size=SIZE) as pilot:
        assert label_text(pilot, "#header-actions") == OFFLINE_ACTIONS
        tabs = app.query_one(TabbedContent)
        for number, (pane_id, _) in enumerate(PANES, start=1):
            await pilot.press(str(number))
            await pilot.pause()
            if pane_id in TEAM_PANES:  # not a team ledger: the key does nothing
                assert tabs.active == PANES[number - 2][0]
                continue
            assert tabs.active == pane_id
        analytics = app.query_one(AnalyticsPane)
        await wait_for(lambda: analytics.figures is not None, pilot=pilot)
        await pilot.press("1", "slash", *"ada", "enter", "s")
        await pilot.pause(0.2)
    assert no_network == []


# -- the real command --------------------------------------------------------------------

# Runs `payconsole ARGS` after installing an audit hook (it cannot be removed) that refuses
# and records every connection and name lookup; the record goes to the file in argv[1].
WRAPPER = """
import sys
attempts = []
NETWORK = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto"}
def hook(event, args):
    if event in NETWORK:
        attempts.append(f"{event} {args!r}")
        raise OSError(f"offline: {event} attempted")
sys.addaudithook(hook)
from console.cli import main
try:
    code = main(sys.argv[2:])
finally:
    with open(sys.argv[1], "w") as report:
        report.write("\\n".join(attempts))
sys.exit(code)
"""

# Show every pane (keys 1 to 6), search, and quit.
KEYS = [b"4", b"2", b"3", b"5", b"6", b"1", b"/", b"ada", b"\r", b"q"]
# Generous: these tests are about sockets and writes, not speed, and a loaded machine can
# take many seconds to import the app and to stop it.
START_SECONDS = 120
QUIT_SECONDS = 60


def run_console(args: list[str], home: Path) -> tuple[int, bytes, str]:
    """Run the console in a pseudo-terminal, press KEYS, return (exit code, screen bytes,
    network attempts)."""
    report = home / "network.txt"
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "TERM": "xterm-256color",
           "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
           "TZ": "UTC", "PYTHONPATH": str(REPO)}
    main, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, str(report), *args], cwd=REPO, env=env,
        stdin=terminal, stdout=terminal, stderr=terminal, start_new_session=True,
    )
    os.close(terminal)
    screen = bytearray()

    def drain() -> None:  # the pty must be read, or the app blocks writing to it
        while True:
            try:
                data = os.read(main, 65536)
            except OSError:
                return
            if not data:
                return
            screen.extend(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + START_SECONDS
        while b"OFFLINE" not in screen and time.monotonic() < deadline:
            time.sleep(0.05)
        for key in KEYS:
            os.write(main, key)
            time.sleep(0.15)
        code = quit_when_done(process, main)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
        reader.join(timeout=5)
    return code, bytes(screen), report.read_text() if report.exists() else "no report"


def quit_when_done(process: subprocess.Popen[bytes], terminal: int) -> int:
    """The exit code, asking again should a loaded machine have lost the first q (ctrl+q:
    the app's priority quit, which a focused input cannot take as text)."""
    for _ in range(3):
        try:
            return process.wait(timeout=QUIT_SECONDS / 4)
        except subprocess.TimeoutExpired:
            os.write(terminal, b"\x11")
    return process.wait(timeout=QUIT_SECONDS / 4)


def ledger_copy(ledger: Database, where: Path) -> Path:
    """The ledger as one self-contained file, like a copy sent from another machine."""
    ledger.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    where.mkdir()
    return Path(shutil.copy(ledger.database, where / "ledger.db"))


def to_review(ledger: Database, where: Path) -> str:
    """Where `--read-only` reviews the ledger: an SQLite ledger's self-contained copy, a
    PostgreSQL ledger on its server."""
    return location_of(ledger) if dialect_of(ledger).is_postgres else str(
        ledger_copy(ledger, where))


def as_stored(location: str) -> object:
    """What any write would change: the file's bytes and time; on a server, every row."""
    if is_postgres_url(location):
        return whole_ledger(location)
    return Path(location).read_bytes(), Path(location).stat().st_mtime_ns


@SQLITE_ONLY
def test_payconsole_offline_never_opens_a_socket(
    filled_ledger: Database, tmp_path: Path
) -> None:
    """SQLite only: offline review is of a file (a PostgreSQL ledger is on the network)."""
    path = ledger_copy(filled_ledger, tmp_path / "copy")
    code, screen, attempts = run_console(["--offline", "--ledger", str(path)], tmp_path)
    assert code == 0, screen[-2000:]
    assert attempts == ""
    assert b"actions unavailable" in screen


def test_read_only_never_writes_the_ledger(
    filled_ledger: Database, tmp_path: Path
) -> None:
    location = to_review(filled_ledger, tmp_path / "copy")
    before = as_stored(location)
    code, screen, attempts = run_console(["--read-only", "--ledger", location], tmp_path)
    assert code == 0, screen[-2000:]
    assert attempts == ""
    assert as_stored(location) == before
