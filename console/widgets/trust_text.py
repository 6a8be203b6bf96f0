"""The texts of what makes the ledger trustworthy: the account it belongs to, the last
reconcile's drift, and the webhook receiver's live stats. Pure functions of the records
and "now", shared by the header and the Events pane."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.widgets.formatting import age, local_time
from sync.trust import ReconcileSummary, StripeAccount

if TYPE_CHECKING:  # aiohttp is loaded only when a receiver runs
    from sync.webhook import WebhookStats

NO_RECONCILE = "reconcile: never"


def account_text(account: StripeAccount | None) -> str:
    """ "acct_123 Acme (test)"; nothing before the first sync recorded the account."""
    if account is None:
        return ""
    name = f" {account.name}" if account.name else ""
    return f"{account.id}{name} ({account.mode})"


def unrepaired(summary: ReconcileSummary | None) -> bool:
    """Whether the last reconcile left drift in the ledger (shown as a warning)."""
    return summary is not None and summary.drift > summary.repaired


def drift_counts(summary: ReconcileSummary) -> str:
    """ "none", "3 repaired" (all of it), or "5 found, 2 repaired"."""
    if summary.drift == 0:
        return "none"
    if not unrepaired(summary):
        return f"{summary.repaired:,} repaired"
    return f"{summary.drift:,} found, {summary.repaired:,} repaired"


def drift_text(summary: ReconcileSummary | None, now: float) -> str:
    """The header's drift line: "drift: 3 repaired 12m ago", or "reconcile: never"."""
    if summary is None:
        return NO_RECONCILE
    return f"drift: {drift_counts(summary)} {age(now - summary.at)}"


def receiver_text(stats: WebhookStats, now: float) -> str:
    """ "webhook 127.0.0.1:8787 · last event 5s ago · 2 rejected" """
    if stats.address is None:
        return "webhook: not listening"
    last = ("no event yet" if stats.last_event_at is None
            else f"last event {age(now - stats.last_event_at)}")
    return f"webhook {stats.address} · {last} · {stats.rejected:,} rejected"


def reconcile_report(summary: ReconcileSummary | None) -> str:
    """The Events pane's two lines on the last reconcile: when and over which window; what
    it found and repaired, and how many objects of each type it compared."""
    if summary is None:
        return "No reconcile yet: the ledger has not been compared with Stripe"
    checked = ", ".join(f"{kind} {count:,}" for kind, count in summary.checked.items())
    return (f"Last reconcile {local_time(summary.at, seconds=True)}, window "
            f"{local_time(summary.since)} to {local_time(summary.until)}\n"
            f"{summary.missing:,} missing, {summary.different:,} different, "
            f"{summary.extra:,} extra, {summary.repaired:,} repaired · "
            f"checked {checked or 'nothing'}")
