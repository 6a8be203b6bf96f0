"""Dispute statuses, and what each means for on-call: the one owner of these groups.

Stripe's inquiries (`warning_*`) come before a chargeback: no funds are withdrawn yet, and a
full refund ends one with no dispute fee. `charge_refunded` is what older API versions sent
for a dispute whose charge was refunded; it is closed like the others.
"""

from __future__ import annotations

NEEDS_RESPONSE = ("needs_response", "warning_needs_response")
UNDER_REVIEW = ("under_review", "warning_under_review")
CLOSED = ("won", "lost", "prevented", "warning_closed", "charge_refunded")
STILL_OPEN = NEEDS_RESPONSE + UNDER_REVIEW
# Every status, in the order the Disputes pane's status filter offers them.
ALL = NEEDS_RESPONSE + UNDER_REVIEW + CLOSED
INQUIRY_PREFIX = "warning_"


def needs_response(status: str) -> bool:
    return status in NEEDS_RESPONSE


def is_closed(status: str) -> bool:
    """Closed for good: nothing more can be submitted or accepted (unknown ones included)."""
    return status not in STILL_OPEN


def is_inquiry(status: str) -> bool:
    return status.startswith(INQUIRY_PREFIX)


def tagged(status: str) -> str:
    """The status with inquiries tagged as such: `warning_needs_response` is shown as
    "inquiry needs_response" (as wide), a chargeback's status as it is."""
    return "inquiry " + status.removeprefix(INQUIRY_PREFIX) if is_inquiry(status) else status
