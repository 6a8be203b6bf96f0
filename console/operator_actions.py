"""The one path of every operator action in the console:

    refusal check -> target -> plan -> form (where the action has one) -> confirmation
    -> execute in a thread worker -> outcome message -> ledger reload

`OPERATOR_ACTIONS` says, for each operator command of console.commands, how to find what
it acts on and how to plan it with `sync.action_desk.ActionDesk`, or which form plans it. From
here console.sending confirms and sends; the app announces the outcome and reloads.
A new action is a command in console.commands and an entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import App
from textual.screen import Screen

from console.commands import BY_ID
from console.panes.customers import CustomersPane
from console.panes.disputes import DisputesPane
from console.panes.fraud_warnings import FraudWarningsPane
from console.panes.payments import PaymentsPane
from console.screens.payment_detail import PaymentDetailScreen

if TYPE_CHECKING:  # the Stripe SDK is imported only where actions exist (never offline)
    from console.screens.action_form import ActionForm
    from ledger.customer_views import MethodRow
    from sync.action_desk import ActionDesk
    from sync.plans import ActionPlan

# The forms, the plans and the dispute detail are imported when an action first runs (the
# function-level imports below): the first screen needs none of them (~0.1 s of imports).

# What an action acts on: an id, or the row its form shows (a MethodRow).
Target = Any
T = TypeVar("T")


@dataclass(frozen=True)
class OperatorAction:
    command_id: str
    action: str  # the plan's action (ledger.team's name: what a team role may do)
    target: Callable[[App[Any]], Target]  # raises ActionRefused when there is none
    plan: Callable[[ActionDesk, Target], ActionPlan] | None = None  # sent as it is
    form: str | None = None  # the form (of `_forms`) that plans from what is typed
    details: Callable[[ActionPlan], Sequence[str]] = lambda plan: ()  # for the confirmation

    def __post_init__(self) -> None:
        assert (self.plan is None) != (self.form is None), "a plan or a form, not both"
        assert BY_ID[self.command_id].operator, f"{self.command_id} is not an operator command"


# -- finding the target: the object on show (a detail screen), else the row under the cursor


def _main(app: App[Any]) -> Screen[Any]:
    return app.screen_stack[0]


def _payment(app: App[Any]) -> str:
    from console.screens.dispute_detail import DisputeDetailScreen

    if isinstance(app.screen, PaymentDetailScreen):
        return app.screen.detail.payment.id
    if isinstance(app.screen, DisputeDetailScreen):  # an inquiry a refund ends
        disputed = app.screen.detail.payment
        return _chosen(disputed.id if disputed else None, "a dispute whose payment is synced")
    return _chosen(_main(app).query_one(PaymentsPane).selected_id, "a payment")


def _dispute(app: App[Any]) -> str:
    from console.screens.dispute_detail import DisputeDetailScreen

    if isinstance(app.screen, DisputeDetailScreen):
        return app.screen.detail.dispute.id
    return _chosen(_main(app).query_one(DisputesPane).selected_id, "a dispute")


def _fraud_warning(app: App[Any]) -> str:
    return _chosen(_main(app).query_one(FraudWarningsPane).selected_id, "a fraud warning")


def _customer_or_none(app: App[Any]) -> str:
    customer = _main(app).query_one(CustomersPane).selected_customer
    return customer.id if customer else ""  # the charge dialog asks for one


def _method(app: App[Any]) -> MethodRow:
    method = _main(app).query_one(CustomersPane).selected_method
    return _chosen(method, "a saved payment method in the Customers pane")


def _chosen(found: T | None, what: str) -> T:
    from sync.plans import ActionRefused

    if found is None:
        raise ActionRefused(f"choose {what} first")
    return found


def _default_kept(plan: ActionPlan) -> tuple[str, ...]:
    from sync.plans import DetachPlan

    # When it was the default, the plan's warning says so (and what remains).
    kept = isinstance(plan, DetachPlan) and not plan.was_default
    return ("The customer's default payment method stays as it is.",) if kept else ()


def _forms() -> dict[str, type[ActionForm]]:
    """The action forms by name (`OperatorAction.form`), their modules imported on first use."""
    from console.screens.capture_dialog import CancelDialog, CaptureDialog
    from console.screens.charge_dialog import ChargeDialog
    from console.screens.evidence_form import EvidenceForm
    from console.screens.method_dialogs import MethodEditDialog
    from console.screens.refund_dialog import RefundDialog

    return {"refund": RefundDialog, "capture": CaptureDialog, "cancel": CancelDialog,
            "charge": ChargeDialog, "method.edit": MethodEditDialog, "evidence": EvidenceForm}


OPERATOR_ACTIONS: dict[str, OperatorAction] = {entry.command_id: entry for entry in (
    OperatorAction("payments.refund", "refund", _payment, form="refund"),
    OperatorAction("payments.capture", "capture", _payment, form="capture"),
    OperatorAction("payments.cancel", "cancel", _payment, form="cancel"),
    OperatorAction("payments.charge", "charge", lambda app: "", form="charge"),
    OperatorAction("customers.charge", "charge", _customer_or_none, form="charge"),
    OperatorAction("customers.edit_method", "method.update", _method, form="method.edit"),
    OperatorAction("customers.set_default", "method.set_default", _method,
                   plan=lambda actions, method: actions.plan_set_default(method.id)),
    OperatorAction("customers.detach", "method.detach", _method,
                   plan=lambda actions, method: actions.plan_detach(method.id),
                   details=_default_kept),
    OperatorAction("disputes.evidence", "dispute.evidence", _dispute, form="evidence"),
    OperatorAction("disputes.accept", "dispute.accept", _dispute,
                   plan=lambda actions, dispute: actions.plan_accept(dispute)),
    OperatorAction("fraud_warnings.refund", "efw.refund", _fraud_warning,
                   plan=lambda actions, warning: actions.plan_fraud_refund(warning)),
)}


def start_operator_action(app: App[Any], command_id: str, actions: ActionDesk | None,
                          refusal: str | None, clock: Callable[[], float]) -> None:
    """Run an operator command, or say why it cannot run (nothing is sent)."""
    from console.screens.action_form import FormRequest
    from console.sending import confirm_and_send
    from sync.plans import ActionRefused

    entry = OPERATOR_ACTIONS[command_id]
    try:
        if refusal is not None or actions is None:
            raise ActionRefused(f"Not available: {refusal}")
        target = entry.target(app)
        if entry.form is not None:
            app.push_screen(_forms()[entry.form].opened(FormRequest(actions, target, clock)))
        elif entry.plan is not None:
            plan = entry.plan(actions, target)
            confirm_and_send(app, actions, plan, details=entry.details(plan))
    except ActionRefused as exc:
        app.notify(str(exc), title=BY_ID[command_id].title, severity="warning", markup=False)
        app.bell()


def command_refusals(actions: ActionDesk | None, refusal: str | None) -> dict[str, str | None]:
    """Why each operator command is unavailable (None: it is available): the session's
    `refusal` for all of them, else the operator's own (`refusal_for`: on a team ledger,
    a role that does not allow the action). One look-up per action, not per command."""
    if refusal is not None or actions is None:
        return dict.fromkeys(OPERATOR_ACTIONS, refusal or "no operator actions")
    by_action = {action: actions.refusal_for(action)
                 for action in {entry.action for entry in OPERATOR_ACTIONS.values()}}
    return {command_id: by_action[entry.action] for command_id, entry in OPERATOR_ACTIONS.items()}
