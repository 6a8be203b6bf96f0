"""What Stripe's answer to an action means: the result to show, the refusal to word, and
which other objects the write changed (to re-read them into the ledger)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.gateway import GatewayError
from sync.plans import ActionPlan, ActionResult

# What "this key may not ..." says for each action (a restricted key lacking the right).
_VERBS = {
    "refund": "create refunds",
    "charge": "create payments",
    "method.update": "update payment methods",
    "method.set_default": "update customers",
    "method.detach": "detach payment methods",
    "dispute.evidence": "update disputes",
    "dispute.accept": "close disputes",
    "capture": "capture payments",
    "cancel": "cancel payments",
    "efw.refund": "create refunds",
}
_KINDS = {"pi_": "payment_intent", "ch_": "charge", "cus_": "customer", "pm_": "payment_method",
          "dp_": "dispute", "re_": "refund",
          "issfr_": "radar.early_fraud_warning"}
# Fields of an object that name other objects an action on it changes.
_RELATED = {"payment_intent": ("latest_charge",), "refund": ("charge", "payment_intent"),
            "payment_method": ("customer",), "dispute": ("charge",),
            "radar.early_fraud_warning": ("payment_intent", "charge")}


def kind_of(object_id: str) -> str | None:
    """The Stripe object type an id names, by its prefix; None for one actions never touch."""
    return next((kind for prefix, kind in _KINDS.items() if object_id.startswith(prefix)), None)


def related_ids(obj: Mapping[str, Any]) -> list[str]:
    ids = []
    for name in _RELATED.get(obj.get("object", ""), ()):
        value = obj.get(name)
        value = value.get("id") if isinstance(value, dict) else value
        if isinstance(value, str):
            ids.append(value)
    return ids


def refusal_message(action: str, exc: GatewayError) -> str:
    if exc.status in (401, 403):
        return f"this key may not {_VERBS[action]}: {str(exc).removeprefix('Stripe said: ')}"
    return str(exc)


def result_of(plan: ActionPlan, obj: Mapping[str, Any], declined: GatewayError | None
              ) -> ActionResult:
    """The outcome of a write Stripe answered with `obj` (`declined`: the card error of a
    declined charge, whose PaymentIntent is the answer)."""
    object_id, status = obj.get("id"), obj.get("status")

    def outcome(ok: bool, message: str, **details: str | None) -> ActionResult:
        return ActionResult(action=plan.action, target=plan.target, object_id=object_id,
                            status=status, idempotency_key=plan.idempotency_key, ok=ok,
                            message=message, **details)

    if declined is not None:
        error = obj.get("last_payment_error") or {}
        decline_code = error.get("decline_code") or declined.error.get("decline_code")
        code = error.get("code") or declined.code
        detail = ", ".join(part for part in (code, decline_code) if part)
        message = error.get("message") or str(declined).removeprefix("Stripe said: ")
        return outcome(False, f"{object_id} declined: {message} ({detail})",
                       request_id=declined.request_id, failure_code=code,
                       decline_code=decline_code)
    if status == "requires_action":
        return outcome(False, f"{object_id} requires_action: the customer must authenticate "
                       "(3-D Secure) before the payment completes; nothing was charged yet")
    if status == "canceled" and plan.action == "cancel":
        return outcome(True, f"{object_id} canceled: the authorization is released")
    if status in ("failed", "canceled"):
        reason = obj.get("failure_reason") or obj.get("cancellation_reason")
        because = f" ({reason})" if reason else ""
        return outcome(False, f"{object_id} {status}{because}")
    return outcome(True, f"{object_id} {status or 'updated'}")
