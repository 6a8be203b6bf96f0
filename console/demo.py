"""`payconsole demo`: the console on its own emulator, seeded once with a past month,
with a live trickle of payments. Never touches the user's real ledger."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from typing import Any

from console.config import Settings, data_dir
from console.context import ConsoleContext, Mode
from ledger.db import open_ledger
from sync.actions import Actions
from sync.demo_session import DEMO_API_KEY, SEED_DAYS, DemoSession
from sync.gateway import StripeGateway
from sync.scheduler import Job
from sync.service import SyncService, SyncSettings
from sync.webhook import WebhookReceiver, register_with_emulator

SYNC_EVERY_SECONDS = 2.0
TRICKLE_EVERY_SECONDS = 4.0


class ProgressBar:
    """A one-line bar on stderr, redrawn only when it grows by a step."""

    def __init__(self, width: int = 40) -> None:
        self._width = width
        self._drawn = -1

    def __call__(self, done: int, total: int) -> None:
        filled = self._width * done // max(total, 1)
        if filled == self._drawn and done < total:
            return
        self._drawn = filled
        bar = "#" * filled + "-" * (self._width - filled)
        end = "\n" if done >= total else ""
        print(f"\rseeding a month of demo data [{bar}] {done}/{total}", end=end,
              file=sys.stderr, flush=True)


def run_demo(settings: Settings, *, fresh: bool, run_app: Callable[[Any], int]) -> int:
    session = DemoSession(data_dir() / "demo")
    if fresh:
        session.forget()
    api_base = session.start()
    try:
        if not session.seeded:
            summary = session.seed(ProgressBar())
            print(f"seeded {summary.customers} customers, {summary.payments} payments, "
                  f"{summary.refunds} refunds, {summary.disputes} disputes in "
                  f"{summary.seconds:.1f}s", file=sys.stderr)
        open_ledger(session.ledger_path)
        gateway = StripeGateway(DEMO_API_KEY, api_base, requests_per_second=100)
        # A day more than the seeded month, so its oldest payments are inside the backfill.
        service = SyncService(gateway, SyncSettings(backfill_days=SEED_DAYS + 1))
        context = ConsoleContext(
            ledger_path=session.ledger_path, mode=Mode.DEMO,
            operator=settings.console.operator, keymap=settings.console.keymap,
            jobs=[
                Job("sync", service.run_due, SYNC_EVERY_SECONDS, wake=service.retry_now),
                Job("demo", session.trickle, TRICKLE_EVERY_SECONDS, run_at_start=False),
            ],
            # Payments reach the panes within about a second; polling stays the safety net.
            services=[_receiver(service, api_base)],
            actions=Actions(gateway, settings.console.operator,
                            read_only=settings.console.read_only),
        )
        return run_app(context)
    finally:
        session.stop()


def _receiver(service: SyncService, api_base: str) -> WebhookReceiver:
    """A receiver on a free port, registered with the demo's emulator once listening."""
    secret = "whsec_" + secrets.token_hex(16)
    return WebhookReceiver(
        secret, service.apply_pushed, port=0,
        on_listening=lambda url: register_with_emulator(api_base, url, secret),
    )
