"""One account per ledger: the first sync records the Stripe account and mode of its key;
from then on a key of another account or mode is refused before anything is written.

Every path that talks to Stripe and writes the ledger (the sync runs, webhook deliveries,
operator actions, reconcile) calls `check_account` first. The account is asked of Stripe
once per gateway (`StripeGateway.account`); the comparison reads the ledger's record each
time, so it costs nothing after the first call.
"""

from __future__ import annotations

from ledger.db import LedgerError, retry_locked
from ledger.models import database
from sync.gateway import GatewayError, StripeGateway
from sync.trust import StripeAccount, load_account, save_account


class AccountRefused(LedgerError):
    """The key cannot be used on this ledger; nothing was written. A LedgerError, so every
    command reports it in one line with exit code 2, like any ledger it cannot use."""


class OtherAccount(AccountRefused):
    def __init__(self, recorded: StripeAccount, presented: StripeAccount) -> None:
        super().__init__(f"this ledger belongs to {recorded.label}, but the key is of "
                         f"{presented.label}: refused, nothing written (use that account's "
                         "key, or another ledger: --ledger or a profile)")
        self.recorded = recorded
        self.presented = presented


class AccountUnreadable(AccountRefused):
    """Decided: a key that may not read its own account (a restricted key without that
    permission) is refused, since nothing else tells which account it belongs to."""


def check_account(gateway: StripeGateway) -> StripeAccount:
    """The gateway's account, once it is known to be the ledger's: recorded if the ledger
    has none yet (its first sync), else compared (id and mode). Raises AccountRefused, or
    GatewayError when Stripe cannot be asked (a network failure: the caller's to report)."""
    presented = _presented(gateway)
    recorded = load_account() or retry_locked(lambda: _record_first(presented))
    if (recorded.id, recorded.livemode) != (presented.id, presented.livemode):
        raise OtherAccount(recorded, presented)
    return recorded


def _presented(gateway: StripeGateway) -> StripeAccount:
    try:
        return gateway.account()
    except GatewayError as exc:
        if exc.status != 403:
            raise
        raise AccountUnreadable(
            f"this key may not read its Stripe account (GET /v1/account: {exc}); payconsole "
            "checks the account before it writes a ledger, so that one ledger never mixes two "
            "accounts: give the restricted key read access to the account, or use a secret "
            "key") from None


def _record_first(account: StripeAccount) -> StripeAccount:
    """Record `account` unless another process recorded one meanwhile; the recorded one."""
    with database.atomic():
        recorded = load_account()
        if recorded is None:
            save_account(account)
        return recorded or account
