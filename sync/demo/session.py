"""The demo's moving parts: its own emulator (state under the demo folder), seeded once with
a past month, the sync and webhook receiver feeding its ledger, and a trickle of live
payments. The console side (a progress bar, the app) is console/cli_demo.py.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from ledger.leader import Leadership
from sync.actions import Actions
from sync.demo.generator import DemoGenerator, TickResult
from sync.demo.seed import DAY, PAYOUT_HOUR, SeedSummary, seed
from sync.emulator import ControlClient, EmulatorProcess
from sync.gateway import StripeGateway
from sync.scheduler import Job
from sync.service import SyncService, SyncSettings
from sync.webhook import WebhookReceiver

DEMO_API_KEY = "sk_test_payconsole_demo"
SEED_DAYS = 30
SYNC_EVERY_SECONDS = 2.0
TRICKLE_EVERY_SECONDS = 4.0
PAYOUT_CHECK_SECONDS = 60.0
# The emulator is on loopback with no rate limit of its own: seeding a month is ~2,000 calls.
EMULATOR_REQUESTS_PER_SECOND = 1000.0


def emulator_gateway(api_base: str) -> StripeGateway:
    """A gateway to a local emulator: no retries (nothing flaky between us) and no real limit."""
    return StripeGateway(DEMO_API_KEY, api_base, max_network_retries=0,
                         requests_per_second=EMULATOR_REQUESTS_PER_SECOND)


def register_with_emulator(emulator_base: str, receiver_url: str, secret: str, *,
                           endpoint_id: str = "payconsole") -> None:
    """Have the local emulator deliver every event to the receiver at `receiver_url`."""
    ControlClient(emulator_base).register_webhook(endpoint_id, receiver_url, secret)


@dataclass(frozen=True)
class DemoServices:
    """What the console runs for the demo: its jobs, the receiver and the operator actions."""

    jobs: list[Job]
    receiver: WebhookReceiver
    actions: Actions
    sync: SyncService


class DemoSession:
    """Everything under `root`: `ledger.db`, `emulator.state`, and `seeded.json` once seeded.
    With `ledger_url` (`demo --team`), the ledger is that PostgreSQL database instead, and
    the emulator keeps nothing: both are thrown away together."""

    def __init__(self, root: Path, ledger_url: str | None = None) -> None:
        self.root = root
        self.ledger_url = ledger_url
        self.ledger_location: str | Path = ledger_url or root / "ledger.db"
        self._state_path: Path | None = None if ledger_url else root / "emulator.state"
        self._seeded_path = root / "seeded.json"
        self._emulator: EmulatorProcess | None = None
        self._gateway: StripeGateway | None = None
        self._generator = DemoGenerator()

    def forget(self) -> None:
        """Start over: drop the demo's ledger and emulator data (never anything else)."""
        if self.root.exists():
            shutil.rmtree(self.root)

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._emulator = EmulatorProcess(state=self._state_path).start()
        self._gateway = emulator_gateway(self._emulator.api_base)

    @property
    def seeded(self) -> bool:
        return self.ledger_url is None and self._seeded_path.exists()

    def seed(self, progress: Callable[[int, int], None] | None = None) -> SeedSummary:
        summary = seed(self.gateway, self._running().control, days=SEED_DAYS,
                       progress=progress)
        self._seeded_path.write_text(json.dumps(asdict(summary), indent=2))
        return summary

    def trickle(self) -> TickResult:
        """One new live payment (some decline)."""
        return self._generator.tick(self.gateway)

    def daily_payout(self) -> int:
        """The day's payouts (one per currency) once its payout hour has come, as the
        seeded month has them; returns how many were made."""
        now = int(time.time())
        evening = now - now % DAY + PAYOUT_HOUR * 3600
        if now < evening:
            return 0
        made = self.gateway.get("/v1/payouts", {"created": {"gte": evening}, "limit": 1})
        if made["data"]:
            return 0
        return len(self._running().control.sweep_payouts("in_transit"))

    def services(self, operator: str, *, read_only: bool) -> DemoServices:
        """The sync every few seconds, the trickle, and a webhook receiver on a free port
        (payments reach the panes within about a second; polling stays the safety net)."""
        # A day more than the seeded month, so its oldest payments are inside the backfill.
        leadership = Leadership(self.ledger_url) if self.ledger_url else None
        service = SyncService(self.gateway, SyncSettings(backfill_days=SEED_DAYS + 1),
                              leadership=leadership)
        api_base = self._running().api_base
        secret = "whsec_" + secrets.token_hex(16)
        receiver = WebhookReceiver(
            secret, service.apply_pushed, port=0,
            on_listening=lambda url: register_with_emulator(api_base, url, secret),
        )
        jobs = [Job("sync", service.run_due, SYNC_EVERY_SECONDS, wake=service.retry_now),
                Job("demo", self.trickle, TRICKLE_EVERY_SECONDS, run_at_start=False),
                Job("payouts", self.daily_payout, PAYOUT_CHECK_SECONDS)]
        return DemoServices(jobs, receiver,
                            Actions(self.gateway, operator, read_only=read_only), service)

    def second_console(self) -> str:
        """The command that opens another console on this demo's team ledger."""
        return (f"STRIPE_API_KEY={DEMO_API_KEY} payconsole --ledger {self.ledger_location} "
                f"--api-base {self._running().api_base}")

    def stop(self) -> None:
        if self._emulator is not None:
            self._emulator.stop()
            self._emulator = None
            self._gateway = None

    @property
    def gateway(self) -> StripeGateway:
        if self._gateway is None:
            raise RuntimeError("the demo emulator is not running")
        return self._gateway

    def _running(self) -> EmulatorProcess:
        if self._emulator is None:
            raise RuntimeError("the demo emulator is not running")
        return self._emulator
