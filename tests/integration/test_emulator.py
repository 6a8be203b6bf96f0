"""The emulator against the real stripe SDK: launcher, persistence and every add-on behaviour."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import stripe

from sync.emulator import EmulatorControlError, EmulatorProcess
from sync.emulator.compat import EmulatorVersionError, check_localstripe_version
from tests.conftest import Waiter
from tests.helpers import client_for

VISA = "4242424242424242"
DECLINED = "4000000000000341"
DISPUTED = "4000000000000259"
THREE_DS = "4000002500003155"


def _card(client: stripe.StripeClient, number: str = VISA, **extra: Any) -> Any:
    card = {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    return client.v1.payment_methods.create(params={"type": "card", "card": card, **extra})


def _customer_with_card(client: stripe.StripeClient, number: str = VISA) -> tuple[Any, Any]:
    customer = client.v1.customers.create(params={"email": "ada@example.com", "name": "Ada"})
    pm = _card(client, number)
    client.v1.payment_methods.attach(pm.id, params={"customer": customer.id})
    return customer, pm


def _pay(client: stripe.StripeClient, number: str = VISA, amount: int = 1000,
         currency: str = "usd", **params: Any) -> Any:
    customer, pm = _customer_with_card(client, number)
    return client.v1.payment_intents.create(params={
        "amount": amount, "currency": currency, "customer": customer.id,
        "payment_method": pm.id, "confirm": True, **params})


def _events(client: stripe.StripeClient, event_type: str | None = None) -> list[Any]:
    params: dict[str, Any] = {"limit": 100}
    if event_type:
        params["type"] = event_type
    return list(client.v1.events.list(params=params).auto_paging_iter())


def _types(client: stripe.StripeClient) -> list[str]:
    return [event.type for event in _events(client)]


# --- launcher -------------------------------------------------------------------------------

def _listening_sockets(port: int) -> list[str]:
    """Local addresses (hex, as in /proc/net/tcp*) listening on `port`."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.append(address)
    return found


def test_prints_listening_once_accepting_and_binds_loopback_only() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "sync.emulator", "--port", "0",
                             "--no-persist"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        words = proc.stdout.readline().split()
        assert words[0] == "LISTENING" and len(words) == 2
        port = int(words[1])
        # Answered at once: the line comes only after the socket listens.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_config/clock", timeout=5) as r:
            assert json.load(r) == {"now": None, "real": True}
        assert _listening_sockets(port) == ["0100007F"]  # 127.0.0.1, nothing else
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_refuses_other_localstripe_versions() -> None:
    check_localstripe_version("1.15.10")
    for other in ("1.15.9", "1.16.0", None):
        with pytest.raises(EmulatorVersionError, match=r"localstripe==1\.15\.10"):
            check_localstripe_version(other)


def test_state_survives_restart_with_a_multi_megabyte_store(tmp_path: Path) -> None:
    state = tmp_path / "emulator.state"
    def metadata(n: int) -> dict[str, str]:  # Stripe's limits: 50 keys, 500 characters
        return {f"k{i}": f"{n:04d}{i:02d}".ljust(500, "x") for i in range(50)}

    with EmulatorProcess(state=state) as emulator:
        client = client_for(emulator.api_base)
        ids = [client.v1.customers.create(params={"name": f"C{n}", "metadata": metadata(n)}).id
               for n in range(160)]
        refunded, disputed = _pay(client), _pay(client, DISPUTED)  # add-on state too
        client.v1.refunds.create(params={"payment_intent": refunded.id, "amount": 300})
    size = state.stat().st_size
    assert size > 4_000_000
    with EmulatorProcess(state=state) as emulator:
        client = client_for(emulator.api_base)
        listed = [c.id for c in client.v1.customers.list(params={"limit": 100})
                  .auto_paging_iter()]
        assert set(ids) <= set(listed) and len(listed) == 162
        assert client.v1.customers.retrieve(ids[-1]).metadata.to_dict() == metadata(159)
        assert len(_events(client, "customer.created")) == 162
        assert client.v1.charges.retrieve(refunded.latest_charge).amount_refunded == 300
        [dispute] = client.v1.disputes.list(params={"payment_intent": disputed.id}).data
        assert client.v1.disputes.close(dispute.id).status == "lost"
    assert state.stat().st_size >= size  # the restart did not truncate it


def test_state_is_saved_within_seconds_without_a_clean_shutdown(
        tmp_path: Path, wait_for: Waiter) -> None:
    state = tmp_path / "emulator.state"
    emulator = EmulatorProcess(state=state).start()
    try:
        customer = client_for(emulator.api_base).v1.customers.create(params={"name": "Crash"})
        # The debounced flush runs about once a second: the file soon holds the customer.
        asyncio.run(wait_for(lambda: state.exists() and customer.id.encode() in state.read_bytes(),
                             what="the state file to hold the new customer"))
    finally:
        emulator.kill()  # no shutdown flush
    with EmulatorProcess(state=state) as emulator:
        assert client_for(emulator.api_base).v1.customers.retrieve(customer.id).name == "Crash"


# --- payments, charges, events ---------------------------------------------------------------

def test_payment_emits_events_and_has_current_shapes(stripe_client: stripe.StripeClient) -> None:
    intent = _pay(stripe_client, amount=2500, description="Order 42")
    assert intent.status == "succeeded"
    assert isinstance(intent.latest_charge, str) and intent.latest_charge.startswith("ch_")
    assert intent.amount_received == 2500 and intent.description == "Order 42"
    assert "charges" not in intent

    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_captured, charge.amount_refunded) == (2500, 0)
    assert (charge.refunded, charge.disputed) == (False, False)
    assert charge.outcome.type == "authorized"
    assert charge.outcome.network_status == "approved_by_network"
    card = charge.payment_method_details.card
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("visa", "4242", 12, 2030)
    assert set(charge.billing_details.to_dict()) >= {"address", "email", "name", "phone"}

    assert _types(stripe_client) == [
        "customer.created", "payment_method.attached", "payment_intent.created",
        "charge.succeeded", "payment_intent.succeeded",
    ]
    [succeeded] = _events(stripe_client, "payment_intent.succeeded")
    assert succeeded.data.object.latest_charge == charge.id
    [charged] = _events(stripe_client, "charge.succeeded")
    assert charged.data.object.id == charge.id and charged.data.object.paid is True


@pytest.mark.parametrize(("number", "brand"), [
    ("5555555555554444", "mastercard"), ("2223003122003222", "mastercard"),
    ("378282246310005", "amex"), ("6011111111111117", "discover"),
    ("3566002020360505", "jcb"), ("36227206271667", "diners"),
    ("4000056655665556", "visa"),
])
def test_card_brand_comes_from_the_number(stripe_client: stripe.StripeClient, number: str,
                                          brand: str) -> None:
    pm = _card(stripe_client, number)
    assert (pm.card.brand, pm.card.last4) == (brand, number[-4:])
    intent = _pay(stripe_client, number)
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert charge.payment_method_details.card.brand == brand


def test_declined_payment(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as declined:
        _pay(stripe_client, DECLINED)
    assert declined.value.code == "card_declined"
    intent = declined.value.error.payment_intent
    assert intent.status == "requires_payment_method"
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.status, charge.failure_code, charge.paid) == ("failed", "card_declined", False)
    assert charge.outcome.type == "issuer_declined" and charge.amount_captured == 0
    types = _types(stripe_client)
    assert types.index("charge.failed") < types.index("payment_intent.payment_failed")


def test_three_d_secure_and_cancel_with_reason(stripe_client: stripe.StripeClient) -> None:
    intent = _pay(stripe_client, THREE_DS)
    assert intent.status == "requires_action"
    canceled = stripe_client.v1.payment_intents.cancel(
        intent.id, params={"cancellation_reason": "abandoned"})
    assert canceled.status == "canceled" and canceled.cancellation_reason == "abandoned"
    assert canceled.canceled_at is not None
    assert {"payment_intent.requires_action", "payment_intent.canceled"} <= set(
        _types(stripe_client))
    with pytest.raises(stripe.InvalidRequestError, match="status of canceled"):
        stripe_client.v1.payment_intents.cancel(intent.id)


def test_manual_capture_emits_captured(stripe_client: stripe.StripeClient) -> None:
    intent = _pay(stripe_client, amount=1000, capture_method="manual")
    assert intent.status == "requires_capture" and intent.amount_capturable == 1000
    captured = stripe_client.v1.payment_intents.capture(
        intent.id, params={"amount_to_capture": 600})
    assert captured.status == "succeeded" and captured.amount_received == 600
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_captured, charge.captured) == (600, True)
    assert _types(stripe_client).count("charge.captured") == 1


# --- refunds ----------------------------------------------------------------------------------

def test_refund_without_amount_refunds_what_is_left(stripe_client: stripe.StripeClient) -> None:
    intent = _pay(stripe_client, amount=1000)
    first = stripe_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 300})
    rest = stripe_client.v1.refunds.create(params={"charge": intent.latest_charge})
    assert (first.amount, rest.amount) == (300, 700)
    assert rest.payment_intent == intent.id
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (1000, True)
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.refunds.create(params={"charge": charge.id})
    assert again.value.code == "charge_already_refunded"
    assert _types(stripe_client)[-4:] == ["refund.created", "charge.refunded"] * 2
    [*_, last_refunded] = _events(stripe_client, "charge.refunded")
    assert last_refunded.data.object.amount_refunded == 1000


def test_refund_above_what_is_left_is_refused(stripe_client: stripe.StripeClient) -> None:
    intent = _pay(stripe_client, amount=1000)
    stripe_client.v1.refunds.create(params={"charge": intent.latest_charge, "amount": 600})
    with pytest.raises(stripe.InvalidRequestError) as too_large:
        stripe_client.v1.refunds.create(params={"charge": intent.latest_charge, "amount": 500})
    assert too_large.value.code == "amount_too_large"
    assert too_large.value.http_status == 400
    assert too_large.value.user_message == (
        "Refund amount ($5.00) is greater than unrefunded amount on charge ($4.00)")
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert charge.amount_refunded == 600


def test_refund_amounts_in_zero_and_three_decimal_currencies(
        stripe_client: stripe.StripeClient) -> None:
    yen = _pay(stripe_client, amount=5000, currency="jpy")
    with pytest.raises(stripe.InvalidRequestError, match=r"\(¥6,000\).*\(¥5,000\)"):
        stripe_client.v1.refunds.create(params={"payment_intent": yen.id, "amount": 6000})
    dinar = _pay(stripe_client, amount=12345, currency="kwd")
    with pytest.raises(stripe.InvalidRequestError, match=r"\(12\.346 KWD\).*\(12\.345 KWD\)"):
        stripe_client.v1.refunds.create(params={"payment_intent": dinar.id, "amount": 12346})


def test_refund_reason_metadata_and_lists(stripe_client: stripe.StripeClient) -> None:
    intent = _pay(stripe_client, amount=1000)
    with pytest.raises(stripe.InvalidRequestError) as bad_reason:
        stripe_client.v1.refunds.create(params={"charge": intent.latest_charge,
                                                "reason": "changed_mind"})
    assert bad_reason.value.param == "reason"
    refund = stripe_client.v1.refunds.create(params={
        "charge": intent.latest_charge, "amount": 100, "reason": "requested_by_customer",
        "metadata": {"ticket": "T-1"}})
    assert (refund.reason, refund.metadata.ticket) == ("requested_by_customer", "T-1")
    other = _pay(stripe_client, amount=500)
    stripe_client.v1.refunds.create(params={"payment_intent": other.id, "reason": "duplicate"})
    by_charge = stripe_client.v1.refunds.list(params={"charge": intent.latest_charge})
    by_intent = stripe_client.v1.refunds.list(params={"payment_intent": other.id})
    assert [r.id for r in by_charge.data] == [refund.id]
    assert [r.reason for r in by_intent.data] == ["duplicate"]


def test_refund_of_a_disputed_charge_is_refused(stripe_client: stripe.StripeClient,
                                                emulator: EmulatorProcess) -> None:
    intent = _pay(stripe_client, amount=1000)
    emulator.control.create_dispute(intent.latest_charge)
    with pytest.raises(stripe.InvalidRequestError) as disputed:
        stripe_client.v1.refunds.create(params={"charge": intent.latest_charge})
    assert disputed.value.code == "charge_disputed"


# --- payment methods --------------------------------------------------------------------------

def test_expiry_update_keeps_brand_and_last4(stripe_client: stripe.StripeClient) -> None:
    pm = _card(stripe_client, "5555555555554444",
               billing_details={"name": "Ada", "address": {"city": "Paris"}})
    updated = stripe_client.v1.payment_methods.update(pm.id, params={
        "card": {"exp_month": "3", "exp_year": "2031"},
        "billing_details": {"address": {"postal_code": "75001"}},
        "metadata": {"note": "renewed"}})
    assert (updated.card.exp_month, updated.card.exp_year) == (3, 2031)
    assert (updated.card.brand, updated.card.last4) == ("mastercard", "4444")
    assert updated.billing_details.name == "Ada"
    address = updated.billing_details.address
    assert (address.city, address.postal_code) == ("Paris", "75001")
    assert updated.metadata.note == "renewed"
    [event] = _events(stripe_client, "payment_method.updated")
    assert event.data.object.card.exp_month == 3
    with pytest.raises(stripe.CardError) as expired:
        stripe_client.v1.payment_methods.update(pm.id, params={"card": {"exp_year": "2020"}})
    assert expired.value.code == "invalid_expiry_year"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_methods.update(pm.id, params={"card": {"number": VISA}})


def test_detach_clears_the_default_payment_method(stripe_client: stripe.StripeClient) -> None:
    customer, pm = _customer_with_card(stripe_client)
    spare = _card(stripe_client)
    stripe_client.v1.payment_methods.attach(spare.id, params={"customer": customer.id})
    stripe_client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}})
    stripe_client.v1.payment_methods.detach(spare.id)
    assert stripe_client.v1.customers.retrieve(
        customer.id).invoice_settings.default_payment_method == pm.id
    detached = stripe_client.v1.payment_methods.detach(pm.id)
    assert detached.customer is None
    assert stripe_client.v1.customers.retrieve(
        customer.id).invoice_settings.default_payment_method is None
    types = _types(stripe_client)
    assert types.count("payment_method.detached") == 2
    assert types[-2:] == ["payment_method.detached", "customer.updated"]
    assert _events(stripe_client, "customer.updated")[-1].data.object.invoice_settings[
        "default_payment_method"] is None
    with pytest.raises(stripe.InvalidRequestError, match="not attached"):
        stripe_client.v1.payment_methods.detach(pm.id)


# --- disputes ---------------------------------------------------------------------------------

def test_dispute_test_card_opens_a_dispute(stripe_client: stripe.StripeClient) -> None:
    intent = _pay(stripe_client, DISPUTED, amount=4200, currency="eur")
    assert intent.status == "succeeded"
    [dispute] = stripe_client.v1.disputes.list(params={"charge": intent.latest_charge}).data
    assert dispute.id.startswith("dp_")
    assert (dispute.status, dispute.reason) == ("needs_response", "fraudulent")
    assert (dispute.amount, dispute.currency, dispute.payment_intent) == (4200, "eur", intent.id)
    assert dispute.evidence_details.due_by == dispute.created + 7 * 24 * 3600
    assert dispute.evidence_details.submission_count == 0
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).disputed is True
    assert [d.id for d in stripe_client.v1.disputes.list(
        params={"payment_intent": intent.id}).data] == [dispute.id]
    assert stripe_client.v1.disputes.retrieve(dispute.id).id == dispute.id
    types = _types(stripe_client)
    assert types.index("payment_intent.succeeded") < types.index("charge.dispute.created")
    assert "charge.dispute.funds_withdrawn" in types


def test_dispute_evidence_draft_submit_and_resolve(stripe_client: stripe.StripeClient,
                                                   emulator: EmulatorProcess) -> None:
    intent = _pay(stripe_client, amount=1000)
    # Form-encoded, as curl would send it.
    form = urllib.parse.urlencode({"charge": intent.latest_charge, "reason": "product_not_received",
                                   "amount": "800", "due_by": "2000000000"}).encode()
    with urllib.request.urlopen(f"{emulator.api_base}/_config/disputes", form) as response:
        created = json.load(response)
    assert (created["reason"], created["amount"]) == ("product_not_received", 800)
    assert created["evidence_details"]["due_by"] == 2_000_000_000
    disputes = stripe_client.v1.disputes

    draft = disputes.update(created["id"], params={
        "evidence": {"customer_name": "Ada", "product_description": "Lamp"}, "submit": False,
        "metadata": {"case": "7"}})
    assert draft.status == "needs_response" and draft.evidence.customer_name == "Ada"
    assert draft.evidence_details.has_evidence is True
    assert draft.evidence_details.submission_count == 0
    submitted = disputes.update(created["id"], params={
        "evidence": {"shipping_tracking_number": "1Z999"}, "submit": True})
    assert submitted.status == "under_review"
    assert submitted.evidence_details.submission_count == 1
    assert submitted.evidence.product_description == "Lamp"  # merged, not replaced
    with pytest.raises(stripe.InvalidRequestError, match="already been submitted"):
        disputes.update(created["id"], params={"submit": True})
    with pytest.raises(stripe.InvalidRequestError):
        disputes.update(created["id"], params={"evidence": {"not_a_field": "x"}})

    won = emulator.control.resolve_dispute(created["id"], "won")
    assert won["status"] == "won"
    with pytest.raises(stripe.InvalidRequestError, match="already closed"):
        disputes.close(created["id"])
    with pytest.raises(EmulatorControlError, match="already closed"):
        emulator.control.resolve_dispute(created["id"], "lost")
    types = _types(stripe_client)
    assert types.count("charge.dispute.updated") == 2
    assert types[-2:] == ["charge.dispute.closed", "charge.dispute.funds_reinstated"]


def test_dispute_close_accepts_the_loss(stripe_client: stripe.StripeClient,
                                        emulator: EmulatorProcess) -> None:
    intent = _pay(stripe_client)
    inquiry = emulator.control.create_dispute(intent.latest_charge,
                                              status="warning_needs_response")
    assert inquiry["payment_method_details"]["card"]["case_type"] == "inquiry"
    assert stripe_client.v1.disputes.close(inquiry["id"]).status == "warning_closed"
    chargeback = emulator.control.create_dispute(_pay(stripe_client).latest_charge)
    lost = stripe_client.v1.disputes.close(chargeback["id"])
    assert lost.status == "lost"
    with pytest.raises(stripe.InvalidRequestError, match="already closed"):
        stripe_client.v1.disputes.close(chargeback["id"])
    closed = _events(stripe_client, "charge.dispute.closed")
    assert [e.data.object.status for e in closed] == ["warning_closed", "lost"]
    assert "charge.dispute.funds_withdrawn" in _types(stripe_client)


def test_dispute_control_endpoint_validates(stripe_client: stripe.StripeClient,
                                            emulator: EmulatorProcess) -> None:
    with pytest.raises(EmulatorControlError) as missing:
        emulator.control.create_dispute("ch_missing")
    assert missing.value.status == 404
    intent = _pay(stripe_client)
    with pytest.raises(EmulatorControlError, match="reason"):
        emulator.control.create_dispute(intent.latest_charge, reason="bored")
    with pytest.raises(EmulatorControlError, match="exceed"):
        emulator.control.create_dispute(intent.latest_charge, amount=1001)
    emulator.control.create_dispute(intent.latest_charge)
    with pytest.raises(EmulatorControlError, match="already been disputed"):
        emulator.control.create_dispute(intent.latest_charge)
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe_client.v1.disputes.retrieve("dp_missing")
    assert unknown.value.code == "resource_missing"


# --- idempotency, clock, webhooks -------------------------------------------------------------

def test_idempotency_key_replays_the_first_response(stripe_client: stripe.StripeClient) -> None:
    options: Any = {"idempotency_key": "refund-once"}
    intent = _pay(stripe_client, amount=1000)
    params = {"charge": intent.latest_charge, "amount": 400}
    first = stripe_client.v1.refunds.create(params=params, options=options)
    again = stripe_client.v1.refunds.create(params=params, options=options)
    assert again.id == first.id
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).amount_refunded == 400
    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v1.refunds.create(params={**params, "amount": 500}, options=options)
    # A decline is a result too: replayed, not retried.
    declined: Any = {"idempotency_key": "decline"}
    customer, pm = _customer_with_card(stripe_client, DECLINED)
    attempt = {"amount": 100, "currency": "usd", "customer": customer.id,
               "payment_method": pm.id, "confirm": True}
    for _ in range(2):
        with pytest.raises(stripe.CardError):
            stripe_client.v1.payment_intents.create(params=attempt, options=declined)
    assert len(_events(stripe_client, "charge.failed")) == 1


def test_reset_forgets_idempotency_keys(stripe_client: stripe.StripeClient,
                                        emulator: EmulatorProcess) -> None:
    options: Any = {"idempotency_key": "same"}
    first = stripe_client.v1.customers.create(params={"name": "A"}, options=options)
    emulator.reset()
    second = stripe_client.v1.customers.create(params={"name": "A"}, options=options)
    assert second.id != first.id


def test_clock_sets_the_time_of_new_objects_and_events(stripe_client: stripe.StripeClient,
                                                       emulator: EmulatorProcess) -> None:
    past = int(time.time()) - 10 * 86400
    emulator.control.set_clock(past)
    intent = _pay(stripe_client)
    assert intent.created == past
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).created == past
    assert {event.created for event in _events(stripe_client)} == {past}
    emulator.control.set_clock(None)
    now = stripe_client.v1.customers.create(params={"name": "Now"}).created
    assert abs(now - time.time()) < 5
    assert len(_events(stripe_client, "customer.created")) == 2
    assert len(stripe_client.v1.events.list(
        params={"created": {"lte": past}, "limit": 100}).data) == 5


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers["Stripe-Signature"], body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    received: list[tuple[str, bytes]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_webhooks_get_new_events_signed_at_delivery_time(
        stripe_client: stripe.StripeClient, emulator: EmulatorProcess,
        webhook_receiver: tuple[str, list[tuple[str, bytes]]], wait_for: Waiter) -> None:
    url, received = webhook_receiver
    emulator.control.register_webhook("test", url, "whsec_test",
                                      events=["charge.succeeded", "refund.created"])
    emulator.control.set_clock(int(time.time()) - 5 * 86400)  # historical event times
    intent = _pay(stripe_client)
    stripe_client.v1.refunds.create(params={"payment_intent": intent.id})
    asyncio.run(wait_for(lambda: len(received) >= 2, what="two webhook deliveries"))
    events = [stripe.Webhook.construct_event(body.decode(), signature, "whsec_test")
              for signature, body in received]
    assert sorted(event.type for event in events) == ["charge.succeeded", "refund.created"]
