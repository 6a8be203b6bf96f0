"""Charges and PaymentIntents: current API shapes and the events localstripe does not send,
and manual capture as Stripe does it (capture_before on the card, the rest released, not
refunded; no capture after the hold lapses)."""

from __future__ import annotations

from typing import Any

from localstripe import resources
from localstripe.resources import Charge, PaymentIntent, PaymentMethod

from sync.emulator import disputes
from sync.emulator.apis import set_extra_api
from sync.emulator.clock import clock
from sync.emulator.errors import stripe_error
from sync.emulator.events import emit
from sync.emulator.params import as_int, choice
from sync.emulator.payment_methods import merge_billing_details

_APPROVED = {
    "type": "authorized",
    "network_status": "approved_by_network",
    "reason": None,
    "risk_level": "normal",
    "seller_message": "Payment complete.",
}
_DECLINED = {
    "type": "issuer_declined",
    "network_status": "declined_by_network",
    "reason": "generic_decline",
    "risk_level": "normal",
    "seller_message": "The bank did not return any further details with this decline.",
}
_PMD_CARD_FIELDS = ("brand", "last4", "exp_month", "exp_year", "country", "funding",
                    "fingerprint")
_CANCELLABLE = ("requires_payment_method", "requires_capture", "requires_confirmation",
                "requires_action", "processing")
_CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
CAPTURE_WINDOW = 7 * 86400  # Stripe: an online card authorization lasts 7 days


# --- Charge -------------------------------------------------------------------------------

def _payment_method_details(pm: Any) -> dict[str, Any]:
    """What the charge used, frozen at charge time like Stripe's (later edits do not show)."""
    if not (isinstance(pm, PaymentMethod) and pm.type == "card"):
        return {"type": getattr(pm, "type", "card")}
    card = {key: pm.card.get(key) for key in _PMD_CARD_FIELDS}
    card["network"] = card["brand"]
    card["checks"] = dict(pm.card.get("checks") or {})
    return {"type": "card", "card": card}


def _charge_init(original: Any) -> Any:
    def __init__(self: Any, **kwargs: Any) -> None:
        original(self, **kwargs)
        pm = PaymentMethod._api_retrieve(self.payment_method)
        self.payment_method_details = _payment_method_details(pm)
        if not self.captured and "card" in self.payment_method_details:
            self.payment_method_details["card"]["capture_before"] = self.created + CAPTURE_WINDOW
        self.billing_details = merge_billing_details(getattr(pm, "billing_details", None), {})
        self._refund_ids: list[str] = []  # localstripe scans the whole store for these
        self._dispute_id: str | None = None
        self._captured_amount: int | None = None  # set by a partial capture

    return __init__


def _amount_captured(self: Any) -> int:
    if not (self.captured and self.status == "succeeded"):
        return 0
    return self.amount if self._captured_amount is None else self._captured_amount


def _outcome(self: Any) -> dict[str, Any] | None:
    if self.status == "succeeded":
        return dict(_APPROVED)
    return dict(_DECLINED) if self.status == "failed" else None


def _refunds(self: Any) -> Any:
    refunds = resources.List("/v1/charges/" + self.id + "/refunds")
    refunds._list = [resources.store["refund:" + rid] for rid in self._refund_ids]
    return refunds


def _disputed(self: Any) -> bool:
    return self._dispute_id is not None


def _initialize_charge(original: Any) -> Any:
    def initialize(self: Any, on_success: Any = None, on_failure_now: Any = None,
                   on_failure_later: Any = None) -> None:
        def succeeded() -> None:
            emit("charge.succeeded", self)
            if on_success:
                on_success()
            disputes.open_for_test_card(self)

        original(self, succeeded, on_failure_now, on_failure_later)
        if self._authorized and not self.captured:  # authorized only: Stripe still says so
            emit("charge.succeeded", self)
            intent = resources.store.get("payment_intent:" + (self.payment_intent or ""))
            if intent is not None:  # Stripe's event for an intent now in requires_capture
                emit("payment_intent.amount_capturable_updated", intent)

    return initialize


def _set_auth_failure(original: Any) -> Any:
    def fail(self: Any) -> None:
        original(self)
        emit("charge.failed", self)

    return fail


def _capture(self: Any, amount: Any, on_success: Any = None) -> None:
    """localstripe's, without its Refund of the rest: since API 2025-03-31 Stripe releases
    the uncaptured amount (amount_refunded stays 0); and refused past capture_before."""
    value = self.amount if amount is None else as_int(amount, "amount_to_capture", minimum=1)
    if self.captured or self.status != "succeeded":
        raise stripe_error(400, f"This charge {self.id} has already been captured.",
                           code="charge_already_captured")
    if value > self.amount:
        raise stripe_error(400, f"The amount to capture ({value}) is more than the amount "
                           f"authorized ({self.amount}).", code="amount_too_large",
                           param="amount_to_capture")
    capture_before = (self.payment_method_details.get("card") or {}).get("capture_before")
    if capture_before is not None and clock.time() > capture_before:
        raise stripe_error(400, f"The charge {self.id} has expired for capture.",
                           code="charge_expired_for_capture")

    def captured() -> None:
        self.captured = True
        self._captured_amount = value
        emit("charge.captured", self)
        if on_success:
            on_success()

    self._trigger_payment(on_success=captured)


def _raise_failure(self: Any) -> None:
    intent = resources.store.get("payment_intent:" + (self.payment_intent or ""))
    raise stripe_error(
        402,
        self.failure_message,
        code=self.failure_code,
        type_="card_error",
        decline_code="generic_decline",
        charge=self.id,
        payment_intent=intent._export() if intent is not None else None,
    )


def _charge_api_update(original: Any) -> Any:
    def update(id: str, **data: Any) -> Any:
        charge = original(id, **data)
        emit("charge.updated", charge)
        return charge

    return update


# --- PaymentIntent ------------------------------------------------------------------------

def _pi_init(original: Any) -> Any:
    def __init__(self: Any, *, description: Any = None, **kwargs: Any) -> None:
        if description is not None and not isinstance(description, str):
            raise stripe_error(400, "Invalid string: description", param="description")
        original(self, **kwargs)
        self.description = description
        self.cancellation_reason = None
        self.canceled_at = None
        emit("payment_intent.created", self)

    return __init__


def _pi_export(original: Any) -> Any:
    def _export(self: Any, expand: Any = None) -> dict[str, Any]:
        obj = original(self, expand=expand)
        obj.pop("charges", None)  # removed from the API in 2022-11-15
        if not any(path.split(".")[0] == "latest_charge" for path in expand or []):
            obj["latest_charge"] = self.latest_charge.id if self.latest_charge else None
        return obj

    return _export


def _amount_received(self: Any) -> int:
    return self.latest_charge.amount_captured if self.latest_charge is not None else 0


def _amount_capturable(self: Any) -> int:
    return self.amount if self.status == "requires_capture" else 0


def _confirm(original: Any) -> Any:
    def confirm(self: Any, on_failure_now: Any) -> None:
        original(self, on_failure_now)
        if self.next_action:
            emit("payment_intent.requires_action", self)

    return confirm


def _pi_api_cancel(original: Any) -> Any:
    def cancel(id: str, cancellation_reason: Any = None, **kwargs: Any) -> Any:
        if cancellation_reason is not None:
            choice(cancellation_reason, "cancellation_reason", _CANCELLATION_REASONS)
        status = PaymentIntent._api_retrieve(id).status
        if status not in _CANCELLABLE:
            raise stripe_error(
                400,
                f"You cannot cancel this PaymentIntent because it has a status of {status}. "
                f"Only a PaymentIntent with one of the following statuses may be canceled: "
                f"{', '.join(_CANCELLABLE)}.",
                code="payment_intent_unexpected_state",
            )
        intent = original(id, **kwargs)
        intent.cancellation_reason = cancellation_reason
        intent.canceled_at = int(clock.time())
        emit("payment_intent.canceled", intent)
        return intent

    return cancel


def install() -> None:
    Charge.__init__ = _charge_init(Charge.__init__)
    Charge.amount_captured = property(_amount_captured)
    Charge.outcome = property(_outcome)
    Charge.refunds = property(_refunds)
    Charge.disputed = property(_disputed)
    Charge._initialize_charge = _initialize_charge(Charge._initialize_charge)
    Charge._set_auth_failure = _set_auth_failure(Charge._set_auth_failure)
    Charge._capture = _capture
    Charge._raise_failure = _raise_failure
    Charge._api_update = staticmethod(_charge_api_update(Charge._api_update))

    PaymentIntent.__init__ = _pi_init(PaymentIntent.__init__)
    PaymentIntent._export = _pi_export(PaymentIntent._export)
    PaymentIntent.amount_received = property(_amount_received)
    PaymentIntent.amount_capturable = property(_amount_capturable)
    PaymentIntent._confirm = _confirm(PaymentIntent._confirm)
    cancel = _pi_api_cancel(PaymentIntent._api_cancel)
    PaymentIntent._api_cancel = staticmethod(cancel)
    set_extra_api("POST", "/v1/payment_intents/{id}/cancel", cancel)
