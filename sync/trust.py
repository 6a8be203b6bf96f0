"""What the sync records so that anyone can trust the ledger, kept in the ledger like the
health record: the Stripe account it belongs to (recorded at the first sync) and the last
reconcile against Stripe (drift found and repaired). The console header, `payconsole
status` and the checks that refuse another account's key all read them from here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ledger.state import get_state, set_state

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
    stored = get_state(_ACCOUNT_KEY)
    return None if stored is None else StripeAccount(**_known(StripeAccount, stored))


def save_account(account: StripeAccount) -> None:
    set_state(_ACCOUNT_KEY, asdict(account))


def load_last_reconcile() -> ReconcileSummary | None:
    stored = get_state(_RECONCILE_KEY)
    return None if stored is None else ReconcileSummary(**_known(ReconcileSummary, stored))


def save_last_reconcile(summary: ReconcileSummary) -> None:
    set_state(_RECONCILE_KEY, asdict(summary))


def _known(record: type, stored: dict[str, Any]) -> dict[str, Any]:
    """What a newer or older payconsole stored, less the fields this one does not know."""
    fields = record.__dataclass_fields__  # type: ignore[attr-defined]
    return {name: value for name, value in stored.items() if name in fields}
