"""How the ledger's facts read to a person, wherever they are shown (panes, dialogs,
plans, reports): one owner for each label so the console and the CLI never disagree."""

from __future__ import annotations


def expiry_label(month: int | None, year: int | None) -> str:
    """ "12/2031", or "" when the expiry is not known."""
    return f"{month:02d}/{year}" if month and year else ""


def card_label(brand: str | None, last4: str | None, *, exp_month: int | None = None,
               exp_year: int | None = None) -> str:
    """ "visa •••• 4242", with " exp 12/2031" when the expiry is given; "" for no card."""
    if not last4:
        return ""
    expiry = expiry_label(exp_month, exp_year)
    return f"{brand or 'card'} •••• {last4}" + (f" exp {expiry}" if expiry else "")


def method_label(method_type: str, brand: str | None, last4: str | None,
                 exp_month: int | None, exp_year: int | None) -> str:
    """A saved payment method: its card label, or its type when it is not a card."""
    return card_label(brand, last4, exp_month=exp_month, exp_year=exp_year) or method_type


def percent(rate: float | None, places: int = 1) -> str:
    """A rate (0.125) as "12.5%"; "n/a" when there is nothing to divide by."""
    return "n/a" if rate is None else f"{rate * 100:.{places}f}%"
