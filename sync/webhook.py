"""Stripe webhooks: an HTTP receiver on loopback feeding the same apply path as polling.

`POST /webhook` takes what Stripe (or `stripe listen --forward-to
http://127.0.0.1:8787/webhook`) sends: a JSON event and a `Stripe-Signature:
t=<unix>,v1=<hex>[,v1=<hex>...]` header, where v1 is HMAC-SHA256 of "<t>.<body>" under the
endpoint secret. The answer is 2xx only once the event is committed to the ledger, so a
delivery Stripe sees acknowledged is never lost; anything refused gets a 4xx and a log line
saying why (never the body). Polling keeps running beside it: an event seen by both is
applied once, and one the receiver missed is read by the next poll.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ledger.db import ledger_problem
from sync.apply import ApplyResult, event_problem
from sync.gateway import GatewayError
from sync.service import SyncError

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhook"
TOLERANCE_SECONDS = 300  # Stripe's default: older signatures are replays or stale
DEFAULT_MAX_BODY_BYTES = 1024 * 1024

# The blocking apply step, run in a thread: normally SyncService.apply_pushed.
ApplyEvent = Callable[[Mapping[str, Any]], ApplyResult]


class SignatureError(ValueError):
    """Why a Stripe-Signature header does not authenticate a body."""


class WebhookError(Exception):
    """The receiver cannot run (e.g. its port is taken); the message says why."""


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The Stripe-Signature header Stripe would send for `payload` at `timestamp`."""
    return f"t={timestamp},v1={_digest(payload, secret, timestamp)}"


def _digest(payload: bytes, secret: str, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _parse_header(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            if not value.isascii() or not value.isdigit() or len(value) > 12:
                raise SignatureError("Stripe-Signature has a malformed timestamp")
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None:
        raise SignatureError("Stripe-Signature has no timestamp (t=)")
    if not signatures:
        raise SignatureError("Stripe-Signature has no v1 signature")
    return timestamp, signatures


def verify_signature(payload: bytes, header: str | None, secret: str, *, now: float,
                     tolerance: int = TOLERANCE_SECONDS) -> None:
    """Raise SignatureError unless one v1 signature in `header` signs `payload` under
    `secret` with a timestamp within `tolerance` seconds of `now`."""
    if not header:
        raise SignatureError("no Stripe-Signature header")
    timestamp, signatures = _parse_header(header)
    expected = _digest(payload, secret, timestamp)
    # Every candidate is compared in constant time; during secret rotation Stripe sends
    # one v1 per active secret.
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("no v1 signature matches (wrong endpoint secret, or the body "
                             "was altered)")
    drift = now - timestamp
    if drift > tolerance:
        raise SignatureError(f"signed {drift:.0f}s ago, more than the {tolerance}s tolerance "
                             "(a replay, or a delivery delayed that long)")
    if -drift > tolerance:
        raise SignatureError(f"signed {-drift:.0f}s in the future, beyond the {tolerance}s "
                             "tolerance: check this machine's clock")


def parse_event(payload: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The event in a body, or None and why it is not one."""
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        return None, f"body is not JSON ({type(exc).__name__})"
    problem = event_problem(event)
    return (None, problem) if problem else (event, None)


@dataclass
class WebhookStats:
    """What the receiver has done since it started: logged when it stops, shown live in
    the console's header."""

    address: str | None = None  # "127.0.0.1:8787" while listening, else None
    last_event_at: float | None = None  # when the last delivery was accepted (unix seconds)
    accepted: int = 0  # answered 2xx: new or already known
    applied: int = 0  # of which new to the ledger
    rejected: int = 0  # answered 4xx: bad signature, malformed, oversize
    failed: int = 0  # could not be stored (answered 5xx: Stripe retries, the poll catches up)

    def __str__(self) -> str:
        return (f"{self.accepted} accepted ({self.applied} new), {self.rejected} rejected, "
                f"{self.failed} not stored")


class WebhookReceiver:
    """The aiohttp receiver; `start()` on a running loop, `stop()` on the same loop."""

    name = "webhook"

    def __init__(self, secret: str, apply: ApplyEvent, *, host: str = "127.0.0.1",
                 port: int = 8787, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 tolerance: int = TOLERANCE_SECONDS,
                 on_listening: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        """`on_listening(url)` runs once the port is bound (with port 0, the URL is known
        only then): the demo registers the receiver with its emulator there."""
        if not secret:
            raise WebhookError("webhook: no endpoint secret (whsec_...) configured")
        self._secret = secret
        self._apply = apply
        self.host = host
        self.port = port
        self.max_body_bytes = max_body_bytes
        self.tolerance = tolerance
        self._on_listening = on_listening
        self._clock = clock
        self._runner: web.AppRunner | None = None
        self._on_change: Callable[[], None] | None = None
        self.stats = WebhookStats()

    def __repr__(self) -> str:  # never the secret
        return f"WebhookReceiver({self.host}:{self.port})"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{WEBHOOK_PATH}"

    def app(self) -> web.Application:
        # client_max_size makes aiohttp refuse longer bodies (413) even when chunked.
        app = web.Application(client_max_size=self.max_body_bytes)
        app.router.add_post(WEBHOOK_PATH, self._receive)
        return app

    async def start(self, on_change: Callable[[], None] | None = None) -> None:
        """Listen; `on_change` is called on this loop after each event new to the ledger."""
        self._on_change = on_change
        runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise WebhookError(f"webhook: cannot listen on {self.host}:{self.port}: "
                               f"{exc.strerror or exc}") from None
        self._runner = runner
        self.port = runner.addresses[0][1]  # the real one when asked for port 0
        self.stats.address = f"{self.host}:{self.port}"
        log.info("webhook receiver listening on %s", self.url)
        if self._on_listening is not None:
            self._on_listening(self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
            self.stats.address = None
            log.info("webhook receiver on %s stopped: %s", self.url, self.stats)

    # -- one delivery ---------------------------------------------------------------

    async def _receive(self, request: web.Request) -> web.Response:
        if (request.content_length or 0) > self.max_body_bytes:
            return self._refuse(413, f"body of {request.content_length} bytes is over the "
                                     f"{self.max_body_bytes}-byte limit", request)
        try:
            payload = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(413, f"body is over the {self.max_body_bytes}-byte limit",
                                request)
        try:
            verify_signature(payload, request.headers.get("Stripe-Signature"), self._secret,
                             now=self._clock(), tolerance=self.tolerance)
        except SignatureError as exc:
            return self._refuse(400, f"signature refused: {exc}", request)
        event, problem = parse_event(payload)
        if event is None:
            return self._refuse(400, f"event refused: {problem}", request)
        return await self._store(event)

    async def _store(self, event: dict[str, Any]) -> web.Response:
        try:
            result = await asyncio.to_thread(self._apply, event)
        except (GatewayError, SyncError) as exc:
            # Re-reading an ambiguous object failed: not stored, so say so and let Stripe
            # deliver again (the poll reads it meanwhile anyway).
            return self._fail(503, f"event {event['id']} not stored yet: {exc}")
        except Exception as exc:
            problem = ledger_problem(exc)
            if problem is None:
                log.exception("webhook: applying event %s failed", event["id"])
            return self._fail(503, f"event {event['id']} not stored: "
                                   f"{problem or type(exc).__name__}")
        self.stats.accepted += 1
        self.stats.applied += result.new
        self.stats.last_event_at = self._clock()
        log.info("webhook %s %s: %s", event["type"], event["id"],
                 "applied" if result.new else "already in the ledger")
        if result.new and self._on_change is not None:
            self._on_change()
        return web.json_response({"received": True, "new": bool(result.new)})

    def _refuse(self, status: int, why: str, request: web.Request) -> web.Response:
        self.stats.rejected += 1
        log.warning("webhook from %s refused (%d): %s", request.remote, status, why)
        return web.json_response({"error": why}, status=status)

    def _fail(self, status: int, why: str) -> web.Response:
        self.stats.failed += 1
        log.warning("webhook: %s", why)
        return web.json_response({"error": why}, status=status)

