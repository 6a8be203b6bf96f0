"""The account and reconcile records round-trip through the ledger."""

from __future__ import annotations

from peewee import SqliteDatabase

from sync.trust import (
    ReconcileSummary,
    StripeAccount,
    load_account,
    load_last_reconcile,
    save_account,
    save_last_reconcile,
)


def test_records_round_trip(ledger: SqliteDatabase) -> None:
    assert load_account() is None and load_last_reconcile() is None
    account = StripeAccount("acct_1", livemode=False, name="Acme", country="GB",
                            default_currency="gbp")
    save_account(account)
    assert load_account() == account and account.label == "Acme (acct_1, test)"
    summary = ReconcileSummary(at=30, since=10, until=20, checked={"payments": 4}, missing=1,
                               different=2, repaired=3)
    save_last_reconcile(summary)
    assert load_last_reconcile() == summary and summary.drift == 3
