"""The ledger's tables.

Synced rows keep `as_of`: the `created` of the newest event or fetch that wrote them, so an
older snapshot never overwrites a newer one. A payment row joins two Stripe objects (the
PaymentIntent and its latest charge), each with its own `as_of`, because their events
arrive independently.
"""

from __future__ import annotations

from peewee import SQL, BooleanField, DatabaseProxy, IntegerField, Model, TextField

from ledger.labels import method_label

# The open ledger, once `ledger.db.open_ledger` has bound it: every model and query uses it.
database = DatabaseProxy()


# Defaults live in the schema too, because the sync writes with plain SQL (ledger/writes.py).
def _zero() -> IntegerField:
    return IntegerField(default=0, constraints=[SQL("DEFAULT 0")])


def _flag() -> BooleanField:
    return BooleanField(default=False, constraints=[SQL("DEFAULT 0")])


def _json_object() -> TextField:
    return TextField(default="{}", constraints=[SQL("DEFAULT '{}'")])


class LedgerModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class _StripeObject(LedgerModel):
    """A row for a Stripe object: its id and when Stripe created it. Not a table."""

    id = TextField(primary_key=True)
    created = IntegerField()


class Customer(_StripeObject):
    email = TextField(null=True, index=True)
    name = TextField(null=True, index=True)
    default_payment_method = TextField(null=True)
    deleted = _flag()
    metadata = _json_object()
    livemode = _flag()
    as_of = _zero()


class PaymentMethod(_StripeObject):
    customer = TextField(null=True, index=True)
    type = TextField()
    card_brand = TextField(null=True)
    card_last4 = TextField(null=True)
    exp_month = IntegerField(null=True)
    exp_year = IntegerField(null=True)
    billing_name = TextField(null=True)
    billing_email = TextField(null=True)
    billing_postal_code = TextField(null=True)
    billing_country = TextField(null=True)
    metadata = _json_object()
    livemode = _flag()
    as_of = _zero()

    @property
    def label(self) -> str:
        """e.g. "visa •••• 4242 exp 12/2031" (see ledger.labels)."""
        return method_label(self.type, self.card_brand, self.card_last4, self.exp_month,
                            self.exp_year)


class Payment(_StripeObject):
    """A PaymentIntent (or a bare legacy charge) with its latest charge's facts."""

    amount = IntegerField()
    currency = TextField()
    status = TextField()
    customer = TextField(null=True, index=True)
    customer_email = TextField(null=True)
    description = TextField(null=True)
    payment_method = TextField(null=True)
    amount_received = _zero()
    metadata = _json_object()
    livemode = _flag()
    # From the latest charge:
    latest_charge = TextField(null=True, index=True)
    captured = _flag()
    amount_captured = _zero()
    amount_refunded = _zero()
    refunded = _flag()
    disputed = _flag()
    failure_code = TextField(null=True)
    failure_message = TextField(null=True)
    decline_code = TextField(null=True)
    card_brand = TextField(null=True)
    card_last4 = TextField(null=True)
    # Authorizations (v5): what may still be captured, and by when (the card's capture_before).
    capture_method = TextField(null=True)
    amount_capturable = _zero()
    capture_before = IntegerField(null=True)
    cancellation_reason = TextField(null=True)
    intent_as_of = _zero()
    charge_as_of = _zero()


class _OnACharge(_StripeObject):
    """What refunds and disputes share: an amount taken back from a charge (and so from
    its payment, once the ledger knows which). Not a table of its own."""

    payment = TextField(null=True, index=True)
    charge = TextField(null=True, index=True)
    amount = IntegerField()
    currency = TextField()


class Refund(_OnACharge):
    status = TextField(null=True)
    reason = TextField(null=True)
    metadata = _json_object()
    as_of = _zero()


class Dispute(_OnACharge):
    status = TextField()
    reason = TextField(null=True)
    due_by = IntegerField(null=True)
    has_evidence = _flag()
    submission_count = _zero()
    evidence = _json_object()
    metadata = _json_object()
    # v5: whether a refund may still end it (an inquiry), how evidence went in, and the
    # balance transactions that withdrew or reinstated funds ([{id, amount, fee, net, ...}]).
    is_charge_refundable = _flag()
    submission_method = TextField(null=True)
    balance_transactions = TextField(default="[]", constraints=[SQL("DEFAULT '[]'")])
    as_of = _zero()


class Event(_StripeObject):
    """A raw Stripe event, exactly as received, unique by id."""

    type = TextField()
    object_id = TextField(null=True, index=True)
    api_version = TextField(null=True)
    received_via = TextField()
    received_at = IntegerField()
    payload = TextField()


class SyncState(LedgerModel):
    """Small named values the sync keeps: cursors and health."""

    key = TextField(primary_key=True)
    value = TextField()


ALL_MODELS: tuple[type[LedgerModel], ...] = (
    Customer,
    PaymentMethod,
    Payment,
    Refund,
    Dispute,
    Event,
    SyncState,
)


class AuditEntry(LedgerModel):
    """One operator action attempt: append-only and hash-chained (see ledger/audit.py)."""

    seq = IntegerField(primary_key=True)  # 1, 2, 3, ... with no gaps
    at = IntegerField()
    operator = TextField()
    action = TextField()
    target = TextField(index=True)
    object_id = TextField(null=True, index=True)  # what the action created or changed
    object_status = TextField(null=True)  # Stripe's status of that object afterwards
    params = TextField()  # canonical JSON; never secrets or card numbers
    idempotency_key = TextField(null=True)
    request_id = TextField(null=True)
    result = TextField()  # one of ledger.audit.RESULTS
    error = TextField(null=True)
    prev_hash = TextField()
    hash = TextField()


class PendingAction(LedgerModel):
    """The latest attempt of each distinct operator action (see ledger/pending.py)."""

    fingerprint = TextField(primary_key=True)
    operator = TextField()
    action = TextField()
    target = TextField()
    attempt = IntegerField()
    status = TextField()  # pending | succeeded | failed
    object_id = TextField(null=True)
    updated_at = IntegerField()


# Created by migration v2 (ALL_MODELS is what v1 created, and v1 never changes).
ACTION_MODELS: tuple[type[LedgerModel], ...] = (AuditEntry, PendingAction)
