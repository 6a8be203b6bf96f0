"""Parsing of form parameters as Stripe reads them (everything arrives as strings)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sync.emulator.errors import stripe_error, unknown_parameters


def as_int(value: Any, param: str, *, minimum: int | None = None) -> int:
    """An integer parameter, refused like Stripe when it is not one (or below `minimum`)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise stripe_error(400, f"Invalid integer: {value}", param=param) from None
    if isinstance(value, float) or (minimum is not None and number < minimum):
        raise stripe_error(400, f"Invalid integer: {value}", param=param)
    return number


def as_bool(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise stripe_error(400, f"Invalid boolean: {value}", param=param)


def choice(value: Any, param: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        options = ", ".join(allowed)
        raise stripe_error(400, f"Invalid {param}: must be one of {options}", param=param)
    return str(value)


def merge_metadata(current: dict[str, str], update: Any) -> dict[str, str]:
    """Stripe semantics: "" for a key unsets it, "" for the whole hash clears it."""
    if update == "":
        return {}
    if not isinstance(update, dict):
        raise stripe_error(400, "Invalid object", param="metadata")
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged


def range_filter(value: Any, field: str) -> Callable[[Any], bool]:
    """A list filter on the timestamp `field` (`created`, `arrival_date`): an exact value or
    a {gt, gte, lt, lte} range, as Stripe takes them."""
    if not isinstance(value, dict):
        exact = as_int(value, field)
        return lambda obj: getattr(obj, field) == exact
    tests = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}
    if not set(value) <= set(tests):
        raise unknown_parameters({f"{field}[{k}]": v for k, v in value.items()
                                  if k not in tests})
    bounds = [(tests[op], as_int(bound, f"{field}[{op}]")) for op, bound in value.items()]
    return lambda obj: all(test(getattr(obj, field), bound) for test, bound in bounds)
