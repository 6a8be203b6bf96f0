"""Card facts derived from a test card number (localstripe calls every card a French visa)."""

from __future__ import annotations

from typing import Any

# Issuer prefixes as Stripe's test numbers use them; the first matching row wins.
_BRAND_PREFIXES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("34", "37"), "amex"),
    (("6011", "644", "645", "646", "647", "648", "649", "65"), "discover"),
    (("35",), "jcb"),
    (("30", "36", "38", "39"), "diners"),
    (("62",), "unionpay"),
    (("51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27"), "mastercard"),
    (("4",), "visa"),
)

# Stripe's documented test cards with a non-credit funding type.
_FUNDING = {
    "4000056655665556": "debit",
    "5200828282828210": "debit",
    "5105105105105100": "prepaid",
}


def card_brand(number: str) -> str:
    for prefixes, brand in _BRAND_PREFIXES:
        if number.startswith(prefixes):
            return brand
    return "unknown"


def card_details(number: str, *, cvc_given: bool) -> dict[str, Any]:
    """The number-derived fields of a PaymentMethod's `card` hash."""
    brand = card_brand(number)
    return {
        "brand": brand,
        "display_brand": brand,
        "country": "US",
        "funding": _FUNDING.get(number, "credit"),
        "last4": number[-4:],
        "networks": {"available": [brand], "preferred": None},
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "pass" if cvc_given else None,
        },
        "wallet": None,
        "generated_from": None,
    }
