"""Keeping API keys and webhook secrets out of every message, log line and traceback."""

from __future__ import annotations

import logging
import re

# Anywhere but inside a longer alphanumeric word: `STRIPE_KEY_sk_live_...` is caught too.
_SECRET = re.compile(
    r"(?<![A-Za-z0-9])(?P<prefix>(?:sk|rk)_(?:test|live)_|whsec_)[A-Za-z0-9]+"
)


def redact(text: str) -> str:
    """Replace anything shaped like a Stripe secret with its kind and an ellipsis."""
    return _SECRET.sub(lambda m: m.group("prefix") + "…", text)


def key_mode(api_key: str) -> str:
    """'live' or 'test', from the key's prefix."""
    return "live" if "_live_" in api_key[:8] else "test"


class RedactingFilter(logging.Filter):
    """Attach to handlers so no record, nor its traceback, ever prints a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
