"""Early fraud warnings (`radar.early_fraud_warning`), which localstripe lacks: the issuer's
signal that a charge was probably fraudulent, sent before any chargeback.

As on Stripe: one is created for a successful charge of the early-fraud-warning test card
(4000000000005423), and stops being `actionable` once its charge is fully refunded or
disputed (each change with its event). `POST /_config/early_fraud_warnings` (charge=...,
fraud_type=...) creates one for any succeeded charge, for tests.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from localstripe import resources
from localstripe.resources import Charge, Refund

from sync.emulator import disputes
from sync.emulator.apis import set_extra_api
from sync.emulator.errors import stripe_error, unknown_parameters
from sync.emulator.events import emit
from sync.emulator.params import choice, range_filter

TEST_CARD = "4000000000005423"
FRAUD_TYPES = (
    "card_never_received", "fraudulent_card_application", "made_with_counterfeit_card",
    "made_with_lost_card", "made_with_stolen_card", "misc", "unauthorized_use_of_card",
)
_KEY = "radar.early_fraud_warning:"


class EarlyFraudWarning(resources.StripeObject):
    object = "radar.early_fraud_warning"
    _id_prefix = "issfr_"

    def __init__(self, charge: Any, fraud_type: str) -> None:
        super().__init__()
        self.actionable = True
        self.charge = charge.id
        self.fraud_type = fraud_type
        self.payment_intent = charge.payment_intent

    @classmethod
    def _api_retrieve(cls, id: str) -> EarlyFraudWarning:
        warning = resources.store.get(_KEY + str(id))
        if warning is None:
            raise stripe_error(404, f"No such early fraud warning: '{id}'",
                               code="resource_missing", param="id")
        return warning


def _warnings_of(charge_id: str) -> list[EarlyFraudWarning]:
    return [obj for key, obj in resources.store.items()
            if key.startswith(_KEY) and obj.charge == charge_id]


def create_warning(charge: Any = None, fraud_type: Any = "made_with_stolen_card",
                   **kwargs: Any) -> EarlyFraudWarning:
    """The issuer reports a succeeded charge as probably fraudulent."""
    if kwargs:
        raise unknown_parameters(kwargs)
    if charge is None:
        raise stripe_error(400, "Missing required param: charge.", param="charge")
    charge_obj = Charge._api_retrieve(str(charge))
    if charge_obj.status != "succeeded":
        raise stripe_error(400, f"Charge {charge_obj.id} did not succeed.", param="charge")
    warning = EarlyFraudWarning(charge_obj, choice(fraud_type, "fraud_type", FRAUD_TYPES))
    # Already refunded or disputed: nothing left to act on, as Stripe would say.
    warning.actionable = not (charge_obj.disputed
                              or charge_obj.amount_refunded >= charge_obj.amount)
    emit("radar.early_fraud_warning.created", warning)
    return warning


def settle(charge_id: str) -> None:
    """The charge was fully refunded or disputed: its warnings are no longer actionable."""
    for warning in _warnings_of(charge_id):
        if warning.actionable:
            warning.actionable = False
            emit("radar.early_fraud_warning.updated", warning)


def list_warnings(charge: Any = None, payment_intent: Any = None, created: Any = None,
                  limit: Any = None, starting_after: Any = None, **kwargs: Any) -> Any:
    if kwargs:
        raise unknown_parameters(kwargs)
    tests = [test for value, test in (
        (charge, lambda w: w.charge == charge),
        (payment_intent, lambda w: w.payment_intent == payment_intent),
        (created, range_filter(created, "created") if created is not None else None),
    ) if value is not None]
    page = resources.List("/v1/radar/early_fraud_warnings", limit=limit,
                          starting_after=starting_after)
    page._list = [obj for key, obj in resources.store.items()
                  if key.startswith(_KEY) and all(test(obj) for test in tests)]
    return page


def retrieve_warning(id: str, **kwargs: Any) -> EarlyFraudWarning:
    if kwargs:
        raise unknown_parameters(kwargs)
    return EarlyFraudWarning._api_retrieve(id)


# -- hooks into charges, refunds and disputes ---------------------------------------------

def _initialize_charge(original: Any) -> Any:
    def initialize(self: Any, on_success: Any = None, on_failure_now: Any = None,
                   on_failure_later: Any = None) -> None:
        def succeeded() -> None:
            if on_success:
                on_success()
            pm = resources.store.get("payment_method:" + str(self.payment_method))
            if getattr(pm, "_card_number", "") == TEST_CARD:
                create_warning(self.id)

        original(self, succeeded, on_failure_now, on_failure_later)

    return initialize


def _refund_create(original: Any) -> Any:
    def create(cls: Any, *args: Any, **kwargs: Any) -> Any:
        refund = original(*args, **kwargs)
        charge = resources.store["charge:" + refund.charge]
        if charge.amount_refunded >= charge.amount:
            settle(charge.id)
        return refund

    return create


def _open_dispute(original: Any) -> Any:
    def open_dispute(*args: Any, **kwargs: Any) -> Any:
        dispute = original(*args, **kwargs)
        settle(dispute.charge)
        return dispute

    return open_dispute


async def _create_route(request: web.Request) -> web.Response:
    params = await request.json() if request.can_read_body else {}
    return web.json_response(create_warning(**params)._export())


def add_routes(app: web.Application) -> None:
    app.router.add_post("/_config/early_fraud_warnings", _create_route)


def install() -> None:
    """After charges, refunds and disputes: this wraps what they installed."""
    Charge._initialize_charge = _initialize_charge(Charge._initialize_charge)
    Refund._api_create = classmethod(_refund_create(Refund._api_create))
    # Both the control endpoint and the dispute test cards look it up in the module.
    disputes.open_dispute = _open_dispute(disputes.open_dispute)
    set_extra_api("GET", "/v1/radar/early_fraud_warnings", list_warnings)
    set_extra_api("GET", "/v1/radar/early_fraud_warnings/{id}", retrieve_warning)
