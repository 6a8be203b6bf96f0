"""Early fraud warnings against the emulator over HTTP with the real SDK: created for Stripe's
early-fraud-warning test card and by the control endpoint, synced by poll and backfill, their
payment refunded as fraudulent (the plan and `payconsole efw refund`), and then no longer
actionable; a disputed or refunded one is refused with nothing sent."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import stripe

from ledger.fraud_views import fraud_warning
from ledger.models import Refund
from ledger.models_fraud import EarlyFraudWarning
from sync.actions import Actions
from sync.emulator import ControlClient, EmulatorProcess
from sync.gateway import StripeGateway
from sync.plans import ActionRefused
from sync.reconcile import reconcile
from sync.service import SyncService
from tests.helpers import new_payment, sync

EFW_CARD = "4000000000005423"


def warnings_on_stripe(client: stripe.StripeClient, **params: Any) -> list[dict[str, Any]]:
    page = client.raw_request("get", "/v1/radar/early_fraud_warnings", **params)
    return list(page.data["data"])


def stripe_refunds(client: stripe.StripeClient) -> int:
    return len(client.v1.refunds.list({"limit": 100}).data)


def test_the_test_card_brings_a_warning_that_the_poll_syncs(
        stripe_client: stripe.StripeClient, gateway: StripeGateway) -> None:
    intent = new_payment(stripe_client, 4200, number=EFW_CARD)
    new_payment(stripe_client, 1000)  # an ordinary card: no warning
    (warning,) = warnings_on_stripe(stripe_client)
    assert warning["id"].startswith("issfr_") and warning["payment_intent"] == intent.id
    assert warning["actionable"] and warning["fraud_type"] == "made_with_stolen_card"
    assert warnings_on_stripe(stripe_client, payment_intent=intent.id) == [warning]
    assert warnings_on_stripe(stripe_client, charge="ch_none") == []
    sync(gateway)
    line = fraud_warning(warning["id"])
    assert line is not None and line.actionable
    assert (line.payment, line.charge, line.amount, line.currency) == (
        intent.id, warning["charge"], 4200, "usd")
    events = stripe_client.v1.events.list({"type": "radar.early_fraud_warning.created"})
    assert [e.data.object["id"] for e in events.data] == [warning["id"]]


def test_a_first_sync_backfills_warnings_from_the_list(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient,
        gateway: StripeGateway) -> None:
    intent = new_payment(stripe_client, 3000)
    created = ControlClient(emulator.api_base).create_early_fraud_warning(
        intent.latest_charge, fraud_type="unauthorized_use_of_card")
    report = SyncService(gateway).run_once()
    assert report.backfilled["early_fraud_warnings"] == 1
    row = EarlyFraudWarning.get_by_id(created["id"])
    assert (row.fraud_type, row.payment, bool(row.actionable)) == (
        "unauthorized_use_of_card", intent.id, True)


def test_refunding_a_warning_refunds_the_rest_as_fraudulent_and_ends_it(
        stripe_client: stripe.StripeClient, gateway: StripeGateway, actions: Actions) -> None:
    intent = new_payment(stripe_client, 5000, number=EFW_CARD)
    stripe_client.v1.refunds.create({"payment_intent": intent.id, "amount": 1200})
    sync(gateway)
    (warning,) = warnings_on_stripe(stripe_client)
    assert warning["actionable"]  # a partial refund leaves it actionable
    plan = actions.plan_fraud_refund(warning["id"])
    assert (plan.payment_id, plan.amount, plan.currency) == (intent.id, 3800, "usd")
    assert "fraudulent" in plan.summary and "38.00 USD" in plan.summary
    result = actions.execute(plan)
    assert result.ok and result.object_id is not None
    refund = stripe_client.v1.refunds.retrieve(result.object_id)
    assert (refund.amount, refund.reason) == (3800, "fraudulent")
    assert refund.metadata["early_fraud_warning"] == warning["id"]
    # Stripe ended the warning, and the ledger knows at once (re-read after the refund).
    assert not warnings_on_stripe(stripe_client)[0]["actionable"]
    line = fraud_warning(warning["id"])
    assert line is not None and not line.actionable and line.remaining == 0
    assert Refund.get_by_id(refund.id).reason == "fraudulent"
    before = stripe_refunds(stripe_client)
    with pytest.raises(ActionRefused, match="no longer actionable"):
        actions.plan_fraud_refund(warning["id"])
    assert stripe_refunds(stripe_client) == before


def test_a_disputed_warning_is_no_longer_actionable_and_nothing_is_sent(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient, gateway: StripeGateway,
        actions: Actions) -> None:
    intent = new_payment(stripe_client, 2500, number=EFW_CARD)
    sync(gateway)
    (warning,) = warnings_on_stripe(stripe_client)
    ControlClient(emulator.api_base).create_dispute(intent.latest_charge)
    updated = stripe_client.v1.events.list({"type": "radar.early_fraud_warning.updated"})
    assert [e.data.object["actionable"] for e in updated.data] == [False]
    sync(gateway)
    assert not EarlyFraudWarning.get_by_id(warning["id"]).actionable
    with pytest.raises(ActionRefused, match="no longer actionable: its payment is disputed"):
        actions.plan_fraud_refund(warning["id"])
    assert stripe_refunds(stripe_client) == 0


def test_a_reconcile_finds_and_repairs_a_warning_that_drifted(
        emulator: EmulatorProcess, stripe_client: stripe.StripeClient,
        gateway: StripeGateway) -> None:
    new_payment(stripe_client, 2500, number=EFW_CARD)
    sync(gateway)
    (warning,) = warnings_on_stripe(stripe_client)
    ControlClient(emulator.api_base).drift(warning["id"], actionable=False)  # no event
    report = reconcile(gateway, days=3, repair=True, now=time.time())
    (finding,) = report.different
    assert (finding.kind, finding.id, finding.fields) == (
        "early-fraud-warnings", warning["id"], {"actionable": (True, False)})
    assert not EarlyFraudWarning.get_by_id(warning["id"]).actionable


def test_the_efw_commands(stripe_client: stripe.StripeClient, cli: Any) -> None:
    intent = new_payment(stripe_client, 1999, number=EFW_CARD)
    assert cli("sync", "--once")[0] == 0
    code, out, _ = cli("efw", "list", "--format", "json")
    (row,) = json.loads(out)
    assert code == 0 and {k: row[k] for k in ("payment_intent", "fraud_type", "actionable",
                                              "amount", "currency")} == {
        "payment_intent": intent.id, "fraud_type": "made_with_stolen_card",
        "actionable": True, "amount": 1999, "currency": "usd"}
    assert set(row) >= {"id", "charge", "created"}
    code, out, err = cli("efw", "refund", row["id"])  # stdin is not a terminal
    assert code == 2 and "--yes" in err and stripe_refunds(stripe_client) == 0
    code, out, err = cli("efw", "refund", row["id"], "--yes")
    assert code == 0 and out.startswith("re_") and "19.99 USD" in err
    code, out, err = cli("efw", "refund", row["id"], "--yes")
    assert code == 2 and "no longer actionable" in err and stripe_refunds(stripe_client) == 1
    code, out, _ = cli("efw", "list", "--actionable", "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = cli("efw", "list")
    assert code == 0 and row["id"] in out and out.splitlines()[1].endswith("no")
