"""Stripe failing under the sync, over HTTP: 500s, 429 with Retry-After, a hang, and the
connection refused (the emulator stopped mid-sync, then restarted). Each time the run fails
cleanly (nothing half-written: the ledger is as before), health says what happened, the
scheduled runs back off, and the next success catches up to what a clean sync gives.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

from console.cli import main
from ledger import audit
from ledger.audit import NewEntry
from ledger.db import LedgerError, open_ledger
from ledger.models import Event, Payment, database
from ledger.queries import PaymentListing
from sync.apply import apply_objects
from sync.emulator import EmulatorProcess
from sync.health import load_health
from sync.service import SyncError, SyncService, SyncSettings, backoff_seconds
from tests.helpers import (
    API_KEY,
    SQLITE_ONLY,
    Dump,
    LedgerCopy,
    Location,
    client_for,
    dump_ledger,
    gateway_for,
    integrity,
    make_customer_with_card,
    pay,
    payments_of_a_new_customer,
)
from tests.integration.fault_proxy import Fault, FaultProxy


def clean_sync(ledger_copy: LedgerCopy, before: Location, api_base: str) -> Dump:
    """What a fault-free sync makes of the `before` ledger (in a copy of it)."""
    work = ledger_copy(before, "clean")
    open_ledger(work)
    SyncService(gateway_for(api_base)).run_once()
    return dump_ledger(work)


def activity(client: stripe.StripeClient, payments: int) -> None:
    """Payments (3 events each) and some refunds: over one page of events."""
    intents = payments_of_a_new_customer(client, "flo@example.com", payments, 1000)
    for n, intent in enumerate(intents):
        if n % 4 == 0:
            client.v1.refunds.create({"payment_intent": intent.id, "amount": 300})


def prepare(stripe_client: stripe.StripeClient, ledger_copy: LedgerCopy, path: str,
            api_base: str, payments: int = 40) -> Location:
    """Sync once (backfill done), then make a backlog; returns a copy of the ledger then."""
    open_ledger(path)
    SyncService(gateway_for(api_base)).run_once()
    activity(stripe_client, payments)
    return ledger_copy(path, "before")


@pytest.mark.parametrize(("fault", "message"), [
    (Fault(status=500, path="/v1/events", times=99), "server error (HTTP 500)"),
    # The first page of events is read, the second fails: none of the window is stored.
    (Fault(status=502, body="<html>bad gateway</html>", path="/v1/events", skip=1, times=99),
     "HTTP 502 without a Stripe error body"),
    # The events are read, then re-fetching an object fails before the transaction.
    (Fault(status=503, path="/v1/payment_intents/", times=99), "server error (HTTP 503)"),
    (Fault(status=429, path="/v1/events", times=99, headers={"Retry-After": "0"},
           body='{"error": {"type": "rate_limit_error", "message": "Too many requests"}}'),
     "Too many requests"),
    (Fault(hang=True, path="/v1/events", times=99), "no answer in time (timed out)"),
])
def test_a_failed_run_writes_nothing_and_the_next_catches_up(
        stripe_client: stripe.StripeClient, emulator: EmulatorProcess, proxy: FaultProxy,
        ledger_location: str, ledger_copy: LedgerCopy, fault: Fault, message: str) -> None:
    path = ledger_location
    before = prepare(stripe_client, ledger_copy, path, emulator.api_base)
    proxy.inject(fault)
    # Long enough for a busy machine's emulator to answer, short enough for the hang.
    service = SyncService(gateway_for(proxy.url, timeout_seconds=2, max_network_retries=1))
    with pytest.raises(SyncError, match=re.escape(message)):
        service.run_once()
    assert dump_ledger(path) == dump_ledger(before)  # nothing half-written
    health = load_health()
    assert health.consecutive_failures == 1 and message in (health.last_error or "")
    assert health.lag_seconds() is not None  # the data's age, from the last success
    assert service.run_due() is None  # backing off: not called again at the next tick
    proxy.clear()
    service.retry_now()
    report = service.run_due()
    assert report is not None and report.events_new > 100
    assert load_health().consecutive_failures == 0
    assert dump_ledger(path) == clean_sync(ledger_copy, before, emulator.api_base)


def test_transient_500s_and_429s_are_retried_within_the_run(
        stripe_client: stripe.StripeClient, emulator: EmulatorProcess, proxy: FaultProxy,
        ledger_location: str, ledger_copy: LedgerCopy) -> None:
    before = prepare(stripe_client, ledger_copy, ledger_location, emulator.api_base,
                     payments=5)
    proxy.inject(Fault(status=500, path="/v1/events", times=1))
    proxy.inject(Fault(status=429, path="/v1/payment_intents/", times=1,
                       headers={"Retry-After": "1"},
                       body='{"error": {"type": "rate_limit_error", "message": "slow down"}}'))
    started = time.monotonic()
    SyncService(gateway_for(proxy.url, max_network_retries=2)).run_once()
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    assert "500" in proxy.outcomes("/v1/events") and "429" in proxy.outcomes("/v1/payment_")
    assert dump_ledger(ledger_location) == clean_sync(ledger_copy, before, emulator.api_base)


def stop_before_request(service: SyncService, number: int, stop: Callable[[], Any]) -> None:
    """Make the gateway's `number`th request find the server gone."""
    original = service.gateway.request
    count = 0

    def request(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        if count == number:
            stop()
        return original(*args, **kwargs)

    service.gateway.request = request  # type: ignore[method-assign]


def test_the_emulator_stopped_mid_sync_then_restarted(
        tmp_path: Path, ledger_location: str, ledger_copy: LedgerCopy) -> None:
    state = tmp_path / "emulator.state"
    path = ledger_location
    own = EmulatorProcess(state=state).start()
    port = own.port
    try:
        client = client_for(own.api_base)
        before = prepare(client, ledger_copy, path, own.api_base)
        service = SyncService(gateway_for(own.api_base, max_network_retries=1))
        stop_before_request(service, 2, own.stop)  # the second page of events
        with pytest.raises(SyncError, match="connection refused"):
            service.run_once()
        assert dump_ledger(path) == dump_ledger(before)
        assert service.run_due() is None  # backing off
        own = EmulatorProcess(state=state, port=port).start()  # same address, same data
        service.retry_now()
        assert service.run_due() is not None
        assert dump_ledger(path) == clean_sync(ledger_copy, before, own.api_base)
    finally:
        own.stop()


def test_scheduled_runs_back_off_exponentially_and_recover(ledger_location: str) -> None:
    open_ledger(ledger_location)
    now = [1_000_000.0]
    settings = SyncSettings(retry_base_seconds=10, retry_max_seconds=80)
    dead = SyncService(gateway_for("http://127.0.0.1:9", timeout_seconds=1), settings,
                       clock=lambda: now[0])
    attempts = []
    for _ in range(400):  # 400 one-second scheduler ticks against a dead server
        before = dead.gateway.requests_made
        with contextlib.suppress(SyncError):
            dead.run_due()
        if dead.gateway.requests_made > before:
            attempts.append(int(now[0] - 1_000_000))
        now[0] += 1
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert gaps[:4] == [10, 20, 40, 80] and set(gaps[4:]) == {80}
    health = load_health()
    assert health.consecutive_failures == len(attempts)
    assert health.next_attempt == 1_000_000 + attempts[-1] + 80
    assert "connection refused" in (health.last_error or "")
    assert [backoff_seconds(n, settings) for n in (0, 1, 2, 3, 50)] == [0, 10, 20, 40, 80]


# -- the ledger under pressure: two writers, a full disk, a read-only file --------------


def test_console_and_a_headless_sync_write_the_same_ledger_at_once(
        stripe_client: stripe.StripeClient, emulator: EmulatorProcess, ledger_location: str,
        caplog: pytest.LogCaptureFixture) -> None:
    """The sync (backfill, events, health) in one thread, the console in another reading
    its panes and writing what actions write (objects, audit entries), Stripe busy in a
    third: for three seconds (longer if a busy machine has not done 20 console writes by
    then), no write may fail with "database is locked"."""
    caplog.set_level(logging.INFO, logger="ledger.db")
    open_ledger(ledger_location)
    customer, method = make_customer_with_card(stripe_client, "gil@example.com")
    started = time.monotonic()
    errors: list[BaseException] = []
    writes = {"sync": 0, "console": 0, "stripe": 0}

    def done() -> bool:
        elapsed = time.monotonic() - started
        enough = writes["sync"] >= 1 and writes["console"] >= 20
        return bool(errors) or elapsed >= 60 or (elapsed >= 3.0 and enough)

    def until_done(name: str, step: Callable[[], Any]) -> Callable[[], None]:
        def loop() -> None:
            try:
                while not done():
                    step()
                    writes[name] += 1
            except BaseException as exc:
                errors.append(exc)
        return loop

    service = SyncService(gateway_for(emulator.api_base))
    listing = PaymentListing()

    def console_step() -> None:
        listing.count()
        listing.page(0, 50)
        with database.atomic():
            apply_objects(database, [{"id": customer, "object": "customer",
                                      "email": "gil@example.com", "created": 1}], 1)
        audit.append(NewEntry(operator="ada", action="refund", target="pi_x",
                              result="refused", error="test"))

    threads = [threading.Thread(target=until_done("sync", service.run_once)),
               threading.Thread(target=until_done("console", console_step)),
               threading.Thread(target=until_done("stripe", lambda: paced_payment(
                   stripe_client, customer, method)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # Not even a wait past the busy timeout (which retry_locked would have hidden).
    assert "locked" not in caplog.text
    assert writes["sync"] >= 1 and writes["console"] >= 20


def paced_payment(client: stripe.StripeClient, customer: str, method: str) -> None:
    pay(client, customer, method, 700)
    time.sleep(0.05)  # a busy shop, not a flood: each sync run stays short


@SQLITE_ONLY
def test_a_full_disk_is_a_clear_message_and_corrupts_nothing(
        stripe_client: stripe.StripeClient, emulator: EmulatorProcess, ledger_location: str,
        ledger_copy: LedgerCopy) -> None:
    """SQLite only: the full disk is made with SQLite's max_page_count."""
    path = ledger_location
    before = prepare(stripe_client, ledger_copy, path, emulator.api_base)
    pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
    database.execute_sql(f"PRAGMA max_page_count = {pages}")  # no room to grow: SQLITE_FULL
    service = SyncService(gateway_for(emulator.api_base))
    with pytest.raises(SyncError, match="disk holding the ledger is full"):
        service.run_once()
    assert integrity(path) == "ok" and dump_ledger(path) == dump_ledger(before)
    database.execute_sql("PRAGMA max_page_count = 1073741823")  # space freed
    service.retry_now()
    service.run_due()
    assert dump_ledger(path) == clean_sync(ledger_copy, before, emulator.api_base)


@SQLITE_ONLY
def test_a_ledger_turned_read_only_mid_run_is_a_clear_message(
        stripe_client: stripe.StripeClient, emulator: EmulatorProcess, ledger_location: str,
        ledger_copy: LedgerCopy) -> None:
    """SQLite only: a file turned read-only (SQLite's query_only stands in for it)."""
    path = ledger_location
    before = prepare(stripe_client, ledger_copy, path, emulator.api_base, payments=5)
    database.execute_sql("PRAGMA query_only = 1")  # as if the file system went read-only
    with pytest.raises(SyncError, match="ledger file has become read-only"):
        SyncService(gateway_for(emulator.api_base)).run_once()
    database.execute_sql("PRAGMA query_only = 0")
    assert integrity(path) == "ok" and dump_ledger(path) == dump_ledger(before)


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder whose files cannot be written: by permissions, or for root (whom
    permissions do not stop) by a read-only mount; a failure if neither is possible."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        yield folder
        folder.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.fail("running as root, so only a read-only mount stops writes, and mount "
                    f"failed (run the tests as another user, or allow mounts): {mounted.stderr}")
    try:
        yield folder
    finally:
        # Lazily: a connection some failed assertion left open must not keep it mounted.
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


def make_read_only(folder: Path) -> None:
    if os.geteuid() != 0:
        for file in folder.iterdir():
            file.chmod(0o444)
        folder.chmod(0o555)
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


def test_a_read_only_ledger_file_is_refused_with_what_to_do(
        read_only_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """SQLite only: about a ledger file whose folder cannot be written."""
    path = read_only_folder / "ledger.db"
    open_ledger(path).close()
    make_read_only(read_only_folder)
    with pytest.raises(LedgerError, match=r"read-only .* open it with --read-only"):
        open_ledger(path)
    args = ["--ledger", str(path), "--api-base", "http://127.0.0.1:9"]
    os.environ["STRIPE_API_KEY"] = API_KEY
    try:
        assert main(["sync", "--once", *args]) == 2
    finally:
        del os.environ["STRIPE_API_KEY"]
    assert "is read-only" in capsys.readouterr().err
    review = open_ledger(path, read_only=True)  # reviewing it still works
    assert Payment.select().count() == 0
    review.close()


def test_bad_events_in_the_events_list_are_stored_or_skipped_never_a_crash(
        stripe_client: stripe.StripeClient, emulator: EmulatorProcess, proxy: FaultProxy,
        ledger_location: str, caplog: pytest.LogCaptureFixture) -> None:
    open_ledger(ledger_location)
    service = SyncService(gateway_for(proxy.url))
    service.run_once()
    now = int(time.time())

    def intent(event_id: str, created: int, status: str) -> dict[str, Any]:
        return {"id": event_id, "object": "event", "created": created,
                "type": f"payment_intent.{status}",
                "data": {"object": {"id": "pi_never_fetched", "object": "payment_intent",
                                    "amount": 800, "currency": "eur", "status": status,
                                    "created": now - 60}}}

    newer = intent("evt_newer", now - 10, "succeeded")
    page = [newer, intent("evt_older", now - 20, "processing"), newer,  # out of order, twice
            {"id": "evt_plan", "object": "event", "created": now - 5, "type": "plan.created",
             "data": {"object": {"id": "plan_1", "object": "plan"}}},
            {"id": "evt_refund", "object": "event", "created": now - 4,  # unseen payment
             "type": "charge.refunded", "data": {"object": {
                 "id": "ch_unseen", "object": "charge", "amount": 500, "currency": "usd",
                 "payment_intent": "pi_unseen", "captured": True, "amount_refunded": 500,
                 "status": "succeeded"}}},
            {"id": "evt_no_time", "type": "customer.created", "data": {"object": {}}},
            {"id": "evt_no_data", "created": now, "type": "customer.created"},
            "not an event", None, [1, 2]]
    proxy.inject(Fault(status=200, path="/v1/events",
                       body=json.dumps({"object": "list", "data": page, "has_more": False})))
    report = service.run_once()
    assert (report.events_new, report.duplicates, report.malformed) == (4, 1, 2)
    assert caplog.text.count("skipped a malformed event") == 2
    assert "skipped 3 entries of a page of /v1/events that are not objects" in caplog.text
    assert Payment.get_by_id("pi_never_fetched").status == "succeeded"
    assert Payment.get_by_id("pi_unseen").amount_refunded == 500
    assert Event.select().where(Event.id.in_(["evt_plan", "evt_refund"])).count() == 2
    again = service.run_once()  # the real list again: nothing of the above disturbed it
    assert again.malformed == 0
