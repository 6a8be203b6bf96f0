"""Money as integer minor units plus an ISO currency code.

Every parse and display of an amount goes through here, so the exponent of each
currency (JPY has none, KWD has three) is known in exactly one place. No floats.
"""

from __future__ import annotations

import re

ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()
)
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())

# ASCII digits only (`\d` would take "١٢"), and a length no real amount reaches: int()
# refuses strings of over 4,300 digits.
_AMOUNT = re.compile(r"^(?P<whole>[0-9]{1,30})(?:\.(?P<frac>[0-9]{0,30}))?$")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


class MoneyError(ValueError):
    """An amount or currency that cannot be used; the message says why."""


def normalize_currency(currency: str) -> str:
    """Lower-case ISO code as Stripe writes it; refuses anything that is not three letters."""
    if not isinstance(currency, str) or not _CURRENCY.match(currency.strip()):
        raise MoneyError(f"{currency!r} is not a three-letter currency code")
    return currency.strip().lower()


def exponent(currency: str) -> int:
    """Number of decimal places of the currency's minor unit."""
    code = normalize_currency(currency).upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def parse_amount(text: str, currency: str) -> int:
    """Parse a human amount ("12.50", "1,000") into minor units; never negative."""
    places = exponent(currency)
    cleaned = text.strip().replace(",", "").replace("_", "") if isinstance(text, str) else ""
    match = _AMOUNT.match(cleaned)
    if not match:
        example = format_major(1250, currency)
        raise MoneyError(f"{text!r} is not an amount (use digits, e.g. {example})")
    frac = match["frac"] or ""
    if len(frac) > places:
        unit = "no decimals" if places == 0 else f"at most {places} decimals"
        raise MoneyError(f"{currency.upper()} amounts have {unit}: {text!r}")
    scale: int = 10**places
    return int(match["whole"]) * scale + int(frac.ljust(places, "0") or 0)


def format_major(minor: int, currency: str) -> str:
    """Minor units as a plain decimal string in the major unit: 1250 USD -> "12.50"."""
    places = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(int(minor)), 10**places)
    return f"{sign}{whole:,}.{frac:0{places}d}" if places else f"{sign}{whole:,}"


def format_amount(minor: int, currency: str) -> str:
    """Display form with the currency code: 1250 usd -> "12.50 USD"."""
    return f"{format_major(minor, currency)} {currency.upper()}"
