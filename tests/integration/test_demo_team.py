"""`payconsole demo --team`'s moving parts: the demo on a PostgreSQL ledger, its sync the
leader, and the printed second-console command joining the same ledger as a follower."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from ledger.db import open_ledger
from sync.demo.session import DemoSession


def test_the_team_demo_leads_and_its_second_console_command_follows(
        pg_url: str, tmp_path: Path) -> None:
    session = DemoSession(tmp_path / "demo-team", pg_url)
    session.start()
    try:
        open_ledger(session.ledger_location)
        services = session.services("ada", read_only=False)
        assert services.sync.leads() and services.sync.role == "leader"
        command = shlex.split(session.second_console())
        assert command[0].startswith("STRIPE_API_KEY=sk_test_")
        assert command[1:4] == ["payconsole", "--ledger", pg_url]
        key = command[0].split("=", 1)[1]
        follower = subprocess.run(
            [sys.executable, "-m", "console.cli", "sync", "--once", *command[2:]],
            env={**os.environ, "STRIPE_API_KEY": key}, capture_output=True, text=True,
            timeout=60)
        assert follower.returncode == 0, follower.stderr
        assert follower.stdout.startswith("following ") and "nothing to do" in follower.stdout
    finally:
        services.sync.leadership.release()  # type: ignore[union-attr]
        session.stop()
