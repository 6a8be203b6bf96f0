"""An operator's actions on a team ledger: planned here as everywhere, carried out by the
team's sync service, which alone holds the Stripe key.

`execute(plan)` checks what it can before anything exists (role, today's refund limit),
inserts the request (the database records who asked) and waits up to `wait_seconds` for
the service's outcome: an ActionResult, ActionRefused / ActionFailed as for a direct action,
or ActionWaiting with the request id while it waits for an approval or for the service.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ledger import requests, team
from ledger.audit import NewEntry
from ledger.requests import Request
from ledger.team import Operator
from sync import action_rules as rules
from sync import team_rules
from sync.action_desk import ActionDesk
from sync.plans import ActionFailed, ActionPlan, ActionRefused, ActionResult, ActionWaiting

POLL_SECONDS = 0.1


@dataclass(eq=False)
class RequestedActions(ActionDesk):
    """`operator` is this connection's database role (current_user), not a config value."""

    wait_seconds: float = 60.0

    def member(self) -> Operator | None:
        return team.operator(self.operator)

    def refusal(self) -> str | None:
        if self.read_only:
            return "this console is read-only ([console] read_only = true)"
        if self.member() is None:
            return team_rules.not_an_operator(self.operator)
        return None

    def refusal_for(self, action: str) -> str | None:
        if self.read_only:
            return self.refusal()
        return team_rules.role_refusal(self.member(), self.operator, action)  # one look-up

    def refresh(self, object_id: str) -> bool:
        return True  # the service keeps the ledger current; this side never calls Stripe

    def _audit(self, entry: NewEntry) -> None:
        """The team's audit log is the service's to write: a refusal here sent nothing and
        created no request, and the operator sees why on their screen."""

    def execute(self, plan: ActionPlan, *, typed_confirmation: str | None = None
                ) -> ActionResult:
        reason = self.refusal_for(plan.action)
        if reason:
            raise ActionRefused(reason)
        rules.check_typed_confirmation(plan, typed_confirmation)
        rules.check_still_current(plan)
        member = self.member()
        assert member is not None and plan.call is not None  # refusal_for; plan_* record it
        if plan.call.kwargs.get("files"):
            raise ActionRefused("evidence files cannot travel in a request: the service "
                                "cannot read this machine's files; attach them from the "
                                "service's host, or submit the text fields here")
        over = team_rules.limit_refusal(member, plan, int(self.clock()))
        if over:
            raise ActionRefused(over)
        amount, currency = team_rules.money_of(plan)
        request_id = requests.insert_request(
            action=plan.action, target=plan.target,
            call={"method": plan.call.method, "args": list(plan.call.args),
                  "kwargs": plan.call.kwargs},
            seen=team_rules.plan_view(plan), summary=plan.summary, amount=amount,
            currency=currency, idempotency_key=plan.idempotency_key)
        return self.wait_for(request_id)

    def wait_for(self, request_id: int, seconds: float | None = None) -> ActionResult:
        """The request's outcome once the service has it, within `seconds`."""
        return outcome_of(wait_for_request(
            request_id, self.wait_seconds if seconds is None else seconds))


def wait_for_request(request_id: int, seconds: float, *,
                     until: frozenset[str] = requests.FINISHED) -> Request:
    """The request once it is finished (or in one of `until`), or as it is after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        found = requests.request(request_id)
        if found is None:
            raise ActionRefused(f"there is no request {request_id}")
        if found.status in until or time.monotonic() >= deadline:
            return found
        time.sleep(POLL_SECONDS)


def outcome_of(request: Request) -> ActionResult:
    """A finished request as a direct action would end; ActionWaiting if not finished."""
    label = f"request {request.id} ({request.action} {request.target})"
    if request.status == requests.SUCCEEDED or (
            request.status == requests.FAILED and request.object_id):
        return ActionResult(action=request.action, target=request.target,
                            ok=request.status == requests.SUCCEEDED,
                            object_id=request.object_id, status=request.status,
                            message=request.message or f"{label} {request.status}",
                            idempotency_key=request.idempotency_key or "")
    if request.status == requests.FAILED:
        raise ActionFailed(f"{label} failed: {request.message}")
    if request.finished:
        raise ActionRefused(f"{label} {request.status}: {request.message}")
    raise ActionWaiting(waiting_message(request), request_id=request.id)


def waiting_message(request: Request) -> str:
    label = f"request {request.id} ({request.action} {request.target})"
    if request.status == requests.AWAITING_APPROVAL:
        return f"{label} waits for another operator's approval: {request.message}"
    seen = team.settings().service_seen_at
    since = f"last seen {rules.when(seen)}" if seen else "never seen on this ledger"
    return f"{label} waits for the team's sync service ({since})"
