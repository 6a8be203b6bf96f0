"""The headless action commands against the emulator, in-process: exit codes 0 (done),
1 (Stripe refused), 2 (refused before sending), what they print, confirmation rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import stripe

from console.cli import main
from sync.emulator import ControlClient
from tests.helpers import HandEdits, authorized, pdf_bytes, png_bytes, write_file


def customer(client: stripe.StripeClient, number: str = "4242424242424242") -> tuple[str, str]:
    cus = client.v1.customers.create({"email": "ops@example.com"})
    method = client.v1.payment_methods.create({"type": "card", "card": {
        "number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"}})
    client.v1.payment_methods.attach(method.id, {"customer": cus.id})
    return cus.id, method.id


def payment(client: stripe.StripeClient, amount: int = 5000) -> str:
    cus, method = customer(client)
    return client.v1.payment_intents.create({
        "amount": amount, "currency": "usd", "customer": cus, "payment_method": method,
        "confirm": True, "off_session": True}).id


def test_refund(stripe_client: stripe.StripeClient, cli: Any) -> None:
    pi = payment(stripe_client)  # never synced: the command reads it from Stripe first
    code, out, err = cli("refund", pi, "--amount", "12.50", "--reason",
                         "requested_by_customer", "--yes")
    assert code == 0 and out.startswith("re_") and out.strip().endswith("succeeded")
    assert f"Refund 12.50 USD of {pi} (requested_by_customer)" in err

    code, _, err = cli("refund", pi, "--amount", "12.50", "--reason",
                       "requested_by_customer", "--yes")
    assert code == 2 and "already succeeded" in err and "--again" in err
    code, _, _ = cli("refund", pi, "--amount", "12.50", "--reason", "requested_by_customer",
                     "--yes", "--again")
    assert code == 0

    for args, message in [(("--amount", "26", "--yes"), "25.00 USD left to refund"),
                          (("--amount", "1.005", "--yes"), "at most 2 decimals"),
                          (("--reason", "bored", "--yes"), "must be one of"),
                          (("--amount", "1"), "pass --yes")]:
        code, out, err = cli("refund", pi, *args)
        assert (code, out) == (2, ""), err
        assert message in err
    code, _, err = cli("refund", "pi_unknown", "--yes")
    assert code == 2 and "no payment pi_unknown" in err
    assert len(stripe_client.v1.refunds.list({}).data) == 2


def test_charge(stripe_client: stripe.StripeClient, cli: Any) -> None:
    good, _ = customer(stripe_client)
    code, out, err = cli("charge", good, "--amount", "25.00", "--currency", "usd",
                         "--description", "order 7", "--yes")
    assert code == 0 and out.startswith("pi_") and "succeeded" in out
    assert "Charge 25.00 USD to ops@example.com's visa •••• 4242" in err

    bad, _ = customer(stripe_client, "4000000000000341")
    code, out, _ = cli("charge", bad, "--amount", "9", "--currency", "usd", "--yes")
    assert code == 1 and "declined: Your card was declined." in out
    assert "generic_decline" in out
    code, _, err = cli("charge", good, "--amount", "5", "--currency", "usd", "--payment-method",
                       "pm_elsewhere", "--yes")
    assert code == 2 and "no payment method pm_elsewhere" in err


def test_payment_method_commands(stripe_client: stripe.StripeClient, cli: Any) -> None:
    cus, first = customer(stripe_client)
    second = stripe_client.v1.payment_methods.create({"type": "card", "card": {
        "number": "5555555555554444", "exp_month": 1, "exp_year": 2030, "cvc": "123"}}).id
    stripe_client.v1.payment_methods.attach(second, {"customer": cus})

    code, out, err = cli("method", "update", second, "--exp-month", "6", "--exp-year", "2034",
                         "--name", "Ops Person")
    assert code == 0 and out.strip() == f"{second} updated", err
    card = stripe_client.v1.payment_methods.retrieve(second).card
    assert (card.last4, card.exp_month, card.exp_year) == ("4444", 6, 2034)
    code, _, err = cli("method", "update", second, "--exp-month", "13")
    assert code == 2 and "1 to 12" in err

    assert cli("method", "set-default", second)[0] == 0
    code, _, err = cli("method", "detach", second)
    assert code == 2 and "pass --yes" in err and "left with no default" in err
    code, out, _ = cli("method", "detach", second, "--yes")
    assert code == 0 and second in out
    assert stripe_client.v1.customers.retrieve(cus).invoice_settings.default_payment_method \
        is None
    assert cli("method", "set-default", first)[0] == 0


def test_dispute_commands(stripe_client: stripe.StripeClient, cli: Any, emulator: Any) -> None:
    pi = payment(stripe_client, 8000)
    charge = stripe_client.v1.payment_intents.retrieve(pi).latest_charge
    control = ControlClient(emulator.api_base)
    dp = control.create_dispute(charge)["id"]

    code, out, err = cli("dispute", "evidence", dp, "--field",
                         "product_description=Blue mug, shipped 2 May")
    assert code == 0 and out.strip() == f"{dp} needs_response", err
    code, out, err = cli("dispute", "evidence", dp, "--field", "shipping_date=2024-05-02",
                         "--submit", "--yes")
    assert code == 0 and "under_review" in out and "submitted only once" in err
    code, out, err = cli("dispute", "evidence", dp, "--field", "uncategorized_text=more",
                         "--submit", "--yes")
    assert code == 1 and out == "" and "already been submitted" in err
    code, _, err = cli("dispute", "evidence", dp, "--field", "favourite=blue")
    assert code == 2 and "unknown evidence field" in err
    with pytest.raises(SystemExit) as usage:
        cli("dispute", "evidence", dp, "--field", "no-equals-sign")
    assert usage.value.code == 2

    other = control.create_dispute(stripe_client.v1.payment_intents.retrieve(
        payment(stripe_client, 3000)).latest_charge)["id"]
    code, out, err = cli("dispute", "accept", other, "--yes")
    assert code == 0 and "lost" in out and "concedes 30.00 USD" in err
    code, _, err = cli("dispute", "accept", other, "--yes")
    assert code == 2 and "closed (lost)" in err


def test_live_and_read_only_configurations(stripe_client: stripe.StripeClient, cli: Any,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    pi = payment(stripe_client)
    monkeypatch.setenv("PAYCONSOLE_CONSOLE__READ_ONLY", "true")
    code, _, err = cli("refund", pi, "--yes")
    assert code == 2 and "read-only" in err
    monkeypatch.delenv("PAYCONSOLE_CONSOLE__READ_ONLY")

    monkeypatch.setenv("STRIPE_API_KEY", "sk_live_payconsole")
    code, _, err = cli("refund", pi, "--amount", "5", "--yes")
    assert code == 2 and "live actions are not allowed" in err
    monkeypatch.setenv("PAYCONSOLE_CONSOLE__ALLOW_LIVE_ACTIONS", "true")
    code, _, err = cli("refund", pi, "--amount", "5", "--yes")
    assert code == 2 and "--confirm 5.00" in err
    code, _, err = cli("refund", pi, "--amount", "5", "--yes", "--confirm", "50.00")
    assert code == 2 and "type 5.00 to confirm" in err
    assert stripe_client.v1.refunds.list({}).data == []
    code, out, err = cli("refund", pi, "--amount", "5", "--confirm", "5.00")
    assert code == 0 and "succeeded" in out and err.startswith("LIVE: ")


def test_audit_verify_and_export(stripe_client: stripe.StripeClient, cli: Any,
                                 ledger_location: str) -> None:
    pi = payment(stripe_client)
    assert cli("refund", pi, "--amount", "1", "--yes")[0] == 0
    assert cli("refund", pi, "--amount", "1000", "--yes")[0] == 2
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "3 entries verified" in out

    code, out, _ = cli("export", "audit")
    entries = [json.loads(line) for line in out.splitlines()]
    assert [e["result"] for e in entries] == ["attempted", "succeeded", "refused"]
    assert "sk_test" not in out

    raw = HandEdits(ledger_location)
    raw.drop_trigger("audit_entry_no_update")
    raw.execute("UPDATE audit_entry SET operator = 'mallory' WHERE seq = 2")
    raw.close()
    code, out, err = cli("audit", "verify")
    assert code == 1 and out == "" and "broken at entry 2" in err


def test_every_action_command_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["refund"], ["charge"], ["method", "update"], ["method", "set-default"],
                    ["method", "detach"], ["dispute", "evidence"], ["dispute", "accept"],
                    ["audit", "verify"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        assert f"example:\n  payconsole {' '.join(command)}" in capsys.readouterr().out


def test_capture_and_cancel(stripe_client: stripe.StripeClient, cli: Any, emulator: Any) -> None:
    pi = authorized(stripe_client, 5000).id  # never synced: the command reads it first
    for args, message in [(("--amount", "50.01", "--yes"), "50.00 USD capturable"),
                          (("--amount", "0", "--yes"), "more than zero"),
                          (("--amount", "1.005", "--yes"), "at most 2 decimals"),
                          (("--amount", "1"), "pass --yes")]:
        code, out, err = cli("capture", pi, *args)
        assert (code, out) == (2, ""), err
        assert message in err
    code, out, err = cli("capture", pi, "--amount", "12.50", "--yes")
    assert code == 0 and out.strip() == f"{pi} succeeded", err
    assert "Capture 12.50 USD of the 50.00 USD authorized" in err
    assert stripe_client.v1.payment_intents.retrieve(pi).amount_received == 1250
    code, _, err = cli("capture", pi, "--yes")
    assert code == 2 and "not awaiting capture (status succeeded)" in err
    code, _, err = cli("cancel", "pi_unknown", "--yes")
    assert code == 2 and "no payment pi_unknown" in err

    other = authorized(stripe_client, 3000).id
    code, _, err = cli("cancel", other, "--reason", "bored", "--yes")
    assert code == 2 and "cancel reason must be one of" in err
    code, out, err = cli("cancel", other, "--reason", "requested_by_customer", "--yes")
    assert code == 0 and out.strip() == f"{other} canceled: the authorization is released", err
    assert stripe_client.v1.payment_intents.retrieve(other).cancellation_reason == \
        "requested_by_customer"

    lapsing = authorized(stripe_client, 3000)
    charge = stripe_client.v1.charges.retrieve(lapsing.latest_charge)
    ControlClient(emulator.api_base).set_clock(charge.payment_method_details.card.capture_before
                                               + 60)
    code, out, err = cli("capture", lapsing.id, "--yes")  # this machine's clock says in time
    assert (code, out) == (1, "") and "expired for capture" in err


def test_dispute_evidence_files(stripe_client: stripe.StripeClient, cli: Any, emulator: Any,
                                tmp_path: Path) -> None:
    charge = stripe_client.v1.payment_intents.retrieve(payment(stripe_client)).latest_charge
    dp = ControlClient(emulator.api_base).create_dispute(charge)["id"]
    receipt = write_file(tmp_path, "receipt.pdf", pdf_bytes(2))
    code, out, err = cli("dispute", "evidence", dp, "--file", f"receipt={receipt}",
                         "--field", "product_description=Blue mug", "--yes")
    assert code == 0 and out.strip() == f"{dp} needs_response", err
    assert "receipt = receipt.pdf (PDF" in err and "1 file, " in err
    code, _, err = cli("dispute", "evidence", dp, "--file", f"receipt={receipt}",
                       "--field", "product_description=Blue mug", "--yes")
    assert code == 2 and "already succeeded" in err and "--again" in err
    assert cli("dispute", "evidence", dp, "--file", f"receipt={receipt}", "--field",
               "product_description=Blue mug", "--yes", "--again")[0] == 0
    (file,) = stripe_client.v1.files.list({"purpose": "dispute_evidence"}).data  # once
    code, _, err = cli("dispute", "evidence", dp, "--file",
                       f"customer_signature={write_file(tmp_path, 'sig.pdf', png_bytes())}")
    assert code == 2 and "sig.pdf for customer_signature is a PNG by its content" in err
    code, _, err = cli("dispute", "evidence", dp, "--file", "receipt=./nowhere.pdf")
    assert code == 2 and "./nowhere.pdf: no such file" in err
    code, _, err = cli("dispute", "evidence", dp, "--file", f"favourite={receipt}")
    assert code == 2 and "'favourite' is not an evidence field that takes a file" in err
    with pytest.raises(SystemExit) as usage:
        cli("dispute", "evidence", dp, "--file", receipt)
    assert usage.value.code == 2

    code, out, err = cli("dispute", "evidence", dp, "--submit", "--yes")
    assert code == 0 and "under_review" in out, err
    assert stripe_client.v1.disputes.retrieve(dp).evidence.receipt == file.id
    code, out, _ = cli("export", "dispute-files")
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert (row["id"], row["dispute"], row["field"], row["filename"], row["pages"],
            row["type"], row["size"]) == (file.id, dp, "receipt", "receipt.pdf", 2, "pdf",
                                          file.size)
