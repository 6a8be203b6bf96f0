"""Payouts as Stripe makes them, which localstripe only sketches (EUR only, no balance, no
list filters): automatic payouts that sweep the available balance per currency, their
balance transactions (`GET /v1/balance_transactions?payout=`, see balance.py), failures,
and events.

A swept balance transaction remembers the payout that paid it out (`_payout`: not shown,
as Stripe's objects have no such field); the payout's own transaction (type `payout`,
negative) does too, as Stripe lists it among the payout's transactions. Manual payouts
(`POST /v1/payouts`) draw on the available balance and are paid out alone: only their own
transaction lists under them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localstripe import resources
from localstripe.resources import BalanceTransaction, Payout, StripeObject

from sync.emulator.balance import available_balance, paid_out_by, transactions
from sync.emulator.clock import clock
from sync.emulator.errors import stripe_error, unknown_parameters
from sync.emulator.events import emit
from sync.emulator.params import as_int, choice, merge_metadata, range_filter

STATUSES = ("paid", "pending", "in_transit", "canceled", "failed")
METHODS = ("standard", "instant")
# How long a standard payout takes to reach the bank (Stripe: about two business days).
ARRIVAL_SECONDS = 2 * 86400
# Stripe's failure codes the control endpoint accepts, with Stripe's wording.
FAILURES = {
    "account_closed": "The bank account has been closed.",
    "account_frozen": "The bank account has been frozen.",
    "could_not_process": "The bank could not process this payout.",
    "insufficient_funds": "Your Stripe account has insufficient funds to cover the payout.",
    "invalid_account_number": "The routing number seems correct, but the account number is "
                              "invalid.",
    "no_account": "The bank account details on file are probably incorrect.",
}


def _unswept(currency: str, now: int) -> list[Any]:
    """The available transactions of `currency` that no payout has paid out yet."""
    return [txn for txn in transactions()
            if txn.currency == currency and paid_out_by(txn) is None
            and txn.available_on <= now]


def _balance_transaction(amount: int, currency: str, *, type: str, category: str,
                         source: str, description: str, payout: str | None) -> Any:
    """A payout's own transaction (fee 0, available at once), listed under `payout`."""
    txn = BalanceTransaction(amount=amount, currency=currency, type=type,
                             reporting_category=category, source=source,
                             description=description)
    txn._payout = payout
    return txn


def _payout_init(self: Any, amount: Any = None, currency: Any = None, description: Any = None,
                 metadata: Any = None, method: Any = None, statement_descriptor: Any = None,
                 **kwargs: Any) -> None:
    """A payout of any currency, with its own (negative) balance transaction; its
    `payout.created` is emitted by whoever made it, once it is complete."""
    if kwargs:
        raise unknown_parameters(kwargs)
    amount, currency = _amount(amount, currency)
    method = choice(method or "standard", "method", METHODS)
    StripeObject.__init__(self)
    self.amount = amount
    self.arrival_date = self.created + ARRIVAL_SECONDS
    self.automatic = False
    self.currency = currency
    self.description = description
    self.destination = "ba_" + resources.random_id(24)
    self.failure_balance_transaction = None
    self.failure_code = None
    self.failure_message = None
    self.metadata = merge_metadata({}, metadata or {})
    self.method = method
    self.original_payout = None
    self.reversed_by = None
    self.source_type = "card"
    self.statement_descriptor = statement_descriptor
    self.status = "pending"
    self.type = "bank_account"
    self.balance_transaction = _balance_transaction(
        -amount, currency, type="payout", category="payout", source=self.id,
        description="STRIPE PAYOUT", payout=self.id).id


def _amount(amount: Any, currency: Any) -> tuple[int, str]:
    if not isinstance(currency, str) or not currency:
        raise stripe_error(400, "Missing required param: currency.", param="currency")
    return as_int(amount, "amount", minimum=1), currency.lower()


def _api_create(cls: Any, **data: Any) -> Any:
    """`POST /v1/payouts`: a manual payout, within the available balance."""
    amount, currency = _amount(data.get("amount"), data.get("currency"))
    if amount > available_balance(currency):
        raise stripe_error(400, "You have insufficient funds in your Stripe account for this "
                                "transfer.", code="balance_insufficient", param="amount")
    payout = cls(**data)
    emit("payout.created", payout)
    return payout


def _move(payout: Any, status: str) -> None:
    """A payout's next status, with the events Stripe sends for it."""
    payout.status = status
    emit("payout.updated", payout)
    if status in ("paid", "failed", "canceled"):
        emit(f"payout.{status}", payout)


def sweep(status: Any = "paid", **kwargs: Any) -> list[Any]:
    """One automatic payout per currency of the available balance no payout has taken yet;
    `status`: how far it gets (pending, in_transit or paid)."""
    if kwargs:
        raise unknown_parameters(kwargs)
    status = choice(status, "status", ("pending", "in_transit", "paid"))
    now = int(clock.time())
    currencies = sorted({txn.currency for txn in transactions()})
    payouts = []
    for currency in currencies:
        swept = _unswept(currency, now)
        total = sum(txn.net for txn in swept)
        if total <= 0:
            continue
        payout = Payout(amount=total, currency=currency)
        payout.automatic = True
        for txn in swept:
            txn._payout = payout.id
        emit("payout.created", payout)
        if status != "pending":
            _move(payout, status)
        payouts.append(payout)
    return payouts


def fail(payout_id: str, failure_code: Any = "could_not_process", failure_message: Any = None,
         **kwargs: Any) -> Any:
    """The bank returns the payout: its amount comes back to the balance, as on Stripe."""
    if kwargs:
        raise unknown_parameters(kwargs)
    payout = _retrieve(payout_id)
    if payout.status in ("failed", "canceled"):
        raise stripe_error(400, f"Payout {payout.id} is already {payout.status}.")
    code = choice(failure_code, "failure_code", tuple(FAILURES))
    payout.failure_code = code
    payout.failure_message = str(failure_message or FAILURES[code])
    payout.failure_balance_transaction = _balance_transaction(
        payout.amount, payout.currency, type="payout_failure", category="payout_reversal",
        source=payout.id, description="STRIPE PAYOUT FAILURE", payout=None).id
    _move(payout, "failed")
    return payout


def alter_transaction(txn_id: str, amount: Any = None, **kwargs: Any) -> Any:
    """Change a stored transaction's amount with no event (its net, amount - fee,
    follows), so that a payout no longer adds up to its transactions."""
    if kwargs:
        raise unknown_parameters(kwargs)
    txn = resources.store.get("balance_transaction:" + txn_id)
    if txn is None:
        raise stripe_error(404, f"No such balance transaction: '{txn_id}'",
                           code="resource_missing")
    txn.amount = as_int(amount, "amount")
    return txn


def _retrieve(payout_id: str) -> Any:
    payout = resources.store.get("payout:" + str(payout_id))
    if payout is None:
        raise stripe_error(404, f"No such payout: '{payout_id}'", code="resource_missing",
                           param="id")
    return payout


def _api_retrieve(cls: Any, id: str) -> Any:
    return _retrieve(id)


def _api_list_all(cls: Any, url: str, status: Any = None, created: Any = None,
                  arrival_date: Any = None, limit: Any = None, starting_after: Any = None,
                  **kwargs: Any) -> Any:
    if kwargs:
        raise unknown_parameters(kwargs)
    filters: list[Callable[[Any], bool]] = []
    if status is not None:
        wanted = choice(status, "status", STATUSES)
        filters.append(lambda p: p.status == wanted)
    if created is not None:
        filters.append(range_filter(created, "created"))
    if arrival_date is not None:
        filters.append(range_filter(arrival_date, "arrival_date"))
    page = resources.List(url, limit=limit, starting_after=starting_after)
    page._list = [obj for key, obj in resources.store.items()
                  if key.startswith("payout:") and all(f(obj) for f in filters)]
    return page


def install() -> None:
    Payout.__init__ = _payout_init
    Payout._api_create = classmethod(_api_create)
    Payout._api_retrieve = classmethod(_api_retrieve)
    Payout._api_list_all = classmethod(_api_list_all)
