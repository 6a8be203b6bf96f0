"""Action requests and approvals on a team ledger (see ledger/team.py).

An operator inserts a request (the database stamps who and when, and starts it pending);
the sync service moves it on: awaiting_approval -> approved (or rejected, expired) ->
running -> succeeded / failed, or refused with the reason. A status change is a guarded
UPDATE (`WHERE status IN ...`), so two services never run one request twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from peewee import fn

from ledger.dialect import dialect_of
from ledger.models import database
from ledger.models_team import ActionRequest, RequestApproval
from ledger.sql import execute

PENDING = "pending"
AWAITING_APPROVAL = "awaiting_approval"
APPROVED = "approved"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
REFUSED = "refused"
REJECTED = "rejected"
EXPIRED = "expired"
FINISHED = frozenset({SUCCEEDED, FAILED, REFUSED, REJECTED, EXPIRED})
# Requests whose amounts count against today's limit: done, or on their way to Stripe.
_COUNTED = (PENDING, APPROVED, RUNNING, SUCCEEDED)

APPROVE, REJECT = "approve", "reject"
COUNTED, IGNORED = "counted", "ignored"


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    action: str
    target: str
    call: Mapping[str, Any]
    seen: Mapping[str, Any]
    summary: str
    amount: int | None
    currency: str | None
    idempotency_key: str | None
    requested_by: str
    requested_at: int
    status: str
    status_at: int
    message: str | None
    object_id: str | None
    claimed_by: str | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@dataclass(frozen=True, slots=True)
class Approval:
    id: int
    request: int
    decision: str
    reason: str
    approver: str
    decided_at: int
    verdict: str | None
    verdict_message: str | None


def _request(row: ActionRequest) -> Request:
    return Request(row.id, row.action, row.target, json.loads(row.call), json.loads(row.seen),
                   row.summary, row.amount, row.currency, row.idempotency_key,
                   row.requested_by, row.requested_at, row.status, row.status_at, row.message,
                   row.object_id, row.claimed_by)


def _approval(row: RequestApproval) -> Approval:
    return Approval(row.id, row.request, row.decision, row.reason, row.approver,
                    row.decided_at, row.verdict, row.verdict_message)


# -- the operator's side: insert only (the database stamps the rest) --------------------

def insert_request(*, action: str, target: str, call: Mapping[str, Any],
                   seen: Mapping[str, Any], summary: str, amount: int | None,
                   currency: str | None, idempotency_key: str | None) -> int:
    return int(ActionRequest.insert(
        action=action, target=target, call=json.dumps(call, sort_keys=True),
        seen=json.dumps(seen, sort_keys=True), summary=summary, amount=amount,
        currency=currency, idempotency_key=idempotency_key).execute())


def insert_approval(request_id: int, decision: str, reason: str) -> int:
    return int(RequestApproval.insert(request=request_id, decision=decision,
                                      reason=reason).execute())


# -- reading ---------------------------------------------------------------------------

def request(request_id: int) -> Request | None:
    row = ActionRequest.get_or_none(ActionRequest.id == request_id)
    return None if row is None else _request(row)


def requests_in(statuses: Iterable[str], *, limit: int = 500) -> list[Request]:
    query = (ActionRequest.select().where(ActionRequest.status.in_(list(statuses)))
             .order_by(ActionRequest.id).limit(limit))
    return [_request(row) for row in query]


def recent_requests(limit: int = 200) -> list[Request]:
    query = ActionRequest.select().order_by(ActionRequest.id.desc()).limit(limit)
    return [_request(row) for row in query]


def approvals_of(request_id: int) -> list[Approval]:
    query = (RequestApproval.select().where(RequestApproval.request == request_id)
             .order_by(RequestApproval.id))
    return [_approval(row) for row in query]


def unjudged_approvals() -> list[Approval]:
    query = (RequestApproval.select().where(RequestApproval.verdict.is_null())
             .order_by(RequestApproval.id))
    return [_approval(row) for row in query]


def refunded_since(operator: str, currency: str, since: int, *,
                   actions: Iterable[str], excluding: int | None = None) -> int:
    """What `operator` refunded (or has on its way to Stripe) in `currency` since `since`."""
    query = ActionRequest.select(fn.COALESCE(fn.SUM(ActionRequest.amount), 0)).where(
        (ActionRequest.requested_by == operator) & (ActionRequest.currency == currency)
        & (ActionRequest.action.in_(list(actions))) & (ActionRequest.requested_at >= since)
        & (ActionRequest.status.in_(_COUNTED)))
    if excluding is not None:
        query = query.where(ActionRequest.id != excluding)
    return int(query.scalar() or 0)


# -- the service's side -----------------------------------------------------------------

_LOCK_SPACE = 730562  # the first key of the advisory locks below: one per request


@contextmanager
def working_on(request_id: int) -> Iterator[bool]:
    """Whether this process may work on the request now. On PostgreSQL a session advisory
    lock per request, held while a service works on it and released when it stops or its
    connection dies: a request another live service is running is left alone, one a dead
    service left is free. On SQLite (one process), always."""
    if not dialect_of(database).is_postgres:
        yield True
        return
    got = bool(execute(database, "SELECT pg_try_advisory_lock(CAST(? AS integer), "
                                 "CAST(? AS integer))", (_LOCK_SPACE, request_id)).fetchone()[0])
    try:
        yield got
    finally:
        if got:
            execute(database, "SELECT pg_advisory_unlock(CAST(? AS integer), "
                              "CAST(? AS integer))", (_LOCK_SPACE, request_id))


def approval(approval_id: int) -> Approval | None:
    row = RequestApproval.get_or_none(RequestApproval.id == approval_id)
    return None if row is None else _approval(row)


def move(request_id: int, *, to: str, when: Iterable[str], now: int,
         message: str | None = None, object_id: str | None = None,
         claimed_by: str | None = None) -> bool:
    """Change a request's status if it is still in one of `when`; False if another process
    moved it first."""
    values: dict[Any, Any] = {ActionRequest.status: to, ActionRequest.status_at: now,
                              ActionRequest.message: message}
    if object_id is not None:
        values[ActionRequest.object_id] = object_id
    if claimed_by is not None:
        values[ActionRequest.claimed_by] = claimed_by
    changed = ActionRequest.update(values).where(
        (ActionRequest.id == request_id) & (ActionRequest.status.in_(list(when)))).execute()
    return bool(changed)


def take_over(request_id: int, *, from_claimant: str | None, by: str) -> bool:
    """Claim a request left running by a service that is gone; False if another did."""
    claimant = (ActionRequest.claimed_by.is_null() if from_claimant is None
                else ActionRequest.claimed_by == from_claimant)
    changed = ActionRequest.update(claimed_by=by).where(
        (ActionRequest.id == request_id) & (ActionRequest.status == RUNNING)
        & claimant).execute()
    return bool(changed)


def set_amount(request_id: int, amount: int | None, currency: str | None) -> None:
    """The service's own figure replaces what the operator's client wrote."""
    ActionRequest.update(amount=amount, currency=currency).where(
        ActionRequest.id == request_id).execute()


def judge(approval_id: int, verdict: str, message: str | None = None) -> None:
    RequestApproval.update(verdict=verdict, verdict_message=message).where(
        RequestApproval.id == approval_id).execute()


# -- the console's Approvals pane and header ---------------------------------------------

def requests_by(operator: str, *, limit: int = 50) -> list[Request]:
    """`operator`'s own requests, newest first."""
    query = (ActionRequest.select().where(ActionRequest.requested_by == operator)
             .order_by(ActionRequest.id.desc()).limit(limit))
    return [_request(row) for row in query]


def count_in(statuses: Iterable[str]) -> int:
    return int(ActionRequest.select().where(
        ActionRequest.status.in_(list(statuses))).count())
