"""Input checks for operator actions: pure functions, no ledger, no network.

Each raises `ActionRefused` with a message an operator can act on. Limits are Stripe's
where Stripe documents one, otherwise "sane" ones that keep junk out of customer records.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import date

from ledger.audit import contains_card_number
from ledger.money import MoneyError, format_amount, parse_amount
from sync.plans import ActionRefused

MAX_AMOUNT = 99_999_999  # Stripe: at most eight digits in the minor unit
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
METADATA_VALUE_MAX = 500  # Stripe's limit for a metadata value
DESCRIPTION_MAX = 1000  # Stripe's limit for a PaymentIntent description
NAME_MAX = 200
EMAIL_MAX = 254
EXPIRY_YEARS_AHEAD = 50

# Dispute evidence: Stripe's text fields. The long ones are documented as "a maximum
# character count of 20,000"; the others are plain strings (5,000). File fields take an
# uploaded file (sync.evidence_files checks and sync.evidence_uploads uploads them).
EVIDENCE_LONG_TEXT = (
    "access_activity_log", "cancellation_policy_disclosure", "cancellation_rebuttal",
    "duplicate_charge_explanation", "product_description", "refund_policy_disclosure",
    "refund_refusal_explanation", "uncategorized_text",
)
EVIDENCE_SHORT_TEXT = (
    "billing_address", "customer_email_address", "customer_name", "customer_purchase_ip",
    "duplicate_charge_id", "service_date", "shipping_address", "shipping_carrier",
    "shipping_date", "shipping_tracking_number",
)
EVIDENCE_TEXT_FIELDS = tuple(sorted(EVIDENCE_LONG_TEXT + EVIDENCE_SHORT_TEXT))
EVIDENCE_FILE_FIELDS = (
    "cancellation_policy", "customer_communication", "customer_signature",
    "duplicate_charge_documentation", "receipt", "refund_policy", "service_documentation",
    "shipping_documentation", "uncategorized_file",
)
EVIDENCE_DATE_FIELDS = ("service_date", "shipping_date")
EVIDENCE_LONG_MAX = 20_000
EVIDENCE_SHORT_MAX = 5_000
EVIDENCE_TOTAL_MAX = 150_000  # Stripe: combined character count of all fields

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{0,14}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def positive_amount(text: str, currency: str, what: str = "amount") -> int:
    """Minor units from what the operator typed, in the currency's real exponent."""
    cleaned = text.strip() if isinstance(text, str) else ""
    if cleaned.startswith("-"):
        raise ActionRefused(f"{what} must be more than zero, not {text!r}")
    try:
        amount = parse_amount(cleaned, currency)
    except MoneyError as exc:
        raise ActionRefused(f"{what}: {exc}") from None
    if amount == 0:
        raise ActionRefused(f"{what} must be more than zero")
    if amount > MAX_AMOUNT:
        raise ActionRefused(f"{what} {format_amount(amount, currency)} is more than Stripe "
                            f"accepts ({format_amount(MAX_AMOUNT, currency)})")
    return amount


def choice(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    if value is None or value == "":
        return None
    if value not in allowed:
        raise ActionRefused(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def free_text(value: str | None, what: str, max_length: int) -> str | None:
    """Operator-typed text: trimmed, bounded, printable, and never a card number.

    Returns None for nothing given, "" for an explicit blank (a field to clear).
    """
    if value is None:
        return None
    text = value.strip()
    if len(text) > max_length:
        raise ActionRefused(f"{what} is {len(text):,} characters; at most {max_length:,}")
    if _CONTROL.search(text):
        raise ActionRefused(f"{what} contains control characters")
    if contains_card_number(text):
        raise ActionRefused(f"{what} looks like it holds a card number; payconsole never "
                            "takes card numbers")
    return text


def email(value: str | None, what: str = "email") -> str | None:
    text = free_text(value, what, EMAIL_MAX)
    if text and not _EMAIL.match(text):
        raise ActionRefused(f"{what} {text!r} is not an email address")
    return text


def postal_code(value: str | None) -> str | None:
    text = free_text(value, "postal code", 15)
    if text and not _POSTAL_CODE.match(text):
        raise ActionRefused(f"postal code {text!r} may hold only letters, digits, spaces "
                            "and dashes")
    return text


def _whole_number(value: int | str, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise ActionRefused(f"{what} must be a number, not {value!r}")
    return int(text)


def card_expiry(month: int | str | None, year: int | str | None, *,
                current: tuple[int | None, int | None], today: date) -> tuple[int, int] | None:
    """The new (month, year), completed from the card's `current` expiry; None: unchanged.

    Checked together: a card is valid through the end of its expiry month.
    """
    if month is None and year is None:
        return None
    new_month = _whole_number(month, "expiry month") if month is not None else current[0]
    new_year = _whole_number(year, "expiry year") if year is not None else current[1]
    if new_month is None or new_year is None:
        raise ActionRefused("give both the expiry month and year")
    if new_year < 100:
        new_year += 2000  # "31" as printed on a card
    if not 1 <= new_month <= 12:
        raise ActionRefused(f"expiry month must be 1 to 12, not {new_month}")
    if (new_year, new_month) < (today.year, today.month):
        raise ActionRefused(f"expiry {new_month:02d}/{new_year} is in the past")
    if new_year > today.year + EXPIRY_YEARS_AHEAD:
        raise ActionRefused(f"expiry year {new_year} is too far ahead")
    return new_month, new_year


def evidence(fields: Mapping[str, str], *, today: date) -> dict[str, str]:
    """Dispute evidence text fields, checked against Stripe's names and limits."""
    checked: dict[str, str] = {}
    for name, value in fields.items():
        checked[name] = _evidence_field(name, value, today)
    total = sum(len(text) for text in checked.values())
    if total > EVIDENCE_TOTAL_MAX:
        raise ActionRefused(f"evidence is {total:,} characters in all; Stripe takes at most "
                            f"{EVIDENCE_TOTAL_MAX:,}")
    return checked


def _evidence_field(name: str, value: str, today: date) -> str:
    if name in EVIDENCE_FILE_FIELDS:
        raise ActionRefused(f"evidence field {name!r} takes a file, not text: give it as a file "
                            f"(--file {name}=PATH, or attach it in the evidence form)")
    if name not in EVIDENCE_TEXT_FIELDS:
        raise ActionRefused(f"unknown evidence field {name!r}; Stripe's text fields are: "
                            f"{', '.join(EVIDENCE_TEXT_FIELDS)}")
    limit = EVIDENCE_LONG_MAX if name in EVIDENCE_LONG_TEXT else EVIDENCE_SHORT_MAX
    text = free_text(value, f"evidence field {name}", limit) or ""
    if not text:
        raise ActionRefused(f"evidence field {name} is empty")
    if name in EVIDENCE_DATE_FIELDS:
        _past_date(text, name, today)
    elif name == "customer_email_address":
        email(text, name)
    elif name == "customer_purchase_ip":
        try:
            ipaddress.ip_address(text)
        except ValueError:
            raise ActionRefused(f"{name} {text!r} is not an IP address") from None
    return text


def _past_date(text: str, name: str, today: date) -> None:
    try:
        if not _ISO_DATE.match(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise ActionRefused(f"{name} must be a date as YYYY-MM-DD, not {text!r}") from None
    if day > today:
        raise ActionRefused(f"{name} {text} is in the future")
