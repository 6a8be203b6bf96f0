"""Bob's console in a process of its own, for the two-console test
(tests/integration/test_console_team.py): opens the console as bob on a team ledger with
Pilot, presses the approve key on request ID in the Approvals pane, and prints
`APPROVED <unix time>` as soon as the approval is in the ledger, then quits.

    python tests/console/team_approver.py postgresql://bob@host/db ID
"""

from __future__ import annotations

import asyncio
import sys
import time

from console.panes.approvals import ApprovalsPane
from ledger import requests
from tests.helpers import approve_in_pane, operator_console

TIMEOUT_SECONDS = 60.0


async def approve(url: str, request_id: int) -> None:
    app = operator_console(url, "bob")
    async with app.run_test(size=(150, 40)) as pilot:
        pane = app.query_one(ApprovalsPane)
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while pane.pending.position_of(str(request_id)) is None:  # the feed reloads it
            if time.monotonic() > deadline:
                raise SystemExit(f"request {request_id} never showed in the Approvals pane")
            await pilot.pause(0.02)
        await approve_in_pane(pilot, request_id)
        while not requests.approvals_of(request_id):
            if time.monotonic() > deadline:
                raise SystemExit(f"the approval of request {request_id} never reached the ledger")
            await pilot.pause(0.005)
        print(f"APPROVED {time.time():.6f}", flush=True)
        await pilot.press("q")


if __name__ == "__main__":
    asyncio.run(approve(sys.argv[1], int(sys.argv[2])))
