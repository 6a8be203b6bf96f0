"""Stripe-shaped errors, so the SDK raises the matching exception class."""

from __future__ import annotations

from typing import Any

from localstripe.errors import UserError


def stripe_error(
    status: int,
    message: str,
    *,
    code: str | None = None,
    type_: str = "invalid_request_error",
    param: str | None = None,
    **extra: Any,
) -> UserError:
    """A UserError whose body is `{"error": {"type", "code", "message", "param", ...}}`."""
    contents: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    if code is not None:
        contents["code"] = code
    if param is not None:
        contents["param"] = param
    error = UserError(status, message, contents)
    error.body["error"]["type"] = type_  # UserError always says invalid_request_error
    return error


def unknown_parameters(params: dict[str, Any]) -> UserError:
    name = next(iter(params))
    return stripe_error(400, f"Received unknown parameter: {name}", param=name)
