"""A payout's balance transactions, fetched from Stripe (`GET /v1/balance_transactions
?payout=`): by the sync once the payout is paid, and by the payout detail when the ledger
does not have them yet."""

from __future__ import annotations

import logging
import time

from ledger.db import retry_locked
from ledger.models import database
from ledger.payouts import payouts_missing_transactions, store_payout_transactions
from sync.fees import TRANSACTIONS_PATH
from sync.gateway import GatewayError, StripeGateway

log = logging.getLogger(__name__)

LOOKBACK_SECONDS = 30 * 86400  # paid payouts this recent get their transactions


def fetch_payout_transactions(gateway: StripeGateway, payout_id: str,
                              as_of: int | None = None) -> int:
    """Every transaction Stripe lists under `payout_id`, stored; returns how many."""
    objects = [obj for page in gateway.pages(TRANSACTIONS_PATH, {"payout": payout_id})
               for obj in page]
    stamp = int(time.time()) if as_of is None else as_of

    def store() -> int:
        with database.atomic():
            return store_payout_transactions(database, payout_id, objects, stamp)

    return retry_locked(store)


def fetch_recent_payout_transactions(gateway: StripeGateway, now: int) -> int:
    """The balance transactions of recently paid payouts that the ledger lacks; returns
    how many were stored. A payout Stripe refuses to list them for (not an automatic one
    after all) is skipped with a log line and asked again on a later sync."""
    stored = 0
    for payout_id in payouts_missing_transactions(now - LOOKBACK_SECONDS):
        try:
            stored += fetch_payout_transactions(gateway, payout_id, now)
        except GatewayError as exc:
            if exc.retryable or exc.status is None:
                raise
            log.warning("could not list the transactions of payout %s: %s", payout_id, exc)
    return stored
