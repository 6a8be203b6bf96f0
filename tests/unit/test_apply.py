"""The apply path: duplicates, out-of-order events, unknown and malformed events."""

from typing import Any

from peewee import SqliteDatabase

from ledger.models import Customer, Event, Payment
from sync.apply import apply_events


def intent_event(event_id: str, created: int, status: str, amount: int = 1000,
                 intent_id: str = "pi_1", event_type: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "created": created,
        "type": event_type or f"payment_intent.{status}",
        "data": {"object": {"id": intent_id, "object": "payment_intent", "amount": amount,
                            "currency": "usd", "status": status, "created": 100}},
    }


def apply(ledger: SqliteDatabase, events: list[Any]) -> Any:
    with ledger.atomic():
        return apply_events(ledger, events, via="poll")


def test_an_event_seen_twice_is_applied_once(ledger: SqliteDatabase) -> None:
    event = intent_event("evt_1", 100, "succeeded")
    first = apply(ledger, [event, event])
    second = apply(ledger, [event])
    assert (first.new, first.duplicates, second.new, second.duplicates) == (1, 1, 0, 1)
    assert Event.select().count() == 1


def test_an_older_event_never_overwrites_a_newer_one(ledger: SqliteDatabase) -> None:
    apply(ledger, [intent_event("evt_2", 200, "succeeded")])
    apply(ledger, [intent_event("evt_1", 100, "requires_payment_method")])
    assert Payment.get_by_id("pi_1").status == "succeeded"
    assert Event.select().count() == 2  # stored all the same


def test_events_in_one_batch_apply_in_created_order_whatever_the_listing(
    ledger: SqliteDatabase,
) -> None:
    newest_first = [intent_event("evt_b", 300, "succeeded"),
                    intent_event("evt_a", 200, "processing")]
    apply(ledger, newest_first)
    assert Payment.get_by_id("pi_1").status == "succeeded"


def test_charge_facts_and_intent_facts_have_separate_clocks(ledger: SqliteDatabase) -> None:
    charge_event = {
        "id": "evt_c", "created": 300, "type": "charge.refunded",
        "data": {"object": {"id": "ch_1", "object": "charge", "amount": 1000,
                            "currency": "usd", "payment_intent": "pi_1", "captured": True,
                            "amount_refunded": 400, "status": "succeeded",
                            "payment_method_details": {"card": {"brand": "visa",
                                                                "last4": "4242"}}}},
    }
    apply(ledger, [charge_event])  # the charge arrives before its intent was ever seen
    apply(ledger, [intent_event("evt_i", 250, "succeeded")])  # older, but about the intent
    row = Payment.get_by_id("pi_1")
    assert (row.status, row.amount_refunded, row.card_last4) == ("succeeded", 400, "4242")


def test_unknown_types_are_stored_but_change_nothing(ledger: SqliteDatabase) -> None:
    event = {"id": "evt_x", "created": 1, "type": "plan.created",
             "data": {"object": {"id": "plan_1", "object": "plan"}}}
    result = apply(ledger, [event])
    assert result.new == 1 and Event.get_by_id("evt_x").object_id == "plan_1"
    assert Payment.select().count() == 0


def test_malformed_events_are_skipped_and_counted(ledger: SqliteDatabase) -> None:
    malformed = [
        "not an object",
        {"id": "evt_1", "type": "x"},  # no created
        {"id": "evt_2", "created": 1, "type": "customer.created", "data": {}},
        {"id": "evt_3", "created": True, "type": "customer.created",
         "data": {"object": {"id": "cus_1", "object": "customer"}}},
        intent_event("evt_4", 10, "succeeded") | {"data": {"object": {"object": "payment_intent",
                                                                      "id": "pi_bad"}}},
    ]
    result = apply(ledger, malformed)
    assert result.malformed == 4
    assert result.new == 1  # the last is well formed as an event; its object does not parse
    assert Payment.select().count() == 0


def test_a_deleted_customer_is_marked_deleted(ledger: SqliteDatabase) -> None:
    customer = {"id": "cus_1", "object": "customer", "email": "a@example.com", "created": 5}
    apply(ledger, [
        {"id": "evt_1", "created": 10, "type": "customer.created", "data": {"object": customer}},
        {"id": "evt_2", "created": 20, "type": "customer.deleted", "data": {"object": customer}},
    ])
    assert Customer.get_by_id("cus_1").deleted is True


def test_customer_email_reaches_their_payments(ledger: SqliteDatabase) -> None:
    customer = {"id": "cus_1", "object": "customer", "email": "a@example.com", "created": 5}
    event = intent_event("evt_1", 10, "succeeded")
    event["data"]["object"]["customer"] = "cus_1"
    apply(ledger, [event])
    apply(ledger, [{"id": "evt_2", "created": 11, "type": "customer.created",
                    "data": {"object": customer}}])
    assert Payment.get_by_id("pi_1").customer_email == "a@example.com"
    changed = customer | {"email": "b@example.com"}
    apply(ledger, [{"id": "evt_3", "created": 12, "type": "customer.updated",
                    "data": {"object": changed}}])
    assert Payment.get_by_id("pi_1").customer_email == "b@example.com"
    apply(ledger, [{"id": "evt_4", "created": 13, "type": "customer.updated",
                    "data": {"object": changed | {"email": None}}}])
    assert Payment.get_by_id("pi_1").customer_email == "b@example.com"  # kept, as before


def test_a_window_with_one_id_several_times_applies_its_last_version(
    ledger: SqliteDatabase,
) -> None:
    # One second, three versions: (created, id) orders them, and a tie goes to the later.
    window = [intent_event("evt_3", 100, "succeeded", amount=3000),
              intent_event("evt_1", 100, "requires_confirmation", amount=1000),
              intent_event("evt_2", 100, "processing", amount=2000)]
    apply(ledger, window)
    row = Payment.get_by_id("pi_1")
    assert (row.status, row.amount) == ("succeeded", 3000)


def test_a_later_version_in_the_window_keeps_what_only_an_earlier_one_said(
    ledger: SqliteDatabase,
) -> None:
    # As one row at a time would: a later copy that omits latest_charge does not erase it.
    with_charge = intent_event("evt_1", 100, "succeeded")
    with_charge["data"]["object"]["latest_charge"] = "ch_1"
    apply(ledger, [with_charge, intent_event("evt_2", 101, "succeeded", amount=1500)])
    row = Payment.get_by_id("pi_1")
    assert (row.amount, row.latest_charge) == (1500, "ch_1")


def test_a_window_larger_than_one_statement_is_written_whole(ledger: SqliteDatabase) -> None:
    count = 2_500  # customers: several multi-row statements on PostgreSQL, two rounds each
    window = [{"id": f"evt_{kind}{n:05d}", "created": 10 + (kind == "u"),
               "type": f"customer.{'created' if kind == 'c' else 'updated'}",
               "data": {"object": {"id": f"cus_{n:05d}", "object": "customer",
                                   "email": f"{kind}{n}@example.com", "created": 5}}}
              for kind in ("c", "u") for n in range(count)]
    result = apply(ledger, window)
    assert result.new == 2 * count and Event.select().count() == 2 * count
    assert Customer.select().where(Customer.email.startswith("u")).count() == count
    assert Customer.get_by_id("cus_02499").email == "u2499@example.com"
