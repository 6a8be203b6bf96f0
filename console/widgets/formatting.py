"""How ledger values look on screen: times, ages, cards and statuses.

Times are shown in the operator's local time zone (the TZ of the process).
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from ledger.money import format_amount

STATUS_STYLES: dict[str, str] = {
    "succeeded": "green",
    "failed": "red",
    "requires_payment_method": "red",
    "requires_action": "yellow",
    "canceled": "dim",
}


def local_time(timestamp: int | None, *, seconds: bool = False) -> str:
    if timestamp is None:
        return ""
    pattern = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return datetime.fromtimestamp(timestamp).strftime(pattern)


def age(seconds: float) -> str:
    """A short age: "12s ago", "5m ago", "3h ago", "2d ago"."""
    whole = max(0, int(seconds))
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if whole >= size:
            return f"{whole // size}{unit} ago"
    return f"{whole}s ago"


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, ""))


def money_or_blank(minor: int, currency: str) -> str:
    """An amount when there is one (refunded amounts are mostly zero)."""
    return format_amount(minor, currency) if minor else ""


def evidence_state(has_evidence: bool, submission_count: int) -> str:
    """ "yes (2)" once submitted, "draft" when saved but not submitted, else "no"."""
    if submission_count:
        return f"yes ({submission_count})"
    return "draft" if has_evidence else "no"
