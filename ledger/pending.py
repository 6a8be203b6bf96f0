"""Operator actions in flight, so the same action never runs twice by accident.

An action is identified by a fingerprint of (operator, action, target, canonical params).
Its attempt number only grows when the operator explicitly repeats a completed action;
the idempotency key is derived from both, so a second key press, a retry after a timeout
or a rerun after a crash sends the same key, and Stripe answers with the first result.
The row is written (and committed) before the call to Stripe.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.audit import canonical_json
from ledger.models import PendingAction

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


@dataclass(frozen=True, slots=True)
class Attempt:
    attempt: int
    status: str
    object_id: str | None
    updated_at: int


def fingerprint(operator: str, action: str, target: str, params: Mapping[str, Any]) -> str:
    identity = canonical_json(
        {"operator": operator, "action": action, "target": target, "params": dict(params)}
    )
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def idempotency_key(action: str, fingerprint: str, attempt: int) -> str:
    """Readable in Stripe's request logs, well under Stripe's 255-character limit."""
    return f"payconsole-{action}-{fingerprint[:32]}-{attempt}"


def latest_attempt(fingerprint: str) -> Attempt | None:
    row = PendingAction.get_or_none(PendingAction.fingerprint == fingerprint)
    if row is None:
        return None
    return Attempt(row.attempt, row.status, row.object_id, row.updated_at)


def record_start(fingerprint: str, *, operator: str, action: str, target: str,
                 attempt: int, now: int) -> None:
    """Mark `attempt` in flight (committed at once when no transaction is open)."""
    PendingAction.insert(
        fingerprint=fingerprint, operator=operator, action=action, target=target,
        attempt=attempt, status=PENDING, object_id=None, updated_at=now,
    ).on_conflict(
        conflict_target=[PendingAction.fingerprint],
        update={PendingAction.attempt: attempt, PendingAction.status: PENDING,
                PendingAction.object_id: None, PendingAction.updated_at: now},
    ).execute()


def record_end(fingerprint: str, *, attempt: int, status: str, object_id: str | None,
               now: int) -> None:
    PendingAction.update(status=status, object_id=object_id, updated_at=now).where(
        (PendingAction.fingerprint == fingerprint) & (PendingAction.attempt == attempt)
    ).execute()
