"""The Audit pane: entries newest first, and the chain status checked in a thread (green
when it verifies, red where it breaks)."""

from __future__ import annotations

from peewee import Database
from textual.pilot import Pilot
from textual.widgets import Label

from console.panes.audit import AuditPane
from ledger.audit import NewEntry, append
from tests.conftest import Waiter
from tests.console.conftest import NOW, SIZE, AppFactory
from tests.helpers import HandEdits


def log_three_actions() -> None:
    entries = (
        ("refund", "pi_usd", "attempted", None, None),
        ("refund", "pi_usd", "succeeded", "re_1", None),
        ("method.detach", "pm_1", "refused", None, "pm_1 is not attached to a customer"),
    )
    for n, (action, target, result, object_id, error) in enumerate(entries):
        append(NewEntry(operator="ops@example.com", action=action, target=target,
                        result=result, object_id=object_id, error=error), now=NOW - 60 + n)


def chain_status(pilot: Pilot) -> Label:
    return pilot.app.query_one("#audit-chain", Label)


async def test_entries_newest_first_and_the_chain_verified(
        make_app: AppFactory, filled_ledger: Database, wait_for: Waiter) -> None:
    log_three_actions()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        pane = app.query_one(AuditPane)
        table = pane.table
        rows = [table.row_at(i).entry for i in range(table.row_count)]
        assert [(r.seq, r.action, r.result) for r in rows] == [
            (3, "method.detach", "refused"), (2, "refund", "succeeded"),
            (1, "refund", "attempted")]
        assert rows[0].error == "pm_1 is not attached to a customer"
        await wait_for(lambda: "verified" in str(chain_status(pilot).content), pilot=pilot)
        assert str(chain_status(pilot).content) == "chain verified: 3 entries"
        # A new entry: the pane shows it, and checks the longer chain.
        append(NewEntry(operator="ops@example.com", action="charge", target="cus_1",
                        result="attempted"), now=NOW)
        pane.reload()
        assert table.row_at(0).entry.action == "charge"
        await wait_for(lambda: "4 entries" in str(chain_status(pilot).content), pilot=pilot)


async def test_a_tampered_entry_shows_where_the_chain_breaks(
        make_app: AppFactory, filled_ledger: Database,
        wait_for: Waiter) -> None:
    log_three_actions()
    raw = HandEdits(filled_ledger)
    raw.drop_trigger("audit_entry_no_update")
    raw.execute("UPDATE audit_entry SET target = 'pi_other' WHERE seq = 2")
    raw.close()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await wait_for(lambda: "broken" in str(chain_status(pilot).content), pilot=pilot)
        status = chain_status(pilot).content
        assert str(status).startswith("audit chain broken at entry 2")
        assert "red" in str(getattr(status, "style", ""))


async def test_an_empty_log(make_app: AppFactory, wait_for: Waiter) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await wait_for(lambda: "verified" in str(chain_status(pilot).content), pilot=pilot)
        assert str(chain_status(pilot).content) == "chain verified: 0 entries"
        summary = str(app.query_one("#entries-summary", Label).content)
        assert summary == "No entries in the ledger yet"
