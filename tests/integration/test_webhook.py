"""The webhook receiver: signatures, limits, bad events, and the emulator delivering to it
beside the poll (an event seen by both is applied once)."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import stripe
from aiohttp.test_utils import TestClient, TestServer
from peewee import Database

from ledger.db import open_ledger
from ledger.models import Event, Payment
from sync.demo.session import register_with_emulator
from sync.service import SyncService
from sync.webhook import WebhookError, WebhookReceiver
from tests.conftest import Waiter
from tests.helpers import (
    ROOT,
    SECRET,
    cli_env,
    gateway_for,
    intent_event,
    make_customer_with_card,
    pay,
    read_until,
    store_event,
    stripe_headers,
)


def ledger_counts() -> tuple[int, int]:
    return Event.select().count(), Payment.select().count()


@pytest.fixture
async def client(ledger: Database) -> AsyncIterator[TestClient[Any, Any]]:
    receiver = WebhookReceiver(SECRET, store_event, max_body_bytes=4096)
    async with TestClient(TestServer(receiver.app())) as test_client:
        test_client.receiver = receiver  # type: ignore[attr-defined]
        yield test_client


async def post(client: TestClient[Any, Any], body: bytes, headers: dict[str, str]) -> int:
    response = await client.post("/webhook", data=body, headers=headers)
    return response.status


# -- signatures, limits, bodies (no emulator) ---------------------------------------------


async def test_a_signed_event_as_stripe_listen_sends_it_is_stored(
        client: TestClient[Any, Any]) -> None:
    body = json.dumps(intent_event("evt_w1", 100, "succeeded"), indent=2).encode()
    # Real deliveries may carry a second v1 (secret rotation) and a v0: both tolerated.
    headers = stripe_headers(body, extra=",v1=" + "0" * 64 + ",v0=" + "1" * 64)
    assert await post(client, body, headers) == 200
    row = Event.get_by_id("evt_w1")
    assert row.received_via == "webhook"
    assert Payment.get_by_id("pi_w1").status == "succeeded"


@pytest.mark.parametrize(("case", "make_headers", "reason"), [
    ("no header", lambda body: {}, "no Stripe-Signature header"),
    ("wrong secret", lambda body: stripe_headers(body, secret="whsec_other"), "no v1 signature"),
    ("stale", lambda body: stripe_headers(body, at=time.time() - 301), "tolerance"),
    ("future", lambda body: stripe_headers(body, at=time.time() + 900), "clock"),
    ("no timestamp", lambda body: {"Stripe-Signature": "v1=" + "a" * 64}, "no timestamp"),
    ("bad timestamp", lambda body: {"Stripe-Signature": "t=soon,v1=" + "a" * 64}, "malformed"),
    ("only v0", lambda body: {"Stripe-Signature": f"t={int(time.time())},v0=ab"},
     "no v1 signature"),
    ("tampered", lambda body: stripe_headers(body.replace(b"1500", b"1")), "no v1 signature"),
])
async def test_bad_signatures_are_refused_with_a_reason_and_no_body_logged(
        client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture, case: str,
        make_headers: Callable[[bytes], dict[str, str]], reason: str) -> None:
    body = json.dumps(intent_event("evt_sig", 100, "succeeded")).encode()
    caplog.set_level(logging.WARNING, logger="sync.webhook")
    assert await post(client, body, make_headers(body)) == 400, case
    assert reason in caplog.text
    assert "evt_sig" not in caplog.text and "pi_w1" not in caplog.text  # never the body
    assert ledger_counts() == (0, 0)


async def test_oversized_bodies_are_refused_before_reading_them(
        client: TestClient[Any, Any]) -> None:
    event = intent_event("evt_big", 100, "succeeded")
    event["data"]["object"]["metadata"] = {"pad": "x" * 5000}
    body = json.dumps(event).encode()
    assert await post(client, body, stripe_headers(body)) == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: caught while reading
        for start in range(0, len(body), 1000):
            yield body[start:start + 1000]

    response = await client.post("/webhook", data=chunks(), headers=stripe_headers(body))
    assert response.status == 413
    assert ledger_counts() == (0, 0)


@pytest.mark.parametrize("body", [
    b"", b"not json", b"\xff\xfe\x00", b"[1, 2]", b'"evt"', b"[" * 3000,
    json.dumps({"id": "evt_1", "type": "x"}).encode(),  # no created
    json.dumps({"id": 5, "created": 1, "type": "x", "data": {"object": {}}}).encode(),
    json.dumps({"id": "evt_1", "created": 1, "type": "x", "data": {"object": []}}).encode(),
])
async def test_signed_bodies_that_are_not_events_are_refused(
        client: TestClient[Any, Any], body: bytes) -> None:
    assert await post(client, body, stripe_headers(body)) == 400
    assert ledger_counts() == (0, 0)


async def test_duplicates_out_of_order_unknown_and_unseen_objects(
        client: TestClient[Any, Any]) -> None:
    newer = json.dumps(intent_event("evt_new", 300, "succeeded")).encode()
    older = json.dumps(intent_event("evt_old", 200, "requires_payment_method")).encode()
    unknown = json.dumps({"id": "evt_plan", "created": 5, "type": "plan.created",
                          "data": {"object": {"id": "plan_1", "object": "plan"}}}).encode()
    # A refund event for a payment the ledger has never seen.
    unseen = json.dumps({"id": "evt_ref", "created": 310, "type": "charge.refunded",
                         "data": {"object": {"id": "ch_x", "object": "charge", "amount": 900,
                                             "currency": "usd", "payment_intent": "pi_x",
                                             "captured": True, "amount_refunded": 900,
                                             "status": "succeeded"}}}).encode()
    for body in (newer, newer, older, unknown, unseen, unseen):
        assert await post(client, body, stripe_headers(body)) == 200
    assert Payment.get_by_id("pi_w1").status == "succeeded"  # the older one changed nothing
    assert Payment.get_by_id("pi_x").amount_refunded == 900
    assert Event.select().count() == 4
    receiver: WebhookReceiver = client.receiver  # type: ignore[attr-defined]
    assert (receiver.stats.accepted, receiver.stats.applied) == (6, 4)


async def test_an_event_that_cannot_be_stored_is_not_acknowledged(
        ledger: Database, caplog: pytest.LogCaptureFixture) -> None:
    # The second same-second event makes the receiver re-fetch the intent; Stripe is down.
    dead = SyncService(gateway_for("http://127.0.0.1:9", timeout_seconds=1))
    receiver = WebhookReceiver(SECRET, dead.apply_pushed)
    first = json.dumps(intent_event("evt_a", 500, "processing")).encode()
    second = json.dumps(intent_event("evt_b", 500, "succeeded")).encode()
    async with TestClient(TestServer(receiver.app())) as test_client:
        assert await post(test_client, first, stripe_headers(first)) == 200
        assert await post(test_client, second, stripe_headers(second)) == 503
    assert "cannot reach Stripe" in caplog.text
    assert Event.get_or_none(Event.id == "evt_b") is None  # Stripe retries; the poll reads it
    assert receiver.stats.failed == 1


def test_a_same_second_event_stored_meanwhile_by_another_writer_is_resolved(
        emulator: Any, stripe_client: stripe.StripeClient, ledger: Database,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two events of one second for one payment, the newer stored by another writer (the
    poll, another process) between this writer's look at the ledger and its transaction:
    the look is repeated under the write lock, and the payment is re-fetched."""
    customer, method = make_customer_with_card(stripe_client, "ike@example.com")
    intent = pay(stripe_client, customer, method, 1700)
    now = int(time.time())
    older = intent_event("evt_older", now, "requires_payment_method", intent_id=intent.id)
    newer = intent_event("evt_newer", now, "succeeded", intent_id=intent.id)
    service = SyncService(gateway_for(emulator.api_base))
    looked = service._fetch_fresh

    def meanwhile(ambiguous: Any) -> Any:
        if not Event.select().count():
            store_event(newer)  # committed by "another writer", after this one looked
        return looked(ambiguous)

    monkeypatch.setattr(service, "_fetch_fresh", meanwhile)
    result = service.apply_pushed(older)
    assert result.new == 1
    assert Payment.get_by_id(intent.id).status == "succeeded"  # not the older payload


async def test_a_listening_receiver_keeps_live_stats_for_the_header(
        ledger: Database) -> None:
    """Over a real socket: where it listens, when it last accepted an event, and each
    delivery it rejected (bad signature, malformed, oversize) since it started."""
    at = 1_800_000_000  # the receiver's "now", and when each delivery is signed
    receiver = WebhookReceiver(SECRET, store_event, port=0, max_body_bytes=4096,
                               clock=lambda: at)
    assert receiver.stats.address is None
    await receiver.start()
    try:
        assert receiver.stats.address == f"127.0.0.1:{receiver.port}" and receiver.port
        event = json.dumps(intent_event("evt_s1", 100, "succeeded")).encode()
        malformed = b'{"id": "evt_s2"}'
        deliveries = [(event, stripe_headers(event, at=at), 200),
                      (event, stripe_headers(event, at=at, secret="whsec_other"), 400),
                      (malformed, stripe_headers(malformed, at=at), 400),
                      (b"x" * 5000, stripe_headers(b"x" * 5000, at=at), 413)]
        async with aiohttp.ClientSession() as session:
            for body, headers, status in deliveries:
                async with session.post(receiver.url, data=body, headers=headers) as answer:
                    assert answer.status == status
        stats = receiver.stats
        assert (stats.accepted, stats.rejected, stats.last_event_at) == (1, 3, at)
    finally:
        await receiver.stop()
    assert receiver.stats.address is None  # stopped: no longer shown as listening


async def test_a_taken_port_is_a_clear_error(ledger: Database) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        receiver = WebhookReceiver(SECRET, store_event, port=taken.getsockname()[1])
        with pytest.raises(WebhookError, match=r"cannot listen on 127\.0\.0\.1"):
            await receiver.start()


# -- against the emulator --------------------------------------------------------------


def succeeded(intent_id: str) -> Callable[[], bool]:
    def check() -> bool:
        row = Payment.get_or_none(Payment.id == intent_id)
        return row is not None and row.status == "succeeded"
    return check


async def test_emulator_deliveries_arrive_in_about_a_second_and_poll_adds_nothing(
        emulator: Any, stripe_client: stripe.StripeClient, ledger_location: str,
        wait_for: Waiter) -> None:
    open_ledger(ledger_location)
    service = SyncService(gateway_for(emulator.api_base))
    customer, method = make_customer_with_card(stripe_client, "wes@example.com")
    await asyncio.to_thread(service.run_once)
    changes: list[int] = []
    receiver = WebhookReceiver(SECRET, service.apply_pushed, port=0, on_listening=lambda url:
                               register_with_emulator(emulator.api_base, url, SECRET))
    await receiver.start(on_change=lambda: changes.append(1))
    try:
        created = time.monotonic()
        intent = await asyncio.to_thread(pay, stripe_client, customer, method, 2600)
        await wait_for(succeeded(intent.id), what="the webhook's payment")
        latency = time.monotonic() - created
        await asyncio.sleep(1.2)  # let any remaining delivery land
    finally:
        await receiver.stop()
    assert latency < 5.0
    assert changes and receiver.stats.rejected == 0
    assert Event.select().where(Event.received_via == "webhook").count() >= 2
    before = Event.select().count()
    report = await asyncio.to_thread(service.run_once)  # the poll safety net
    assert report.events_new == 0 and report.duplicates >= before - 1
    assert Event.select().count() == before


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_headless_sync_runs_the_receiver_beside_the_poll(
        emulator: Any, stripe_client: stripe.StripeClient, tmp_path: Path,
        ledger_location: str, wait_for: Waiter) -> None:
    port = free_port()
    ledger_path = ledger_location
    env = cli_env(tmp_path, STRIPE_WEBHOOK_SECRET=SECRET,
                  PAYCONSOLE_WEBHOOK__LISTEN=f"127.0.0.1:{port}",
                  PAYCONSOLE_SYNC__INTERVAL_SECONDS="60")
    customer, method = make_customer_with_card(stripe_client, "hal@example.com")
    process = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "sync", "--ledger", str(ledger_path),
         "--api-base", emulator.api_base], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    try:
        read_until(process, "receiving webhooks at", "backfilled")  # the first poll ran
        register_with_emulator(emulator.api_base, f"http://127.0.0.1:{port}/webhook", SECRET)
        intent = pay(stripe_client, customer, method, 3100)
        open_ledger(ledger_path, read_only=True)
        # Long before the next poll (60 s).
        asyncio.run(wait_for(succeeded(intent.id), timeout=30, what="the webhook's payment"))
    finally:
        process.terminate()
        _, err = process.communicate(timeout=60)
    assert b"Traceback" not in err
