"""The ledger's tables for money beyond the payment: Stripe's balance transactions (fees
and net) and payouts. Created by migration v6."""

from __future__ import annotations

from peewee import SQL, BigIntegerField, TextField

from ledger.models import LedgerModel


def _zero() -> BigIntegerField:
    return BigIntegerField(default=0, constraints=[SQL("DEFAULT 0")])


class BalanceTransaction(LedgerModel):
    """A movement of the Stripe balance: a charge, refund, dispute withdrawal or
    reinstatement, payout, fee... `source` is the object behind it (ch_, re_, du_, po_)."""

    id = TextField(primary_key=True)
    created = BigIntegerField()
    amount = BigIntegerField()
    currency = TextField()
    fee = _zero()
    net = BigIntegerField()
    fee_details = TextField(default="[]", constraints=[SQL("DEFAULT '[]'")])  # JSON list
    type = TextField()
    reporting_category = TextField(null=True)
    status = TextField()  # available | pending
    available_on = BigIntegerField(null=True)
    source = TextField(null=True, index=True)
    payout = TextField(null=True, index=True)
    as_of = _zero()


class Payout(LedgerModel):
    id = TextField(primary_key=True)
    created = BigIntegerField()
    amount = BigIntegerField()
    currency = TextField()
    status = TextField()  # paid | pending | in_transit | canceled | failed
    arrival_date = BigIntegerField(null=True)
    method = TextField(null=True)  # standard | instant
    automatic = BigIntegerField(default=0, constraints=[SQL("DEFAULT 0")])  # 0 / 1
    failure_code = TextField(null=True)
    failure_message = TextField(null=True)
    balance_transaction = TextField(null=True)
    as_of = _zero()


MONEY_MODELS: tuple[type[LedgerModel], ...] = (BalanceTransaction, Payout)
