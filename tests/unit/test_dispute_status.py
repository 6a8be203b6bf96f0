"""Every dispute status Stripe sends falls in exactly one group."""

from __future__ import annotations

from ledger import dispute_status

STRIPE_STATUSES = ("warning_needs_response", "warning_under_review", "warning_closed",
                   "needs_response", "under_review", "won", "lost", "prevented")


def test_every_stripe_status_is_in_exactly_one_group() -> None:
    groups = (dispute_status.NEEDS_RESPONSE, dispute_status.UNDER_REVIEW, dispute_status.CLOSED)
    for status in STRIPE_STATUSES:
        assert sum(status in group for group in groups) == 1, status
    assert set(STRIPE_STATUSES) <= set(dispute_status.ALL)


def test_groups_answer_the_pane_questions() -> None:
    assert dispute_status.needs_response("warning_needs_response")
    assert not dispute_status.needs_response("under_review")
    assert dispute_status.is_closed("prevented") and dispute_status.is_closed("warning_closed")
    assert not dispute_status.is_closed("warning_under_review")
    assert dispute_status.is_inquiry("warning_closed") and not dispute_status.is_inquiry("won")
