"""Every console command, declared once: its binding id (what `[console.keymap]` remaps),
default key, footer label, palette title and help, the places it is bound in, and whether it
is an operator action. Widget BINDINGS, the command palette (console.palette) and the key
table in README.md all come from COMMANDS."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingType

from console.errors import ConfigError

# (pane id, tab title), in tab order; key N shows the N-th pane.
PANES: tuple[tuple[str, str], ...] = (
    ("payments", "Payments"),
    ("disputes", "Disputes"),
    ("customers", "Customers & methods"),
    ("analytics", "Analytics"),
    ("events", "Events"),
    ("audit", "Audit"),
    ("payouts", "Payouts"),
    ("fraud", "Fraud warnings"),
    ("approvals", "Approvals"),  # on a team ledger only (the app hides it otherwise)
)
TEAM_PANES = frozenset({"approvals"})


@dataclass(frozen=True)
class Place:
    """Where a command is bound. On the main screen, `widget` (a selector; None: the app)
    is where its action runs, and `pane` is shown first when the palette runs it. Places
    without either are screens over the main one: their commands are not in the palette."""

    where: str  # for the README's key table
    pane: str | None = None
    widget: str | None = None
    main_screen: bool = True


APP = Place("anywhere")
PAYMENTS = Place("Payments", "payments", "#payments-pane")
PAYMENTS_TABLE = Place("Payments", "payments", "#payments-table")
DISPUTES = Place("Disputes", "disputes", "#disputes-pane")
DISPUTES_TABLE = Place("Disputes", "disputes", "#disputes-table")
CUSTOMERS = Place("Customers", "customers", "#customers-pane")
FRAUD_WARNINGS = Place("Fraud warnings", "fraud", "#fraud-pane")
ANALYTICS = Place("Analytics", "analytics", "#analytics-pane")
PAYOUTS_TABLE = Place("Payouts", "payouts", "#payouts-table")
APPROVALS = Place("Approvals", "approvals", "#approvals-pane")
TABLE = Place("a table", main_screen=False)
SEARCH_BAR = Place("a search", main_screen=False)  # keys of every table; the palette has no row
PAYMENT_DETAIL = Place("payment detail", main_screen=False)
DISPUTE_DETAIL = Place("dispute detail", main_screen=False)
PAYOUT_DETAIL = Place("payout detail", main_screen=False)
CONFIRM = Place("confirmation", main_screen=False)
DIALOG = Place("action dialog", main_screen=False)
EVIDENCE_FORM = Place("evidence form", main_screen=False)
FILE_PICKER = Place("file picker", main_screen=False)
REJECT_DIALOG = Place("reject dialog", main_screen=False)


@dataclass(frozen=True)
class Command:
    id: str  # the binding id
    key: str  # default key(s), comma separated
    label: str  # in the footer
    title: str  # in the palette
    help: str
    action: str  # run in the place's namespace (operator actions: on the app)
    places: tuple[Place, ...]  # the first is where the palette runs it
    operator: bool = False  # sent to Stripe: see console.operator_actions
    show: bool = True  # in the footer
    priority: bool = False  # before the focused widget (text fields) takes the key

    def binding(self) -> Binding:
        return Binding(self.key, self.action, self.label, show=self.show, id=self.id,
                       priority=self.priority)

    @property
    def home(self) -> Place:
        return self.places[0]

    @property
    def in_palette(self) -> bool:
        return self.home.main_screen


def operator_command(id: str, key: str, label: str, title: str, help: str,
                     *places: Place) -> Command:
    """A command whose action goes to Stripe, all through one path (`app.operator`)."""
    return Command(id, key, label, title, help, f"app.operator({id!r})", places, operator=True)


def _pane_commands() -> Iterator[Command]:
    for number, (pane_id, title) in enumerate(PANES, start=1):
        only = " (on a team ledger)" if pane_id in TEAM_PANES else ""
        yield Command(f"app.pane.{pane_id}", str(number), title, f"Show {title}{only}",
                      f"Switch to the {title} pane", f"show_pane({pane_id!r})", (APP,),
                      show=False)


# (choice, key, label, what): the Analytics pane's periods (ids analytics.<choice>).
_PERIODS = (("today", "t", "Today", "today"), ("7d", "w", "7 days", "the last 7 days"),
            ("30d", "m", "30 days", "the last 30 days"), ("90d", "u", "90 days",
                                                           "the last 90 days"),
            ("custom", "r", "Range", "a custom range of days"))


def _analytics_commands() -> Iterator[Command]:
    for choice, key, label, what in _PERIODS:
        yield Command(f"analytics.{choice}", key, label, f"Analytics for {what}",
                      f"Figures and charts for {what} (UTC days)",
                      f"period({choice.removesuffix('d')!r})", (ANALYTICS,))
    yield Command("analytics.currency", "c", "Currency", "Analytics: next currency",
                  "Show the next currency's figures, or all currencies", "next_currency",
                  (ANALYTICS,))


def _table_commands() -> Iterator[Command]:
    for name, key, action in (("up", "up", "cursor_up"), ("down", "down", "cursor_down"),
                              ("page_up", "pageup", "page_up"),
                              ("page_down", "pagedown", "page_down"),
                              ("first", "home", "first"), ("last", "end", "last"),
                              ("select", "enter", "select_cursor")):
        label = name.replace("_", " ").capitalize()
        yield Command(f"table.{name}", key, label, f"Table: {label.lower()}",
                      f"Move the table's cursor: {label.lower()}" if name != "select"
                      else "Act on the row under the cursor", action, (TABLE,), show=False)


COMMANDS: tuple[Command, ...] = (
    Command("app.quit", "q", "Quit", "Quit", "Stop the background sync and leave payconsole",
            "quit", (APP,)),
    Command("app.sync_now", "s", "Sync now", "Sync now",
            "Run the sync job now instead of waiting for its schedule", "sync_now", (APP,)),
    Command("app.search", "slash", "Search", "Search", "Search and filter the rows of this "
            "pane: status:… currency:… amount>… email:… last4:… since:… until:… id:… "
            "failure:…", "search", (APP,)),
    *_pane_commands(),
    Command("payments.detail", "enter", "Detail", "Open selected payment", "Amounts, card, "
            "refunds, disputes and event timeline of the payment under the cursor",
            "select_cursor", (PAYMENTS_TABLE,)),
    operator_command("payments.refund", "r", "Refund", "Refund payment", "Refund all or part "
                     "of the payment under the cursor, or of an inquiry's payment from its "
                     "dispute detail (confirmed before anything is sent)",
                     PAYMENTS, PAYMENT_DETAIL, DISPUTE_DETAIL),
    operator_command("payments.capture", "c", "Capture", "Capture payment", "Capture all or "
                     "part of the authorized payment under the cursor; Stripe releases the "
                     "rest (confirmed before anything is sent)", PAYMENTS, PAYMENT_DETAIL),
    operator_command("payments.cancel", "x", "Cancel hold", "Cancel authorized payment",
                     "Cancel the authorized payment under the cursor, releasing its hold",
                     PAYMENTS, PAYMENT_DETAIL),
    operator_command("payments.charge", "n", "Charge", "Charge a saved payment method",
                     "Charge a customer's saved card off-session", PAYMENTS),
    Command("payments.order", "o", "Order", "Change payment order", "Newest first, oldest "
            "first, or largest amount per currency", "next_order", (PAYMENTS,)),
    operator_command("customers.edit_method", "e", "Edit method", "Edit payment method",
                     "Change the selected card's expiry and billing details (never its "
                     "number)", CUSTOMERS),
    operator_command("customers.set_default", "d", "Make default",
                     "Make payment method the default",
                     "Make the selected card its customer's default", CUSTOMERS),
    operator_command("customers.detach", "x", "Detach", "Detach payment method",
                     "Detach the selected card from its customer (says what becomes of the "
                     "default first)", CUSTOMERS),
    operator_command("customers.charge", "n", "Charge", "Charge selected customer",
                     "Charge a saved card of the customer under the cursor, off-session",
                     CUSTOMERS),
    Command("disputes.detail", "enter", "Detail", "Open selected dispute", "The disputed "
            "payment, deadline (local and UTC), saved evidence and timeline",
            "select_cursor", (DISPUTES_TABLE,)),
    operator_command("disputes.evidence", "v", "Evidence", "Dispute evidence", "Write "
                     "evidence for the selected dispute: save a draft, or submit it to the "
                     "bank", DISPUTES, DISPUTE_DETAIL),
    operator_command("disputes.accept", "a", "Accept", "Accept dispute", "Concede the "
                     "selected dispute's amount to the cardholder (cannot be undone)",
                     DISPUTES, DISPUTE_DETAIL),
    Command("disputes.show_closed", "c", "Show/hide closed", "Show or hide closed disputes",
            "Won, lost and other closed disputes below the open ones, or hidden",
            "toggle_closed", (DISPUTES,)),
    operator_command("fraud_warnings.refund", "f", "Refund as fraud",
                     "Refund a fraud warning's payment", "Refund what is left of the payment "
                     "the selected early fraud warning is about, reason fraudulent, before it "
                     "becomes a dispute (confirmed first)", FRAUD_WARNINGS),
    *_analytics_commands(),
    Command("payouts.detail", "enter", "Detail", "Open selected payout", "The payout's "
            "balance transactions, the payments, refunds and disputes behind them, and "
            "whether their net adds up to the payout", "select_cursor", (PAYOUTS_TABLE,)),
    Command("approvals.approve", "a", "Approve", "Approve a request", "Approve the "
            "selected request of another operator; the team's sync service then runs it",
            "decide('approve')", (APPROVALS,)),
    Command("approvals.reject", "x", "Reject", "Reject a request", "Reject the selected "
            "request of another operator, with a reason (asked for first)",
            "decide('reject')", (APPROVALS,)),
    *_table_commands(),
    Command("search.clear", "escape", "Clear search", "Clear the search",
            "Show every row again", "clear", (SEARCH_BAR,)),
    Command("detail.close", "escape", "Close", "Close the detail", "Back to the panes",
            "dismiss", (PAYMENT_DETAIL, DISPUTE_DETAIL, PAYOUT_DETAIL)),
    Command("confirm.cancel", "escape", "Cancel", "Cancel", "Send nothing", "dismiss_none",
            (CONFIRM,)),
    Command("dialog.close", "escape", "Close", "Close the dialog", "Close it; an action "
            "already sent still says how it ended", "close", (DIALOG,)),
    Command("evidence.close", "escape", "Close", "Close the evidence form", "Close it; "
            "evidence already sent still says how it ended", "close", (EVIDENCE_FORM,)),
    Command("evidence.draft", "ctrl+s", "Save draft", "Save evidence as a draft",
            "Save the changed fields on Stripe without submitting them", "send(False)",
            (EVIDENCE_FORM,), priority=True),
    Command("evidence.submit", "ctrl+t", "Submit", "Submit evidence", "Submit the evidence "
            "to the bank (confirmed first: usually only once)", "send(True)",
            (EVIDENCE_FORM,), priority=True),
    Command("picker.close", "escape", "Close", "Close the file picker", "Attach nothing; "
            "the field keeps what it had", "close", (FILE_PICKER,)),
    Command("reject.cancel", "escape", "Cancel", "Cancel the rejection", "Reject nothing",
            "dismiss_none", (REJECT_DIALOG,)),
)

BY_ID: dict[str, Command] = {command.id: command for command in COMMANDS}


def bindings(place: Place) -> list[BindingType]:
    """The BINDINGS of the widget or screen at `place`."""
    return [command.binding() for command in COMMANDS if place in command.places]


def team_only(command: Command) -> bool:
    """A command of a team ledger's pane (or the key that shows it): hidden elsewhere."""
    return command.home.pane in TEAM_PANES or command.id in {
        f"app.pane.{pane_id}" for pane_id in TEAM_PANES}


def check_keymap(keymap: Mapping[str, str]) -> None:
    """A keymap naming an id no command has is a mistake in the config: say which."""
    unknown = [binding_id for binding_id in keymap if binding_id not in BY_ID]
    if unknown:
        ids = ", ".join(repr(binding_id) for binding_id in unknown)
        noun = "binding id" if len(unknown) == 1 else "binding ids"
        raise ConfigError(f"config: console.keymap: unknown {noun} {ids} "
                          f"(known: {', '.join(sorted(BY_ID))})")


def current_keys(command: Command, keymap: Mapping[str, str]) -> list[str]:
    """The keys of a command once the user's keymap is applied."""
    return [key.strip() for key in keymap.get(command.id, command.key).split(",")]


def key_table() -> str:
    """README.md's key table (a test checks that the README shows this)."""
    rows = ["| key | binding id | where | what |", "|---|---|---|---|"]
    for command in COMMANDS:
        keys = " ".join(f"`{key}`" for key in current_keys(command, {}))
        where = ", ".join(dict.fromkeys(place.where for place in command.places))
        rows.append(f"| {keys} | `{command.id}` | {where} | {command.title} |")
    return "\n".join(rows)
