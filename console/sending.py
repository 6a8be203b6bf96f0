"""Sending an operator action's plan: confirmed first when it needs it, then executed in a
thread worker (execute talks to Stripe: never on the UI thread). Every outcome is announced
to the app with `ActionCompleted`, which says how it ended and reloads what shows the
ledger. Every operator action of the console, from a pane, a detail or a form, ends here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.message import Message

from console.screens.confirm import ConfirmScreen
from sync.plans import ActionError, ActionPlan, ActionRefused, ActionResult, ActionWaiting

if TYPE_CHECKING:  # the Stripe SDK is imported only where actions exist (never offline)
    from sync.action_desk import ActionDesk

Outcome = ActionResult | ActionError
WORKER_GROUP = "operator-actions"


@dataclass
class ActionCompleted(Message):
    """An action was sent (or refused when sent); the ledger may have changed."""

    plan: ActionPlan
    outcome: Outcome


def outcome_message(outcome: Outcome) -> str:
    if isinstance(outcome, ActionWaiting):  # not an error: a team request on its way
        return f"sent: {outcome}"
    return outcome.message if isinstance(outcome, ActionResult) else str(outcome)


def confirm_and_send(app: App[Any], actions: ActionDesk, plan: ActionPlan, *,
                     details: Sequence[str] = (), on_send: Callable[[], None] | None = None,
                     done: Callable[[Outcome | None], None] | None = None) -> None:
    """Confirm `plan` if it needs it (`details`: more lines for the confirmation), then
    execute it in a thread worker. `on_send` runs once it is on its way; `done` gets the
    outcome on the UI thread, or None when the operator did not confirm."""
    finish = done or (lambda _outcome: None)

    def confirmed(typed: str | None) -> None:
        if typed is None:
            finish(None)
            return
        name = f"action {plan.fingerprint}"
        if any(w.name == name and not w.is_finished for w in app.workers):
            # Belt and braces: the idempotency key would make Stripe answer with the first
            # result anyway, but there is no reason to ask twice.
            _finished(app, plan, finish, ActionRefused(
                "this action is already on its way to Stripe: wait for its answer"))
            return
        if on_send is not None:
            on_send()
        app.run_worker(partial(_execute, app, actions, plan, typed or None, finish),
                       name=name, group=WORKER_GROUP, thread=True, description=plan.summary)

    if plan.needs_confirmation:
        app.push_screen(ConfirmScreen(plan, details), confirmed)
    else:
        confirmed("")


def _execute(app: App[Any], actions: ActionDesk, plan: ActionPlan, typed: str | None,
             finish: Callable[[Outcome | None], None]) -> None:
    """In the worker thread: the network call, then back to the UI thread."""
    try:
        outcome: Outcome = actions.execute(plan, typed_confirmation=typed)
    except ActionError as exc:
        outcome = exc
    app.call_from_thread(_finished, app, plan, finish, outcome)


def _finished(app: App[Any], plan: ActionPlan, finish: Callable[[Outcome | None], None],
              outcome: Outcome) -> None:
    app.post_message(ActionCompleted(plan, outcome))
    finish(outcome)
