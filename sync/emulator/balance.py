"""Balance transactions with Stripe's fees, and a balance that adds them up.

localstripe has a BalanceTransaction resource (fee 0, always available, charge and refund
types only). The add-on makes it Stripe's:
- a charge's transaction carries a deterministic processing fee (FEE_RULES), for the
  amount captured, and becomes available AVAILABLE_AFTER seconds after the charge;
- a refund's is negative, fee 0, available at once;
- a dispute's withdrawal (the amount and the 15.00 dispute fee out) and reinstatement (both
  back) are real transactions of the same store, embedded in the dispute as on Stripe;
- `status` is "pending" until `available_on`, then "available", by the emulator's clock,
  and balance.available is sent (see announce_available);
- `GET /v1/balance` sums the transactions' net per currency: available_on <= now is
  available, the rest pending;
- `GET /v1/balance_transactions` filters by source, type, currency, created and payout
  (the payout that paid a transaction out, kept in `_payout` by payouts.py: Stripe's
  transaction objects have no such field).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from localstripe import resources
from localstripe.resources import BalanceTransaction, Charge

from ledger.money import exponent
from sync.emulator.apis import set_extra_api
from sync.emulator.clock import clock
from sync.emulator.errors import stripe_error, unknown_parameters
from sync.emulator.events import emit
from sync.emulator.params import range_filter

AVAILABLE_AFTER = 2 * 86400  # Stripe's standard payout schedule in the US: 2 days

# Stripe's types and reporting categories the emulator makes (payouts add theirs).
TYPES = ("charge", "payment", "refund", "adjustment", "payout", "payout_cancel",
         "payout_failure", "stripe_fee")


@dataclass(frozen=True)
class FeeRule:
    """A percentage in tenths of a percent (per_mille 29 = 2.9 %) plus a fixed amount in
    the currency's minor units."""

    per_mille: int
    fixed: int

    def fee(self, amount: int) -> int:
        """Rounded half up (amounts are positive): 2.9 % of 1050 = 30.45 -> 30."""
        return (amount * self.per_mille * 2 + 1000) // 2000 + self.fixed


# By the currency's exponent: 2.9 % + 0.30 for two-decimal currencies (USD, EUR...),
# 3.6 % + 0 for zero-decimal ones (JPY...), 2.9 % + 0.300 for three-decimal ones (KWD...).
FEE_RULES = {2: FeeRule(29, 30), 0: FeeRule(36, 0), 3: FeeRule(29, 300)}
DISPUTE_FEE_MAJOR = 15  # Stripe's dispute fee, 15.00 in the charge's currency


def processing_fee(amount: int, currency: str) -> int:
    return FEE_RULES[exponent(currency)].fee(amount)


def dispute_fee(currency: str) -> int:
    return DISPUTE_FEE_MAJOR * 10 ** exponent(currency)


def _fee_details(fee: int, currency: str, description: str) -> list[dict[str, Any]]:
    if not fee:
        return []
    return [{"amount": fee, "application": None, "currency": currency,
             "description": description, "type": "stripe_fee"}]


def _init(self: Any, amount: Any = None, currency: Any = None, description: Any = None,
          exchange_rate: Any = None, reporting_category: Any = None, source: Any = None,
          type: Any = None, fee: int = 0, fee_description: str = "Stripe processing fees",
          available_on: int | None = None) -> None:
    """Replaces localstripe's: any of Stripe's types, a fee and when it becomes available.
    A charge's fee is the currency's rule unless given."""
    if type not in TYPES or not isinstance(amount, int) or not currency:
        raise stripe_error(400, "Bad request")
    resources.StripeObject.__init__(self)
    self.amount = amount
    self.currency = str(currency).lower()
    self.description = description
    self.exchange_rate = exchange_rate
    self.fee = processing_fee(amount, self.currency) if type == "charge" and amount > 0 \
        else fee
    self.fee_details = _fee_details(self.fee, self.currency, fee_description)
    self.reporting_category = reporting_category
    self.source = source
    self.type = type
    delay = AVAILABLE_AFTER if type == "charge" else 0
    self.available_on = self.created + delay if available_on is None else available_on


def _status(self: Any) -> str:
    return "available" if clock.time() >= self.available_on else "pending"


def _net(self: Any) -> int:
    return int(self.amount - self.fee)


# -- charges captured for less than authorized -----------------------------------------

def _capture(original: Any) -> Any:
    """A partial capture: the charge's transaction is for what was captured."""

    def capture(self: Any, amount: Any, on_success: Any = None) -> None:
        def captured() -> None:
            txn = resources.store.get("balance_transaction:" + str(self.balance_transaction))
            if txn is not None and txn.amount != self.amount_captured:
                txn.amount = self.amount_captured
                txn.fee = processing_fee(txn.amount, txn.currency)
                txn.fee_details = _fee_details(txn.fee, txn.currency, "Stripe processing fees")
            if on_success:
                on_success()

        original(self, amount, on_success=captured)

    return capture


# -- disputes ----------------------------------------------------------------------------

def dispute_transaction(dispute: Any, *, withdrawn: bool) -> Any:
    """A dispute's amount and fee out (withdrawn) or back in, as a stored transaction."""
    sign = -1 if withdrawn else 1
    return BalanceTransaction(
        amount=sign * dispute.amount, currency=dispute.currency, type="adjustment",
        reporting_category="dispute" if withdrawn else "dispute_reversal",
        description=f"Chargeback {'withdrawal' if withdrawn else 'reversal'} for "
                    f"{dispute.charge}",
        source=dispute.id, fee=-sign * dispute_fee(dispute.currency),
        fee_description="Dispute fee")


# -- the balance ---------------------------------------------------------------------------

def transactions() -> list[Any]:
    return [obj for key, obj in resources.store.items()
            if key.startswith("balance_transaction:")]


def paid_out_by(txn: Any) -> str | None:
    """The payout that paid `txn` out, if any."""
    payout: str | None = getattr(txn, "_payout", None)
    return payout


def available_balance(currency: str) -> int:
    now = clock.time()
    return sum(txn.net for txn in transactions()
               if txn.currency == currency and txn.available_on <= now)


def _funds(totals: dict[str, int]) -> list[dict[str, Any]]:
    return [{"amount": amount, "currency": code, "source_types": {"card": amount}}
            for code, amount in sorted(totals.items())]


class Balance:
    """What GET /v1/balance answers (not stored: it is computed from the transactions)."""

    def _export(self, expand: Any = None) -> dict[str, Any]:
        now = clock.time()
        available: dict[str, int] = {}
        pending: dict[str, int] = {}
        for txn in transactions():
            bucket = available if txn.available_on <= now else pending
            bucket[txn.currency] = bucket.get(txn.currency, 0) + txn.net
        for code in available.keys() | pending.keys():  # both lists name every currency
            available.setdefault(code, 0)
            pending.setdefault(code, 0)
        return {"object": "balance", "livemode": False, "available": _funds(available),
                "pending": _funds(pending)}


def retrieve_balance(**kwargs: Any) -> Balance:
    if kwargs:
        raise unknown_parameters(kwargs)
    return Balance()


def announce_available() -> None:
    """Stripe sends balance.available when pending funds become available. The emulator
    notices it lazily, when events are listed: one event for all the charges' transactions
    that became available since the last one (refunds and disputes are available at once)."""
    now = clock.time()
    due = [txn for txn in transactions() if txn.available_on > txn.created
           and txn.available_on <= now and not getattr(txn, "_announced", False)]
    for txn in due:
        txn._announced = True
    if due:
        emit("balance.available", Balance())


def _events_list(original: Any) -> Any:
    def list_all(url: str, **params: Any) -> Any:
        announce_available()
        return original(url, **params)

    return list_all


# -- the list ------------------------------------------------------------------------------

def list_transactions(url: str = "/v1/balance_transactions", limit: Any = None,
                      starting_after: Any = None, source: Any = None, type: Any = None,
                      currency: Any = None, created: Any = None, payout: Any = None,
                      **kwargs: Any) -> Any:
    """Newest first, as Stripe lists them."""
    if kwargs:
        raise unknown_parameters(kwargs)
    if payout is not None:
        resources.Payout._api_retrieve(payout)  # an unknown payout is a 404, as on Stripe
    wanted = {"source": source, "type": type, "currency": currency}
    in_window = range_filter(created, "created") if created is not None else None
    page = resources.List("/v1/balance_transactions", limit=limit, starting_after=starting_after)
    page._list = sorted(
        (txn for txn in transactions()
         if all(value is None or getattr(txn, name) == value for name, value in wanted.items())
         and (payout is None or paid_out_by(txn) == payout)
         and (in_window is None or in_window(txn))),
        key=lambda txn: (txn.created, txn.id), reverse=True)
    return page


def install() -> None:
    BalanceTransaction.__init__ = _init
    BalanceTransaction.status = property(_status)
    BalanceTransaction.net = property(_net)
    BalanceTransaction._api_list_all = classmethod(
        lambda cls, url, **params: list_transactions(url, **params))
    Charge._capture = _capture(Charge._capture)
    resources.Event._api_list_all = staticmethod(_events_list(resources.Event._api_list_all))
    set_extra_api("GET", "/v1/balance", retrieve_balance)
    set_extra_api("GET", "/v1/balance/history", list_transactions)
