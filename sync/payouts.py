"""A payout's balance transactions, fetched from Stripe (`GET /v1/balance_transactions
?payout=`): by the sync once the payout is paid, and by the payout detail when the ledger
does not have them yet."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ledger.db import retry_locked
from ledger.models import database
from ledger.payouts import store_payout_transactions

if TYPE_CHECKING:  # the console imports this module offline too: no SDK at import
    from sync.gateway import StripeGateway

BALANCE_TRANSACTIONS_PATH = "/v1/balance_transactions"


def fetch_payout_transactions(gateway: StripeGateway, payout_id: str,
                              as_of: int | None = None) -> int:
    """Every transaction Stripe lists under `payout_id`, stored; returns how many."""
    objects = [obj for page in gateway.pages(BALANCE_TRANSACTIONS_PATH, {"payout": payout_id})
               for obj in page]
    stamp = int(time.time()) if as_of is None else as_of

    def store() -> int:
        with database.atomic():
            return store_payout_transactions(database, payout_id, objects, stamp)

    return retry_locked(store)
