"""The demo's moving parts: its own emulator (state under the demo folder), seeded once
with a past month, and a trickle of live payments. The console side is console/demo.py.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import stripe

from sync.demo import DemoGenerator, SeedSummary, seed
from sync.emulator import EmulatorProcess

DEMO_API_KEY = "sk_test_payconsole_demo"
SEED_DAYS = 30


class DemoSession:
    """Everything under `root`: `ledger.db`, `emulator.state`, and `seeded.json` once seeded."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ledger_path = root / "ledger.db"
        self._state_path = root / "emulator.state"
        self._seeded_path = root / "seeded.json"
        self._emulator: EmulatorProcess | None = None
        self._generator = DemoGenerator()

    def forget(self) -> None:
        """Start over: drop the demo's ledger and emulator data (never anything else)."""
        if self.root.exists():
            shutil.rmtree(self.root)

    def start(self) -> str:
        """Start the emulator; returns its API base URL."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._emulator = EmulatorProcess(state=self._state_path).start()
        return self._emulator.api_base

    @property
    def seeded(self) -> bool:
        return self._seeded_path.exists()

    def seed(self, progress: Callable[[int, int], None] | None = None) -> SeedSummary:
        emulator = self._running()
        summary = seed(self._client(), days=SEED_DAYS, progress=progress,
                       control_base=emulator.api_base)
        self._seeded_path.write_text(json.dumps(asdict(summary), indent=2))
        return summary

    def trickle(self) -> str:
        """One new live payment (some decline); returns a line saying what happened."""
        result = self._generator.tick(self._client())
        return f"{result.payment_intent} {result.status}"

    def stop(self) -> None:
        if self._emulator is not None:
            self._emulator.stop()
            self._emulator = None

    def _running(self) -> EmulatorProcess:
        if self._emulator is None:
            raise RuntimeError("the demo emulator is not running")
        return self._emulator

    def _client(self) -> stripe.StripeClient:
        return stripe.StripeClient(
            DEMO_API_KEY, base_addresses={"api": self._running().api_base},
            max_network_retries=0,
        )
