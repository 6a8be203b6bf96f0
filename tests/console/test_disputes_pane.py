"""The Disputes pane over a fixed ledger with a dispute of each urgency, a frozen clock and
UTC: order, countdowns, urgency colours, the closed filter, the header badge, the
new-dispute alert, the detail, the evidence form's checks and the accept confirmation.

Nothing here reaches Stripe: plans read the ledger only, and every test stops at the
confirmation (tests/integration/test_console_disputes.py sends them to the emulator).
"""

from __future__ import annotations

from typing import Any

import pytest
from peewee import Database
from textual.pilot import Pilot
from textual.widgets import Button, Input, Label, Static, TextArea

from console.app import PayConsoleApp
from console.context import Mode
from console.panes.disputes import DisputesTable, dispute_columns
from console.screens.confirm import ConfirmScreen
from console.screens.dispute_detail import DisputeDetailScreen, dispute_facts
from console.screens.evidence_form import EvidenceForm
from console.widgets.countdown import countdown, duration
from ledger.dispute_views import Urgency, urgency
from sync.actions import Actions
from sync.apply import apply_events
from sync.scheduler import Job
from tests.conftest import Waiter
from tests.console.conftest import NOW, SIZE, AppFactory, payment_objects, write_objects
from tests.helpers import label_text, with_actions

HOUR, DAY = 3600, 86400

# Needing a response by deadline (overdue, <48h, <7d, later), under review, closed newest first.
BOARD_ORDER = ["dp_overdue", "dp_soon", "dp_1", "dp_later", "dp_review", "dp_won", "dp_lost"]


def dispute(dp_id: str, pi_id: str, created: int, amount: int, currency: str, status: str,
            reason: str, due_by: int | None, *, submissions: int = 0,
            evidence: dict[str, str] | None = None) -> dict[str, Any]:
    return {"object": "dispute", "id": dp_id, "charge": f"ch_{pi_id[3:]}",
            "payment_intent": pi_id, "created": created, "amount": amount,
            "currency": currency, "status": status, "reason": reason,
            "evidence": evidence or {},
            "evidence_details": {"due_by": due_by, "has_evidence": bool(evidence),
                                 "submission_count": submissions}}


@pytest.fixture
def disputes_ledger(filled_ledger: Database) -> Database:
    """dp_1 (due in 6 days, from conftest) and one dispute of each other kind."""
    t = NOW - 5 * DAY
    write_objects(filled_ledger, [
        *payment_objects("pi_old", t - 20 * DAY, 9900, "usd", "succeeded",
                         email="ho@example.com", brand="discover", last4="1117"),
        dispute("dp_overdue", "pi_usd", t, 1250, "usd", "needs_response", "fraudulent",
                NOW - 3 * HOUR, evidence={"product_description": "Blue mug, 350 ml",
                                          "customer_name": "Ada Lovelace"}),
        dispute("dp_later", "pi_kwd", t + HOUR, 1250, "kwd", "warning_needs_response",
                "general", NOW + 12 * DAY),
        dispute("dp_review", "pi_refunded", t - DAY, 3000, "eur", "under_review",
                "product_unacceptable", NOW + 3 * DAY, submissions=1,
                evidence={"uncategorized_text": "Sent twice"}),
        dispute("dp_won", "pi_action", t - 2 * DAY, 2000, "gbp", "won", "duplicate", None,
                submissions=1, evidence={"duplicate_charge_id": "ch_usd"}),
        dispute("dp_lost", "pi_old", t - 9 * DAY, 9900, "usd", "lost", "fraudulent", None),
    ], as_of=NOW - 3600)
    # dp_soon arrives as an event, so the detail has a timeline.
    soon = dispute("dp_soon", "pi_jpy", t + 2 * HOUR, 1500, "jpy", "needs_response",
                   "product_not_received", NOW + 5 * HOUR)
    with filled_ledger.atomic():
        apply_events(filled_ledger, [{"id": "evt_dp_soon", "type": "charge.dispute.created",
                                      "created": t + 2 * HOUR, "data": {"object": soon}}],
                     via="poll")
    return filled_ledger


def offline_actions() -> Actions:
    """Actions whose plans read the ledger; nothing here may send (no gateway)."""
    return Actions(None, "ops@example.com", clock=lambda: NOW)  # type: ignore[arg-type]


async def show_disputes(pilot: Pilot) -> DisputesTable:
    await pilot.press("2")
    return pilot.app.query_one(DisputesTable)


def ids(table: DisputesTable) -> list[str]:
    return [table.row_at(i).id for i in range(table.row_count)]


def record_toasts(app: PayConsoleApp) -> list[tuple[str, str]]:
    """(title, message) of every notification the app shows from now on."""
    toasts: list[tuple[str, str]] = []
    notify = app.notify

    def recording(message: str, **options: Any) -> None:
        toasts.append((options.get("title", ""), message))
        notify(message, **options)

    app.notify = recording  # type: ignore[method-assign]
    return toasts


# -- pure formatting and classification --------------------------------------------------

@pytest.mark.parametrize(("seconds", "text"), [
    (2 * DAY + 4 * HOUR + 59, "2d 4h"), (5 * HOUR, "5h"), (5 * HOUR + 20 * 60, "5h 20m"),
    (45 * 60 + 30, "45m"), (59, "<1m"), (-3 * HOUR, "3h"),
])
def test_durations_keep_the_two_largest_units(seconds: int, text: str) -> None:
    assert duration(seconds) == text


def test_countdown_says_left_or_overdue() -> None:
    assert countdown(NOW + 2 * DAY + 4 * HOUR, NOW) == "2d 4h left"
    assert countdown(NOW - 3 * HOUR, NOW) == "overdue by 3h"
    assert countdown(NOW, NOW) == "<1m left"
    assert countdown(None, NOW) == ""


@pytest.mark.parametrize(("status", "due_by", "level"), [
    ("needs_response", NOW - 1, Urgency.OVERDUE),
    ("warning_needs_response", NOW + 2 * DAY - 1, Urgency.WITHIN_48H),
    ("needs_response", NOW + 2 * DAY, Urgency.WITHIN_7D),
    ("needs_response", NOW + 7 * DAY, Urgency.LATER),
    ("needs_response", None, Urgency.LATER),
    ("under_review", NOW - DAY, None),
    ("won", None, Urgency.CLOSED), ("charge_refunded", None, Urgency.CLOSED),
])
def test_urgency_bands(status: str, due_by: int | None, level: Urgency | None) -> None:
    assert urgency(status, due_by, NOW) == level


# -- the pane ----------------------------------------------------------------------------

async def test_open_disputes_first_by_deadline_with_countdowns(
        make_app: AppFactory, disputes_ledger: Database) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await show_disputes(pilot)
        assert table.has_focus and ids(table) == BOARD_ORDER
        columns = dispute_columns(lambda: NOW)
        cells = [[str(c.cell(table.row_at(i))) for c in columns] for i in range(7)]
        assert [row[0] for row in cells] == [
            "overdue by 3h", "5h left", "6d 0h left", "12d 0h left", "awaiting decision", "closed",
            "closed"]
        assert cells[0][1:] == ["12.50 USD", "needs_response", "fraudulent", "ada@example.com",
                                "visa •••• 4242", "draft", "dp_overdue"]
        assert cells[1][1] == "1,500 JPY" and cells[1][5] == "mastercard •••• 4444"
        assert [row[6] for row in cells[3:6]] == ["no", "yes (1)", "yes (1)"]
        # dp_later is an inquiry (warning_needs_response), tagged as one.
        assert cells[3][2] == "inquiry needs_response"
        assert label_text(pilot, "#disputes-summary") == (
            "4 need a response · 1 under review · 2 closed · row 1 of 7 · "
            "actions unavailable: no operator actions in this session")
        assert label_text(pilot, "#header-disputes").strip() == "4 disputes need a response"
        assert app.query_one("#header-disputes").has_class("-due")


async def test_rows_are_coloured_by_urgency_and_follow_the_clock(
        make_app: AppFactory, disputes_ledger: Database) -> None:
    now = [float(NOW)]
    app = make_app(clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        table = await show_disputes(pilot)
        assert [table.urgency_at(i) for i in range(7)] == [
            Urgency.OVERDUE, Urgency.WITHIN_48H, Urgency.WITHIN_7D, Urgency.LATER, None,
            Urgency.CLOSED, Urgency.CLOSED]
        def colours(y: int) -> set[Any]:
            return {segment.style.color for segment in table.render_line(y) if segment.style}

        overdue, soon = (table.get_component_rich_style(f"disputes-table--{level}", partial=True)
                         for level in ("overdue", "due-48h"))
        assert overdue.bold and soon.bold and overdue.color != soon.color
        # The focused cursor's row (the overdue one) keeps the cursor's look.
        assert overdue.color not in colours(1) and colours(2) == {soon.color}
        now[0] += 6 * HOUR
        assert table.urgency_at(1) is Urgency.OVERDUE
        assert dispute_columns(app.clock)[0].cell(table.row_at(1)) == "overdue by 1h"


async def test_closed_disputes_can_be_hidden_keeping_the_cursor(
        make_app: AppFactory, disputes_ledger: Database) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await show_disputes(pilot)
        await pilot.press("down", "down", "down", "c")
        assert ids(table) == BOARD_ORDER[:5] and table.cursor_id == "dp_later"
        assert "2 closed (hidden)" in label_text(pilot, "#disputes-summary")
        await pilot.press("c")
        assert ids(table) == BOARD_ORDER and table.cursor_id == "dp_later"


async def test_a_new_dispute_is_announced_once_and_the_cursor_stays(
        make_app: AppFactory, disputes_ledger: Database, wait_for: Waiter) -> None:
    urgent = dispute("dp_new", "pi_disputed", NOW, 8000, "usd", "needs_response",
                     "credit_not_processed", NOW + HOUR)

    def sync() -> str:  # each run brings the same dispute again, updated
        write_objects(disputes_ledger, [urgent], as_of=int(app.clock()))
        return "synced"

    app = make_app(jobs=[Job("sync", sync, every_seconds=3600, run_at_start=False)])
    toasts = record_toasts(app)
    bells: list[bool] = []
    app.bell = lambda: bells.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        table = await show_disputes(pilot)
        await pilot.press("down")
        assert table.cursor_id == "dp_soon"
        for _ in range(2):
            await pilot.press("s")
            await wait_for(lambda: table.row_count == 8, pilot=pilot)
            await pilot.pause(0.05)
        assert ids(table)[:3] == ["dp_overdue", "dp_new", "dp_soon"]
        assert (table.cursor, table.cursor_id) == (2, "dp_soon")
        news = [text for title, text in toasts if title == "New dispute"]
        assert news == ["dp_new: 80.00 USD, credit_not_processed · gu@example.com · visa •••• "
                        "4242 · evidence due 2026-11-18 12:06 UTC (1h left)"]
        assert bells == [True]
        assert label_text(pilot, "#header-disputes").strip() == "5 disputes need a response"


async def test_the_detail_shows_payment_deadline_evidence_and_timeline(
        make_app: AppFactory, disputes_ledger: Database) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await show_disputes(pilot)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, DisputeDetailScreen)
        assert screen.detail.dispute.id == "dp_overdue"
        assert screen.detail.payment.id == "pi_usd"
        facts = dict(dispute_facts(screen.detail, NOW))
        assert facts["Evidence due"] == (
            "2026-11-18 08:06 UTC (local) · 2026-11-18 08:06 UTC · overdue by 3h")
        assert (facts["Evidence"], facts["Submissions"]) == ("draft", "0")
        assert screen.detail.evidence == {"customer_name": "Ada Lovelace",
                                          "product_description": "Blue mug, 350 ml"}
        await pilot.press("v")  # offline: the key is inert
        assert app.screen is screen
        await pilot.press("escape", "down", "enter")
        assert [e.event_id for e in app.screen.detail.timeline] == ["evt_dp_soon"]


async def test_actions_are_hidden_and_explained_when_unavailable(
        make_app: AppFactory, disputes_ledger: Database) -> None:
    read_only = Actions(None, "ops@example.com", read_only=True)  # type: ignore[arg-type]
    app = with_actions(make_app(), read_only)
    toasts = record_toasts(app)
    async with app.run_test(size=SIZE) as pilot:
        await show_disputes(pilot)
        await pilot.press("v", "a")
        assert not isinstance(app.screen, EvidenceForm | ConfirmScreen)
        assert "actions unavailable: this console is read-only" in label_text(
            pilot, "#disputes-summary")
        assert app.check_action("operator", ("disputes.accept",)) is False
        await app.run_command("disputes.accept")  # the palette's way in
        title, message = toasts[-1]
        assert (title, message.startswith("Not available: this console is read-only")) == (
            "Accept dispute", True)


# -- the evidence form -------------------------------------------------------------------

async def open_form(pilot: Pilot, *keys: str) -> EvidenceForm:
    await show_disputes(pilot)
    await pilot.press(*keys, "v")
    assert isinstance(pilot.app.screen, EvidenceForm)
    return pilot.app.screen


def error_of(form: EvidenceForm, name: str) -> str:
    line = form.query_one(f"#evidence-{name}-error", Label)
    return str(line.content) if line.has_class("-shown") else ""


async def type_into(pilot: Pilot, form: EvidenceForm, name: str, text: str) -> None:
    editor = form.editors[name]
    if isinstance(editor, Input):
        editor.value = text
    else:
        editor.text = text
    await pilot.pause()


async def test_evidence_form_is_prefilled_and_checks_fields_as_typed(
        make_app: AppFactory, disputes_ledger: Database) -> None:
    app = with_actions(make_app(), offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        assert form.value("product_description") == "Blue mug, 350 ml"
        assert isinstance(form.editors["product_description"], TextArea)
        assert form.value("customer_name") == "Ada Lovelace"
        await type_into(pilot, form, "service_date", "2026-11-19")
        assert error_of(form, "service_date") == "service_date 2026-11-19 is in the future"
        await type_into(pilot, form, "service_date", "18/11/2026")
        assert "must be a date as YYYY-MM-DD" in error_of(form, "service_date")
        await type_into(pilot, form, "customer_email_address", "ada at example")
        assert error_of(form, "customer_email_address") == (
            "customer_email_address 'ada at example' is not an email address")
        await type_into(pilot, form, "uncategorized_text", "x" * 20_001)
        assert error_of(form, "uncategorized_text") == (
            "evidence field uncategorized_text is 20,001 characters; at most 20,000")
        await type_into(pilot, form, "customer_name", "4242 4242 4242 4242")
        assert "card number" in error_of(form, "customer_name")

        await pilot.press("ctrl+s")  # refused in the form: nothing planned, nothing sent
        assert str(form.query_one("#evidence-message", Static).render()) == (
            "Fix the fields marked in red first.")
        for name, text in (("service_date", "2026-11-02"), ("customer_email_address", ""),
                           ("uncategorized_text", ""), ("customer_name", "Ada Lovelace")):
            await type_into(pilot, form, name, text)
        assert form.problems() == {}
        assert form.changed() == {"service_date": "2026-11-02"}
        await type_into(pilot, form, "service_date", "")
        await pilot.press("ctrl+s")
        assert "Nothing to save" in str(form.query_one("#evidence-message", Static).render())
        await pilot.press("escape")
        assert isinstance(app.screen.query_one(DisputesTable), DisputesTable)


async def test_submitting_evidence_confirms_that_it_is_final(
        make_app: AppFactory, disputes_ledger: Database) -> None:
    app = with_actions(make_app(), offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, "down")  # dp_soon: nothing saved yet
        await type_into(pilot, form, "product_description", "Tea set, shipped 2026-11-02")
        await pilot.press("ctrl+t")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.summary == ("Submit to the bank evidence for dispute dp_soon: "
                                   "product_description")
        assert any("can usually be submitted only once" in w for w in confirm.warnings)
        assert confirm.typed is None  # TEST mode: no typing
        await pilot.press("escape")  # cancelled: nothing sent, the form is usable again
        assert app.screen is form and not form.busy
        assert not form.query_one("#evidence-submit", Button).disabled


async def test_evidence_form_shows_plan_refusals_on_their_field(
        make_app: AppFactory, disputes_ledger: Database) -> None:
    app = with_actions(make_app(), offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        # Stripe's limit is on all fields together: each is fine, the plan refuses.
        for name in ("uncategorized_text", "access_activity_log", "cancellation_rebuttal",
                     "refund_refusal_explanation", "duplicate_charge_explanation",
                     "cancellation_policy_disclosure", "refund_policy_disclosure",
                     "product_description"):
            await type_into(pilot, form, name, "y" * 19_000)
        await pilot.press("ctrl+s")
        message = str(form.query_one("#evidence-message", Static).render())
        assert message == "evidence is 152,000 characters in all; Stripe takes at most 150,000"
        assert not form.busy


async def test_closed_disputes_have_no_evidence_form(
        make_app: AppFactory, disputes_ledger: Database) -> None:
    app = with_actions(make_app(), offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        await show_disputes(pilot)
        await pilot.press("end", "v")
        assert not isinstance(app.screen, EvidenceForm)


# -- accepting ---------------------------------------------------------------------------

async def test_accept_names_the_amount_and_live_mode_needs_it_typed(
        make_app: AppFactory, disputes_ledger: Database) -> None:
    live = Actions(None, "ops@example.com", live=True, allow_live_actions=True,  # type: ignore[arg-type]
                   clock=lambda: NOW)
    app = with_actions(make_app(mode=Mode.LIVE), live)
    async with app.run_test(size=SIZE) as pilot:
        await show_disputes(pilot)
        await pilot.press("a")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.summary == ("Accept dispute dp_overdue on pi_usd (fraudulent): concedes "
                                   "12.50 USD to the cardholder; this cannot be undone")
        ok = confirm.query_one("#confirm-ok", Button)
        await pilot.press(*"12.5")
        assert ok.disabled
        await pilot.press("0")
        assert not ok.disabled
        await pilot.press("escape")
        assert not isinstance(app.screen, ConfirmScreen)


async def test_dispute_keys_can_be_remapped(make_app: AppFactory,
                                            disputes_ledger: Database) -> None:
    app = with_actions(make_app(keymap={"disputes.evidence": "e", "disputes.detail": "o"}),
                       offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        await show_disputes(pilot)
        await pilot.press("o")
        assert isinstance(app.screen, DisputeDetailScreen)
        await pilot.press("e")  # from the detail: evidence for this dispute
        assert isinstance(app.screen, EvidenceForm)
        assert app.screen.detail.dispute.id == "dp_overdue"


# -- snapshots ---------------------------------------------------------------------------

def test_disputes_pane_snapshot(make_app: AppFactory, disputes_ledger: Database,
                                snap_compare: Any) -> None:
    # The cursor on the "later" dispute, so the overdue row shows its colour.
    assert snap_compare(make_app(), press=["2", "down", "down", "down"], terminal_size=SIZE)


def test_dispute_detail_snapshot(make_app: AppFactory, disputes_ledger: Database,
                                 snap_compare: Any) -> None:
    assert snap_compare(make_app(), press=["2", "down", "enter"], terminal_size=SIZE)


def test_evidence_form_snapshot(make_app: AppFactory, disputes_ledger: Database,
                                snap_compare: Any) -> None:
    async def with_a_bad_date(pilot: Pilot) -> None:
        form = await open_form(pilot)
        await type_into(pilot, form, "service_date", "2026-11-19")
        form.editors["service_date"].focus()  # scrolls the error into view
        await pilot.pause()

    app = with_actions(make_app(), offline_actions())
    assert snap_compare(app, run_before=with_a_bad_date, terminal_size=SIZE)


async def test_accept_from_the_detail_acts_on_the_dispute_shown(
        make_app: AppFactory, disputes_ledger: Database) -> None:
    app = with_actions(make_app(), offline_actions())
    async with app.run_test(size=SIZE) as pilot:
        await show_disputes(pilot)
        await pilot.press("down", "enter")
        detail = app.screen
        assert isinstance(detail, DisputeDetailScreen)
        app.query_one(DisputesTable).move_cursor(0)  # the detail's dispute counts, not this
        await pilot.press("a")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.summary.startswith("Accept dispute dp_soon on pi_jpy")
        await pilot.press("escape")
        assert app.screen is detail
