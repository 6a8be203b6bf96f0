"""Backfill costs ceil(N/100) list requests per resource plus a small constant, and never
a per-object fetch (payment methods are listed per customer: Stripe only lists them so)."""

from __future__ import annotations

import math
from typing import Any

import stripe

from ledger.db import open_ledger
from ledger.models import Payment
from sync.resources import BACKFILL_RESOURCES, PAYMENT_METHODS_PATH
from sync.service import SyncService
from tests.helpers import CountingGateway


def test_backfill_lists_in_pages_of_100(emulator: Any, stripe_client: stripe.StripeClient,
                                        ledger_location: str) -> None:
    customers = [stripe_client.v1.customers.create({"email": f"c{n}@example.com"})
                 for n in range(3)]
    methods = []
    for customer in customers:
        method = stripe_client.v1.payment_methods.create(
            {"type": "card", "card": {"number": "4242424242424242", "exp_month": 1,
                                      "exp_year": 2033, "cvc": "123"}})
        stripe_client.v1.payment_methods.attach(method.id, {"customer": customer.id})
        methods.append(method.id)
    payments = 230
    for n in range(payments):
        stripe_client.v1.payment_intents.create({
            "amount": 100 + n, "currency": "usd", "customer": customers[n % 3].id,
            "payment_method": methods[n % 3], "confirm": True, "off_session": True})

    open_ledger(ledger_location)
    gateway = CountingGateway("sk_test_payconsole", emulator.api_base, requests_per_second=100)
    SyncService(gateway).backfill()

    pages = math.ceil(payments / 100)
    assert gateway.gets["/v1/payment_intents"] <= pages + 1
    assert gateway.gets["/v1/charges"] <= pages + 1
    assert gateway.gets["/v1/payment_methods"] == len(customers)
    lists = {resource.list_path for resource in BACKFILL_RESOURCES} | {PAYMENT_METHODS_PATH}
    assert set(gateway.gets) <= lists, "a per-object fetch"
    assert Payment.select().count() == payments
