"""Fees and the balance, after each sync run's events.

Stripe sets a charge's `balance_transaction` after the charge event (and never sends an
event for the transaction itself): charges and refunds the ledger has without one are
fetched again, with the transaction expanded, on this and later runs (the newest
MISSING_PER_RUN at a time, within the backfill window). The balance is fetched once a run;
balance.available events update it in between (sync.apply).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ledger.db import retry_locked
from ledger.fees import balance_of, missing_transactions, save_balance
from ledger.models import database
from sync.apply import apply_objects
from sync.gateway import NotFound, StripeGateway
from sync.resources import OBJECT_PATHS

MISSING_PER_RUN = 50
BALANCE_PATH = "/v1/balance"


@dataclass
class FeesReport:
    checked: int = 0  # charges and refunds fetched again for their transaction
    found: int = 0  # of which now had one


def fetch_missing_transactions(gateway: StripeGateway, since: int, as_of: int,
                               limit: int = MISSING_PER_RUN) -> FeesReport:
    report = FeesReport()
    fetched = []
    for kind, object_id in missing_transactions(since, limit):
        try:
            obj = gateway.get(OBJECT_PATHS[kind].format(object_id),
                              {"expand": ["balance_transaction"]})
        except NotFound:
            continue
        report.checked += 1
        if isinstance(obj.get("balance_transaction"), dict):
            report.found += 1
            fetched.append(obj)
    if fetched:
        _store(lambda: apply_objects(database, fetched, as_of))
    return report


def refresh_balance(gateway: StripeGateway, as_of: int) -> None:
    balance = balance_of(gateway.get(BALANCE_PATH), as_of)
    _store(lambda: save_balance(balance))


def _store(write: Callable[[], object]) -> None:
    def store() -> None:
        with database.atomic():
            write()

    retry_locked(store)
