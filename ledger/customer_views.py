"""What the Customers & methods pane reads: customers searchable by email, name words or
id, and one customer's saved payment methods. Paged like every listing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.daily_totals import CUSTOMER_COUNT
from ledger.dialect import dialect_of
from ledger.filters import Condition, PaymentFilter, escape_like, prefix_upper_bound
from ledger.labels import card_label, expiry_label
from ledger.models import database
from ledger.queries import Listing, flag_as_bool
from ledger.sql import counted


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    id: str
    created: int
    email: str | None
    name: str | None
    default_payment_method: str | None
    methods: int


class CustomerSummaries(Listing[CustomerSummary]):
    """Customers (not deleted) newest first, with how many methods each has saved."""

    table = "customer"
    columns = ("id", "created", "email", "name", "default_payment_method",
               "(SELECT count(*) FROM payment_method WHERE payment_method.customer = customer.id)")
    order_keys = ("created", "id")

    def __init__(self, condition: Condition) -> None:
        super().__init__()
        if not condition.sql:  # every customer: counted from the per-day totals
            self.count_all = CUSTOMER_COUNT
        self._condition = condition.and_("deleted = 0")

    def _row(self, values: tuple[Any, ...]) -> CustomerSummary:
        return CustomerSummary(*values)


def _search_word(word: str) -> Condition:
    """An id prefix, an email prefix, or the start of any word of the name."""
    upper = prefix_upper_bound(word)
    by_id = Condition("id >= ? AND id < ?", (word, upper)) if upper else Condition(
        "id >= ?", (word,))
    like = escape_like(word)
    dialect = dialect_of(database)
    return Condition(
        f"({by_id.sql}) OR {dialect.ci_like('email')} OR {dialect.ci_like('name')} "
        f"OR {dialect.ci_like('name')}",
        (*by_id.params, f"{like}%", f"{like}%", f"% {like}%"),
    )


def customer_search(text: str) -> CustomerSummaries:
    """Customers matching every word of `text` (all customers for no words)."""
    condition = Condition()
    for word in text.split():
        found = _search_word(word)
        condition = condition.and_(found.sql, found.params)
    return CustomerSummaries(condition)


def customers_known_as(text: str) -> list[CustomerSummary]:
    """The customer with this id, or those with this email (any case): at most two, which
    is enough to tell "one" from "several"."""
    value = text.strip()
    known_as = f"id = ? OR {dialect_of(database).ci_equals('email')}"
    return CustomerSummaries(Condition(known_as, (value, value))).page(0, 2)


@dataclass(frozen=True, slots=True)
class MethodRow:
    id: str
    type: str
    card_brand: str | None
    card_last4: str | None
    exp_month: int | None
    exp_year: int | None
    billing_name: str | None
    billing_email: str | None
    billing_postal_code: str | None
    is_default: bool

    @property
    def expiry(self) -> str:
        return expiry_label(self.exp_month, self.exp_year)

    @property
    def label(self) -> str:
        """e.g. "visa •••• 4242 exp 12/2031", for lists and titles."""
        return (card_label(self.card_brand, self.card_last4, exp_month=self.exp_month,
                           exp_year=self.exp_year) or f"{self.type} {self.id}")


_IS_DEFAULT = (f"COALESCE((SELECT {counted('default_payment_method = payment_method.id')} "
               "FROM customer WHERE customer.id = payment_method.customer), 0)")


class CustomerMethods(Listing[MethodRow]):
    """A customer's saved payment methods, oldest first (none for no customer)."""

    table = "payment_method"
    columns = ("id", "type", "card_brand", "card_last4", "exp_month", "exp_year",
               "billing_name", "billing_email", "billing_postal_code", _IS_DEFAULT)
    order_keys = ("created", "id")
    descending = False

    def __init__(self, customer_id: str | None) -> None:
        super().__init__(PaymentFilter(customer=customer_id) if customer_id else None)
        self.customer_id = customer_id
        if customer_id is None:
            self._condition = Condition("1 = 0")  # portable: PostgreSQL's WHERE takes no 0

    def _row(self, values: tuple[Any, ...]) -> MethodRow:
        return MethodRow(*flag_as_bool(values, -1))
