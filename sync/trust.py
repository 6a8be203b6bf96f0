"""What the sync records so that anyone can trust the ledger, kept in the ledger like the
health record: the Stripe account it belongs to (recorded at the first sync) and the last
reconcile against Stripe (drift found and repaired). The console header, `payconsole
status` and the checks that refuse another account's key all read them from here."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.state import load_record, save_record

_ACCOUNT_KEY = "stripe_account"
_RECONCILE_KEY = "last_reconcile"


@dataclass(frozen=True)
class StripeAccount:
    """The account a ledger belongs to (`GET /v1/account`), and the key's mode."""

    id: str
    livemode: bool
    name: str | None = None  # business profile name, else settings' display name
    country: str | None = None
    default_currency: str | None = None

    @property
    def mode(self) -> str:
        return "live" if self.livemode else "test"

    @property
    def label(self) -> str:
        """ "Acme Ltd (acct_123, test)" """
        return f"{self.name} ({self.id}, {self.mode})" if self.name else f"{self.id} ({self.mode})"


@dataclass(frozen=True)
class ReconcileSummary:
    """The outcome of one reconcile: counts only (the full report goes to its caller)."""

    at: int  # unix seconds, when it finished
    since: int  # the window of `created` checked
    until: int
    checked: dict[str, int] = field(default_factory=dict)  # type -> objects compared
    missing: int = 0  # in Stripe, not in the ledger
    different: int = 0  # in both, some field differs
    extra: int = 0  # in the ledger, gone from Stripe
    repaired: int = 0

    @property
    def drift(self) -> int:
        return self.missing + self.different + self.extra


def load_account() -> StripeAccount | None:
    return load_record(_ACCOUNT_KEY, StripeAccount)


def save_account(account: StripeAccount) -> None:
    save_record(_ACCOUNT_KEY, account)


def load_last_reconcile() -> ReconcileSummary | None:
    return load_record(_RECONCILE_KEY, ReconcileSummary)


def save_last_reconcile(summary: ReconcileSummary) -> None:
    save_record(_RECONCILE_KEY, summary)
