"""The one door to Stripe: an SDK client with retries, a client-side rate limit, and
errors turned into one-line messages that never carry a secret.

Responses come back as plain dicts (the JSON Stripe sent), which is what the ledger
stores and parses.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import stripe

from sync.ratelimit import RateLimiter
from sync.secrets import key_mode, redact
from sync.trust import StripeAccount

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # Stripe's maximum
_RATE_LIMIT_ATTEMPTS = 4
_MAX_RETRY_AFTER_SECONDS = 30.0


class GatewayError(Exception):
    """Stripe refused or could not be reached; `str()` is safe to show and log."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 request_id: str | None = None, retryable: bool = False,
                 error: dict[str, Any] | None = None) -> None:
        super().__init__(redact(message))
        self.status = status
        self.code = code
        self.request_id = request_id
        self.retryable = retryable
        # Stripe's whole error object: a declined confirmation carries its PaymentIntent.
        self.error = error or {}


class NotFound(GatewayError):
    """The object does not exist on Stripe."""


# What the SDK's "(Network error: ...)" detail means, for the one-line message.
_NETWORK_PROBLEMS = (
    ("Connection refused", "connection refused"),
    ("Failed to resolve", "the host name does not resolve"),
    ("Name or service not known", "the host name does not resolve"),
    ("timed out", "no answer in time (timed out)"),
    ("Timeout", "no answer in time (timed out)"),
    ("SSLError", "the TLS connection failed"),
    ("RemoteDisconnected", "the server closed the connection"),
    ("Connection reset", "the connection was reset"),
    ("Connection aborted", "the connection was reset"),
)


def _network_problem(detail: str) -> str:
    for needle, meaning in _NETWORK_PROBLEMS:
        if needle in detail:
            return meaning
    return "the connection failed"


def _as_gateway_error(exc: stripe.StripeError, where: str = "") -> GatewayError:
    status = exc.http_status
    at = f" at {where}" if where else ""
    if isinstance(exc, stripe.APIConnectionError):
        return GatewayError(f"cannot reach Stripe{at}: {_network_problem(str(exc))}",
                            retryable=True)
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else None
    if error is None and status is not None:
        # Not Stripe's JSON (a proxy or load balancer answered): say what we know.
        message = f"HTTP {status} without a Stripe error body"
    else:
        message = exc.user_message or str(exc) or f"HTTP {status}"
    if status is not None and status >= 500:
        message = f"server error (HTTP {status}): {message}" if error else message
    kind = NotFound if status == 404 else GatewayError
    return kind(
        f"Stripe said: {message}".splitlines()[0],
        status=status,
        code=exc.code,
        request_id=exc.request_id,
        retryable=status is not None and (status == 429 or status >= 500),
        error=error,
    )


class StripeGateway:
    def __init__(
        self,
        api_key: str,
        api_base: str | None = None,
        *,
        requests_per_second: float = 20.0,
        max_network_retries: int = 2,
        timeout_seconds: float = 30.0,
    ) -> None:
        # The SDK sends uploads to its `files` address (files.stripe.com): another server
        # (the emulator, a proxy) answers both.
        base = api_base.rstrip("/") if api_base else None
        addresses = {"api": base, "files": base} if base else None
        self._where = urlsplit(api_base).netloc if api_base else "api.stripe.com"
        self._client = stripe.StripeClient(
            api_key,
            base_addresses=addresses,  # type: ignore[arg-type]
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout_seconds),
        )
        self._limiter = RateLimiter(requests_per_second)
        self.requests_made = 0
        self.livemode = key_mode(api_key) == "live"
        self._account: StripeAccount | None = None

    def request(self, method: str, path: str, params: dict[str, Any] | None = None,
                *, idempotency_key: str | None = None, upload: bool = False) -> dict[str, Any]:
        """One API call, rate limited; 429s wait out Retry-After, other errors raise.
        `upload`: a multipart upload to the Files API's address."""
        options: dict[str, Any] = {}
        if idempotency_key:
            options["idempotency_key"] = idempotency_key
        if upload:
            options.update(base="files", content_type="multipart/form-data")
        for attempt in range(1, _RATE_LIMIT_ATTEMPTS + 1):
            self._limiter.acquire()
            self.requests_made += 1
            for part in (params or {}).values() if upload else ():
                if isinstance(part, io.BytesIO):
                    part.seek(0)  # a retried upload sends the file again from its start
            try:
                response = self._client.raw_request(method, path, **(params or {}), **options)
            except stripe.StripeError as exc:
                # A 429 is not always a RateLimitError: a proxy's non-JSON 429 is an APIError.
                if exc.http_status != 429 or attempt == _RATE_LIMIT_ATTEMPTS:
                    raise _as_gateway_error(exc, self._where) from None
                self._wait_retry_after(exc, attempt)
            else:
                if not isinstance(response.data, dict):  # every Stripe answer is an object
                    raise GatewayError(f"Stripe sent an unreadable answer to {method.upper()} "
                                       f"{path} (not a JSON object)")
                return response.data
        raise AssertionError("unreachable")

    @staticmethod
    def _wait_retry_after(exc: stripe.StripeError, attempt: int) -> None:
        header = (exc.headers or {}).get("Retry-After") or (exc.headers or {}).get("retry-after")
        try:
            delay = float(header) if header else 2.0**attempt
        except ValueError:
            delay = 2.0**attempt
        if not 0 <= delay < float("inf"):  # "nan", "-5", "inf": not a usable wait
            delay = 2.0**attempt
        delay = min(delay, _MAX_RETRY_AFTER_SECONDS)
        log.info("rate limited by Stripe; retrying in %.1fs", delay)
        time.sleep(delay)

    def account(self) -> StripeAccount:
        """The account this key belongs to (`GET /v1/account`), asked once per gateway: a
        gateway is one key, so the answer cannot change while it lives."""
        if self._account is None:
            self._account = _account_of(self.get("/v1/account"), livemode=self.livemode)
        return self._account

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.request("get", path, params)

    def post(self, path: str, params: dict[str, Any] | None = None,
             *, idempotency_key: str | None = None) -> dict[str, Any]:
        return self.request("post", path, params, idempotency_key=idempotency_key)

    def upload_file(self, filename: str, content: bytes, *, purpose: str,
                    idempotency_key: str) -> dict[str, Any]:
        """`POST /v1/files`: the bytes as a file named `filename`, for `purpose`."""
        upload = io.BytesIO(content)
        upload.name = filename  # the SDK sends it as the part's filename
        return self.request("post", "/v1/files", {"purpose": purpose, "file": upload},
                            idempotency_key=idempotency_key, upload=True)

    def pages(self, path: str, params: dict[str, Any] | None = None
              ) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list endpoint, in whatever order the server lists; entries that
        are not JSON objects are dropped (with a log line), so callers get dicts only."""
        query = {**(params or {}), "limit": PAGE_SIZE}
        seen_last: str | None = None
        while True:
            page = self.get(path, query)
            items = page.get("data") if isinstance(page, dict) else None
            if not isinstance(items, list):
                raise GatewayError(f"Stripe sent an unreadable page of {path} (no data list)")
            objects = [item for item in items if isinstance(item, dict)]
            if len(objects) < len(items):
                log.warning("skipped %d entries of a page of %s that are not objects",
                            len(items) - len(objects), path)
            if objects:
                yield objects
            last = next((o["id"] for o in reversed(objects) if isinstance(o.get("id"), str)),
                        None)
            # A server that ignores an unknown `starting_after` would loop forever: stop.
            if not page.get("has_more") or last is None or last == seen_last:
                return
            seen_last = last
            query["starting_after"] = last


def _account_of(answer: dict[str, Any], *, livemode: bool) -> StripeAccount:
    """The fields of an Account object the ledger records; the mode is the key's."""
    account_id = answer.get("id")
    if not isinstance(account_id, str) or not account_id:
        raise GatewayError("Stripe sent an unreadable answer to GET /v1/account (no id)")
    profile = _object(answer.get("business_profile"))
    dashboard = _object(_object(answer.get("settings")).get("dashboard"))
    return StripeAccount(
        id=account_id, livemode=livemode,
        name=_text(profile.get("name")) or _text(dashboard.get("display_name")),
        country=_text(answer.get("country")),
        default_currency=_text(answer.get("default_currency")),
    )


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
