"""Fees and the balance, after each sync run's events.

Stripe sets a charge's `balance_transaction` after the charge event (and never sends an
event for the transaction itself): charges and refunds the ledger has without one (the
newest MISSING_PER_RUN, within the backfill window) are looked for on this and later runs.
In a batch first: the transactions listed since the oldest of them was created, at most
LIST_PAGES pages (usually one: they are the last run's new charges); then each one still
missing is fetched again with its transaction expanded. The balance is fetched once a
run; balance.available events update it in between (sync.apply).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledger.db import retry_locked
from ledger.fees import balance_of, missing_transactions, save_balance
from ledger.models import database
from sync.apply import apply_objects
from sync.gateway import NotFound, StripeGateway
from sync.resources import OBJECT_PATHS

MISSING_PER_RUN = 50
LIST_PAGES = 3
LIST_MARGIN_SECONDS = 60
BALANCE_PATH = "/v1/balance"
TRANSACTIONS_PATH = "/v1/balance_transactions"


@dataclass
class FeesReport:
    checked: int = 0  # charges and refunds fetched again one by one for their transaction
    found: int = 0  # transactions found, listed or fetched


def fetch_missing_transactions(gateway: StripeGateway, since: int, as_of: int,
                               limit: int = MISSING_PER_RUN) -> FeesReport:
    report = FeesReport()
    missing = missing_transactions(since, limit)
    if not missing:
        return report
    oldest = min(created for _, _, created in missing)
    listed = _list_since(gateway, oldest, {object_id for _, object_id, _ in missing}, as_of)
    fetched = []
    for kind, object_id, _ in missing:
        if object_id in listed:
            report.found += 1
            continue
        try:
            obj = gateway.get(OBJECT_PATHS[kind].format(object_id),
                              {"expand": ["balance_transaction"]})
        except NotFound:
            continue
        report.checked += 1
        if isinstance(obj.get("balance_transaction"), dict):
            report.found += 1
            fetched.append(obj)
    _store_objects(fetched, as_of)
    return report


def _list_since(gateway: StripeGateway, oldest: int, wanted: set[str], as_of: int
                ) -> set[str]:
    """Store the transactions created since `oldest` (less a margin: a transaction may
    carry a slightly earlier time than its charge), newest first, until every missing
    source is found or LIST_PAGES pages were read; returns the sources found."""
    found: set[str] = set()
    params = {"created": {"gte": oldest - LIST_MARGIN_SECONDS}}
    for number, page in enumerate(gateway.pages(TRANSACTIONS_PATH, params), start=1):
        _store_objects(page, as_of)
        found |= {source for txn in page if (source := txn.get("source")) in wanted}
        if found == wanted or number >= LIST_PAGES:
            break
    return found


def refresh_balance(gateway: StripeGateway, as_of: int) -> None:
    balance = balance_of(gateway.get(BALANCE_PATH), as_of)
    _store(lambda: save_balance(balance))


def _store_objects(objects: list[dict[str, Any]], as_of: int) -> None:
    if objects:
        _store(lambda: apply_objects(database, objects, as_of))


def _store(write: Callable[[], object]) -> None:
    def store() -> None:
        with database.atomic():
            write()

    retry_locked(store)
