"""Planning operator actions against the ledger, with no network: every refusal says why,
is audited, and sends nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from peewee import SqliteDatabase

from ledger.audit import AuditListing, verify_chain
from ledger.models import database
from sync import actions_checks as checks
from sync.actions import Actions
from sync.apply import apply_objects
from sync.gateway import GatewayError
from sync.plans import ActionFailed, ActionRefused
from sync.trust import StripeAccount

NOW = datetime(2025, 6, 15, 12, tzinfo=UTC).timestamp()
TODAY = date(2025, 6, 15)


ACCOUNT = StripeAccount("acct_1", livemode=False)


class NoNetwork:
    """A gateway for tests where nothing may be sent."""

    def get(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("planning must not touch the network")

    post = get


class RestrictedKey:
    """Stripe's answer to a restricted key without the rights to these endpoints."""

    def account(self) -> StripeAccount:  # it may read its account
        return ACCOUNT

    def get(self, *args: Any, **kwargs: Any) -> Any:
        raise GatewayError("Stripe said: The provided key does not have the required "
                           "permissions for this endpoint.", status=403, request_id="req_1")

    post = get


def _payment(pid: str, amount: int, currency: str = "usd", *, status: str = "succeeded",
             captured: bool = True, refunded: int = 0, disputed: bool = False) -> dict:
    charge = {"object": "charge", "id": "ch_" + pid[3:], "payment_intent": pid,
              "amount": amount, "currency": currency, "captured": captured,
              "amount_captured": amount if captured else 0, "amount_refunded": refunded,
              "disputed": disputed, "status": "succeeded" if captured else "failed",
              "failure_code": None if captured else "card_declined"}
    return {"object": "payment_intent", "id": pid, "amount": amount, "currency": currency,
            "status": status, "customer": "cus_1", "latest_charge": charge}


def _card(pm: str, last4: str, customer: str = "cus_1", month: int = 12,
          year: int = 2030) -> dict:
    return {"object": "payment_method", "id": pm, "type": "card", "customer": customer,
            "card": {"brand": "visa", "last4": last4, "exp_month": month, "exp_year": year}}


def _dispute(dp: str, status: str = "needs_response", **extra: Any) -> dict:
    return {"object": "dispute", "id": dp, "amount": 5000, "currency": "usd", "status": status,
            "charge": "ch_disputed", "reason": "fraudulent",
            "evidence_details": {"due_by": int(NOW) + 86400, "has_evidence": False,
                                 "submission_count": 0}, **extra}


@pytest.fixture
def seeded(ledger: SqliteDatabase) -> SqliteDatabase:
    apply_objects(database, [
        _payment("pi_usd", 5000), _payment("pi_part", 5000, refunded=3000),
        _payment("pi_jpy", 5000, "jpy"), _payment("pi_kwd", 5000, "kwd"),
        _payment("pi_failed", 5000, status="requires_payment_method", captured=False),
        _payment("pi_auth", 5000, status="requires_capture", captured=False),
        _payment("pi_disputed", 5000, disputed=True), _payment("pi_done", 5000, refunded=5000),
        {"object": "customer", "id": "cus_1", "email": "ada@example.com",
         "invoice_settings": {"default_payment_method": None}},
        {"object": "customer", "id": "cus_2", "email": "bo@example.com",
         "invoice_settings": {"default_payment_method": "pm_b2"}},
        {"object": "customer", "id": "cus_3", "email": "cy@example.com"},
        _card("pm_a", "4242"), _card("pm_b", "1111", month=1, year=2025),
        _card("pm_b1", "5555", "cus_2"), _card("pm_b2", "0005", "cus_2"),
        _dispute("dp_open"), _dispute("dp_lost", "lost"), _dispute("dp_prevented", "prevented"),
        _dispute("dp_review", "under_review", evidence_details={
            "due_by": int(NOW) - 60, "has_evidence": True, "submission_count": 1}),
    ], as_of=int(NOW))
    return ledger


@pytest.fixture
def actions(seeded: SqliteDatabase) -> Actions:
    return Actions(NoNetwork(), "ada", clock=lambda: NOW)  # type: ignore[arg-type]


def _refused(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ActionRefused) as caught:
        call(*args, **kwargs)
    return str(caught.value)


# -- refunds ------------------------------------------------------------------------------

def test_refund_defaults_to_the_remainder(actions: Actions) -> None:
    plan = actions.plan_refund("pi_part")
    assert (plan.amount, plan.remainder, plan.remainder_after) == (2000, 2000, 0)
    assert plan.payment_id == "pi_part" and plan.charge_id == "ch_part"
    assert plan.summary == "Refund 20.00 USD of pi_part; 0.00 USD will remain refundable"
    assert plan.needs_confirmation and not plan.needs_typed_confirmation
    assert plan.request().params["payment_intent"] == "pi_part"


def test_refund_by_charge_id_and_amounts_in_the_real_exponent(actions: Actions) -> None:
    assert actions.plan_refund("ch_usd", "12.5").amount == 1250
    assert actions.plan_refund("pi_jpy", "1,200").amount == 1200
    assert actions.plan_refund("pi_kwd", "1.250").amount == 1250
    assert actions.plan_refund("ch_usd").payment_id == "pi_usd"


@pytest.mark.parametrize(("payment", "amount", "why"), [
    ("pi_usd", "0", "more than zero"),
    ("pi_usd", "0.00", "more than zero"),
    ("pi_usd", "-5", "more than zero"),
    ("pi_usd", "ten", "is not an amount"),
    ("pi_usd", "1.234", "USD amounts have at most 2 decimals"),
    ("pi_jpy", "12.5", "JPY amounts have no decimals"),
    ("pi_kwd", "1.2345", "KWD amounts have at most 3 decimals"),
    ("pi_part", "20.01", "more than the 20.00 USD left to refund"),
    ("pi_kwd", "5.001", "more than the 5.000 KWD left"),
    ("pi_failed", None, "did not succeed (status requires_payment_method, card_declined)"),
    ("pi_auth", None, "never captured"),
    ("pi_disputed", None, "through the dispute"),
    ("pi_done", None, "already fully refunded"),
    ("pi_nope", None, "no payment pi_nope in the ledger"),
])
def test_refunds_refused_before_stripe(actions: Actions, payment: str, amount: str | None,
                                       why: str) -> None:
    assert why in _refused(actions.plan_refund, payment, amount)
    last = AuditListing().page(0, 1)[0]
    assert (last.result, last.target, last.action) == ("refused", payment, "refund")
    assert why in (last.error or "")


def test_refund_reason_and_note(actions: Actions) -> None:
    plan = actions.plan_refund("pi_usd", "1", reason="duplicate", note="  double click ")
    assert plan.request().params == {
        "payment_intent": "pi_usd", "amount": 100, "reason": "duplicate",
        "metadata": {"payconsole_operator": "ada", "note": "double click"}}
    assert "must be one of" in _refused(actions.plan_refund, "pi_usd", "1", reason="oops")
    assert "card number" in _refused(actions.plan_refund, "pi_usd", "1",
                                     note="card 4242424242424242")
    assert "4242424242424242" not in (AuditListing().page(0, 1)[0].params["note"])


# -- authority ------------------------------------------------------------------------------

def test_read_only_refuses_every_action(seeded: SqliteDatabase) -> None:
    actions = Actions(NoNetwork(), "ada", read_only=True)  # type: ignore[arg-type]
    assert actions.refusal() is not None
    assert "read-only" in _refused(actions.plan_refund, "pi_usd")
    assert "read-only" in _refused(actions.plan_set_default, "pm_a")
    assert [row.result for row in AuditListing().page(0, 5)] == ["refused", "refused"]


def test_a_live_key_acts_only_when_allowed_and_typed(seeded: SqliteDatabase) -> None:
    denied = Actions(NoNetwork(), "ada", live=True)  # type: ignore[arg-type]
    assert "allow_live_actions" in _refused(denied.plan_refund, "pi_usd")
    allowed = Actions(NoNetwork(), "ada", live=True,  # type: ignore[arg-type]
                      allow_live_actions=True)
    plan = allowed.plan_refund("pi_usd", "12.50")
    assert plan.live and plan.needs_typed_confirmation and plan.confirmation_text == "12.50"
    assert "type 12.50" in _refused(allowed.execute, plan)
    assert "type 12.50" in _refused(allowed.execute, plan, typed_confirmation="12.5O")
    detach = allowed.plan_detach("pm_a")
    assert detach.confirmation_text == "pm_a"


def test_a_restricted_key_is_told_what_it_may_not_do(actions: Actions) -> None:
    actions.gateway = RestrictedKey()  # type: ignore[assignment]
    with pytest.raises(ActionFailed) as caught:
        actions.execute(actions.plan_refund("pi_usd", "1"))
    assert str(caught.value).startswith("this key may not create refunds: The provided key")
    assert caught.value.request_id == "req_1" and not caught.value.outcome_unknown
    entries = AuditListing().page(0, 2)
    assert [(e.result, e.request_id) for e in entries] == [("failed", "req_1"),
                                                           ("attempted", None)]
    assert verify_chain().ok


class Unreachable:
    """Stripe's answer lost: the request may or may not have been carried out."""

    def account(self) -> StripeAccount:  # known before the connection went
        return ACCOUNT

    def post(self, *args: Any, **kwargs: Any) -> Any:
        raise GatewayError("cannot reach Stripe: Read timed out", retryable=True)


def test_a_lost_answer_keeps_the_attempt_open_for_a_safe_rerun(actions: Actions) -> None:
    actions.gateway = Unreachable()  # type: ignore[assignment]
    plan = actions.plan_refund("pi_usd", "5")
    with pytest.raises(ActionFailed) as caught:
        actions.execute(plan)
    assert caught.value.outcome_unknown and "reuses the idempotency key" in str(caught.value)
    rerun = actions.plan_refund("pi_usd", "5")
    assert rerun.idempotency_key == plan.idempotency_key
    assert "resumes the unfinished attempt" in rerun.warnings[0]
    fresh = actions.plan_refund("pi_usd", "5", repeat=True)  # the operator checked Stripe
    assert fresh.attempt == 2 and "second time" in fresh.warnings[0]


# -- charges -------------------------------------------------------------------------------

def test_charge_picks_the_default_or_the_only_card(actions: Actions) -> None:
    plan = actions.plan_charge("cus_2", "25", "USD")
    assert (plan.payment_method_id, plan.amount, plan.currency) == ("pm_b2", 2500, "usd")
    assert plan.card == "visa •••• 0005 exp 12/2030"
    assert plan.confirmation_text == "25.00"
    assert "has 2 saved payment methods and no default" in _refused(
        actions.plan_charge, "cus_1", "5", "usd")
    assert "no saved payment method" in _refused(actions.plan_charge, "cus_3", "5", "usd")
    expired = actions.plan_charge("cus_1", "5", "usd", payment_method="pm_b")
    assert "expired 01/2025" in expired.warnings[0]
    assert "not attached to cus_2" in _refused(actions.plan_charge, "cus_2", "5", "usd",
                                               payment_method="pm_a")
    assert "three-letter" in _refused(actions.plan_charge, "cus_2", "5", "dollars")
    assert "no customer" in _refused(actions.plan_charge, "cus_9", "5", "usd")
    assert "more than Stripe accepts" in _refused(actions.plan_charge, "cus_2", "1000000",
                                                  "usd")


# -- payment methods ------------------------------------------------------------------------

def test_expiry_validation() -> None:
    current = (12, 2030)
    assert checks.card_expiry("4", "27", current=current, today=TODAY) == (4, 2027)
    assert checks.card_expiry(6, None, current=current, today=TODAY) == (6, 2030)
    assert checks.card_expiry(None, 2025, current=(6, 2024), today=TODAY) == (6, 2025)
    assert checks.card_expiry(None, None, current=current, today=TODAY) is None
    for month, year, why in [(13, 2030, "1 to 12"), (0, 2030, "1 to 12"),
                             (5, 2025, "in the past"), (None, 2024, "in the past"),
                             ("x", 2030, "must be a number"), (1, 2090, "too far ahead")]:
        with pytest.raises(ActionRefused, match=why):
            checks.card_expiry(month, year, current=current, today=TODAY)


def test_method_update_plan(actions: Actions) -> None:
    plan = actions.plan_method_update("pm_a", exp_month="3", exp_year="2031", name="Ada L",
                                      postal_code="SW1A 1AA")
    assert plan.request().params == {
        "card": {"exp_month": 3, "exp_year": 2031},
        "billing_details": {"name": "Ada L", "address": {"postal_code": "SW1A 1AA"}}}
    assert not plan.needs_confirmation
    cleared = actions.plan_method_update("pm_a", email="")
    assert cleared.request().params == {"billing_details": {"email": ""}}
    for kwargs, why in [({}, "nothing to change"), ({"email": "not-an-email"}, "not an email"),
                        ({"name": "x" * 201}, "at most 200"),
                        ({"postal_code": "12/34"}, "letters, digits"),
                        ({"name": "4242 4242 4242 4242"}, "card number"),
                        ({"exp_month": 5, "exp_year": 2025}, "in the past")]:
        assert why in _refused(actions.plan_method_update, "pm_a", **kwargs)
    assert "no payment method" in _refused(actions.plan_method_update, "pm_x", name="A")


def test_set_default_and_detach_plans(actions: Actions) -> None:
    assert "already cus_2's default" in _refused(actions.plan_set_default, "pm_b2")
    plan = actions.plan_set_default("pm_b1")
    assert plan.previous_default == "pm_b2"
    assert plan.request().params == {"invoice_settings": {"default_payment_method": "pm_b1"}}
    detach = actions.plan_detach("pm_b2")
    assert detach.was_default and detach.remaining == ("visa •••• 5555 exp 12/2030 "
                                                       "(pm_b1)",)
    assert "left with no default" in detach.warnings[0] and "pm_b1" in detach.warnings[0]
    assert detach.also_refresh() == ("cus_2",)
    assert actions.plan_detach("pm_a").warnings == ()


# -- disputes --------------------------------------------------------------------------------

def test_evidence_validation() -> None:
    ok = checks.evidence({"product_description": "A mug", "service_date": "2025-06-01",
                          "customer_purchase_ip": "203.0.113.7"}, today=TODAY)
    assert ok["product_description"] == "A mug"
    for fields, why in [({"favourite_colour": "blue"}, "unknown evidence field"),
                        ({"receipt": "file_123"}, "takes a file, not text"),
                        ({"product_description": "x" * 20_001}, "at most 20,000"),
                        ({"shipping_carrier": "x" * 5_001}, "at most 5,000"),
                        ({"service_date": "01/06/2025"}, "YYYY-MM-DD"),
                        ({"shipping_date": "2025-06-16"}, "in the future"),
                        ({"customer_email_address": "nobody"}, "not an email"),
                        ({"customer_purchase_ip": "1.2.3"}, "not an IP"),
                        ({"uncategorized_text": " "}, "is empty")]:
        with pytest.raises(ActionRefused, match=why):
            checks.evidence(fields, today=TODAY)
    huge = {name: "x" * 20_000 for name in checks.EVIDENCE_LONG_TEXT}
    with pytest.raises(ActionRefused, match="150,000"):
        checks.evidence(huge, today=TODAY)


def test_evidence_and_accept_plans(actions: Actions) -> None:
    draft = actions.plan_evidence("dp_open", {"product_description": "A mug"})
    assert not draft.needs_confirmation and draft.request().params == {
        "submit": False, "evidence": {"product_description": "A mug"}}
    submit = actions.plan_evidence("dp_open", {"product_description": "A mug"}, submit=True)
    assert submit.needs_confirmation
    assert any("submitted only once" in w for w in submit.warnings)
    assert submit.audit_params()["fields"] == {"product_description": 5}
    assert "nothing to submit" in _refused(actions.plan_evidence, "dp_open", {}, submit=True)
    assert "no evidence fields" in _refused(actions.plan_evidence, "dp_open", {})
    review = actions.plan_evidence("dp_review", {}, submit=True)
    assert any("under review" in w for w in review.warnings)
    assert any("was due" in w for w in review.warnings)
    assert "closed (lost)" in _refused(actions.plan_evidence, "dp_lost", {"receipt": "x"})
    accept = actions.plan_accept("dp_open")
    assert "concedes 50.00 USD" in accept.summary and accept.confirmation_text == "50.00"
    assert "closed (lost)" in _refused(actions.plan_accept, "dp_lost")
    # One owner for the status groups: a prevented dispute is closed for the CLI as well.
    assert "closed (prevented)" in _refused(actions.plan_evidence, "dp_prevented",
                                            {"product_description": "A mug"})
    assert "no dispute" in _refused(actions.plan_accept, "dp_none")
