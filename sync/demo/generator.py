"""Live payments for the demo: `DemoGenerator.tick` makes one, happening now."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ledger.money import format_amount
from sync.demo.shop import (
    DECLINE_CARD,
    DISPUTE_CARD,
    PRODUCTS,
    SAVED_CARDS,
    amount,
    create_card,
    create_payment,
)
from sync.gateway import StripeGateway


@dataclass(frozen=True)
class TickResult:
    payment_intent: str
    status: str
    amount: int
    currency: str
    customer: str

    def __str__(self) -> str:  # the line the console logs for each run of the demo's job
        return (f"{self.payment_intent} {self.status}: "
                f"{format_amount(self.amount, self.currency)} from {self.customer}")


class DemoGenerator:
    """The caller calls `tick` every few seconds (no threads here).

    Picks an existing customer and one of their saved cards; some payments are declined and a
    few are disputed, so every pane has something new to show.
    """

    def __init__(self, *, seed: int | None = None, decline_rate: float = 0.08,
                 dispute_rate: float = 0.02) -> None:
        self._rng = random.Random(seed)
        self._decline_rate = decline_rate
        self._dispute_rate = dispute_rate
        self._customers: list[tuple[str, str]] = []  # (id, currency)
        self._cards: dict[str, list[str]] = {}

    def _customer(self, gateway: StripeGateway) -> tuple[str, str]:
        if not self._customers:
            self._customers = [(c["id"], (c.get("metadata") or {}).get("demo_currency", "usd"))
                               for page in gateway.pages("/v1/customers") for c in page]
        if not self._customers:  # an empty emulator: start with a walk-in customer
            walk_in = gateway.post("/v1/customers", {"name": "Walk-in customer"})
            self._customers = [(walk_in["id"], "usd")]
        return self._rng.choice(self._customers)

    def _saved_card(self, gateway: StripeGateway, customer: str) -> str:
        if customer not in self._cards:
            listed = gateway.get("/v1/payment_methods", {"customer": customer, "type": "card"})
            self._cards[customer] = [pm["id"] for pm in listed["data"]]
        if not self._cards[customer]:
            pm = create_card(gateway, SAVED_CARDS[0][0])
            gateway.post(f"/v1/payment_methods/{pm}/attach", {"customer": customer})
            self._cards[customer] = [pm]
        return self._rng.choice(self._cards[customer])

    def tick(self, gateway: StripeGateway) -> TickResult:
        """One new payment, happening now."""
        customer, currency = self._customer(gateway)
        roll = self._rng.random()
        if roll < self._decline_rate + self._dispute_rate:
            number = DECLINE_CARD if roll < self._decline_rate else DISPUTE_CARD
            pm = create_card(gateway, number)
        else:
            pm = self._saved_card(gateway, customer)
        price = amount(self._rng, currency)
        description = f"{self._rng.choice(PRODUCTS)} — live order"
        intent = create_payment(gateway, customer, pm, price, currency, description)
        return TickResult(intent["id"], intent["status"], price, currency, customer)
