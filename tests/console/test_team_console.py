"""A console on a team ledger (PostgreSQL) stays live without polling: what another
process commits reloads it, and the header says how the link to the ledger stands."""

from __future__ import annotations

import subprocess
import sys

from console.app import PayConsoleApp
from console.context import ConsoleContext, Mode
from ledger.db import open_ledger
from sync.team import TeamLedger
from tests.conftest import Waiter
from tests.console.conftest import fixed_objects, write_objects
from tests.helpers import NOW, OPERATOR, label_text

# Another payconsole process committing one more payment to the same ledger.
_ANOTHER_PROCESS = """
import sys
from ledger.db import open_ledger
from ledger.records import records_for
from ledger.writes import write_records
db = open_ledger(sys.argv[1])
intent = {"object": "payment_intent", "id": "pi_elsewhere", "created": int(sys.argv[2]),
          "amount": 4200, "currency": "usd", "status": "succeeded"}
with db.atomic():
    write_records(db, records_for(intent, int(sys.argv[2])))
"""


async def test_a_commit_by_another_process_reloads_the_console(pg_url: str,
                                                              wait_for: Waiter) -> None:
    write_objects(open_ledger(pg_url), fixed_objects(), as_of=NOW - 3600)
    team = TeamLedger(pg_url, None, clock=lambda: NOW)
    app = PayConsoleApp(ConsoleContext(ledger_location=pg_url, mode=Mode.OFFLINE,
                                       operator=OPERATOR, team=team), clock=lambda: NOW)
    async with app.run_test() as pilot:
        await wait_for(lambda: team.connected, pilot=pilot, what="the change feed")
        assert label_text(pilot, "#header-count") == "6 payments"
        subprocess.run([sys.executable, "-c", _ANOTHER_PROCESS, pg_url, str(NOW - 60)],
                       check=True)
        await wait_for(lambda: label_text(pilot, "#header-count") == "7 payments",
                       pilot=pilot, what="the reload after the other process's commit")
        header = label_text(pilot, "#header-team")
        assert header.startswith("team ledger postgresql://") and "not syncing" in header
        assert "@" in header and ":" not in header.split("//", 1)[1].split("@")[0]
        await pilot.press("q")
