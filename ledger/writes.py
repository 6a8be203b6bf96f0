"""Writing Stripe facts into the ledger: batched upserts that never let an older
snapshot overwrite a newer one.

Statements are plain SQL run over whole batches of rows on the caller's transaction
(`ledger.sql.insert_rows`): this is the sync's hot path, and building each statement in
Python per row would dominate it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ledger import daily_totals
from ledger.records import Records, Row
from ledger.sql import LedgerDatabase, chunks, execute, greater, insert_rows, marks


@dataclass(frozen=True)
class Upsert:
    """INSERT ... ON CONFLICT(id) DO UPDATE, guarded so stale rows change nothing."""

    table: str
    columns: tuple[str, ...]
    updates: dict[str, str]  # column -> SQL expression over `excluded` and the table
    guard: str

    def head(self) -> str:
        return f"INSERT INTO {self.table} ({', '.join(self.columns)})"

    def tail(self) -> str:
        sets = ", ".join(f"{column} = {expr}" for column, expr in self.updates.items())
        return f"ON CONFLICT(id) DO UPDATE SET {sets} WHERE {self.guard}"

    def run(self, db: LedgerDatabase, rows: Sequence[Row]) -> None:
        head, tail = self.head(), self.tail()
        for version in _versions(rows):
            insert_rows(db, head, [self._values(row) for row in version], tail)

    def _values(self, row: Row) -> tuple[object, ...]:
        return tuple(row.get(column) for column in self.columns)


def _versions(rows: Sequence[Row]) -> Iterator[list[Row]]:
    """`rows` in rounds with no id twice in one: every id's first row, then every id's
    second, and so on. A multi-row upsert may not change one row twice (PostgreSQL
    refuses it), and applied round after round each id's versions still go in the
    order given, as one row at a time would: the guard keeps the newest, ties to the
    later, and the COALESCEs of a later version still see an earlier one's values."""
    rounds: list[list[Row]] = []
    seen: dict[object, int] = {}
    for row in rows:
        count = seen.get(row["id"], 0)
        seen[row["id"]] = count + 1
        if count == len(rounds):
            rounds.append([])
        rounds[count].append(row)
    yield from rounds


def _replace_all(table: str, columns: tuple[str, ...]) -> Upsert:
    return Upsert(
        table=table,
        columns=columns,
        updates={c: f"excluded.{c}" for c in columns if c != "id"},
        guard=f"excluded.as_of >= {table}.as_of",
    )


CUSTOMERS = _replace_all(
    "customer",
    ("id", "created", "email", "name", "default_payment_method", "deleted", "metadata",
     "livemode", "as_of"),
)
PAYMENT_METHODS = _replace_all(
    "payment_method",
    ("id", "created", "customer", "type", "card_brand", "card_last4", "exp_month", "exp_year",
     "billing_name", "billing_email", "billing_postal_code", "billing_country", "metadata",
     "livemode", "as_of"),
)
REFUNDS = _replace_all(
    "refund",
    ("id", "created", "payment", "charge", "amount", "currency", "status", "reason",
     "metadata", "as_of"),
)
DISPUTES = _replace_all(
    "dispute",
    ("id", "created", "payment", "charge", "amount", "currency", "status", "reason", "due_by",
     "has_evidence", "submission_count", "evidence", "metadata", "is_charge_refundable",
     "submission_method", "balance_transactions", "as_of"),
)
_BALANCE_TRANSACTION_COLUMNS = (
    "id", "created", "amount", "currency", "fee", "net", "fee_details", "type",
    "reporting_category", "status", "available_on", "source", "payout", "as_of",
)
# Stripe's plain list of balance transactions carries no `payout`: the payout that listed
# a transaction is kept when a later copy does not say.
BALANCE_TRANSACTIONS = Upsert(
    table="balance_transaction",
    columns=_BALANCE_TRANSACTION_COLUMNS,
    updates={**{c: f"excluded.{c}" for c in _BALANCE_TRANSACTION_COLUMNS if c != "id"},
             "payout": "COALESCE(excluded.payout, balance_transaction.payout)"},
    guard="excluded.as_of >= balance_transaction.as_of",
)
PAYOUTS = _replace_all(
    "payout",
    ("id", "created", "amount", "currency", "status", "arrival_date", "method", "automatic",
     "failure_code", "failure_message", "balance_transaction", "as_of"),
)
FRAUD_WARNINGS = _replace_all(
    "early_fraud_warning",
    ("id", "created", "charge", "payment", "fraud_type", "actionable", "livemode", "as_of"),
)

_INTENT_COLUMNS = (
    "id", "created", "amount", "currency", "status", "customer", "description",
    "payment_method", "amount_received", "metadata", "livemode", "latest_charge",
    "failure_code", "failure_message", "decline_code", "capture_method", "amount_capturable",
    "cancellation_reason", "intent_as_of",
)
PAYMENT_INTENTS = Upsert(
    table="payment",
    columns=_INTENT_COLUMNS,
    updates={
        **{c: f"excluded.{c}" for c in _INTENT_COLUMNS if c not in ("id", "latest_charge")},
        "latest_charge": "COALESCE(excluded.latest_charge, payment.latest_charge)",
    },
    guard="excluded.intent_as_of >= payment.intent_as_of",
)

_BARE_CHARGE = "payment.id LIKE 'ch\\_%' ESCAPE '\\'"  # a legacy charge with no intent
PAYMENT_CHARGES = Upsert(
    table="payment",
    columns=(
        "id", "latest_charge", "created", "amount", "currency", "status", "customer",
        "customer_email", "captured", "amount_captured", "amount_refunded", "refunded",
        "disputed", "failure_code", "failure_message", "decline_code", "card_brand",
        "card_last4", "capture_before", "charge_as_of",
    ),
    updates={
        "latest_charge": "excluded.latest_charge",
        "captured": "excluded.captured",
        "amount_captured": "excluded.amount_captured",
        "amount_refunded": "excluded.amount_refunded",
        "refunded": "excluded.refunded",
        # A charge never stops being disputed, and some payloads do not say so.
        "disputed": greater("excluded.disputed", "payment.disputed"),
        "failure_code": "COALESCE(payment.failure_code, excluded.failure_code)",
        "failure_message": "COALESCE(payment.failure_message, excluded.failure_message)",
        "decline_code": "COALESCE(payment.decline_code, excluded.decline_code)",
        "card_brand": "excluded.card_brand",
        "card_last4": "excluded.card_last4",
        "capture_before": "COALESCE(excluded.capture_before, payment.capture_before)",
        "customer_email": "COALESCE(excluded.customer_email, payment.customer_email)",
        "status": f"CASE WHEN {_BARE_CHARGE} THEN excluded.status ELSE payment.status END",
        "charge_as_of": "excluded.charge_as_of",
    },
    guard="excluded.charge_as_of >= payment.charge_as_of",
)


@dataclass
class WriteCounts:
    customers: int = 0
    payment_methods: int = 0
    payments: int = 0
    refunds: int = 0
    disputes: int = 0
    balance_transactions: int = 0
    payouts: int = 0
    fraud_warnings: int = 0


def write_records(db: LedgerDatabase, records: Records) -> WriteCounts:
    """Upsert every row in `records`, and the analytics' per-day totals with them; run
    inside the caller's transaction."""
    with daily_totals.kept(db, records):
        return _upsert_records(db, records)


def _upsert_records(db: LedgerDatabase, records: Records) -> WriteCounts:
    CUSTOMERS.run(db, records.customers)
    PAYMENT_METHODS.run(db, records.payment_methods)
    PAYMENT_INTENTS.run(db, records.payment_intents)
    PAYMENT_CHARGES.run(db, records.payment_charges)
    REFUNDS.run(db, records.refunds)
    DISPUTES.run(db, records.disputes)
    BALANCE_TRANSACTIONS.run(db, records.balance_transactions)
    PAYOUTS.run(db, records.payouts)
    FRAUD_WARNINGS.run(db, records.fraud_warnings)
    _link_refunds_and_disputes(db, records)
    _fill_customer_emails(db, records)
    return WriteCounts(
        customers=len(records.customers),
        payment_methods=len(records.payment_methods),
        payments=len({r["id"] for r in records.payment_intents + records.payment_charges}),
        refunds=len(records.refunds),
        disputes=len(records.disputes),
        balance_transactions=len(records.balance_transactions),
        payouts=len(records.payouts),
        fraud_warnings=len(records.fraud_warnings),
    )


def _run_for_ids(db: LedgerDatabase, sql: str, ids: set[str]) -> None:
    """Run `sql`, whose `{ids}` placeholder becomes an IN list, over `ids` in chunks."""
    for chunk in chunks(sorted(ids)):
        execute(db, sql.format(ids=marks(chunk)), chunk)


def _link_refunds_and_disputes(db: LedgerDatabase, records: Records) -> None:
    """Refunds, disputes and fraud warnings name a charge; find their payment, and mark it
    disputed."""
    refund_charges = {r["charge"] for r in records.refunds if r["charge"] and not r["payment"]}
    _run_for_ids(
        db,
        "UPDATE refund SET payment = (SELECT id FROM payment WHERE latest_charge = refund.charge)"
        " WHERE payment IS NULL AND charge IN ({ids})",
        refund_charges,
    )
    dispute_charges = {d["charge"] for d in records.disputes if d["charge"]}
    _run_for_ids(
        db,
        "UPDATE dispute SET payment = (SELECT id FROM payment WHERE latest_charge = dispute.charge)"
        " WHERE payment IS NULL AND charge IN ({ids})",
        dispute_charges,
    )
    _run_for_ids(db, "UPDATE payment SET disputed = 1 WHERE latest_charge IN ({ids})",
                 dispute_charges)
    _run_for_ids(
        db,
        "UPDATE early_fraud_warning SET payment = (SELECT id FROM payment WHERE latest_charge"
        " = early_fraud_warning.charge) WHERE payment IS NULL AND charge IN ({ids})",
        {w["charge"] for w in records.fraud_warnings if w["charge"] and not w["payment"]},
    )


def _fill_customer_emails(db: LedgerDatabase, records: Records) -> None:
    """Keep the denormalised `payment.customer_email` (searched on) in step with customers."""
    customers = {r["id"] for r in records.customers}
    customers |= {
        r["customer"] for r in records.payment_intents + records.payment_charges if r["customer"]
    }
    # Only the payments whose email is not the customer's yet: rewriting the others with the
    # same value made PostgreSQL write a new version of each, and of each of its indexes
    # (a catch-up of 1M events into PostgreSQL spent most of its time here).
    _run_for_ids(
        db,
        "UPDATE payment SET customer_email = "
        "(SELECT email FROM customer WHERE customer.id = payment.customer)"
        " WHERE customer IN ({ids}) AND EXISTS (SELECT 1 FROM customer"
        " WHERE customer.id = payment.customer AND customer.email IS NOT NULL"
        " AND (payment.customer_email IS NULL OR payment.customer_email != customer.email))",
        customers,
    )
