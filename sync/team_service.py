"""The sync service's half of team mode: it runs the requests operators insert.

Each pass expires what waited too long, judges new approvals, admits new requests (plans
them again as the requester, checks role and limits, decides whether they wait for an
approval) and runs what is admitted or approved through the one action path
(`Actions.execute`: idempotency key, audit entry, outcome stored). Every status change is a
guarded UPDATE, so of two services only one runs a request. A request left running by a
service that died is taken over and run again with the same idempotency key: Stripe answers
with the first result, nothing happens twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ledger import audit, requests, team
from ledger.audit import NewEntry
from ledger.requests import Approval, Request
from ledger.team import TeamError, TeamSettings
from sync import team_operators, team_rules
from sync.action_desk import REPLAYABLE
from sync.actions import Actions
from sync.plans import ActionFailed, ActionPlan, ActionRefused

log = logging.getLogger(__name__)

ActionsFor = Callable[[str, int], Actions]  # (requester, request id) -> actions as them


@dataclass
class RequestRunner:
    actions_for: ActionsFor
    settings: TeamSettings
    identity: str  # host:pid, recorded on the requests this process runs
    clock: Callable[[], float] = field(default=time.time, repr=False)

    def run_once(self) -> int:
        """One pass over the requests; returns how many moved. Each request is worked on
        under its lock (requests.working_on), so two services never work on one at once."""
        now = int(self.clock())
        moved = self._expire(now)
        for listed in requests.unjudged_approvals():
            with requests.working_on(listed.request) as mine:
                approval = requests.approval(listed.id) if mine else None
                if approval is not None and approval.verdict is None:  # still, now it is ours
                    moved += self._judge(approval, now)
        moved += self._each(requests.RUNNING, self._resume)  # left by a service that died
        moved += self._each(requests.PENDING, lambda req: self._admit(req, now))
        moved += self._each(requests.APPROVED, lambda req: self._run(req, requests.APPROVED))
        team.publish_settings(replace(self.settings, service_seen_at=now))
        return moved

    @staticmethod
    def _each(status: str, step: Callable[[Request], int]) -> int:
        moved = 0
        for listed in requests.requests_in([status]):
            with requests.working_on(listed.id) as mine:
                req = requests.request(listed.id) if mine else None
                if req is not None and req.status == status:  # still, now that it is ours
                    moved += step(req)
        return moved

    # -- the steps ---------------------------------------------------------------------

    def _expire(self, now: int) -> int:
        limit = int(self.settings.approval_hours * 3600)
        moved = 0
        for req in requests.requests_in([requests.AWAITING_APPROVAL]):
            if now - req.requested_at >= limit and requests.move(
                    req.id, to=requests.EXPIRED, when=[requests.AWAITING_APPROVAL], now=now,
                    message=f"no approval within {self.settings.approval_hours:g} h"):
                self._audit("service", req, "expired")
                moved += 1
        return moved

    def _judge(self, approval: Approval, now: int) -> int:
        req = requests.request(approval.request)
        problem = self._approval_problem(approval, req)
        if problem or req is None:
            requests.judge(approval.id, requests.IGNORED, problem)
            return 1
        requests.judge(approval.id, requests.COUNTED)
        approved = approval.decision == requests.APPROVE
        self._audit(approval.approver, req, "approved" if approved else "rejected",
                    reason=approval.reason)
        by = f"{'approved' if approved else 'rejected'} by {approval.approver}"
        requests.move(req.id, to=requests.APPROVED if approved else requests.REJECTED,
                      when=[requests.AWAITING_APPROVAL], now=now,
                      message=f"{by}: {approval.reason}" if approval.reason else by)
        return 1

    @staticmethod
    def _approval_problem(approval: Approval, req: Request | None) -> str | None:
        if approval.decision not in (requests.APPROVE, requests.REJECT):
            return f"unknown decision {approval.decision!r}"
        return team_rules.approval_problem(approval.approver, req)

    def _admit(self, req: Request, now: int) -> int:
        self._audit(req.requested_by, req, "requested", summary=req.summary)
        if req.action == team.MANAGE_OPERATORS:
            return self._manage(req, now)
        actions = self.actions_for(req.requested_by, req.id)
        plan = self._replan(req, actions, when=[requests.PENDING])
        if plan is None:
            return 1
        member = team.operator(req.requested_by)
        refusal = (team_rules.role_refusal(member, req.requested_by, plan.action)
                   or self._changed(req, plan))
        if member is not None and refusal is None:
            refusal = team_rules.limit_refusal(member, plan, now, excluding=req.id)
        if refusal or member is None:
            return self._refuse(req, refusal or "", [requests.PENDING])
        requests.set_amount(req.id, *team_rules.money_of(plan))
        reason = team_rules.approval_reason(member, plan, self.settings)
        if reason:
            requests.move(req.id, to=requests.AWAITING_APPROVAL, when=[requests.PENDING],
                          now=now, message=reason)
            return 1
        return self._run(req, requests.PENDING)

    def _manage(self, req: Request, now: int) -> int:
        """An admin's change to the operators: done at once (no Stripe call, no approval)."""
        try:
            done = team_operators.apply_change(req.requested_by, req.call.get("kwargs", {}),
                                               now=now)
        except TeamError as exc:
            return self._refuse(req, str(exc), [requests.PENDING])
        self._audit(req.requested_by, req, "succeeded", change=done)
        return self._finish(req, requests.SUCCEEDED, done, when=[requests.PENDING])

    def _run(self, req: Request, status: str) -> int:
        if not requests.move(req.id, to=requests.RUNNING, when=[status],
                             now=int(self.clock()), claimed_by=self.identity):
            return 0  # another service took it
        return self._execute(req, resumed=False)

    def _resume(self, req: Request) -> int:
        """Running, yet nobody holds its lock: the service that ran it stopped mid-way."""
        if not requests.take_over(req.id, from_claimant=req.claimed_by, by=self.identity):
            return 0
        log.info("request %s was left running by %s: resuming it", req.id, req.claimed_by)
        return self._execute(req, resumed=True)

    def _execute(self, req: Request, *, resumed: bool) -> int:
        """Run a request this process has claimed (status running)."""
        running = [requests.RUNNING]
        actions = self.actions_for(req.requested_by, req.id)
        plan = self._replan(req, actions, when=running, resumed=resumed)
        if plan is None:
            return 1
        member = team.operator(req.requested_by)
        refusal = team_rules.role_refusal(member, req.requested_by, plan.action)
        if refusal is None and not resumed:  # a resumed one was checked before it started
            refusal = self._changed(req, plan)
        if refusal is None and member is not None and not resumed:
            refusal = team_rules.limit_refusal(member, plan, int(self.clock()),
                                               excluding=req.id)
        if refusal:
            return self._refuse(req, refusal, running)
        try:
            result = actions.execute(plan, typed_confirmation=plan.confirmation_text)
        except ActionRefused as exc:  # audited by execute
            return self._finish(req, requests.REFUSED, str(exc))
        except ActionFailed as exc:
            if exc.outcome_unknown:  # the next pass sends it again, with the same key
                requests.move(req.id, to=requests.APPROVED, when=running,
                              now=int(self.clock()), message=str(exc))
                return 1
            return self._finish(req, requests.FAILED, str(exc))
        return self._finish(req, requests.SUCCEEDED if result.ok else requests.FAILED,
                            result.message, result.object_id)

    # -- helpers -----------------------------------------------------------------------

    def _replan(self, req: Request, actions: Actions, *, when: Iterable[str],
                resumed: bool = False) -> ActionPlan | None:
        """The request's plan made again by the service, or None when refused (recorded)."""
        method, args, kwargs = _call_of(req.call)
        if method not in REPLAYABLE:
            self._refuse(req, f"malformed request: {method!r} is not an action", when)
            return None
        try:
            plan: ActionPlan = getattr(actions, method)(*args, **kwargs)
        except ActionRefused as exc:  # audited by plan_*
            if resumed and exc.repeatable:  # it succeeded before the last service stopped
                self._finish(req, requests.SUCCEEDED, f"done before a restart: {exc}")
            else:
                self._finish(req, requests.REFUSED, str(exc), when=when)
            return None
        except (TypeError, ValueError) as exc:
            self._refuse(req, f"malformed request: {exc}", when)
            return None
        if (plan.action, plan.target) != (req.action, req.target):
            self._refuse(req, "malformed request: its call is not its action", when)
            return None
        return plan

    @staticmethod
    def _changed(req: Request, plan: ActionPlan) -> str | None:
        found = team_rules.changes(req.seen, team_rules.plan_view(plan))
        if not found:
            return None
        return f"{req.target} changed since it was requested ({'; '.join(found)})"

    def _refuse(self, req: Request, message: str, when: Iterable[str]) -> int:
        self._audit(req.requested_by, req, "refused", error=message)
        return self._finish(req, requests.REFUSED, message, when=when)

    def _finish(self, req: Request, status: str, message: str, object_id: str | None = None,
                *, when: Iterable[str] = (requests.RUNNING,)) -> int:
        requests.move(req.id, to=status, when=when, now=int(self.clock()), message=message,
                      object_id=object_id)
        return 1

    def _audit(self, operator: str, req: Request, result: str, *, error: str | None = None,
               **params: Any) -> None:
        audit.append(NewEntry(operator=operator, action=req.action, target=req.target,
                              result=result, params={"request": req.id, **params},
                              error=error), now=self.clock())


def _call_of(call: Mapping[str, Any]) -> tuple[str, list[Any], dict[str, Any]]:
    method, args, kwargs = call.get("method"), call.get("args", []), call.get("kwargs", {})
    if not isinstance(method, str) or not isinstance(args, list) or not isinstance(kwargs, dict):
        return "", [], {}
    return method, args, kwargs
