"""Events: emitted to `GET /v1/events` and to registered webhooks, as snapshots."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import aiohttp
from localstripe import resources, webhooks

log = logging.getLogger(__name__)


def emit(event_type: str, obj: Any) -> None:
    """Record an event with the object's current exported shape and schedule its webhooks."""
    resources.schedule_webhook(resources.Event(event_type, obj))


def _snapshot_event_init(original: Any) -> Any:
    def __init__(self: Any, type: str, data: Any) -> None:
        original(self, type, data)
        # Exports copy only the top level: nested dicts would change with the live object.
        self.data = copy.deepcopy(self.data)

    return __init__


def _signature_header(secret: str, payload: bytes) -> str:
    # Sign with the real time, not event.created: seeded events carry historical timestamps
    # and receivers reject signatures older than their tolerance (Stripe: 300 s).
    timestamp = int(time.time())
    signed = b"%d.%s" % (timestamp, payload)
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


async def _send_webhook(event: Any) -> None:
    # Endpoints registered when the event happened, not when it is sent.
    targets = [
        hook
        for hook in webhooks._webhooks.values()
        if hook.events is None or event.type in hook.events
    ]
    if not targets:
        return
    await asyncio.sleep(1)  # as localstripe: let the API response go out first
    payload = json.dumps(event._export(), indent=2, sort_keys=True).encode()
    async with aiohttp.ClientSession() as session:
        for hook in targets:
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": _signature_header(hook.secret, payload),
            }
            try:
                async with session.post(hook.url, data=payload, headers=headers) as response:
                    log.info("webhook %s -> %s: %d", event.type, hook.url, response.status)
            except aiohttp.ClientError as exc:
                log.info("webhook %s -> %s failed: %s", event.type, hook.url, exc)


def clear_webhooks() -> None:
    webhooks._webhooks.clear()


def install() -> None:
    resources.Event.__init__ = _snapshot_event_init(resources.Event.__init__)
    # schedule_webhook looks `_send_webhook` up in its module at call time.
    webhooks._send_webhook = _send_webhook
