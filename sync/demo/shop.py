"""The demo's shop, shared by the seeder and the live generator: its test cards, currencies,
prices and products, and the two calls that make a card and take a payment."""

from __future__ import annotations

import math
import random
from typing import Any

from sync.gateway import GatewayError, StripeGateway

# Stripe test cards. Saved cards are weighted like a typical card mix.
SAVED_CARDS = (("4242424242424242", 70), ("5555555555554444", 15),
               ("378282246310005", 8), ("6011111111111117", 7))
DECLINE_CARD = "4000000000000341"  # attaches, then every charge is declined
THREE_DS_CARD = "4000002500003155"  # the payment waits in requires_action
DISPUTE_CARD = "4000000000000259"  # succeeds, then the cardholder disputes it

# currency: (share of customers, median amount in minor units, rounding step)
CURRENCIES = {
    "usd": (70, 4_500, 100),
    "eur": (12, 4_000, 100),
    "gbp": (9, 3_500, 100),
    "jpy": (6, 5_000, 100),  # zero-decimal: 5000 is ¥5,000
    "kwd": (3, 15_000, 250),  # three decimals: 15000 is 15.000 KWD
}
TWO_DECIMALS = {"usd", "eur", "gbp"}
PRODUCTS = ("Starter plan", "Pro plan", "Team plan", "Annual licence", "Extra seats",
            "Support hours", "Hardware kit", "Workshop ticket", "Data export", "Onboarding")


def amount(rng: random.Random, currency: str) -> int:
    """A price-like amount in minor units: log-normal around the median, rounded, x.99 often."""
    _, median, step = CURRENCIES[currency]
    price = max(step, round(rng.lognormvariate(math.log(median), 0.7) / step) * step)
    if currency in TWO_DECIMALS and rng.random() < 0.4:
        price -= 1
    return price


def create_card(gateway: StripeGateway, number: str, *, exp_month: int = 12,
                exp_year: int = 2030, billing: dict[str, str] | None = None) -> str:
    """A new card payment method; returns its id."""
    params: dict[str, Any] = {"type": "card", "card": {
        "number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": "123"}}
    if billing:
        params["billing_details"] = billing
    return str(gateway.post("/v1/payment_methods", params)["id"])


def create_payment(gateway: StripeGateway, customer: str, payment_method: str,
                   amount: int, currency: str, description: str) -> dict[str, Any]:
    """Create and confirm a PaymentIntent; a decline returns the failed intent."""
    try:
        return gateway.post("/v1/payment_intents", {
            "amount": amount, "currency": currency, "customer": customer,
            "payment_method": payment_method, "confirm": True, "description": description})
    except GatewayError as declined:
        intent = declined.error.get("payment_intent")
        if declined.error.get("type") != "card_error" or not isinstance(intent, dict):
            raise
        return intent
