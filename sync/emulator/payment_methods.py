"""PaymentMethods: real card brands and lengths, in-place expiry updates, events, detach rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from localstripe import resources
from localstripe.resources import PaymentMethod

from sync.emulator.apis import set_extra_api
from sync.emulator.cards import card_details
from sync.emulator.clock import clock
from sync.emulator.errors import stripe_error, unknown_parameters
from sync.emulator.events import emit
from sync.emulator.params import as_int, merge_metadata

_ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
_BILLING_FIELDS = ("email", "name", "phone", "tax_id")
_CARD_FIELDS = {"number", "exp_month", "exp_year", "cvc"}


def blank_billing_details() -> dict[str, Any]:
    details: dict[str, Any] = dict.fromkeys(_BILLING_FIELDS)
    details["address"] = dict.fromkeys(_ADDRESS_FIELDS)
    return details


def merge_billing_details(current: dict[str, Any] | None, update: Any) -> dict[str, Any]:
    """A new dict (events keep the old one): known fields merged, "" unsets a field."""
    if not isinstance(update, dict):
        raise stripe_error(400, "Invalid object", param="billing_details")
    merged = blank_billing_details()
    for key, value in (current or {}).items():
        merged[key] = dict(value) if isinstance(value, dict) else value
    for key, value in update.items():
        if key == "address" and isinstance(value, dict):
            for field, text in value.items():
                if field not in _ADDRESS_FIELDS:
                    raise unknown_parameters({f"billing_details[address][{field}]": text})
                merged["address"][field] = text or None
        elif key in _BILLING_FIELDS:
            merged[key] = value or None
        else:
            raise unknown_parameters({f"billing_details[{key}]": value})
    return merged


def _card_number(card: Any) -> str:
    number = str(card.get("number", "")).replace(" ", "") if isinstance(card, dict) else ""
    if not (number.isdigit() and 14 <= len(number) <= 16):
        raise stripe_error(
            402,
            "Your card number is incorrect.",
            code="incorrect_number",
            type_="card_error",
            param="card[number]",
        )
    return number


def _pm_init(original: Any) -> Any:
    def __init__(self: Any, type: Any = None, billing_details: Any = None, card: Any = None,
                 **kwargs: Any) -> None:
        number = ""
        if type == "card":
            number = _card_number(card)
            if not set(card) <= _CARD_FIELDS:
                raise unknown_parameters({f"card[{k}]": v for k, v in card.items()
                                          if k not in _CARD_FIELDS})
            # localstripe insists on 16 digits and a 3-digit cvc (Amex has 15 and 4): pass it a
            # stand-in, then put the real number back. The cvc is never stored.
            card = {"number": number.rjust(16, "0"), "exp_month": card.get("exp_month"),
                    "exp_year": card.get("exp_year"), "cvc": "000"}
        details = merge_billing_details(None, billing_details or {})
        original(self, type=type, card=card, **kwargs)
        self.billing_details = details
        if type == "card":
            self._card_number = number
            self.card.update(card_details(number, cvc_given=True))
            self.card["fingerprint"] = resources.fingerprint(number)

    return __init__


def _expiry_update(card: Any, current: dict[str, Any]) -> dict[str, Any]:
    """Only the expiry is updatable; past dates are refused like Stripe's card errors."""
    if not isinstance(card, dict) or not set(card) <= {"exp_month", "exp_year"}:
        raise stripe_error(400, "Only card[exp_month] and card[exp_year] can be updated",
                           param="card")
    month = as_int(card.get("exp_month", current["exp_month"]), "card[exp_month]")
    year = as_int(card.get("exp_year", current["exp_year"]), "card[exp_year]")
    year = year + 2000 if 0 <= year < 100 else year
    now = datetime.fromtimestamp(clock.time())
    if not 1 <= month <= 12 or (year == now.year and month < now.month):
        raise stripe_error(402, "Your card's expiration month is invalid.",
                           code="invalid_expiry_month", type_="card_error",
                           param="card[exp_month]")
    if not now.year <= year <= now.year + 50:
        raise stripe_error(402, "Your card's expiration year is invalid.",
                           code="invalid_expiry_year", type_="card_error",
                           param="card[exp_year]")
    return {**current, "exp_month": month, "exp_year": year}


def _api_update(cls: Any, id: str, card: Any = None, billing_details: Any = None,
                metadata: Any = None, **kwargs: Any) -> Any:
    if kwargs:
        raise unknown_parameters(kwargs)
    pm = cls._api_retrieve(id)
    if card is not None:
        if getattr(pm, "type", None) != "card" or not isinstance(pm, PaymentMethod):
            raise stripe_error(400, "This PaymentMethod is not a card", param="card")
        pm.card = _expiry_update(card, pm.card)  # a new dict, so earlier events keep theirs
    if billing_details is not None:
        pm.billing_details = merge_billing_details(pm.billing_details, billing_details)
    if metadata is not None:
        pm.metadata = merge_metadata(pm.metadata, metadata)
    emit("payment_method.updated", pm)
    return pm


def _api_attach(original: Any) -> Any:
    def attach(id: str, **kwargs: Any) -> Any:
        pm = original(id, **kwargs)
        emit("payment_method.attached", pm)
        return pm

    return attach


def _api_detach(original: Any) -> Any:
    def detach(id: str, **kwargs: Any) -> Any:
        pm = PaymentMethod._api_retrieve(id)
        if getattr(pm, "customer", None) is None:
            raise stripe_error(
                400,
                "The payment method you provided is not attached to a customer so detachment "
                "is impossible.",
                code="payment_method_unexpected_state",
            )
        customer = resources.store.get("customer:" + pm.customer)
        original(id, **kwargs)
        emit("payment_method.detached", pm)
        if customer is not None and customer.invoice_settings.get("default_payment_method") == id:
            customer.invoice_settings = {**customer.invoice_settings,
                                         "default_payment_method": None}
            emit("customer.updated", customer)
        return pm

    return detach


def install() -> None:
    PaymentMethod.__init__ = _pm_init(PaymentMethod.__init__)
    PaymentMethod._api_update = classmethod(_api_update)
    attach, detach = _api_attach(PaymentMethod._api_attach), _api_detach(PaymentMethod._api_detach)
    PaymentMethod._api_attach = staticmethod(attach)
    PaymentMethod._api_detach = staticmethod(detach)
    set_extra_api("POST", "/v1/payment_methods/{id}/attach", attach)
    set_extra_api("POST", "/v1/payment_methods/{id}/detach", detach)

