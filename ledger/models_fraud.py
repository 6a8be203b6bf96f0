"""The ledger's tables for on-call dispute work beyond the dispute itself: the issuers' early
fraud warnings, and which deadline alerts have gone out. Created by one migration (see
ledger/migrations.py)."""

from __future__ import annotations

from peewee import SQL, BigIntegerField, BooleanField, CompositeKey, TextField

from ledger.models import LedgerModel


class EarlyFraudWarning(LedgerModel):
    """Stripe's `radar.early_fraud_warning`: the issuer's signal, before any chargeback, that
    a charge was probably fraudulent. `payment` is the PaymentIntent (or found by charge)."""

    id = TextField(primary_key=True)
    created = BigIntegerField()
    charge = TextField(index=True)
    payment = TextField(null=True, index=True)
    fraud_type = TextField()
    # No SQL defaults: the sync writes every column (and a boolean's default is spelled
    # differently by SQLite and PostgreSQL).
    actionable = BooleanField(default=True)
    livemode = BooleanField(default=False)
    as_of = BigIntegerField(default=0, constraints=[SQL("DEFAULT 0")])


class DeadlineAlert(LedgerModel):
    """One alert sent: `dispute` came within `threshold` seconds of its evidence deadline.
    The key makes it once per (dispute, threshold), whichever console or cron job got there
    first."""

    dispute = TextField()
    threshold = BigIntegerField()  # seconds before due_by
    due_by = BigIntegerField()
    alerted_at = BigIntegerField()

    class Meta:
        primary_key = CompositeKey("dispute", "threshold")


FRAUD_MODELS: tuple[type[LedgerModel], ...] = (EarlyFraudWarning, DeadlineAlert)
