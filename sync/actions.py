"""Operator actions on Stripe, for the CLI and the console dialogs alike.

Every action is two steps. `plan_*` (sync/action_desk.py) validates against the ledger and
sends nothing: it returns a plan to show for confirmation, or raises `ActionRefused`.
`execute(plan)` sends the one write the plan stands for, with an idempotency key derived
from the action, then stores what Stripe answered, so the panes show the outcome at once
(the events that follow reach the ledger through the normal sync). Every attempt, refusal
and outcome is appended to the audit log.

One path runs every action: the pending attempt is recorded (committed) before the call,
so a second key press, a retry after a timeout, or a rerun after a crash resends the same
key and Stripe answers with the first result instead of doing it twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledger import pending
from ledger.models import database
from sync import action_reads as reads
from sync import action_rules as rules
from sync import evidence_uploads
from sync.account import AccountRefused, check_account
from sync.action_answers import refusal_message, related_ids, result_of
from sync.action_desk import ActionDesk
from sync.apply import apply_objects
from sync.gateway import GatewayError, StripeGateway
from sync.plans import ActionFailed, ActionPlan, ActionRefused, ActionResult
from sync.plans_evidence import EvidencePlan


@dataclass(eq=False, init=False)  # one per console or CLI run: compared by identity
class Actions(ActionDesk):
    """Operator actions sent to Stripe by this process, under its key."""

    gateway: StripeGateway

    def __init__(self, gateway: StripeGateway, operator: str, *, read_only: bool = False,
                 live: bool = False, allow_live_actions: bool = False,
                 clock: Callable[[], float] = time.time, request_id: int | None = None
                 ) -> None:
        super().__init__(operator, read_only=read_only, live=live,
                         allow_live_actions=allow_live_actions, clock=clock,
                         request_id=request_id)
        self.gateway = gateway

    @property
    def stripe_gateway(self) -> StripeGateway:
        return self.gateway

    def _check_account(self) -> None:
        """Before an action sends or stores anything (its audit entry included): the key
        must be of the ledger's account. Unneeded when the action is refused anyway."""
        if self.refusal() is not None:
            return
        try:
            check_account(self.gateway)
        except AccountRefused as exc:
            raise ActionRefused(str(exc)) from None
        except GatewayError as exc:
            raise ActionFailed(f"cannot check the Stripe account of this key: {exc}",
                               code=exc.code, request_id=exc.request_id) from None

    # -- the one execution path --------------------------------------------------------

    def execute(self, plan: ActionPlan, *, typed_confirmation: str | None = None
                ) -> ActionResult:
        """Send the plan's write to Stripe and store the outcome.

        Raises ActionRefused (nothing sent) or ActionFailed (Stripe refused, or its answer
        was lost). A declined charge is a result (`ok=False`), stored as a failed payment.
        """
        key = plan.idempotency_key
        with self._refusals_audited(plan.action, plan.target, plan.audit_params(), key):
            rules.check_typed_confirmation(plan, typed_confirmation)
            rules.check_still_current(plan)
        self._check_account()  # before the attempt is recorded: nothing written if refused
        pending.record_start(plan.fingerprint, operator=self.operator, action=plan.action,
                             target=plan.target, attempt=plan.attempt, now=self._now())
        self._audit_plan(plan, "attempted")
        try:
            if isinstance(plan, EvidencePlan):  # its files go to the Files API first
                plan = evidence_uploads.with_uploads(self.gateway, plan, now=self._now())
            obj, declined = self._send(plan)
        except GatewayError as exc:
            raise self._failure(plan, exc) from None
        self._store([obj, *reads.reread(self.gateway, [*related_ids(obj), *plan.also_refresh()])])
        result = result_of(plan, obj, declined)
        pending.record_end(plan.fingerprint, attempt=plan.attempt, object_id=result.object_id,
                           status=pending.FAILED if declined else pending.SUCCEEDED,
                           now=self._now())
        self._audit_plan(plan, "failed" if declined else "succeeded",
                         object_id=result.object_id, object_status=result.status,
                         request_id=result.request_id,
                         error=None if result.ok else result.message)
        return result

    def _send(self, plan: ActionPlan) -> tuple[dict[str, Any], GatewayError | None]:
        """Stripe's answer: the object, and the card error when a charge was declined (the
        declined PaymentIntent is still an outcome to store)."""
        request = plan.request()
        try:
            return self.gateway.post(request.path, request.params,
                                     idempotency_key=plan.idempotency_key), None
        except GatewayError as exc:
            intent = exc.error.get("payment_intent")
            if not isinstance(intent, dict):
                raise
            return intent, exc

    def _failure(self, plan: ActionPlan, exc: GatewayError) -> ActionFailed:
        """Audit a call that got no object back; keep the attempt open if the outcome is
        unknown, so that running the action again reuses its key."""
        unknown = exc.retryable or exc.status is None or exc.status == 409
        if unknown:
            message = (f"{exc}; Stripe's answer was not received, so running the same action "
                       "again is safe: it reuses the idempotency key")
        else:
            message = refusal_message(plan.action, exc)
            pending.record_end(plan.fingerprint, attempt=plan.attempt, status=pending.FAILED,
                               object_id=None, now=self._now())
            # A refusal often means the ledger was stale (say, refunded elsewhere): re-read.
            self._store(reads.reread(self.gateway, [plan.target], follow=True))
        self._audit_plan(plan, "failed", request_id=exc.request_id, error=message)
        return ActionFailed(message, code=exc.code, request_id=exc.request_id,
                            outcome_unknown=unknown)

    # -- reading back from Stripe ------------------------------------------------------

    def refresh(self, object_id: str) -> bool:
        """Re-read one object, and those hanging off it, from Stripe into the ledger (the
        CLI does before planning). False when Stripe does not know it."""
        self._check_account()
        try:
            objects = reads.fetch_with_methods(self.gateway, object_id)
        except GatewayError as exc:
            raise ActionFailed(f"cannot read {object_id}: {exc}", code=exc.code,
                               request_id=exc.request_id) from None
        self._store(objects)
        return bool(objects)

    def _store(self, objects: list[dict[str, Any]]) -> None:
        with database.atomic():
            apply_objects(database, objects, int(self.clock()))

