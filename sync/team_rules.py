"""The checks a team request goes through, the same on the operator's side (before the
request exists) and on the service's (before it runs): role, today's refund limit, whether
it waits for approval, and whether the plan is still what the operator confirmed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from ledger import requests, team
from ledger.money import format_amount
from ledger.team import DAY, REFUNDS, Operator, TeamSettings, role_for
from sync.plans import ActionPlan

# What a plan's view leaves out: who and how often (the service re-plans as the same
# operator), and the notes that depend on when it is planned.
_NOT_SEEN = frozenset({"operator", "live", "attempt", "warnings", "call"})


def money_of(plan: ActionPlan) -> tuple[int | None, str | None]:
    amount, currency = getattr(plan, "amount", None), getattr(plan, "currency", None)
    return (amount if isinstance(amount, int) else None,
            currency if isinstance(currency, str) else None)


def plan_view(plan: ActionPlan) -> dict[str, Any]:
    """The plan as the operator confirmed it, as JSON values."""
    view = {f.name: getattr(plan, f.name) for f in fields(plan) if f.name not in _NOT_SEEN}
    loaded: dict[str, Any] = json.loads(json.dumps(view, sort_keys=True, default=str))
    return loaded


def changes(seen: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    return [f"{name}: {seen.get(name)!r} -> {now.get(name)!r}"
            for name in sorted(set(seen) | set(now)) if seen.get(name) != now.get(name)]


def not_an_operator(role: str) -> str:
    return (f"{role} is not an operator of this team ledger (an admin adds it: "
            f"payconsole operators add {role} --role ...)")


def role_refusal(op: Operator | None, role: str, action: str) -> str | None:
    if op is None:
        return not_an_operator(role)
    if not op.may(action):
        return (f"{action} needs the {role_for(action)} role; {op.name} holds "
                f"{', '.join(op.roles)}")
    return None


def approval_problem(approver: str, req: requests.Request | None) -> str | None:
    """Why `approver` may not decide on `req` (the service re-checks it), or None."""
    if req is None:
        return "there is no such request"
    if req.status != requests.AWAITING_APPROVAL:
        return f"request {req.id} is {req.status}, not waiting for an approval"
    if approver == req.requested_by:
        return "nobody approves their own request"
    return role_refusal(team.operator(approver), approver, req.action)


def day_start(now: int) -> int:
    return now - now % DAY


def refund_room(op: Operator, currency: str, now: int, *, excluding: int | None = None
                ) -> int | None:
    """What is left of today's (UTC) refund limit in `currency`; None: no daily limit."""
    daily = op.limit(currency).daily
    if daily is None:
        return None
    used = requests.refunded_since(op.name, currency, day_start(now), actions=REFUNDS,
                                   excluding=excluding)
    return max(daily - used, 0)


def limit_refusal(op: Operator, plan: ActionPlan, now: int, *,
                  excluding: int | None = None) -> str | None:
    """Over today's refund limit: refused outright (an approval does not lift it)."""
    amount, currency = money_of(plan)
    if plan.action not in REFUNDS or amount is None or currency is None:
        return None
    room = refund_room(op, currency, now, excluding=excluding)
    if room is None or amount <= room:
        return None
    daily = op.limit(currency).daily or 0
    return (f"over {op.name}'s daily refund limit of {format_amount(daily, currency)}: "
            f"{format_amount(room, currency)} is left today (UTC)")


def approval_reason(op: Operator, plan: ActionPlan, team: TeamSettings) -> str | None:
    """Why this request waits for a second operator, or None."""
    if plan.action in team.require_approval:
        return f"every {plan.action} needs an approval ([team] require_approval)"
    amount, currency = money_of(plan)
    if plan.action in REFUNDS and amount is not None and currency is not None:
        limit = op.limit(currency).refund
        if limit is not None and amount > limit:
            return (f"{format_amount(amount, currency)} is over {op.name}'s per-refund limit "
                    f"of {format_amount(limit, currency)}")
    return None
