"""A realistic past month of demo data in the emulator (`seed`). Deterministic for a given
seed and `now`, apart from the ids Stripe assigns.

The seeder plans every step with its historical time, then runs them in time order with the
emulator's clock (`POST /_config/clock`) set to each step's time, so objects and events carry
past `created` timestamps as if the month had really happened.
"""

from __future__ import annotations

import bisect
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from sync.demo.shop import (
    CURRENCIES,
    DECLINE_CARD,
    DISPUTE_CARD,
    PRODUCTS,
    SAVED_CARDS,
    THREE_DS_CARD,
    amount,
    create_card,
    create_payment,
)
from sync.emulator.control import ControlClient
from sync.gateway import StripeGateway

DAY = 86_400

FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken",
               "Frances", "John", "Radia", "Linus", "Sophie", "Tim", "Hedy", "Dennis",
               "Katherine", "Claude", "Annie", "Niklaus", "Shafi", "Leslie", "Yukihiro",
               "Guido", "Bjarne", "Joan", "Karen", "Ivan", "Mary", "Whitfield")
LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton",
              "Thompson", "Allen", "McCarthy", "Perlman", "Torvalds", "Wilson", "Berners-Lee",
              "Lamarr", "Ritchie", "Johnson", "Shannon", "Easley", "Wirth", "Goldwasser",
              "Lamport", "Matsumoto", "van Rossum", "Stroustrup", "Clarke", "Jones",
              "Sutherland", "Keller", "Diffie")
# Relative payment volume per UTC hour: quiet nights, busy business hours.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 11, 11, 10, 9, 8, 6, 5, 4, 3, 2, 1)
REFUND_REASONS = (("requested_by_customer", 7), ("duplicate", 2), ("fraudulent", 1))
# Control-endpoint disputes cycle through these; the first three stay open.
SCENARIOS = ("needs_response", "under_review", "warning_needs_response", "won", "draft", "lost",
             "accepted")
OPEN_SCENARIOS = ("needs_response", "warning_needs_response", "draft")
PAYOUT_HOUR = 23  # UTC: the day's balance is paid out in the evening
PAYOUT_ARRIVAL_DAYS = 2  # as the emulator's payouts (sync.emulator.payouts.ARRIVAL_SECONDS)


@dataclass(frozen=True)
class SeedSummary:
    customers: int
    payment_methods: int
    payments: int
    succeeded: int
    declined: int
    requires_action: int
    refunds: int
    disputes: int
    events: int
    seconds: float
    payouts: int = 0


@dataclass
class _Customer:
    name: str
    email: str
    currency: str
    cards: list[str]
    created: int
    id: str = ""
    pm_ids: list[str] = field(default_factory=list)


@dataclass
class _Payment:
    at: int
    customer: _Customer
    amount: int
    kind: str  # ok | declined | three_ds | dispute_card
    description: str
    card_index: int = 0
    id: str = ""
    charge: str = ""


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in options], [weight for _, weight in options])[0]


def _business_time(rng: random.Random, start: int, end: int) -> int:
    """A moment in [start, end), weighted towards weekday business hours (UTC)."""
    first_day = start - start % DAY
    days = range((end - first_day) // DAY + 1)
    weights = [0.6 if time.gmtime(first_day + d * DAY).tm_wday >= 5 else 1.0 for d in days]
    for _ in range(50):
        day = rng.choices(days, weights)[0]
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        moment = first_day + day * DAY + hour * 3600 + rng.randrange(3600)
        if start <= moment < end:
            return moment
    return rng.randrange(start, end)


class _Seeder:
    """Plans the month, then replays it in time order against the emulator."""

    def __init__(self, gateway: StripeGateway, control: ControlClient, rng: random.Random,
                 now: int, days: int) -> None:
        self.gateway, self.control, self.rng = gateway, control, rng
        self.now, self.start = now, now - days * DAY
        self.latest = now - 60  # the last moment a planned step may use
        self.customers: list[_Customer] = []
        self.payments: list[_Payment] = []
        self.steps: list[tuple[int, int, Callable[[], None]]] = []
        self.counts: Counter[str] = Counter()

    def at(self, when: int, step: Callable[[], None]) -> None:
        self.steps.append((when, len(self.steps), step))  # ties keep planning order

    def later(self, moment: int, delay: int) -> int:
        return max(moment + 1, min(moment + delay, self.latest))

    # --- planning --------------------------------------------------------------------------

    def plan_customers(self, count: int) -> None:
        span = max(1, (self.latest - self.start) // 2)  # sign-ups over the first half
        created = sorted([self.start] + [self.start + self.rng.randrange(span)
                                         for _ in range(count - 1)])
        currencies = [(code, share) for code, (share, _, _) in CURRENCIES.items()]
        for n, when in enumerate(created):
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            slug = f"{first}.{last}".lower().replace(" ", "").replace("-", "")
            cards = [_weighted(self.rng, SAVED_CARDS)
                     for _ in range(self.rng.choices((1, 2, 3), (5, 3, 2))[0])]
            customer = _Customer(f"{first} {last}", f"{slug}{n}@example.com",
                                 _weighted(self.rng, tuple(currencies)), cards, when)
            self.customers.append(customer)
            self.at(when, partial(self.create_customer, customer))

    def plan_payments(self, count: int, dispute_cards: int) -> None:
        created = [c.created for c in self.customers]
        for n in range(count):
            recent = n >= count - dispute_cards  # dispute-card payments fall in the last days
            lower = max(self.start, self.latest - 5 * DAY) if recent else self.start
            when = _business_time(self.rng, lower, self.latest)
            eligible = max(1, bisect.bisect_right(created, when))
            customer = self.customers[self.rng.randrange(eligible)]
            roll = self.rng.random()
            kind = ("dispute_card" if recent else "declined" if roll < 0.08
                    else "three_ds" if roll < 0.095 else "ok")
            payment = _Payment(
                at=max(when, customer.created + 60), customer=customer,
                amount=amount(self.rng, customer.currency), kind=kind,
                description=f"{self.rng.choice(PRODUCTS)} — order {1000 + n}",
                card_index=self.rng.randrange(len(customer.cards))
                if self.rng.random() < 0.2 else 0,
            )
            self.payments.append(payment)
            self.at(payment.at, partial(self.pay, payment))
            if kind == "three_ds" and self.rng.random() < 0.5:
                self.at(self.later(payment.at, 3600), partial(self.abandon, payment))

    def plan_refunds(self, share: float) -> None:
        candidates = [p for p in self.payments if p.kind == "ok"]
        for payment in self.rng.sample(candidates, round(share * len(candidates))):
            when = self.later(payment.at, self.rng.randrange(3600, 4 * DAY))
            reason = _weighted(self.rng, REFUND_REASONS)
            step = CURRENCIES[payment.customer.currency][2]
            payment.kind = "refunded"  # no longer a dispute candidate
            if self.rng.random() < 0.55 or payment.amount <= step:
                self.at(when, partial(self.refund, payment, None, reason))
                continue
            part = max(1, round(payment.amount * self.rng.choice((0.2, 0.3, 0.5)) / step) * step)
            part = min(part, payment.amount - 1)
            self.at(when, partial(self.refund, payment, part, reason))
            if self.rng.random() < 0.25:  # the rest, a while later
                self.at(self.later(when, DAY), partial(self.refund, payment, None, reason))

    def plan_disputes(self, count: int) -> None:
        """Disputes in every state: open ones recent (their 7-day window still runs)."""
        candidates = [p for p in self.payments if p.kind == "ok" and p.at < self.latest - 3600]
        for n, payment in enumerate(self.rng.sample(candidates, min(count, len(candidates)))):
            scenario = SCENARIOS[n % len(SCENARIOS)]
            if scenario in OPEN_SCENARIOS:
                earliest = max(payment.at + 3600, self.latest - 5 * DAY)
                opened = self.rng.randrange(earliest, self.latest) if earliest < self.latest \
                    else self.latest
            else:
                opened = self.later(payment.at, self.rng.randrange(2 * DAY, 6 * DAY))
            box: dict[str, str] = {}
            self.at(opened, partial(self.open_dispute, payment, scenario, box))
            self.plan_dispute_answer(opened, scenario, box)

    def plan_dispute_answer(self, opened: int, scenario: str, box: dict[str, str]) -> None:
        if scenario == "draft":
            self.at(self.later(opened, 3600), partial(self.evidence, box, submit=False))
        if scenario not in OPEN_SCENARIOS:
            answered = self.later(opened, self.rng.randrange(DAY // 2, 3 * DAY))
            if scenario == "accepted":
                self.at(answered, partial(self.accept, box))
            else:
                self.at(answered, partial(self.evidence, box, submit=True))
            if scenario in ("won", "lost"):
                decided = self.later(answered, self.rng.randrange(DAY, 4 * DAY))
                self.at(decided, partial(self.decide, box, scenario))

    def plan_card_changes(self) -> None:
        """A few customers renew a card's expiry or remove a spare card."""
        for customer in self.rng.sample(self.customers, max(1, len(self.customers) // 20)):
            when = self.later(customer.created, self.rng.randrange(DAY, 20 * DAY))
            self.at(when, partial(self.renew_card, customer))
        spares = [c for c in self.customers if len(c.cards) > 1]
        for customer in self.rng.sample(spares, min(len(spares), len(self.customers) // 30)):
            when = self.later(customer.created, self.rng.randrange(DAY, 20 * DAY))
            self.at(when, partial(self.remove_spare_card, customer))

    def plan_payouts(self) -> None:
        """Stripe's daily automatic payout: each evening the day's available balance is paid
        out, per currency, arriving two days later; one payout, a few days ago, fails."""
        first_evening = self.start - self.start % DAY + PAYOUT_HOUR * 3600
        evenings = range(first_evening, self.latest, DAY)
        failing = evenings[-4] if len(evenings) >= 4 else None
        for evening in evenings:
            arrived = evening + PAYOUT_ARRIVAL_DAYS * DAY <= self.now
            box: dict[str, str] = {}
            self.at(evening, partial(self.pay_out, "paid" if arrived else "in_transit", box))
            if evening == failing:
                self.at(self.later(evening, DAY // 2), partial(self.fail_payout, box))

    # --- steps -----------------------------------------------------------------------------

    def card(self, number: str, name: str, email: str) -> str:
        exp_month, exp_year = self.rng.randint(1, 12), self.rng.randint(2027, 2032)
        return create_card(self.gateway, number, exp_month=exp_month, exp_year=exp_year,
                           billing={"name": name, "email": email})

    def create_customer(self, customer: _Customer) -> None:
        created = self.gateway.post("/v1/customers", {
            "name": customer.name, "email": customer.email,
            "metadata": {"demo_currency": customer.currency}})
        customer.id = created["id"]
        for number in customer.cards:
            pm = self.card(number, customer.name, customer.email)
            self.gateway.post(f"/v1/payment_methods/{pm}/attach", {"customer": customer.id})
            customer.pm_ids.append(pm)
        self.gateway.post(f"/v1/customers/{customer.id}", {
            "invoice_settings": {"default_payment_method": customer.pm_ids[0]}})
        self.counts["customers"] += 1
        self.counts["payment_methods"] += len(customer.pm_ids)

    def pay(self, payment: _Payment) -> None:
        customer = payment.customer
        number = {"declined": DECLINE_CARD, "three_ds": THREE_DS_CARD,
                  "dispute_card": DISPUTE_CARD}.get(payment.kind)
        pm = (self.card(number, customer.name, customer.email) if number
              else customer.pm_ids[min(payment.card_index, len(customer.pm_ids) - 1)])
        intent = create_payment(self.gateway, customer.id, pm, payment.amount,
                                customer.currency, payment.description)
        payment.id, payment.charge = intent["id"], intent.get("latest_charge") or ""
        self.counts["payments"] += 1
        self.counts[intent["status"]] += 1
        self.counts["disputes"] += payment.kind == "dispute_card"

    def abandon(self, payment: _Payment) -> None:
        self.gateway.post(f"/v1/payment_intents/{payment.id}/cancel",
                          {"cancellation_reason": "abandoned"})

    def refund(self, payment: _Payment, part: int | None, reason: str) -> None:
        params: dict[str, str | int] = {"payment_intent": payment.id, "reason": reason}
        if part is not None:
            params["amount"] = part
        self.gateway.post("/v1/refunds", params)
        self.counts["refunds"] += 1

    def open_dispute(self, payment: _Payment, scenario: str, box: dict[str, str]) -> None:
        status = "warning_needs_response" if scenario == "warning_needs_response" else None
        reason = self.rng.choice(("fraudulent", "product_not_received", "duplicate", "general"))
        dispute = self.control.create_dispute(payment.charge, reason=reason, status=status)
        box["id"] = dispute["id"]
        self.counts["disputes"] += 1

    def evidence(self, box: dict[str, str], *, submit: bool) -> None:
        self.gateway.post(f"/v1/disputes/{box['id']}", {"submit": submit, "evidence": {
            "product_description": "Annual software licence, delivered by email.",
            # customer_communication takes a file: the chat is described in text instead.
            "uncategorized_text": "Customer confirmed receipt on the support chat.",
            "access_activity_log": "Access logs show regular use after purchase."}})

    def accept(self, box: dict[str, str]) -> None:
        self.gateway.post(f"/v1/disputes/{box['id']}/close")

    def decide(self, box: dict[str, str], status: str) -> None:
        self.control.resolve_dispute(box["id"], status)

    def pay_out(self, status: str, box: dict[str, str]) -> None:
        payouts = self.control.sweep_payouts(status)
        if payouts:
            box["id"] = payouts[0]["id"]
        self.counts["payouts"] += len(payouts)

    def fail_payout(self, box: dict[str, str]) -> None:
        if "id" in box:
            self.control.fail_payout(box["id"], "account_closed")

    def renew_card(self, customer: _Customer) -> None:
        self.gateway.post(f"/v1/payment_methods/{customer.pm_ids[0]}", {
            "card": {"exp_year": self.rng.randint(2033, 2035)}})

    def remove_spare_card(self, customer: _Customer) -> None:
        self.gateway.post(f"/v1/payment_methods/{customer.pm_ids.pop()}/detach")
        self.counts["payment_methods"] -= 1

    # --- running ---------------------------------------------------------------------------

    def run(self, progress: Callable[[int, int], None] | None) -> None:
        steps = sorted(self.steps, key=lambda s: s[:2])
        clock: int | None = None
        try:
            for done, (when, _, step) in enumerate(steps, start=1):
                if when != clock:
                    self.control.set_clock(when)
                    clock = when
                step()
                if progress is not None:
                    progress(done, len(steps))
        finally:
            self.control.set_clock(None)


def _event_count(gateway: StripeGateway) -> int:
    # The emulator's lists carry total_count (real Stripe's do not): one call, not 50 pages.
    return int(gateway.get("/v1/events", {"limit": 1})["total_count"])


def seed(gateway: StripeGateway, control: ControlClient, *, days: int = 30, seed: int = 7,
         progress: Callable[[int, int], None] | None = None,
         customers: int = 60, payments: int = 600, now: int | None = None) -> SeedSummary:
    """Fill the emulator behind `gateway` (and `control`, its control endpoints) with `days`
    of history up to `now` (default: now). The same seed and `now` give the same data.

    About 8% declines, a few 3-D Secure payments left waiting (half later abandoned), ~5%
    refunds (some partial), a handful of disputes in every state, several currencies, and
    a payout a day per currency (one of them failed).
    """
    started = time.perf_counter()
    events_before = _event_count(gateway)
    seeder = _Seeder(gateway, control, random.Random(seed),
                     int(time.time()) if now is None else now, days)
    seeder.plan_customers(max(1, customers))
    seeder.plan_payments(payments, dispute_cards=min(payments, max(1, payments // 200)))
    seeder.plan_refunds(0.05)
    seeder.plan_disputes(max(1, round(payments * 0.012)))
    seeder.plan_card_changes()
    seeder.plan_payouts()
    seeder.run(progress)
    counts = seeder.counts
    return SeedSummary(
        customers=counts["customers"], payment_methods=counts["payment_methods"],
        payments=counts["payments"], succeeded=counts["succeeded"],
        declined=counts["requires_payment_method"], requires_action=counts["requires_action"],
        refunds=counts["refunds"], disputes=counts["disputes"],
        events=_event_count(gateway) - events_before,
        seconds=round(time.perf_counter() - started, 2), payouts=counts["payouts"],
    )
