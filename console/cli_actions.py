"""Headless operator actions (refund, charge, payment methods, disputes, audit)."""

from __future__ import annotations

from console.cli_types import Command

ACTION_COMMANDS: dict[str, Command] = {}
