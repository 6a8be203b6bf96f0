"""Amounts in error messages, written the way Stripe writes them ("$12.50")."""

from __future__ import annotations

from ledger.money import format_major

_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}


def display_amount(minor: int, currency: str) -> str:
    symbol = _SYMBOLS.get(currency.lower())
    major = format_major(minor, currency)
    return f"{symbol}{major}" if symbol else f"{major} {currency.upper()}"
