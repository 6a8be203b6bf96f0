"""Errors the console and the CLI share. Kept apart from console.config so that what only
needs to raise one (the command registry) does not load pydantic with it."""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration problem, stated in one line."""
